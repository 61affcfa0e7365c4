/**
 * `cpfs-ingest backfill` (the built binary) listing the emulator's S3-compatible OSS endpoint and submitting
 * into the same emulator: interrupted with SIGINT (clean stop, checkpoint, exit 130) and killed with SIGKILL midway,
 * then run again — every object ends up with exactly one sub-task.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putObjects } from '../../support/s3-server.js';
import { assertBuilt, runCli, startCli, startWorld, WORLD, type World } from './harness.js';

const PER_PREFIX = 300;
const PREFIXES = ['alpha/', 'beta/'];
const keys = PREFIXES.flatMap((prefix) => Array.from({ length: PER_PREFIX }, (_, i) => `${prefix}obj-${String(i).padStart(5, '0')}.txt`));

let world: World;
let scratch: string;
beforeAll(async () => {
  assertBuilt();
  world = await startWorld();
  scratch = mkdtempSync(path.join(tmpdir(), 'cli-backfill-'));
  // One bucket directory: what the S3 endpoint lists is what the emulator's sub-tasks copy.
  putObjects(world.bucketDir, keys.map((key) => ({ key, lastModified: new Date(Date.UTC(2024, 0, 1)) })));
});
afterAll(async () => {
  await world?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

function subTasksBySource(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const sub of world.emulator.state.subTasks.values()) counts.set(sub.srcFilePath, (counts.get(sub.srcFilePath) ?? 0) + 1);
  return counts;
}

describe('cpfs-ingest backfill', () => {
  it('stops cleanly on SIGINT, survives SIGKILL, and finishes on re-run with one sub-task per object', async () => {
    const env = { ...world.env, CPFS_SUBTASK_RATE: '100' };
    const checkpoint = path.join(scratch, 'checkpoint.json');
    // --shape objects: this test is about the per-object path (auto would pick a Directory import here).
    const args = ['backfill', '--shape', 'objects', ...PREFIXES.flatMap((p) => ['--prefix', p]), '--checkpoint', checkpoint, '--page-size', '50'];

    // 1. SIGINT after two pages: the page in flight is finished, the checkpoint saved, exit 130.
    const first = startCli(args, env);
    await first.waitFor(/^page 2 /m);
    first.child.kill('SIGINT');
    const interrupted = await first.done;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toContain('interrupt: finishing the page in flight');
    expect(interrupted.stdout).toContain('backfill interrupted');
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8')) as { prefixIndex: number; startAfter?: string; totals: { submitted: number; pages: number } };
    expect(saved.prefixIndex).toBe(0);
    expect(saved.totals.pages).toBeGreaterThanOrEqual(2);
    expect(saved.startAfter).toBe(keys[saved.totals.pages * 50 - 1]);
    expect(saved.totals.submitted).toBe(saved.totals.pages * 50);

    // 2. Resume, then SIGKILL (no chance to save) after more progress, in the second prefix.
    const second = startCli(args, env);
    await second.waitFor(/prefix "beta\/"\): 50 listed/);
    second.child.kill('SIGKILL');
    const killed = await second.done;
    expect(killed.signal).toBe('SIGKILL');
    const afterKill = JSON.parse(readFileSync(checkpoint, 'utf8')) as { prefixIndex: number };
    expect(afterKill.prefixIndex).toBe(1);

    // 3. Re-run to the end.
    const last = await runCli([...args, '--json'], env);
    expect(last.stderr).not.toMatch(/failed/);
    expect(last.code).toBe(0);
    const summary = JSON.parse(last.stdout) as { status: string; overall: { listed: number; submitted: number; pages: number }; run: { submitted: number } };
    expect(summary.status).toBe('complete');
    expect(summary.overall.submitted).toBeGreaterThanOrEqual(keys.length);
    expect(summary.run.submitted).toBeLessThan(keys.length);

    // Every object landed exactly once: one sub-task per SrcFilePath, none missing, none doubled.
    const counts = subTasksBySource();
    expect(counts.size).toBe(keys.length);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    for (const key of keys) expect(counts.get(`/${key}`), key).toBe(1);
    // One streaming task served all three runs.
    expect([...world.emulator.state.tasks.values()].filter((t) => t.streaming)).toHaveLength(1);

    // 4. A further run with the same checkpoint has nothing left to do.
    const again = await runCli(args, env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already complete');
  });

  it('refuses a checkpoint written for other prefixes, and needs OSS_BUCKET (exit 2)', async () => {
    const env = world.env;
    const checkpoint = path.join(scratch, 'other.json');
    const first = await runCli(['backfill', '--shape', 'objects', '--prefix', 'nothing-here/', '--checkpoint', checkpoint], env);
    expect(first.code).toBe(0);
    const mismatch = await runCli(['backfill', '--shape', 'objects', '--prefix', 'alpha/', '--checkpoint', checkpoint], env);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain('checkpoint: was written for another backfill');
    const noBucket = await runCli(['backfill', '--prefix', 'alpha/'], { ...env, OSS_BUCKET: '' });
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toContain('OSS_BUCKET: is required here');
  });
});
