/**
 * `backfill --shape entrylist` waits for a batch-task slot: a CPFS for LINGJUN data flow runs at most 4 batch
 * tasks at once and refuses a fifth (OperationDenied.DependencyViolation, docs/platform.md §1). With tasks that
 * execute for seconds in the emulator, the fifth Import must wait until one of the first four has ended.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putObjects } from '../../support/s3-server.js';
import { assertBuilt, runCli, startWorld, WORLD, type World } from '../cli/harness.js';

// 6 pages of 100 → 6 EntryList Imports (one per page: one route, one policy).
const keys = Array.from({ length: 600 }, (_, i) => `slots/p${Math.floor(i / 100)}/obj-${String(i).padStart(4, '0')}.bin`);

let world: World;
let scratch: string;
beforeAll(async () => {
  assertBuilt();
  // Each batch task executes for 3 s: the listing of 6 pages takes far less, so slots run out.
  world = await startWorld({ timings: { batchPendingMs: 100, batchExecutingMs: 3_000, streamPendingMs: 0, cancelingMs: 100, subTaskCreatedMs: 50, subTaskRunningMs: 100 } });
  scratch = mkdtempSync(path.join(tmpdir(), 'cli-slots-'));
  putObjects(world.bucketDir, keys.map((key) => ({ key })));
});
afterAll(async () => {
  await world?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

describe('backfill --shape entrylist and the 4 batch slots of a LINGJUN data flow', () => {
  it('the fifth and sixth Imports wait for a slot instead of failing; every object once', async () => {
    const result = await runCli(['backfill', '--shape', 'entrylist', '--prefix', 'slots/', '--page-size', '100', '--poll-interval', '1s', '--checkpoint', path.join(scratch, 'cp.json'), '--json'], world.env);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { status: string; overall: { submitted: number }; bulk: { tasksAccepted: number } };
    expect(summary.status).toBe('complete');
    expect(summary.bulk.tasksAccepted).toBe(6);

    const tasks = [...world.emulator.state.tasks.values()].filter((t) => t.action === 'Import').sort((a, b) => a.createdAt - b.createdAt);
    expect(tasks).toHaveLength(6);
    // Wait (wall clock) for the last tasks to end, then read the emulator's record of them.
    for (let i = 0; i < 100 && tasks.some((t) => t.endedAt === undefined); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      world.emulator.importCounts(); // advances the emulator to now
    }
    // Never more than 4 running: each task from the fifth on was created after an earlier one had ended.
    for (const t of tasks) {
      const running = tasks.filter((o) => o !== t && o.createdAt <= t.createdAt && (o.endedAt ?? Infinity) > t.createdAt);
      expect(running.length).toBeLessThan(4);
    }
    const fifth = tasks[4];
    expect(fifth?.createdAt).toBeGreaterThanOrEqual(Math.min(...tasks.slice(0, 4).map((t) => t.endedAt ?? Infinity)));
    expect(tasks.every((t) => t.status === 'Completed')).toBe(true);

    const counts = world.emulator.importCounts();
    expect(keys.map((k) => counts.get(`${WORLD.lingjun}:/${k}`)?.written ?? 0)).toEqual(keys.map(() => 1));
  });
});
