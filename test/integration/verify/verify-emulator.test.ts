/**
 * `cpfs-ingest verify` against the NAS emulator, with the emulator's own failure modes (nothing here writes
 * its state): a source changed after the event ends its sub-task FAILED (Condition.Size); injected failures
 * (`failNextSubTasks`); a streaming task that ends (`failTask`, CancelDataFlowTask) leaves its unfinished
 * sub-tasks EXPIRED; CancelDataFlowSubTask (`cpfs-ingest cancel --sub-task`) makes one CANCELED, which is
 * reported and never re-driven. Each failure is re-driven exactly once across concurrent and repeated runs,
 * the third failure is permanent (exit 1, and reconcile's `permanent-failure` log line), deleted objects
 * are "gone", and a Failed Import task is re-driven from its EntryList (no Directory) or by its
 * TransferFileListPath. The CLI runs in-process (`main` with a captured io).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import type { CliIo } from '../../../cli/io.js';
import { ingest } from '../../../shared/ingest/index.js';
import { createRuntime } from '../../../shared/runtime.js';
import { nativeEnvelope, objectCreatedEvent } from '../../support/event-factories.js';
import { startWorld, WORLD, type World } from '../cli/harness.js';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

/** Slow enough sub-tasks that a test can end their streaming task or cancel them before they finish. */
const TIMINGS = { batchPendingMs: 100, batchExecutingMs: 200, streamPendingMs: 0, cancelingMs: 100, subTaskCreatedMs: 400, subTaskRunningMs: 200, subTaskCancelingMs: 50 };

function put(w: World, key: string, content: string): void {
  mkdirSync(path.dirname(path.join(w.bucketDir, key)), { recursive: true });
  writeFileSync(path.join(w.bucketDir, key), content);
}

/** Sends ObjectCreated events for `objects` through the function's own use case. */
async function ingestEvents(w: World, objects: ReadonlyArray<{ key: string; size: number }>, env: Record<string, string> = w.env): Promise<void> {
  const runtime = createRuntime({ env, write: () => undefined });
  try {
    const events = objects.map((o) => objectCreatedEvent({ bucket: WORLD.bucket, key: o.key, size: o.size }));
    const report = await ingest(nativeEnvelope(events), { config: runtime.config, api: runtime.api, logger: runtime.logger, state: runtime.state, now: runtime.now }, { deadlineMs: Date.now() + 30_000 });
    expect(report.counts.submitted).toBe(objects.length);
  } finally {
    runtime.api.close();
  }
}

function subTasksOf(w: World, srcFilePath: string) {
  return [...w.emulator.state.subTasks.values()].filter((s) => s.srcFilePath === srcFilePath);
}

function importTasks(w: World) {
  return [...w.emulator.state.tasks.values()].filter((t) => t.action === 'Import');
}

async function cli(w: World, args: readonly string[], env: Record<string, string> = w.env): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (chunk: string) => ((stdout += chunk), true) },
    stderr: { write: (chunk: string) => ((stderr += chunk), true) },
    stdin: new PassThrough(),
    env,
    now: Date.now,
    onInterrupt: () => () => undefined,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

