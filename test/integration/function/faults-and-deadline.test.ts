/**
 * The built function under a hostile service: throttling and 5xx injected by the emulator, dropped
 * connections after execution, and a slow service that outlasts the invocation. FC's async retry is
 * played by invoking again until the handler stops throwing; every object must then be COMPLETE exactly
 * once (one sub-task per (SrcFilePath, DstFilePath)).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mnsBatch } from '../../support/event-factories.js';
import { invokeUntilSuccess, loadFunction, type FunctionInstance } from '../../support/function-harness.js';
import { startFunctionWorld, subTasksByPath, subTaskStatusCounts, tasksOf, type FunctionWorld } from '../../support/function-world.js';

/** The emulator's quotas are off here (faults stand in for throttling): lift the function's own cap too. */
const FAST = { CPFS_SUBTASK_RATE: '2000' };

let world: FunctionWorld;
let fn: FunctionInstance | undefined;
beforeEach(async () => {
  world = await startFunctionWorld({ seed: 2024 });
});
afterEach(async () => {
  fn?.close();
  fn = undefined;
  await world.cleanup();
});

function keys(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `incoming/${prefix}/${i % 7}/object ${i}.bin`);
}

function expectEachLandedOnce(all: readonly string[]): void {
  const byPath = subTasksByPath(world.emulator);
  expect(byPath.size).toBe(all.length);
  expect([...byPath.values()].filter((ids) => ids.length !== 1)).toEqual([]);
  expect(subTaskStatusCounts(world.emulator)).toEqual({ COMPLETE: all.length });
  expect(all.filter((key) => !world.landed(`/${key.slice('incoming/'.length)}`))).toEqual([]);
  expect(tasksOf(world.emulator, 'StreamImport')).toHaveLength(1);
}

describe('oss-stream-import bundle — injected faults', () => {
  it('with 30 % throttling and 5 % 5xx, every object ends COMPLETE exactly once after FC-style replays', async () => {
    const all = keys('faults', 300);
    const events = world.putObjects(all);
    world.emulator.faults.set('*', { throttleRate: 0.3, internalErrorRate: 0.025, unavailableRate: 0.025 });
    fn = loadFunction(world.env('lingjun', FAST));
    const runs = await invokeUntilSuccess(fn, mnsBatch(events), { context: () => world.context(), between: () => void world.emulator.settle() });
    world.emulator.faults.clear();
    world.emulator.settle();
    console.info(`faults: ${runs.length} invocation(s), ${world.emulator.log.entries.length} requests`);

    // The faults really happened and really cost attempts.
    const faulted = world.emulator.log.entries.filter((e) => e.fault !== undefined);
    expect(faulted.filter((e) => e.fault === 'throttle').length).toBeGreaterThan(50);
    expect(faulted.filter((e) => e.fault === 'internal' || e.fault === 'unavailable').length).toBeGreaterThan(5);
    expect(runs.at(-1)?.ok).toBe(true);
    for (const run of runs.slice(0, -1)) expect(run.error?.retryable).toBe(true);
    expectEachLandedOnce(all);
  });

  it('survives connections dropped after the service executed the call (ClientToken replay)', async () => {
    const all = keys('dropped', 120);
    const events = world.putObjects(all);
    world.emulator.faults.set('*', { dropAfterRate: 0.1, dropBeforeRate: 0.05 });
    fn = loadFunction(world.env('lingjun', FAST));
    await invokeUntilSuccess(fn, mnsBatch(events), { context: () => world.context(), between: () => void world.emulator.settle() });
    world.emulator.faults.clear();
    const droppedAfter = world.emulator.log.entries.filter((e) => e.fault === 'drop-after' && e.action === 'CreateDataFlowSubTask');
    expect(droppedAfter.length).toBeGreaterThan(3);
    expect(world.emulator.log.forAction('CreateDataFlowSubTask').some((e) => e.replayed === true)).toBe(true);
    expectEachLandedOnce(all);
  });
});

describe('oss-stream-import bundle — invocation deadline', () => {
  it('stops before the function timeout on a slow service, throws retryably, and replays finish without duplicates', async () => {
    const all = keys('slow', 200);
    const events = world.putObjects(all);
    // 40 ms per answer, 4 calls in flight: 100 sub-tasks/s, so 200 objects need about 2 s — more than the
    // 1.5 s an invocation has (timeout 6 s, margin 4.5 s: the wide margin keeps the one wall-clock check
    // below meaningful on a loaded machine).
    world.emulator.faults.set('*', { latencyMs: 40 });
    fn = loadFunction(world.env('lingjun', { CPFS_MAX_CONCURRENCY: '4', CPFS_DEADLINE_MARGIN_MS: '4500' }));
    const TIMEOUT_S = 6;
    const durations: number[] = [];
    const runs = await invokeUntilSuccess(fn, mnsBatch(events), {
      context: () => {
        durations.push(Date.now());
        return world.context(TIMEOUT_S);
      },
      between: () => void world.emulator.settle(),
    });
    const ended = Date.now();
    const wall = durations.map((start, i) => (durations[i + 1] ?? ended) - start);

    expect(runs.length).toBeGreaterThan(1);
    const first = runs[0]!;
    expect(first.ok).toBe(false);
    expect(first.error?.retryable).toBe(true);
    const firstOutcomes = first.error?.report?.outcomes ?? [];
    expect(firstOutcomes.filter((o) => o.status === 'submitted').length).toBeGreaterThan(0);
    expect(firstOutcomes.filter((o) => o.status === 'failed').every((o) => o['retryable'] === true)).toBe(true);
    expect(firstOutcomes.some((o) => o['code'] === 'DeadlineExceeded')).toBe(true);
    // FC would kill an invocation at its timeout: the function must have returned well before.
    expect(Math.max(...wall.slice(0, -1))).toBeLessThan(TIMEOUT_S * 1000);

    world.emulator.faults.clear();
    world.emulator.settle();
    expectEachLandedOnce(all);
  });
});
