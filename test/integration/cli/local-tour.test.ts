/**
 * The README's local tour, read from README.md itself and run verbatim: the first shell's `npm run emulator …`
 * line, then every line of the second shell's block, in order, in one bash session each (as a reader pasting
 * them would), each exiting 0, from the checkout's root. Two things are swapped: the env file's path for a scratch
 * one (parallel runs never share it) and the bucket directory for a scratch copy of examples/bucket (the tour
 * writes state objects there). If the README's tour changes, this test runs the new one.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, REPO_ROOT } from './harness.js';

/** The two `sh` blocks of the README's "A local tour" section: [first shell, second shell]. */
export function readmeTour(readme: string): { emulator: string; commands: string[] } {
  const section = readme.split(/^## /m).find((s) => s.startsWith('A local tour'));
  if (section === undefined) throw new Error('README.md has no "## A local tour" section');
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').split('\n').map(stripComment).filter((l) => l !== ''));
  const [first, second] = blocks;
  if (first?.length !== 1 || second === undefined || second.length < 2) throw new Error('the tour needs one emulator line and a block of commands');
  return { emulator: first[0] as string, commands: second };
}

function stripComment(line: string): string {
  const at = line.indexOf('  #');
  return (at >= 0 ? line.slice(0, at) : line).trim();
}

const TOUR_ENV_FILE = '/tmp/cpfs-emulator.env';

let scratch: string;
let envFile: string;
let emulator: ReturnType<typeof spawn>;
let tour: ReturnType<typeof readmeTour>;

beforeAll(async () => {
  assertBuilt();
  tour = readmeTour(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'));
  scratch = mkdtempSync(path.join(tmpdir(), 'local-tour-'));
  envFile = path.join(scratch, 'emulator.env');
  // The tour writes state objects under the bucket directory: give it a copy of examples/bucket, not the checkout's.
  cpSync(path.join(REPO_ROOT, 'examples', 'bucket'), path.join(scratch, 'bucket'), { recursive: true });
  const emulatorLine = tour.emulator.replaceAll(TOUR_ENV_FILE, envFile).replace('--bucket-dir examples/bucket', `--bucket-dir ${path.join(scratch, 'bucket')}`);
  expect(emulatorLine).toContain(path.join(scratch, 'bucket'));
  expect(emulatorLine).toContain(envFile);
  // Its own process group, so that npm, its shell and the emulator stop together.
  emulator = spawn('bash', ['-c', `exec ${emulatorLine}`], { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  emulator.stdout?.resume();
  emulator.stderr?.resume();
  // Wait for the file (written once listening); the hook timeout bounds this.
  while (!existsSync(envFile)) {
    if (emulator.exitCode !== null) throw new Error(`emulator exited with ${emulator.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);
afterAll(() => {
  if (emulator?.pid !== undefined && emulator.exitCode === null) process.kill(-emulator.pid, 'SIGTERM');
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

/** Runs `lines` in one bash at the checkout's root, in a clean environment: only what the lines export. */
function shell(lines: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const script = ['set -e', ...lines.map((l) => l.replaceAll(TOUR_ENV_FILE, envFile))].join('\n');
    const child = spawn('bash', ['-c', script], {
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

describe("the README's local tour against npm run emulator", () => {
  it('reads the tour from README.md: an emulator line writing the env file, then CLI commands', () => {
    expect(tour.emulator).toMatch(/^npm run emulator -- .*--write-env \/tmp\/cpfs-emulator\.env/);
    expect(tour.commands[0]).toContain(`. ${TOUR_ENV_FILE}`);
    expect(tour.commands.slice(1).every((c) => c.startsWith('npx cpfs-ingest '))).toBe(true);
  });

  it('exports what the CLI needs, and every tour command exits 0, in order', { timeout: 240_000 }, async () => {
    const exported = readFileSync(envFile, 'utf8');
    for (const name of ['NAS_ENDPOINT', 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'CPFS_FILE_SYSTEM_ID', 'CPFS_DATA_FLOW_ID', 'OSS_BUCKET', 'OSS_S3_ENDPOINT']) {
      expect(exported).toMatch(new RegExp(`^export ${name}=\\S+$`, 'm'));
    }
    const [setup, ...commands] = tour.commands as [string, ...string[]];
    const outputs: string[] = [];
    for (const command of commands) {
      const result = await shell([setup, command]);
      expect(result.code, `${command}\n${result.stdout}\n${result.stderr}`).toBe(0);
      outputs.push(result.stdout);
    }
    // The commands the README suggests trying next ("Try `plan --keys examples/keys.txt` …, `reconcile` …").
    for (const extra of ['npx cpfs-ingest plan --keys examples/keys.txt', 'npx cpfs-ingest reconcile']) {
      expect(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')).toContain(extra.replace('npx cpfs-ingest ', '`'));
      const result = await shell([setup, extra]);
      expect(result.code, `${extra}\n${result.stdout}\n${result.stderr}`).toBe(0);
      commands.push(extra);
      outputs.push(result.stdout);
    }
    const byCommand = (prefix: string) => outputs[commands.findIndex((c) => c.startsWith(prefix))] ?? '';
    expect(byCommand('npx cpfs-ingest reconcile')).toContain('reconcile complete');
    expect(byCommand('npx cpfs-ingest doctor')).toMatch(/PASS\s+oss-listing/);
    expect(byCommand('npx cpfs-ingest backfill')).toMatch(/backfill complete/);
    expect(byCommand('npx cpfs-ingest status --key')).toMatch(/COMPLETE/);
  });
});
