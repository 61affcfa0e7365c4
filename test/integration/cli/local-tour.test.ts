/**
 * The local tour, verbatim: `npm run emulator -- --write-env FILE` in one "shell", then in another
 * `. FILE` and the cpfs-ingest commands (the built bin through npx), each exiting 0 — doctor (including its
 * oss-listing check), backfill, reconcile (its state through the emulator's S3 endpoint) and status.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, REPO_ROOT } from './harness.js';

/** The commands a reader pastes into the second shell, in order. */
export const LOCAL_TOUR = [
  'npx cpfs-ingest doctor',
  'npx cpfs-ingest backfill --prefix incoming/',
  'npx cpfs-ingest reconcile',
  'npx cpfs-ingest status',
] as const;

let scratch: string;
let envFile: string;
let emulator: ReturnType<typeof spawn>;

beforeAll(async () => {
  assertBuilt();
  scratch = mkdtempSync(path.join(tmpdir(), 'local-tour-'));
  envFile = path.join(scratch, 'emulator.env');
  // Its own process group, so that npm, its shell and the emulator stop together.
  emulator = spawn('npm', ['run', 'emulator', '--', '--write-env', envFile], { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  emulator.stdout?.resume();
  emulator.stderr?.resume();
  // Wait for the file (written once listening); the hook timeout bounds this.
  while (!existsSync(envFile)) {
    if (emulator.exitCode !== null) throw new Error(`emulator exited with ${emulator.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});
afterAll(() => {
  if (emulator?.pid !== undefined && emulator.exitCode === null) process.kill(-emulator.pid, 'SIGTERM');
  rmSync(scratch, { recursive: true, force: true });
});

function shell(command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // A clean environment: only what the env file exports reaches the CLI.
    const child = spawn('bash', ['-c', `. ${JSON.stringify(envFile)} && ${command}`], {
      cwd: REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? scratch },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the local tour against npm run emulator', () => {
  it('exports what the CLI needs, and every tour command exits 0', { timeout: 180_000 }, async () => {
    const exported = readFileSync(envFile, 'utf8');
    for (const name of ['NAS_ENDPOINT', 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'CPFS_FILE_SYSTEM_ID', 'CPFS_DATA_FLOW_ID', 'OSS_BUCKET', 'OSS_S3_ENDPOINT']) {
      expect(exported).toMatch(new RegExp(`^export ${name}=\\S+$`, 'm'));
    }
    const results: Record<string, { code: number | null; stdout: string; stderr: string }> = {};
    for (const command of LOCAL_TOUR) {
      const result = await shell(command);
      results[command] = result;
      expect(result.code, `${command}\n${result.stdout}\n${result.stderr}`).toBe(0);
    }
    expect(results['npx cpfs-ingest doctor']?.stdout).toMatch(/PASS\s+oss-listing/);
    expect(results['npx cpfs-ingest backfill --prefix incoming/']?.stdout).toMatch(/backfill complete[\s\S]*4 listed, 4 submitted/);
    expect(results['npx cpfs-ingest reconcile']?.stdout).toContain('reconcile complete');
    expect(results['npx cpfs-ingest status']?.stdout).toMatch(/COMPLETE 4|StreamImport/);
  });
});
