/**
 * The emulator child of the bulk and burst phases (bench/children/bulk-emulator-host.ts), driven over IPC:
 * start it with its options, ask for the import summary under a destination prefix, stop it. Also: the
 * child process each shape of those phases runs in (bench/children/bulk-shape.ts), and their bucket directory.
 */
import { fork } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statfsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_EMULATOR_KEY } from '../../emulator/server.js';
import type { BulkHostMessage, BulkHostOptions, BulkHostReply, BulkHostSummary } from '../children/bulk-emulator-host.js';

/** The duration model's costs (phases/bulk.ts module comment). Lifecycle timings in emulator-clock ms. */
export const BULK_TIMINGS = {
  batchPendingMs: 500,
  batchExecutingMs: 2_000,
  batchPerFileMs: 0.1,
  batchPerByteMs: 0.000_001,
  streamPendingMs: 0,
  subTaskCreatedMs: 50,
  subTaskRunningMs: 200,
} as const;

/** The one CPFS for LINGJUN 2.6 data flow a bulk or burst shape runs against, and where its objects live. */
export interface PhaseWorld {
  readonly fileSystemId: string;
  readonly dataFlowId: string;
  readonly bucket: string;
  /** Key prefix of the phase's objects (`bulk/`); the summary counts imports under `/<prefix>`. */
  readonly prefix: string;
}

/** Starts the emulator child of one shape: the phase's data flow over `bucketDir`, the duration model on. */
export function startPhaseHost(script: string, world: PhaseWorld, bucketDir: string, run: Pick<BulkHostRun, 'label' | 'maxLifetimeMs'>): Promise<BulkHost> {
  return startBulkHost(script, {
    seed: 20261130,
    keys: [DEFAULT_EMULATOR_KEY],
    fileSystems: [{ id: world.fileSystemId, version: '2.6.0' }],
    dataFlows: [{ id: world.dataFlowId, fileSystemId: world.fileSystemId, sourceStorage: `oss://${world.bucket}` }],
    bucketDir,
    timings: BULK_TIMINGS,
    autoTickMs: 50,
  }, { ...run, destinationPrefix: `/${world.prefix}` });
}

/** What every shape's run reports besides its own figures: the emulator's import check, errors and costs. */
export interface ShapeRunCommon {
  readonly importedOnce: number;
  readonly importedMoreThanOnce: number;
  readonly missing: number;
  readonly importTasks: number;
  readonly errors: string[];
  readonly wallMs: number;
  /** CPU time (user + system) of the client process and of its emulator process, for the run: context only. */
  readonly clientCpuMs: number;
  readonly emulatorCpuMs: number;
}

export interface BulkHost {
  readonly url: string;
  summary(): Promise<BulkHostSummary>;
  stop(): Promise<void>;
}

export interface BulkHostRun {
  /** Names the phase in errors ("bulk", "burst"). */
  readonly label: string;
  /** The child exits by itself after this long, whatever happens here. */
  readonly maxLifetimeMs: number;
  /** Destination prefix the summary counts imports under (`/<prefix>`). */
  readonly destinationPrefix: string;
}

