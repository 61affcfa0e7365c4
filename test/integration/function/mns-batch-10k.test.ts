/**
 * A 10,000-record MNS batch (FC event streaming delivers up to 10,000 messages per invocation) through the
 * built bundle: one StreamImport task per ConflictPolicy, one sub-task per object, every file on disk.
 *
 * The documented quotas would make this take 100 s (100 sub-tasks/s); the emulator's are lifted and the
 * function's own cap raised (CPFS_SUBTASK_RATE above 100 is accepted for a loopback endpoint only).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mnsBatch, type OssEventElement } from '../../support/event-factories.js';
import { loadFunction, type Invocation } from '../../support/function-harness.js';
import { startFunctionWorld, subTasksByPath, tasksOf, type FunctionWorld } from '../../support/function-world.js';

const COUNT = 10_000;
const ROUTES = [
  { prefix: 'incoming/train/', dstDirectory: '/datasets/train/', conflictPolicy: 'OVERWRITE_EXISTING' },
  { prefix: 'incoming/eval/', dstDirectory: '/datasets/eval/', conflictPolicy: 'SKIP_THE_FILE' },
];

let world: FunctionWorld;
let events: OssEventElement[];
let invocation: Invocation;

beforeAll(async () => {
  world = await startFunctionWorld();
  const keys = Array.from({ length: COUNT }, (_, i) => `incoming/${i % 2 === 0 ? 'train' : 'eval'}/shard-${i % 97}/sample ${i}.bin`);
  events = world.putObjects(keys);
  const fn = loadFunction(world.env('lingjun', { CPFS_ROUTES: JSON.stringify(ROUTES), CPFS_SUBTASK_RATE: '100000', CPFS_MAX_CONCURRENCY: '32' }));
  try {
    invocation = await fn.invoke(mnsBatch(events), world.context(300));
  } finally {
    fn.close();
  }
}, 120_000);
afterAll(async () => {
  await world?.cleanup();
});

describe('oss-stream-import bundle — 10,000-record MNS batch', () => {
  it('submits every record in one invocation', () => {
    expect(invocation.error?.message).toBeUndefined();
    expect(invocation.ok).toBe(true);
    expect(invocation.result?.counts).toEqual({ submitted: COUNT, ignored: 0, duplicate: 0, rejected: 0, failed: 0 });
  });

  it('opens exactly one StreamImport task per ConflictPolicy', () => {
    const streams = tasksOf(world.emulator, 'StreamImport');
    expect(streams.map((t) => t.conflictPolicy).sort()).toEqual(['OVERWRITE_EXISTING', 'SKIP_THE_FILE']);
    expect(world.emulator.state.tasks.size).toBe(2);
  });

  it('creates 10,000 sub-tasks, one per (SrcFilePath, DstFilePath), each in its policy’s task, all COMPLETE', () => {
    expect(world.emulator.state.subTasks.size).toBe(COUNT);
    const byPath = subTasksByPath(world.emulator);
    expect(byPath.size).toBe(COUNT);
    expect([...byPath.values()].filter((ids) => ids.length !== 1)).toEqual([]);
    const policyOfTask = new Map(tasksOf(world.emulator, 'StreamImport').map((t) => [t.id, t.conflictPolicy]));
    let misplaced = 0;
    let notComplete = 0;
    for (const sub of world.emulator.state.subTasks.values()) {
      const expected = sub.srcFilePath.startsWith('/train/') ? 'OVERWRITE_EXISTING' : 'SKIP_THE_FILE';
      if (policyOfTask.get(sub.taskId) !== expected) misplaced += 1;
      if (sub.status !== 'COMPLETE') notComplete += 1;
    }
    expect({ misplaced, notComplete }).toEqual({ misplaced: 0, notComplete: 0 });
  });

  it('lands every object as a file under its route, with the object’s bytes', () => {
    const missing = events.filter((e) => !world.landed(dstOf(e.oss.object.key), e.oss.object.size));
    expect(missing.map((e) => e.oss.object.key)).toEqual([]);
    for (const e of events.filter((_, i) => i % 1000 === 0)) {
      expect(readFileSync(world.landedPath(dstOf(e.oss.object.key)), 'utf8')).toBe(`content of ${e.oss.object.key}\n`);
    }
  });
});

function dstOf(key: string): string {
  const route = ROUTES.find((r) => key.startsWith(r.prefix));
  if (!route) throw new Error(`no route for ${key}`);
  return route.dstDirectory + key.slice(route.prefix.length);
}
