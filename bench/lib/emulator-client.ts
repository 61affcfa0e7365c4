/** The bench's handle on an emulator running in a child process (see bench/children/emulator-host.ts). */
import { fork, type ChildProcess } from 'node:child_process';
import type { HostEmulatorOptions, HostMessage, HostReply, LogEntry } from './emulator-protocol.js';

export interface RemoteEmulator {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Every request logged so far, oldest first. */
  log(): Promise<LogEntry[]>;
  stop(): Promise<void>;
}

const REPLY_TIMEOUT_MS = 30_000;

/**
 * Forks the bundled emulator host and starts an emulator in it.
 *
 * @param hostScript - the bundled bench/children/emulator-host.ts
 * @param maxLifetimeMs - the child exits by itself after this long, whatever happens here
 */
export async function startRemoteEmulator(hostScript: string, options: HostEmulatorOptions, maxLifetimeMs = 240_000): Promise<RemoteEmulator> {
  // Plain node with an empty environment: never the TypeScript loader the bench itself runs under.
  const child = fork(hostScript, [], { execArgv: [], env: {}, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const ask = (message: HostMessage, expect: HostReply['type']): Promise<HostReply> => request(child, message, expect, () => stderr);
  const ready = await ask({ type: 'start', options, maxLifetimeMs }, 'ready');
  if (ready.type !== 'ready') throw new Error('bench: emulator host did not start');
  return {
    url: ready.url,
    async log() {
      const answer = await ask({ type: 'log' }, 'log');
      return answer.type === 'log' ? answer.entries : [];
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'stop' } satisfies HostMessage);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function request(child: ChildProcess, message: HostMessage, expect: HostReply['type'], stderr: () => string): Promise<HostReply> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (raw: unknown) => {
      const reply = raw as HostReply;
      if (reply.type === 'error') {
        cleanup();
        reject(new Error(`bench: emulator host: ${reply.message}`));
      } else if (reply.type === expect) {
        cleanup();
        resolve(reply);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`bench: emulator host exited (${code}) ${stderr()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`bench: emulator host did not answer ${message.type} within ${REPLY_TIMEOUT_MS} ms`));
    }, REPLY_TIMEOUT_MS);
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message);
  });
}
