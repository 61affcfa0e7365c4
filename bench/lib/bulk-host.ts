/**
 * The emulator child of the bulk and burst phases (bench/children/bulk-emulator-host.ts), driven over IPC:
 * start it with its options, ask for the import summary under a destination prefix, stop it.
 */
import { fork } from 'node:child_process';
import type { BulkHostMessage, BulkHostOptions, BulkHostReply, BulkHostSummary } from '../children/bulk-emulator-host.js';

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
