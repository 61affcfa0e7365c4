/**
 * The StreamImport task going away under a warm instance — removed (it vanishes from every listing while
 * the service still remembers its ClientToken) or cancelled — between invocations and in the middle of a
 * batch. The function must find or create a replacement and still land every object.
 *
 * What the design promises (shared/planning/client-token.ts): a sub-task's ClientToken includes the
 * streaming task id, so there is at most ONE sub-task per (SrcFilePath, DstFilePath) per streaming task,
 * and a redelivery while the task lives creates nothing. After a replacement task, a redelivered event
 * imports its objects again through the new task — a duplicate transfer, harmless under the task's
 * ConflictPolicy — rather than risk a silent loss by reusing a token spent on the dead task.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../../emulator/server.js';
import { mnsBatch, nativeEnvelope } from '../../support/event-factories.js';
import { loadFunction, logRecords, type FunctionInstance } from '../../support/function-harness.js';
import { startFunctionWorld, subTasksByPath, tasksOf, type FunctionWorld, type WorldOptions } from '../../support/function-world.js';

let world: FunctionWorld | undefined;
let fn: FunctionInstance | undefined;
afterEach(async () => {
  fn?.close();
  fn = undefined;
  await world?.cleanup();
  world = undefined;
});

async function start(options: WorldOptions = {}): Promise<FunctionWorld> {
  world = await startFunctionWorld(options);
  return world;
}

const keys = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `incoming/${prefix}/item-${i}.bin`);
const dst = (key: string) => `/${key.slice('incoming/'.length)}`;

/** Every (src, dst) of `all` has exactly one sub-task in `taskId`. */
function expectOncePerObject(emulator: EmulatorHandle, taskId: string, all: readonly string[]): void {
  const byPath = subTasksByPath(emulator, taskId);
  for (const key of all) expect(byPath.get(`${dst(key)}\u0000${dst(key)}`), key).toHaveLength(1);
  expect(byPath.size).toBe(all.length);
}

describe('oss-stream-import bundle — StreamImport task re-resolution', () => {
  it('task removed between invocations: a new task is created and the next objects land once in it', async () => {
    const w = await start();
    const before = keys('before', 10);
    const after = keys('after', 10);
    const eventsBefore = w.putObjects(before);
    const eventsAfter = w.putObjects(after);
    fn = loadFunction(w.env('lingjun'));
    expect((await fn.invoke(nativeEnvelope(eventsBefore), w.context())).ok).toBe(true);
    const [t1] = tasksOf(w.emulator, 'StreamImport');
    w.emulator.removeTask(t1!.id);

    const second = await fn.invoke(nativeEnvelope(eventsAfter), w.context());
    expect(second.ok).toBe(true);
    const streams = tasksOf(w.emulator, 'StreamImport');
    expect(streams).toHaveLength(1);
    const t2 = streams[0]!.id;
    expect(t2).not.toBe(t1!.id);
    expectOncePerObject(w.emulator, t2, after);
    expect([...before, ...after].filter((k) => !w.landed(dst(k)))).toEqual([]);
    // The 'initial' ClientToken still answered with the removed task: the function noticed and moved on.
    expect(logRecords(second.lines).map((r) => r['event'])).toEqual(expect.arrayContaining(['stream.task.lost', 'stream.task.unlisted', 'stream.task.created']));

    // Redelivering the first event now imports those objects again, once each, through the new task.
    const replay = await fn.invoke(nativeEnvelope(eventsBefore), w.context());
    expect(replay.ok).toBe(true);
    expectOncePerObject(w.emulator, t2, [...after, ...before]);
    expect(tasksOf(w.emulator, 'StreamImport')).toHaveLength(1);
  });

  it('task cancelled between invocations: a replacement is created; earlier sub-tasks stay in the cancelled task', async () => {
    const w = await start();
    const first = keys('one', 8);
    const second = keys('two', 8);
    const eventsFirst = w.putObjects(first);
    const eventsSecond = w.putObjects(second);
    fn = loadFunction(w.env('lingjun'));
    expect((await fn.invoke(nativeEnvelope(eventsFirst), w.context())).ok).toBe(true);
    const [t1] = tasksOf(w.emulator, 'StreamImport');
    w.emulator.cancelTask(t1!.id);

    const next = await fn.invoke(nativeEnvelope(eventsSecond), w.context());
    expect(next.ok).toBe(true);
    const streams = tasksOf(w.emulator, 'StreamImport');
    expect(streams.map((t) => t.status)).toEqual(['Canceled', 'Executing']);
    const t2 = streams[1]!.id;
    expectOncePerObject(w.emulator, t2, second);
    expectOncePerObject(w.emulator, t1!.id, first);
    expect([...first, ...second].filter((k) => !w.landed(dst(k)))).toEqual([]);

    // Same event again while t2 lives: nothing new.
    const count = w.emulator.state.subTasks.size;
    expect((await fn.invoke(nativeEnvelope(eventsSecond), w.context())).ok).toBe(true);
    expect(w.emulator.state.subTasks.size).toBe(count);
  });

  it('task removed in the middle of a batch: the rest of the batch goes to a new task, every object lands', async () => {
    const REMOVE_AFTER = 25;
    let emulator: EmulatorHandle | undefined;
    let removed: string | undefined;
    let executed = 0;
    const w = await start({
      onRequest: (entry) => {
        if (entry.action !== 'CreateDataFlowSubTask' || !entry.executed || removed !== undefined) return;
        executed += 1;
        if (executed === REMOVE_AFTER && emulator) {
          removed = entry.params['DataFlowTaskId'];
          emulator.removeTask(removed!);
        }
      },
    });
    emulator = w.emulator;
    const all = keys('mid', 100);
    const events = w.putObjects(all);
    fn = loadFunction(w.env('lingjun'));
    const invocation = await fn.invoke(mnsBatch(events), w.context());
    expect(invocation.ok).toBe(true);
    expect(removed).toBeDefined();

    const streams = tasksOf(w.emulator, 'StreamImport');
    expect(streams).toHaveLength(1);
    const t2 = streams[0]!.id;
    expect(t2).not.toBe(removed);
    const outcomes = invocation.result!.outcomes;
    expect(outcomes.filter((o) => o['taskId'] === removed)).toHaveLength(REMOVE_AFTER);
    expect(outcomes.filter((o) => o['taskId'] === t2)).toHaveLength(100 - REMOVE_AFTER);
    // The removed task's sub-tasks vanished with it; the others are once each in the new task.
    expect(subTasksByPath(w.emulator).size).toBe(100 - REMOVE_AFTER);
    expect([...subTasksByPath(w.emulator).values()].every((ids) => ids.length === 1)).toBe(true);
    // Sub-tasks finish at once in this world, so the first 25 had landed before their task vanished.
    expect(all.filter((k) => !w.landed(dst(k)))).toEqual([]);

    // A redelivery re-imports the 25 through the new task (their token named the dead one): once each.
    const replay = await fn.invoke(mnsBatch(events), w.context());
    expect(replay.ok).toBe(true);
    expectOncePerObject(w.emulator, t2, all);
  });
});