export async function startBulkHost(script: string, options: BulkHostOptions, run: BulkHostRun): Promise<BulkHost> {
  const child = fork(script, [], { execArgv: [], env: {}, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  // A child that went away (its own lifetime limit, a crash) makes `send` fail with an 'error' event: the
  // pending question is answered by 'exit' below; without a listener the event would end this process.
  let lastError: Error | undefined;
  child.on('error', (error) => {
    lastError = error;
  });
  const ask = (message: BulkHostMessage, expect: BulkHostReply['type']) =>
    new Promise<BulkHostReply>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`bench: ${run.label} emulator host did not answer ${message.type}`)), 60_000);
      const onMessage = (raw: unknown) => {
        const reply = raw as BulkHostReply;
        if (reply.type === 'error') done(new Error(`bench: ${run.label} emulator host: ${reply.message}`));
        else if (reply.type === expect) done(undefined, reply);
      };
      const onExit = (code: number | null) => done(new Error(`bench: ${run.label} emulator host exited (${code})${code === 3 ? ' at its lifetime limit' : ''} ${lastError?.message ?? ''} ${stderr}`));
      const done = (error?: Error, reply?: BulkHostReply) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve(reply as BulkHostReply);
      };
      if (child.exitCode !== null || child.signalCode !== null) {
        reject(new Error(`bench: ${run.label} emulator host is gone (${child.exitCode ?? child.signalCode}) ${stderr}`));
        return;
      }
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(message);
    });
  const ready = await ask({ type: 'start', options, maxLifetimeMs: run.maxLifetimeMs }, 'ready');
  if (ready.type !== 'ready') throw new Error(`bench: ${run.label} emulator host did not start`);
  return {
    url: ready.url,
    async summary() {
      const answer = await ask({ type: 'summary', destinationPrefix: run.destinationPrefix }, 'summary');
      if (answer.type !== 'summary') throw new Error('bench: no summary');
      return answer.summary;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'stop' } satisfies BulkHostMessage);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * A directory for a phase's simulated bucket (empty files, one per object): on tmpfs (`/dev/shm`) when this
 * machine has one, else under `fallbackDir`. Creating 100,000 files is a mere set-up step — the emulator only
 * lists and stats them, and their content is empty — but on this machine's virtual disk it took from 0.3 to
 * 0.7 ms per file (20,000 files: 5–15 s, varying with the other work on the disk) against ~0.02 ms on tmpfs,
 * so the disk only added unmeasured wall time. Removed by the caller (and at exit, should the bench be stopped
 * by its watchdog: a tmpfs directory holds memory until removed).
 */
export function bucketDirectory(label: string, fallbackDir: string, files: number): string {
  let root = fallbackDir;
  try {
    accessSync(SHM, constants.W_OK);
    // Room for the files (an inode each) with a margin, leaving the tmpfs usable by others.
    if (statSync(SHM).isDirectory() && statfsSync(SHM).ffree > files * 2 + 10_000) root = SHM;
  } catch {
    // no tmpfs here: the scratch directory will do, only slower
  }
  const dir = mkdtempSync(path.join(root, `cpfs-ingest-bench-${label}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', remove);
  return dir;
}
const SHM = '/dev/shm';

/** `process.cpuUsage()` (µs) as milliseconds of CPU, user + system. */
export function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

export interface ShapeChildRun {
  /** Names the run in errors ("bulk entrylist"). */
  readonly label: string;
  /** The child is killed after this long. */
  readonly timeoutMs: number;
}

/**
 * Runs one shape of the bulk or burst phase in a fresh child process (the bundled
 * bench/children/bulk-shape.ts, plain `node`): sends it `request`, resolves with the result it sends back.
 * Each shape's client then has a process of its own — its peak RSS and live heap are its own — so that the
 * shapes (and the two phases) can run at the same time; each also has an emulator process of its own.
 */
export function runShapeInChild<T>(script: string, request: unknown, run: ShapeChildRun): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = fork(script, [], { execArgv: [], env: {}, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    let settled = false;
    const finish = (error: Error | undefined, value?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value as T);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new Error(`bench: ${run.label} did not finish within ${run.timeoutMs / 1000} s ${stderr}`));
    }, run.timeoutMs);
    child.on('error', (error) => finish(new Error(`bench: ${run.label}: ${error.message} ${stderr}`)));
    child.on('message', (raw: unknown) => {
      const reply = raw as ShapeChildReply<T>;
      if (reply.type === 'result') finish(undefined, reply.result);
      else if (reply.type === 'error') finish(new Error(`bench: ${run.label}: ${reply.message}`));
    });
    child.once('exit', (code, signal) => finish(new Error(`bench: ${run.label} exited (${code ?? signal}) without a result ${stderr}`)));
    child.send({ type: 'run', request });
  });
}

export type ShapeChildReply<T> = { readonly type: 'result'; readonly result: T } | { readonly type: 'error'; readonly message: string };

/**
 * Runs `run` for every item, the lanes at the same time and the items of one lane one after another; returns
 * the results by item. Lanes keep the number of processes running at once (and so their CPU contention on a
 * 2-core machine) lower than starting everything together would.
 */
export async function inLanes<K, R>(lanes: readonly (readonly K[])[], run: (item: K) => Promise<R>): Promise<Map<K, R>> {
  const results = new Map<K, R>();
  await Promise.all(lanes.map(async (lane) => {
    for (const item of lane) results.set(item, await run(item));
  }));
  return results;
}
