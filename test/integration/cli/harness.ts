/**
 * Runs the BUILT CLI (`node dist/cli/cpfs-ingest.js …`, as a user would after `npm run build`) against an
 * emulator started by the test, with a clean environment (nothing of the test runner's leaks in).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../../emulator/server.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = path.join(REPO_ROOT, 'dist/cli/cpfs-ingest.js');

/** The emulator's test key: its NAS side and its S3-compatible OSS endpoint both check it (not a secret). */
export const SHARED_KEY = { accessKeyId: 'LTAI-cli-test', accessKeySecret: 'cli-test-secret-0123456789' } as const;

export const WORLD = {
  lingjun: 'bmcpfs-cli00000001',
  lingjunFlow: 'df-cli00000001',
  lingjun24: 'bmcpfs-cli00000024',
  lingjun24Flow: 'df-cli00000024',
  cpfs: 'cpfs-cli00000001',
  cpfsFlow: 'df-clicpfs00001',
  stoppedFlow: 'df-clistopped01',
  pathFlow: 'df-clipath00001',
  bucket: 'cli-bucket',
} as const;

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: run \`npm run build\` before the CLI tests`);
}

export interface World {
  readonly emulator: EmulatorHandle;
  readonly bucketDir: string;
  /** The CLI's environment for the LINGJUN 2.6 data flow (OSS listing through the emulator's S3 endpoint); override per test. */
  readonly env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** An emulator on the wall clock (the CLI is another process) with fast lifecycles. */
export async function startWorld(overrides: Partial<EmulatorOptions> = {}): Promise<World> {
  const root = mkdtempSync(path.join(tmpdir(), 'cli-world-'));
  const bucketDir = path.join(root, 'bucket');
  const emulator = await startEmulator({
    seed: 7,
    keys: [SHARED_KEY],
    bucketDir,
    fileSystemDir: path.join(root, 'fs'),
    fileSystems: [
      { id: WORLD.lingjun, version: '2.6.0' },
      { id: WORLD.lingjun24, version: '2.4.0' },
      { id: WORLD.cpfs, version: '2.3.0' },
    ],
    dataFlows: [
      { id: WORLD.lingjunFlow, fileSystemId: WORLD.lingjun, sourceStorage: `oss://${WORLD.bucket}` },
      { id: WORLD.lingjun24Flow, fileSystemId: WORLD.lingjun24, sourceStorage: `oss://${WORLD.bucket}` },
      { id: WORLD.cpfsFlow, fileSystemId: WORLD.cpfs, sourceStorage: `oss://${WORLD.bucket}` },
      { id: WORLD.stoppedFlow, fileSystemId: WORLD.lingjun, sourceStorage: `oss://${WORLD.bucket}`, status: 'Stopped' },
      { id: WORLD.pathFlow, fileSystemId: WORLD.lingjun, sourceStorage: `oss://${WORLD.bucket}`, sourceStoragePath: '/data/' },
    ],
    timings: { batchPendingMs: 100, batchExecutingMs: 200, streamPendingMs: 0, cancelingMs: 100, subTaskCreatedMs: 50, subTaskRunningMs: 100 },
    autoTickMs: 50,
    ...overrides,
  });
  return {
    emulator,
    bucketDir,
    env: {
      NAS_ENDPOINT: emulator.url,
      ALIBABA_CLOUD_ACCESS_KEY_ID: SHARED_KEY.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: SHARED_KEY.accessKeySecret,
      CPFS_FILE_SYSTEM_ID: WORLD.lingjun,
      CPFS_DATA_FLOW_ID: WORLD.lingjunFlow,
      OSS_BUCKET: WORLD.bucket,
      OSS_S3_ENDPOINT: emulator.url,
    },
    async cleanup() {
      await emulator.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRun {
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly done: Promise<CliResult>;
  /** Resolves once stderr or stdout has matched `pattern`. */
  waitFor(pattern: RegExp): Promise<void>;
}

/** Starts the built CLI with exactly `env` (plus PATH) and optional stdin text. */
export function startCli(args: readonly string[], env: Record<string, string>, input?: string): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(stderr) || waiter.pattern.test(stdout)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    check();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    check();
  });
  if (input !== undefined) child.stdin?.end(input);
  else child.stdin?.end();
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    waitFor(pattern) {
      return new Promise<void>((resolve, reject) => {
        waiters.push({ pattern, resolve });
        check();
        done.then(() => reject(new Error(`CLI exited before printing ${pattern}:\n${stdout}\n${stderr}`)), reject);
      });
    },
  };
}

/** Runs the built CLI to completion. */
export function runCli(args: readonly string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return startCli(args, env, input).done;
}