function lines(stdout: string): Array<Record<string, unknown>> {
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function stateOf(stdout: string): Record<string, string> {
  return Object.fromEntries(lines(stdout).filter((l) => l['type'] === 'object').map((l) => [l['key'] as string, l['state'] as string]));
}

function withoutBucket(env: Record<string, string>): Record<string, string> {
  const { OSS_BUCKET: _omit, ...rest } = env;
  return rest;
}

describe('cpfs-ingest verify against the emulator (its real failure modes)', () => {
  it('re-drives exactly the FAILED and EXPIRED sub-tasks, once, across concurrent and repeated runs; CANCELED left alone; 3 failures are permanent', async () => {
    const w = (world = await startWorld({ timings: TIMINGS }));
    const env = withoutBucket(w.env);
    for (const key of ['ok.bin', 'injected.bin', 'expired.bin', 'canceled.bin', 'aborted.bin']) put(w, key, '12345');
    put(w, 'changed.bin', '12345');

    // Injected: the next sub-task to finish ends FAILED.
    w.emulator.faults.failNextSubTasks(1);
    await ingestEvents(w, [{ key: 'injected.bin', size: 5 }], env);
    await w.emulator.waitForIdle();
    expect(subTasksOf(w, '/injected.bin').map((s) => [s.status, s.errorMsg])).toEqual([['FAILED', expect.stringContaining('injected')]]);

    // Changed after the event: the event says 5 bytes, the copy sees more (Condition.Size). Missing: never written.
    await ingestEvents(w, ['ok.bin', 'changed.bin', 'missing.bin'].map((key) => ({ key, size: 5 })), env);
    put(w, 'changed.bin', 'grown after the event');
    await w.emulator.waitForIdle();
    expect(subTasksOf(w, '/changed.bin').map((s) => s.status)).toEqual(['FAILED']);
    expect(subTasksOf(w, '/missing.bin').map((s) => s.status)).toEqual(['FAILED']);

    // The streaming task fails while a sub-task is still CREATED: EXPIRED.
    await ingestEvents(w, [{ key: 'expired.bin', size: 5 }], env);
    const streamA = subTasksOf(w, '/expired.bin')[0]?.taskId as string;
    w.emulator.failTask(streamA, 'the streaming task failed (test)');
    expect(subTasksOf(w, '/expired.bin').map((s) => s.status)).toEqual(['EXPIRED']);

    // An operator cancels one sub-task (CancelDataFlowSubTask through the CLI): CANCELED.
    await ingestEvents(w, [{ key: 'canceled.bin', size: 5 }], env);
    const canceled = subTasksOf(w, '/canceled.bin')[0];
    const cancel = await cli(w, ['cancel', '--task', canceled?.taskId as string, '--sub-task', canceled?.id as string], env);
    expect(cancel.code, cancel.stdout + cancel.stderr).toBe(0);
    await w.emulator.waitForIdle();
    expect(subTasksOf(w, '/canceled.bin').map((s) => s.status)).toEqual(['CANCELED']);

    // The streaming task is cancelled (CancelDataFlowTask) with a sub-task still CREATED: EXPIRED.
    await ingestEvents(w, [{ key: 'aborted.bin', size: 5 }], env);
    w.emulator.cancelTask(subTasksOf(w, '/aborted.bin')[0]?.taskId as string);
    expect(subTasksOf(w, '/aborted.bin').map((s) => s.status)).toEqual(['EXPIRED']);
    await w.emulator.waitForIdle();

    const report = await cli(w, ['verify', '--json'], env);
    expect(report.code).toBe(1);
    expect(stateOf(report.stdout)).toEqual({
      'ok.bin': 'complete',
      'injected.bin': 'failed',
      'changed.bin': 'failed',
      'missing.bin': 'failed',
      'expired.bin': 'failed',
      'aborted.bin': 'failed',
      'canceled.bin': 'canceled',
    });
    const changed = lines(report.stdout).find((l) => l['key'] === 'changed.bin');
    expect(changed).toMatchObject({ status: 'FAILED', attempt: 1, destination: '/changed.bin' });
    expect(String(changed?.['errorMsg'])).toContain('Condition.Size');
    expect(lines(report.stdout).find((l) => l['key'] === 'expired.bin')).toMatchObject({ status: 'EXPIRED' });
    expect(lines(report.stdout).at(-1)).toMatchObject({ type: 'summary', ossCheck: 'skipped' });

    // Three runs at once: each failure is re-driven once.
    const redriven = ['/injected.bin', '/changed.bin', '/missing.bin', '/expired.bin', '/aborted.bin'];
    const runs = await Promise.all([1, 2, 3].map(() => cli(w, ['verify', '--redrive', '--json'], env)));
    // (A run that lists after another run's re-drive sees the new sub-task in progress instead.)
    for (const run of runs) {
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const states = stateOf(run.stdout);
      for (const src of redriven) expect(['re-driven', 'in-progress'], src).toContain(states[src.slice(1)]);
      expect(states['canceled.bin']).toBe('canceled');
    }
    for (const src of redriven) expect(runs.some((run) => stateOf(run.stdout)[src.slice(1)] === 're-driven'), src).toBe(true);
    for (const src of redriven) expect(subTasksOf(w, src), src).toHaveLength(2);
    expect(subTasksOf(w, '/canceled.bin')).toHaveLength(1);
    expect(subTasksOf(w, '/ok.bin')).toHaveLength(1);
    // A run while the re-drives are still under way re-drives nothing more.
    const during = await cli(w, ['verify', '--redrive', '--json'], env);
    expect(during.code, during.stdout).toBe(0);
    for (const src of redriven) expect(subTasksOf(w, src), src).toHaveLength(2);

    // The re-drives carry no Condition (no OSS_BUCKET): the changed object now lands.
    await w.emulator.waitForIdle();
    for (const src of ['/injected.bin', '/changed.bin', '/expired.bin', '/aborted.bin']) expect(subTasksOf(w, src).map((s) => s.status), src).toEqual([expect.stringMatching(/FAILED|EXPIRED/), 'COMPLETE']);

    // Repeated runs: missing.bin (attempt 2 failed) is re-driven once more; its third failure is permanent.
    const second = await cli(w, ['verify', '--redrive', '--json'], env);
    expect(stateOf(second.stdout)).toMatchObject({ 'changed.bin': 'complete', 'injected.bin': 'complete', 'missing.bin': 're-driven', 'canceled.bin': 'canceled' });
    await w.emulator.waitForIdle();
    const third = await cli(w, ['verify', '--redrive', '--json'], env);
    expect(third.code).toBe(1);
    const missing = lines(third.stdout).find((l) => l['key'] === 'missing.bin');
    expect(missing).toMatchObject({ state: 'permanent', attempt: 3 });
    expect(String(missing?.['errorMsg'])).toContain('does not exist');
    const again = await cli(w, ['verify', '--redrive'], env);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/permanent\s+1/);
    expect(again.stdout).toContain('check skipped (OSS_BUCKET is not set)');
    expect(subTasksOf(w, '/missing.bin')).toHaveLength(3);
    expect(subTasksOf(w, '/canceled.bin')).toHaveLength(1);
    for (const src of ['/injected.bin', '/changed.bin', '/expired.bin', '/aborted.bin']) expect(subTasksOf(w, src), src).toHaveLength(2);

    // status --key: non-zero when the latest attempt did not land.
    expect((await cli(w, ['status', '--key', 'ok.bin'], env)).code).toBe(0);
    expect((await cli(w, ['status', '--key', 'missing.bin'], env)).code).toBe(1);
    expect((await cli(w, ['status', '--key', 'canceled.bin'], env)).code).toBe(1);
    expect((await cli(w, ['status', '--key', 'changed.bin'], env)).code).toBe(0);

    // Last (its sweep submits the bucket's objects again): the reconcile tick logs the permanent failure as the stable line an SLS alert matches.
    const tick = await cli(w, ['reconcile', '--verbose'], w.env);
    const alert = tick.stderr.split('\n').filter((l) => l.includes('"permanent-failure"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(alert, tick.stderr).toHaveLength(1);
    expect(alert[0]).toMatchObject({ key: 'missing.bin', destination: '/missing.bin', attempts: 3 });
  }, 90_000);

  it('with OSS_BUCKET: deleted objects are gone, changed ones re-driven with their current size', async () => {
    const w = (world = await startWorld({ timings: TIMINGS }));
    put(w, 'deleted.bin', '12345');
    put(w, 'grown.bin', '12345');
    await ingestEvents(w, [{ key: 'deleted.bin', size: 5 }, { key: 'grown.bin', size: 5 }]);
    // After the event: one object is deleted, the other rewritten before the copy.
    rmSync(path.join(w.bucketDir, 'deleted.bin'));
    put(w, 'grown.bin', 'now it is longer');
    await w.emulator.waitForIdle();
    expect(subTasksOf(w, '/grown.bin').map((s) => s.status)).toEqual(['FAILED']);

    const first = await cli(w, ['verify', '--redrive', '--json']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(stateOf(first.stdout)).toEqual({ 'deleted.bin': 'gone', 'grown.bin': 're-driven' });
    expect(lines(first.stdout).at(-1)).toMatchObject({ type: 'summary', ossCheck: 'done' });
    expect(subTasksOf(w, '/deleted.bin')).toHaveLength(1);
    expect(subTasksOf(w, '/grown.bin')[1]?.conditionSize).toBe('now it is longer'.length);
    await w.emulator.waitForIdle();
    expect(subTasksOf(w, '/grown.bin').map((s) => s.status)).toEqual(['FAILED', 'COMPLETE']);
    const after = await cli(w, ['verify', '--redrive', '--json']);
    expect(after.code).toBe(0);
    expect(stateOf(after.stdout)).toEqual({ 'deleted.bin': 'gone', 'grown.bin': 'complete' });
    expect(lines(after.stdout).at(-1)).toMatchObject({ lag: { count: 1 } });
  }, 60_000);

  it('re-drives a Failed Import task from its EntryList (no Directory) exactly once, and a manifest task only while its manifests exist', async () => {
    const w = (world = await startWorld({ timings: TIMINGS }));
    const env = { ...withoutBucket(w.env), CPFS_IMPORT_MODE: 'batch' };
    // Batch 1: its objects are not there yet when it runs (every file fails: the task ends Failed).
    await ingestEvents(w, [{ key: 'b/1.bin', size: 5 }, { key: 'b/2.bin', size: 5 }], env);
    // Batch 2: ends Failed by a fault of the service.
    put(w, 'c/1.bin', '12345');
    await ingestEvents(w, [{ key: 'c/1.bin', size: 5 }], env);
    const [batch1, batch2] = importTasks(w);
    w.emulator.failTask(batch2?.id as string, 'InternalError: the task failed (test)');
    await w.emulator.waitForIdle();
    expect(importTasks(w).map((t) => t.status)).toEqual(['Failed', 'Failed']);
    put(w, 'b/1.bin', '12345');
    put(w, 'b/2.bin', '12345');

    const runs = await Promise.all([1, 2, 3].map(() => cli(w, ['verify', '--redrive', '--json'], env)));
    // A run that lists after another run's re-drive sees the new task in progress; none re-drives twice.
    for (const run of runs) {
      expect(run.code, run.stdout + run.stderr).toBe(0);
      for (const state of Object.values(stateOf(run.stdout))) expect(['re-driven', 'in-progress']).toContain(state);
      expect(Object.keys(stateOf(run.stdout)).sort()).toEqual(['b/1.bin', 'b/2.bin', 'c/1.bin']);
    }
    const redrives = importTasks(w).slice(2);
    expect(redrives).toHaveLength(2);
    for (const task of redrives) {
      expect(task.sentDirectory, 'no Directory next to an EntryList').toBeUndefined();
      expect(task.transferFileListPath).toBeUndefined();
    }
    expect(redrives.map((t) => t.entryList)).toEqual(expect.arrayContaining([batch1?.entryList, batch2?.entryList]));
    // Every request carried one of Directory / EntryList / TransferFileListPath at most.
    for (const entry of w.emulator.log.entries.filter((e) => e.action === 'CreateDataFlowTask')) {
      expect(['Directory', 'EntryList', 'TransferFileListPath'].filter((p) => p in entry.params).length).toBeLessThanOrEqual(1);
    }
    await w.emulator.waitForIdle();
    const repeated = await cli(w, ['verify', '--redrive', '--json'], env);
    expect(repeated.code).toBe(0);
    expect(stateOf(repeated.stdout)).toEqual({ 'b/1.bin': 'complete', 'b/2.bin': 'complete', 'c/1.bin': 'complete' });
    expect(importTasks(w)).toHaveLength(4);
    for (const key of ['b/1.bin', 'b/2.bin', 'c/1.bin']) expect(w.emulator.importCounts().get(`${WORLD.lingjun}:/${key}`)?.written, key).toBe(1);

    // A manifest Import whose directory does not exist ends Failed; with OSS_BUCKET verify sees no manifest
    // there and reports it without re-driving; once the manifest exists it is re-driven by the same path.
    const runtime = createRuntime({ env: w.env, write: () => undefined });
    try {
      await runtime.api.createDataFlowTask({ FileSystemId: WORLD.lingjun, DataFlowId: WORLD.lingjunFlow, TaskAction: 'Import', DataType: 'MetaAndData', DstDirectory: '/m/', TransferFileListPath: '/lists/one/', ConflictPolicy: 'SKIP_THE_FILE', CreateDirIfNotExist: true, ClientToken: 'manifest-test-1' }, { deadlineMs: Date.now() + 10_000 });
    } finally {
      runtime.api.close();
    }
    await w.emulator.waitForIdle();
    expect(importTasks(w).at(-1)?.status).toBe('Failed');
    const missingManifest = await cli(w, ['verify', '--redrive', '--json'], { ...w.env, CPFS_IMPORT_MODE: 'batch' });
    expect(missingManifest.code).toBe(1);
    const row = lines(missingManifest.stdout).find((l) => l['key'] === '(manifests /lists/one/)');
    expect(row).toMatchObject({ state: 'failed', destination: '/m/' });
    expect(String(row?.['note'])).toContain('no longer exist');
    expect(importTasks(w)).toHaveLength(5);
    put(w, 'm1.bin', 'abc');
    put(w, 'lists/one/a.csv', 'Name,Type\nm1.bin,file\n');
    const withManifest = await cli(w, ['verify', '--redrive', '--json'], { ...w.env, CPFS_IMPORT_MODE: 'batch' });
    expect(withManifest.code, withManifest.stdout).toBe(0);
    expect(stateOf(withManifest.stdout)['(manifests /lists/one/)']).toBe('re-driven');
    expect(importTasks(w).at(-1)).toMatchObject({ transferFileListPath: '/lists/one/', dstDirectory: '/m/' });
    await w.emulator.waitForIdle();
    expect(importTasks(w).at(-1)?.status).toBe('Completed');
    expect(importTasks(w)).toHaveLength(6);
  }, 90_000);
});
