/**
 * The emulator for the bulk phase (bench/phases/bulk.ts), in its own process so that its CPU time and memory
 * are not counted against the client being measured. Unlike emulator-host.ts it serves a real bucket
 * directory (the objects exist as files: Directory and manifest imports read them; the manifests are
 * PutObject'ed there through the emulator's S3-compatible endpoint) and answers with a summary of its state:
 * what each Import task did and how many times each destination file was imported. The file system is
 * simulated (no fileSystemDir): an import is counted, not copied.
 *
 *   parent → {type: 'start', options, maxLifetimeMs}   child → {type: 'ready', url}
 *   parent → {type: 'summary', destinationPrefix}       child → {type: 'summary', summary}
 *   parent → {type: 'stop'}                             child stops and exits
 */
import { cpuMs } from '../lib/bulk-host.js';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../emulator/server.js';

export type BulkHostOptions = Pick<EmulatorOptions, 'fileSystems' | 'dataFlows' | 'timings' | 'seed' | 'keys' | 'autoTickMs' | 'bucketDir' | 'timeScale'>;

export type BulkHostMessage =
  | { readonly type: 'start'; readonly options: BulkHostOptions; readonly maxLifetimeMs: number }
  | { readonly type: 'summary'; readonly destinationPrefix: string }
  | { readonly type: 'stop' };

export interface BulkHostSummary {
  /** Emulator clock, ms. */
  readonly now: number;
  /** Requests the NAS side received, by action (replays included: they are calls). */
  readonly calls: Record<string, number>;
  readonly importTasks: number;
  readonly importTasksEnded: number;
  readonly importTasksCompleted: number;
  readonly subTasks: number;
  readonly subTasksEnded: number;
  /** Earliest createdAt / latest endedAt over Import tasks and sub-tasks (emulator clock). */
  readonly firstCreatedAt?: number;
  readonly lastEndedAt?: number;
  /** Destination files under the prefix imported (written or skipped) once / more than once. */
  readonly importedOnce: number;
  readonly importedMoreThanOnce: number;
  readonly errorMessages: string[];
  /** CPU time (user + system) of this emulator process so far, ms. */
  readonly cpuMs: number;
}

export type BulkHostReply =
  | { readonly type: 'ready'; readonly url: string }
  | { readonly type: 'summary'; readonly summary: BulkHostSummary }
  | { readonly type: 'error'; readonly message: string };

let emulator: EmulatorHandle | undefined;
let fileSystemId = '';

function reply(message: BulkHostReply): void {
  process.send?.(message);
}

function summarise(handle: EmulatorHandle, destinationPrefix: string): BulkHostSummary {
  const imports = handle.importCounts(); // also moves the emulator to now
  const calls: Record<string, number> = {};
  for (const e of handle.log.entries) calls[e.action] = (calls[e.action] ?? 0) + 1;
  let firstCreatedAt: number | undefined;
  let lastEndedAt: number | undefined;
  const seen = (created: number, ended: number | undefined) => {
    firstCreatedAt = Math.min(firstCreatedAt ?? created, created);
    if (ended !== undefined) lastEndedAt = Math.max(lastEndedAt ?? ended, ended);
  };
  let importTasks = 0;
  let importTasksEnded = 0;
  let importTasksCompleted = 0;
  const errorMessages: string[] = [];
  for (const t of handle.state.tasks.values()) {
    if (t.action !== 'Import') continue;
    importTasks += 1;
    if (t.endedAt !== undefined) importTasksEnded += 1;
    if (t.status === 'Completed') importTasksCompleted += 1;
    if (t.errorMsg !== undefined && errorMessages.length < 3) errorMessages.push(t.errorMsg);
    seen(t.createdAt, t.endedAt);
  }
  let subTasks = 0;
  let subTasksEnded = 0;
  for (const s of handle.state.subTasks.values()) {
    subTasks += 1;
    if (s.endedAt !== undefined) subTasksEnded += 1;
    if (s.errorMsg !== undefined && errorMessages.length < 3) errorMessages.push(`sub-task ${s.srcFilePath}: ${s.errorMsg}`);
    seen(s.createdAt, s.endedAt);
  }
  let importedOnce = 0;
  let importedMoreThanOnce = 0;
  const keyPrefix = `${fileSystemId}:${destinationPrefix}`;
  for (const [key, count] of imports) {
    if (!key.startsWith(keyPrefix)) continue;
    const n = count.written + count.skipped;
    if (n === 1) importedOnce += 1;
    else if (n > 1) importedMoreThanOnce += 1;
  }
  return {
    now: handle.clock.now(), calls, importTasks, importTasksEnded, importTasksCompleted, subTasks, subTasksEnded,
    ...(firstCreatedAt !== undefined ? { firstCreatedAt } : {}), ...(lastEndedAt !== undefined ? { lastEndedAt } : {}),
    importedOnce, importedMoreThanOnce, errorMessages, cpuMs: cpuMs(process.cpuUsage()),
  };
}

async function stop(code: number): Promise<never> {
  await emulator?.stop();
  process.exit(code);
}

process.on('message', (raw: unknown) => {
  const message = raw as BulkHostMessage;
  void (async () => {
    try {
      if (message.type === 'start') {
        emulator = await startEmulator({ ...message.options, host: '127.0.0.1', port: 0 });
        fileSystemId = message.options.fileSystems?.[0]?.id ?? '';
        setTimeout(() => void stop(3), message.maxLifetimeMs).unref();
        reply({ type: 'ready', url: emulator.url });
      } else if (message.type === 'summary') {
        if (emulator === undefined) throw new Error('not started');
        reply({ type: 'summary', summary: summarise(emulator, message.destinationPrefix) });
      } else if (message.type === 'stop') {
        await stop(0);
      }
    } catch (error) {
      reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  })();
});
process.on('disconnect', () => void stop(0));
