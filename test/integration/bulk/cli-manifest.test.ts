/**
 * `cpfs-ingest backfill --shape manifest` (the built binary) against the emulator's LINGJUN 2.6 data flow:
 * CSV parts PutObject'ed through the emulator's S3-compatible endpoint under `.cpfs-ingest/manifests/<run>/`,
 * one Import per (DstDirectory, ConflictPolicy) with TransferFileListPath, ProgressStats followed to
 * Completed, the parts deleted afterwards — and every object imported exactly once (the emulator's per-file
 * import counts), also across a re-run and across a run killed mid-way and resumed.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putObjects } from '../../support/s3-server.js';
import { assertBuilt, runCli, startCli, startWorld, WORLD, type World } from '../cli/harness.js';

// Two routes → two (DstDirectory, policy) groups: raw keys land under /datasets/, checkpoints under /ckpt/.
const ROUTES = JSON.stringify([
  { prefix: 'mf/raw/', dstDirectory: '/datasets/mf/raw/', conflictPolicy: 'KEEP_LATEST' },
  { prefix: 'mf/ckpt/', dstDirectory: '/ckpt/mf/ckpt/', conflictPolicy: 'OVERWRITE_EXISTING' },
  { prefix: 'big/', dstDirectory: '/big/', conflictPolicy: 'KEEP_LATEST' },
]);
// Keys a CSV must quote (comma, quote), plus spaces and CJK.
const awkward = ['mf/raw/a,b.txt', 'mf/raw/say "hi".txt', 'mf/raw/with space/x y.bin', 'mf/raw/数据集/样本 1.png', 'mf/raw/mixed "q",s 数据.dat'];
const plain = Array.from({ length: 240 }, (_, i) => (i % 4 === 0 ? `mf/ckpt/step-${i}.pt` : `mf/raw/${i % 3}/obj-${String(i).padStart(4, '0')}.bin`));
const keys = [...awkward, ...plain];
const bigKeys = Array.from({ length: 600 }, (_, i) => `big/${i % 7}/item-${String(i).padStart(5, '0')}.dat`);

let world: World;
let scratch: string;
beforeAll(async () => {
  assertBuilt();
  world = await startWorld();
  scratch = mkdtempSync(path.join(tmpdir(), 'cli-manifest-'));
  putObjects(world.bucketDir, [...keys, ...bigKeys].map((key) => ({ key })));
});
afterAll(async () => {
  await world?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const env = () => ({ ...world.env, CPFS_ROUTES: ROUTES });
const manifestTasks = () => [...world.emulator.state.tasks.values()].filter((t) => t.action === 'Import' && t.transferFileListPath !== undefined);
/** Where the planner sends a key: the route's directory + the key below the route prefix. */
const destination = (key: string) =>
  key.startsWith('mf/raw/') ? `/datasets/${key}` : key.startsWith('mf/ckpt/') ? `/ckpt/${key}` : `/big/${key.slice('big/'.length)}`;
/** The emulator's import count of each key's destination file. */
const countsOf = (list: readonly string[]) => {
  const counts = world.emulator.importCounts();
  return list.map((key) => counts.get(`${WORLD.lingjun}:${destination(key)}`)?.written ?? 0);
};
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
const manifestDir = () => path.join(world.bucketDir, '.cpfs-ingest', 'manifests');

