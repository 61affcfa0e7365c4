/**
 * Batch mode through the built function: Import tasks with packed EntryLists on general-purpose CPFS
 * (auto) and on LINGJUN with CPFS_IMPORT_MODE=batch, the LINGJUN limit of 4 batch tasks per data flow,
 * and the fallback of auto mode on a LINGJUN file system older than 2.6 (no StreamImport).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { nativeEnvelope } from '../../support/event-factories.js';
import { invokeUntilSuccess, loadFunction, type FunctionInstance } from '../../support/function-harness.js';
import { startFunctionWorld, tasksOf, WORLD, type FunctionWorld, type WorldOptions } from '../../support/function-world.js';

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

const TWO_ROUTES = JSON.stringify([
  { prefix: 'incoming/raw/', dstDirectory: '/datasets/raw/', conflictPolicy: 'KEEP_LATEST' },
  { prefix: 'incoming/ckpt/', dstDirectory: '/ckpt/', conflictPolicy: 'OVERWRITE_EXISTING' },
]);

function mixedKeys(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i % 3 === 0 ? `incoming/ckpt/step-${i}.pt` : `incoming/raw/${i % 4}/sample ${i}.bin`));
}

const dstOf = (key: string) => (key.startsWith('incoming/ckpt/') ? `/ckpt/${key.slice('incoming/ckpt/'.length)}` : `/datasets/raw/${key.slice('incoming/raw/'.length)}`);

describe('oss-stream-import bundle — batch Import tasks', () => {
  it.each([
    ['cpfs- file system, auto mode', 'cpfs' as const, {}],
    ['bmcpfs- file system, CPFS_IMPORT_MODE=batch', 'lingjun' as const, { CPFS_IMPORT_MODE: 'batch' }],
  ])('%s: packed EntryLists land every object', async (_name, target, extra) => {
    const w = await start();
    const all = mixedKeys(60);
    const events = w.putObjects(all);
    fn = loadFunction(w.env(target, { CPFS_ROUTES: TWO_ROUTES, ...extra }));
    const invocation = await fn.invoke(nativeEnvelope(events), w.context());
    expect(invocation.ok).toBe(true);
    expect(invocation.result?.mode).toBe('batch');
    expect(invocation.result?.counts).toMatchObject({ submitted: 60, failed: 0 });

    // One Import per (policy, directory pair), each EntryList holding full object names.
    const imports = tasksOf(w.emulator, 'Import');
    expect(imports.map((t) => t.conflictPolicy).sort()).toEqual(['KEEP_LATEST', 'OVERWRITE_EXISTING']);
    const entries = imports.flatMap((t) => t.entryList ?? []);
    expect(entries.sort()).toEqual(all.map((k) => `/${k}`).sort());
    expect(tasksOf(w.emulator, 'StreamImport')).toEqual([]);
    expect(w.emulator.state.subTasks.size).toBe(0);
    const creates = w.emulator.log.forAction('CreateDataFlowTask');
    expect(creates.every((e) => (e.params['CreateDirIfNotExist'] === 'true') === (target === 'lingjun'))).toBe(true);

    w.emulator.settle();
    expect(tasksOf(w.emulator, 'Import').map((t) => t.status)).toEqual(['Completed', 'Completed']);
    expect(all.filter((key) => !w.landed(dstOf(key)))).toEqual([]);
  });

  it('LINGJUN: the 5th concurrent batch task is a retryable failure; a replay after tasks finish completes it', async () => {
    const w = await start({ timings: { batchPendingMs: 1_000, batchExecutingMs: 1_000 } });
    // Batch Import names no Directory: each route adds a directory above the key path (five DstDirectories).
    const routes = Array.from({ length: 5 }, (_, i) => ({ prefix: `incoming/r${i}/`, dstDirectory: `/route-${i}/r${i}/`, conflictPolicy: 'KEEP_LATEST' }));
    const all = Array.from({ length: 25 }, (_, i) => `incoming/r${i % 5}/file-${i}.dat`);
    const events = w.putObjects(all);
    fn = loadFunction(w.env('lingjun', { CPFS_IMPORT_MODE: 'batch', CPFS_ROUTES: JSON.stringify(routes) }));

    const runs = await invokeUntilSuccess(fn, nativeEnvelope(events), {
      context: () => w.context(),
      // Time passes between FC's retries: the first four tasks finish.
      between: () => void w.emulator.settle(),
    });
    expect(runs.map((r) => r.ok)).toEqual([false, true]);
    const refused = runs[0]!.error?.report?.outcomes.filter((o) => o.status === 'failed') ?? [];
    expect(refused).toHaveLength(5);
    expect(refused.every((o) => o['code'] === 'OperationDenied.DependencyViolation' && o['retryable'] === true)).toBe(true);
    expect(runs[0]!.error?.message).toMatch(/5 record\(s\) failed retryably \(first: OperationDenied\.DependencyViolation\)/);

    // Five Import tasks in all: the replay got the first four back by ClientToken and created the fifth.
    const imports = tasksOf(w.emulator, 'Import');
    expect(imports).toHaveLength(5);
    const createsAnswered = w.emulator.log.forAction('CreateDataFlowTask').filter((e) => e.status === 200);
    expect(createsAnswered.filter((e) => e.replayed === true)).toHaveLength(4);
    w.emulator.settle();
    expect(tasksOf(w.emulator, 'Import').every((t) => t.status === 'Completed')).toBe(true);
    expect(all.filter((key) => !w.landed(`/route-${key.split('/')[1]!.slice(1)}/${key.split('/')[1]}/${key.split('/')[2]}`))).toEqual([]);
  });

  it('auto mode on LINGJUN 2.5 falls back to packed Import tasks, and the instance remembers it', async () => {
    const w = await start();
    const first = w.putObjects(['incoming/v25/a.txt', 'incoming/v25/deeper/b.txt']);
    const second = w.putObjects(['incoming/v25/c.txt']);
    fn = loadFunction(w.env('lingjun25'));

    const one = await fn.invoke(nativeEnvelope(first), w.context());
    expect(one.ok).toBe(true);
    expect(one.result?.mode).toBe('batch');
    const log1 = w.emulator.log.forAction('CreateDataFlowTask').map((e) => [e.params['TaskAction'], e.params['CreateDirIfNotExist'] ?? '-', e.code ?? e.status]);
    // Known older than 2.6 (no StreamImport): the Import goes without CreateDirIfNotExist, which takes
    // effect only on LINGJUN 2.6+ — no refused attempt first. No Directory: it is exclusive with EntryList.
    expect(log1).toEqual([
      ['StreamImport', 'true', 'InvalidFilesystemVersion.NotSupport'],
      ['Import', '-', 200],
    ]);
    expect(w.emulator.log.forAction('CreateDataFlowTask').filter((e) => e.params['TaskAction'] === 'Import').every((e) => e.params['Directory'] === undefined)).toBe(true);

    w.emulator.log.clear();
    const two = await fn.invoke(nativeEnvelope(second), w.context());
    expect(two.ok).toBe(true);
    expect(two.result?.mode).toBe('batch');
    // Remembered: no StreamImport attempt, no listing of streaming tasks, no CreateDirIfNotExist.
    expect(w.emulator.log.entries.map((e) => [e.action, e.params['TaskAction'], e.params['CreateDirIfNotExist'] ?? '-', e.status])).toEqual([
      ['CreateDataFlowTask', 'Import', '-', 200],
    ]);

    w.emulator.settle();
    expect(tasksOf(w.emulator, 'Import').map((t) => t.status)).toEqual(['Completed', 'Completed']);
    for (const dst of ['/v25/a.txt', '/v25/deeper/b.txt', '/v25/c.txt']) expect(w.landed(dst)).toBe(true);
    expect(WORLD.lingjun25.startsWith('bmcpfs-')).toBe(true);
  });
});