describe('cpfs-ingest backfill --shape manifest (LINGJUN 2.6 in the emulator)', () => {
  it('writes CSV parts, one Import per (DstDirectory, policy), follows ProgressStats to Completed, deletes the parts; every object once', async () => {
    const checkpoint = path.join(scratch, 'mf.json');
    const args = ['backfill', '--shape', 'manifest', '--prefix', 'mf/', '--page-size', '50', '--manifest-rows', '100', '--poll-interval', '1s', '--checkpoint', checkpoint];
    const result = await runCli([...args, '--json'], env());
    expect(result.stderr).toContain('shape: manifest (requested)');
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { status: string; overall: { submitted: number }; bulk: { tasksAccepted: number; tasks: Array<{ status: string; filesDone?: number; filesTotal?: number }> } };
    expect(summary.status).toBe('complete');
    expect(summary.overall.submitted).toBe(keys.length);
    expect(summary.bulk.tasksAccepted).toBe(2);

    // The parts were written (more than one per group at 100 rows a part) and the emulator read them all.
    expect(result.stderr).toMatch(/manifest part 1 of g-/);
    const tasks = manifestTasks();
    expect(tasks).toHaveLength(2);
    expect(tasks.map((t) => [t.dstDirectory, t.conflictPolicy]).sort()).toEqual([['/ckpt/', 'OVERWRITE_EXISTING'], ['/datasets/', 'KEEP_LATEST']]);
    for (const t of tasks) {
      expect(t.transferFileListPath).toMatch(/^\/\.cpfs-ingest\/manifests\/run-[0-9a-f]{16}\/g-[0-9a-f]{12}\/$/);
      expect(t.entryList).toBeUndefined();
      expect(t.sentDirectory).toBeUndefined();
      expect(t.status).toBe('Completed');
      expect(t.stats.filesDone).toBe(t.stats.filesTotal);
    }
    expect(tasks.reduce((n, t) => n + t.stats.filesTotal, 0)).toBe(keys.length);
    // ProgressStats were followed: the summary carries the final FilesDone/FilesTotal of each task.
    expect(summary.bulk.tasks.filter((t) => t.status === 'Completed').map((t) => t.filesDone).sort()).toEqual(tasks.map((t) => t.stats.filesDone).sort());
    expect(result.stderr).toMatch(/import task \S+ \(manifest → \/datasets\/\): Completed \d+\/\d+ files/);

    // Every object exactly once, at the path the planner chose (commas, quotes, spaces and CJK included).
    expect(countsOf(keys)).toEqual(keys.map(() => 1));
    expect(world.emulator.state.subTasks.size).toBe(0);
    // The manifests are gone.
    expect(filesUnder(manifestDir())).toEqual([]);

    // A re-run with the same checkpoint: already complete, no new task, nothing imported twice.
    const again = await runCli(args, env());
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already complete');
    expect(manifestTasks()).toHaveLength(2);
    expect(countsOf(keys)).toEqual(keys.map(() => 1));

    // A re-run WITHOUT the checkpoint lists again and rewrites byte-identical parts: the Imports carry the same
    // content-derived ClientTokens, so the service answers with the tasks it already has (a replay).
    const fresh = await runCli(['backfill', '--shape', 'manifest', '--prefix', 'mf/', '--page-size', '50', '--manifest-rows', '100', '--poll-interval', '1s'], env());
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(manifestTasks()).toHaveLength(2);
    expect(countsOf(keys)).toEqual(keys.map(() => 1));
  });

  it('a run killed mid-way (SIGKILL after the first part) and resumed imports every object exactly once', async () => {
    const checkpoint = path.join(scratch, 'big.json');
    const args = ['backfill', '--shape', 'manifest', '--prefix', 'big/', '--page-size', '20', '--manifest-rows', '40', '--poll-interval', '1s', '--checkpoint', checkpoint];
    const before = manifestTasks().length;
    const first = startCli(args, env());
    await first.waitFor(/manifest part 1 of g-/);
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    // It really stopped mid-way: the checkpoint is in the listing phase, and parts are in the bucket.
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8')) as { bulk: { phase: string } };
    expect(saved.bulk.phase).toBe('listing');
    const parts = filesUnder(manifestDir());
    expect(parts.length).toBeGreaterThan(0);
    expect(readFileSync(parts[0] as string, 'utf8')).toMatch(/^Name,Type\r?\n/);
    expect(countsOf(bigKeys).every((n) => n === 0)).toBe(true);

    const resumed = await runCli(args, env());
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(manifestTasks().length - before).toBe(1);
    expect(countsOf(bigKeys)).toEqual(bigKeys.map(() => 1));
    expect(filesUnder(manifestDir())).toEqual([]);
  });
});
