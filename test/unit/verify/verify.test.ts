/**
 * The verification core (shared/verify/verify.ts) against an in-memory DataFlowApi: classification of a
 * window's objects, re-drive exactly once (repeated and concurrent runs), the 3-attempt limit, CANCELED
 * left alone, the OSS check (gone / current size), Import tasks re-driven from their EntryList, and trouble.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/load-config.js';
import { InstanceState, type IngestDeps } from '../../../shared/ingest/index.js';
import { createLogger } from '../../../shared/log.js';
import type { CreateDataFlowSubTaskParams, CreateDataFlowTaskParams } from '../../../shared/nas/types.js';
import { redriveImportToken, redriveSubTaskToken } from '../../../shared/verify/classify.js';
import { verify, type ObjectReader, type VerifyReport } from '../../../shared/verify/verify.js';
import { nasError } from '../../support/fake-data-flow-api.js';
import { VerifyFakeApi } from '../../support/fake-verify-api.js';

const FS = 'bmcpfs-unit00000001';
const FLOW = 'df-unit00000001';
const NOW = Date.UTC(2024, 6, 1, 13, 0, 0);
const WINDOW = { sinceMs: Date.UTC(2024, 6, 1, 0, 0, 0), untilMs: NOW };

function setup(env: Record<string, string> = {}) {
  const api = new VerifyFakeApi(FLOW);
  const config = loadConfig({ CPFS_FILE_SYSTEM_ID: FS, CPFS_DATA_FLOW_ID: FLOW, NAS_ENDPOINT: 'http://127.0.0.1:9', ...env });
  const deps = (state = new InstanceState()): IngestDeps => ({
    config,
    api,
    logger: createLogger({ write: () => undefined }),
    state,
    now: () => NOW,
    sleep: async () => undefined,
  });
  return { api, deps, config };
}

async function deadStreamTask(api: VerifyFakeApi, policy: 'KEEP_LATEST' | 'OVERWRITE_EXISTING'): Promise<string> {
  const { TaskId } = await api.createDataFlowTask({ FileSystemId: FS, DataFlowId: FLOW, TaskAction: 'StreamImport', ConflictPolicy: policy, Directory: '/', DstDirectory: '/', ClientToken: `seed-${policy}` });
  api.setStatus(TaskId as string, 'Completed');
  return TaskId as string;
}

const byKey = (report: VerifyReport) => Object.fromEntries(report.objects.map((o) => [o.key, o]));
const subTaskCreates = (api: VerifyFakeApi) => api.calls.filter((c) => c.operation === 'CreateDataFlowSubTask').map((c) => c.params as CreateDataFlowSubTaskParams);

async function world() {
  const s = setup();
  const dead = await deadStreamTask(s.api, 'OVERWRITE_EXISTING');
  const at = (sec: number) => `2024-07-01 12:00:${String(sec).padStart(2, '0')}`;
  const ids = {
    done: s.api.seedSubTask({ src: '/done.bin', dst: '/done.bin', status: 'COMPLETE', taskId: dead, createTime: at(1), endTime: at(9) }),
    failed: s.api.seedSubTask({ src: '/failed.bin', dst: '/failed.bin', status: 'FAILED', errorMsg: 'source changed', taskId: dead, createTime: at(2), size: 10 }),
    expired: s.api.seedSubTask({ src: '/expired.bin', dst: '/expired.bin', status: 'EXPIRED', taskId: dead, createTime: at(3) }),
    canceled: s.api.seedSubTask({ src: '/canceled.bin', dst: '/canceled.bin', status: 'CANCELED', taskId: dead, createTime: at(4) }),
    running: s.api.seedSubTask({ src: '/running.bin', dst: '/running.bin', status: 'RUNNING', taskId: dead, createTime: at(5) }),
    old: s.api.seedSubTask({ src: '/old.bin', dst: '/old.bin', status: 'FAILED', taskId: dead, createTime: '2024-06-29 12:00:00' }),
    // DataFlowIds matches part of an id: this one belongs to another data flow and must be ignored.
    other: s.api.seedSubTask({ src: '/other.bin', dst: '/other.bin', status: 'FAILED', taskId: dead, createTime: at(6), dataFlowId: `${FLOW}9` }),
  };
  for (let i = 0; i < 3; i += 1) s.api.seedSubTask({ src: '/perm.bin', dst: '/perm.bin', status: 'FAILED', errorMsg: `try ${i + 1}`, taskId: dead, createTime: at(10 + i) });
  return { ...s, dead, ids };
}

describe('verify: classification', () => {
  it('classifies every object of the window without re-driving', async () => {
    const { api, deps, ids } = await world();
    const report = await verify({ ingest: deps() }, { window: WINDOW, redrive: false, deadlineMs: NOW + 60_000 });
    const objects = byKey(report);
    expect(Object.keys(objects).sort()).toEqual(['canceled.bin', 'done.bin', 'expired.bin', 'failed.bin', 'perm.bin', 'running.bin']);
    expect(objects['done.bin']).toMatchObject({ state: 'complete', attempt: 1 });
    expect(objects['failed.bin']).toMatchObject({ state: 'failed', status: 'FAILED', errorMsg: 'source changed', id: ids.failed, attempt: 1 });
    expect(objects['expired.bin']).toMatchObject({ state: 'failed', status: 'EXPIRED' });
    expect(objects['canceled.bin']).toMatchObject({ state: 'canceled' });
    expect(objects['running.bin']).toMatchObject({ state: 'in-progress' });
    expect(objects['perm.bin']).toMatchObject({ state: 'permanent', attempt: 3, errorMsg: 'try 3' });
    expect(report.counts).toMatchObject({ complete: 1, failed: 2, canceled: 1, 'in-progress': 1, permanent: 1, 're-driven': 0 });
    expect(report.ossCheck).toBe('skipped');
    expect(report.lag).toMatchObject({ count: 1, maxMs: 8000, fromCreateTime: 1 });
    expect(subTaskCreates(api)).toEqual([]);
    expect(report.trouble).toBeUndefined();
  });

  it('reads every page', async () => {
    const { api, deps, dead } = await world();
    for (let i = 0; i < 250; i += 1) api.seedSubTask({ src: `/bulk/${i}`, dst: `/bulk/${i}`, status: 'COMPLETE', taskId: dead, createTime: '2024-07-01 12:01:00', endTime: '2024-07-01 12:01:05' });
    const report = await verify({ ingest: deps() }, { window: WINDOW, redrive: false, deadlineMs: NOW + 60_000 });
    expect(report.counts.complete).toBe(251);
    expect(report.calls.describeSubTasks).toBe(3);
  });
});

describe('verify --redrive', () => {
  it('re-drives FAILED and EXPIRED once, through an Executing streaming task of the same policy, token from the failed id', async () => {
    const { api, deps, ids } = await world();
    const report = await verify({ ingest: deps() }, { window: WINDOW, redrive: true, deadlineMs: NOW + 60_000 });
    const objects = byKey(report);
    expect(objects['failed.bin']).toMatchObject({ state: 're-driven' });
    expect(objects['expired.bin']).toMatchObject({ state: 're-driven' });
    expect(objects['canceled.bin']).toMatchObject({ state: 'canceled' });
    expect(objects['perm.bin']).toMatchObject({ state: 'permanent' });
    const creates = subTaskCreates(api);
    expect(creates.map((c) => c.ClientToken).sort()).toEqual([redriveSubTaskToken(FS, FLOW, ids.failed), redriveSubTaskToken(FS, FLOW, ids.expired)].sort());
    const stream = api.streamTasks().find((t) => t.Status === 'Executing');
    expect(stream?.ConflictPolicy).toBe('OVERWRITE_EXISTING');
    expect(new Set(creates.map((c) => c.DataFlowTaskId))).toEqual(new Set([stream?.TaskId]));
    expect(creates.every((c) => c.Condition === undefined)).toBe(true);

    // A second run sees the re-drives in progress and sends nothing.
    const again = await verify({ ingest: deps() }, { window: WINDOW, redrive: true, deadlineMs: NOW + 60_000 });
    expect(byKey(again)['failed.bin']).toMatchObject({ state: 'in-progress', attempt: 2 });
    expect(subTaskCreates(api)).toHaveLength(2);
  });

  it('concurrent runs create one re-drive per failure', async () => {
    const { api, deps } = await world();
    const runs = await Promise.all([1, 2, 3].map(() => verify({ ingest: deps() }, { window: WINDOW, redrive: true, deadlineMs: NOW + 60_000 })));
    for (const run of runs) expect(run.counts['re-driven']).toBe(2);
    const created = [...api.subState.entries()].filter(([, s]) => s.Status === 'CREATED');
    expect(created).toHaveLength(2);
  });

  it('after the third failure an object is permanent', async () => {
    const { api, deps } = await world();
    await verify({ ingest: deps() }, { window: WINDOW, redrive: true, deadlineMs: NOW + 60_000 });
    for (let round = 2; round <= 3; round += 1) {
      // The re-drive failed too.
      for (const state of api.subState.values()) if (state.Status === 'CREATED') Object.assign(state, { Status: 'FAILED', ErrorMsg: `round ${round}` });
      api.createTime = `2024-07-01 12:3${round}:00`;
      const report = await verify({ ingest: deps() }, { window: WINDOW, redrive: true, deadlineMs: NOW + 60_000 });
      expect(byKey(report)['failed.bin']).toMatchObject(round < 3 ? { state: 're-driven', attempt: 2 } : { state: 'permanent', attempt: 3, errorMsg: 'round 3' });
    }
    expect(subTaskCreates(api)).toHaveLength(4);
  });

  it('with OSS: a deleted object is gone, a changed one is re-driven with its current size', async () => {
    const { api, deps } = await world();
    const objects: ObjectReader = { head: async (key) => (key === 'failed.bin' ? { size: 42 } : undefined) };
    const report = await verify({ ingest: deps(), objects }, { window: WINDOW, redrive: true, deadlineMs: NOW + 60_000 });
    expect(report.ossCheck).toBe('done');
    expect(byKey(report)['failed.bin']).toMatchObject({ state: 're-driven', changed: true });
    expect(byKey(report)['expired.bin']).toMatchObject({ state: 'gone' });
    expect(byKey(report)['perm.bin']).toMatchObject({ state: 'gone' });
    const creates = subTaskCreates(api);
    expect(creates).toHaveLength(1);
    expect(creates[0]?.Condition).toEqual({ Size: 42 });
  });

  it('reports retryable trouble and leaves the rest for the next run', async () => {
    const { api, deps } = await world();
    api.fail((operation) => (operation === 'CreateDataFlowSubTask' ? nasError('Throttling', true, 400) : undefined));
    const report = await verify({ ingest: deps() }, { window: WINDOW, redrive: true, deadlineMs: NOW + 60_000 });
    expect(report.trouble).toMatchObject({ code: 'Throttling', retryable: true });
    expect(report.counts['re-driven']).toBe(0);
    expect(report.counts.failed).toBe(2);
  });
});

describe('verify: Import tasks', () => {
  it('re-drives a Failed Import task from its EntryList (DstDirectory, no Directory), once', async () => {
    const { api, deps } = setup({ CPFS_FILE_SYSTEM_ID: 'cpfs-unit00000001' });
    const entries = ['/a/1.bin', '/a/2.bin'];
    const { TaskId } = await api.createDataFlowTask({ FileSystemId: 'cpfs-unit00000001', DataFlowId: FLOW, TaskAction: 'Import', DstDirectory: '/dst/', EntryList: JSON.stringify(entries), ConflictPolicy: 'KEEP_LATEST', ClientToken: 'seed' });
    api.setStatus(TaskId as string, 'Failed');
    api.taskErrors.set(TaskId as string, 'quota exceeded');
    const first = await verify({ ingest: deps() }, { window: WINDOW, redrive: true, deadlineMs: NOW + 60_000 });
    expect(first.objects.map((o) => [o.key, o.destination, o.state, o.errorMsg])).toEqual([
      ['a/1.bin', '/dst/a/1.bin', 're-driven', 'quota exceeded'],
      ['a/2.bin', '/dst/a/2.bin', 're-driven', 'quota exceeded'],
    ]);
    const creates = api.calls.filter((c) => c.operation === 'CreateDataFlowTask').map((c) => c.params as CreateDataFlowTaskParams).slice(1);
    expect(creates).toHaveLength(1);
    expect(creates[0]).toMatchObject({ EntryList: JSON.stringify(entries), DstDirectory: '/dst/', ConflictPolicy: 'KEEP_LATEST', ClientToken: redriveImportToken('cpfs-unit00000001', FLOW, TaskId as string) });
    // Directory, EntryList and TransferFileListPath are mutually exclusive (docs/platform.md §1).
    expect(creates[0]).not.toHaveProperty('Directory');
    expect(creates[0]).not.toHaveProperty('TransferFileListPath');
    const second = await verify({ ingest: deps() }, { window: WINDOW, redrive: true, deadlineMs: NOW + 60_000 });
    expect(second.objects.map((o) => [o.state, o.attempt])).toEqual([['in-progress', 2], ['in-progress', 2]]);
    expect(api.importTasks()).toHaveLength(2);
  });

  it('on LINGJUN before 2.6 (CreateDirIfNotExist refused) re-drives the Import without the flag, and asks with it only once', async () => {
    const { api, deps } = setup();
    // The file system answers as LINGJUN 2.4/2.5 does to the parameter (docs/platform.md §1: from 2.6.0).
    api.fail((operation, params) => operation === 'CreateDataFlowTask' && (params as CreateDataFlowTaskParams).CreateDirIfNotExist === true
      ? nasError('InvalidFilesystemVersion.NotSupport', false, 400, 'CreateDataFlowTask')
      : undefined);
    const failedIds: string[] = [];
    for (const name of ['x', 'y']) {
      const { TaskId } = await api.createDataFlowTask({ FileSystemId: FS, DataFlowId: FLOW, TaskAction: 'Import', DataType: 'MetaAndData', DstDirectory: '/d/', EntryList: JSON.stringify([`/${name}.bin`]), ConflictPolicy: 'KEEP_LATEST', ClientToken: `seed-${name}` });
      api.setStatus(TaskId as string, 'Failed');
      failedIds.push(TaskId as string);
    }
    const state = new InstanceState();
    const report = await verify({ ingest: deps(state) }, { window: WINDOW, redrive: true, deadlineMs: NOW + 60_000 });
    expect(report.trouble).toBeUndefined();
    expect(report.objects.map((o) => [o.key, o.state])).toEqual([['x.bin', 're-driven'], ['y.bin', 're-driven']]);
    const creates = api.calls.filter((c) => c.operation === 'CreateDataFlowTask').map((c) => c.params as CreateDataFlowTaskParams).slice(2);
    // One refused request with the flag, then both re-drives without it, each with its own content-derived token.
    expect(creates.map((c) => [c.EntryList, c.CreateDirIfNotExist])).toEqual([['["/x.bin"]', true], ['["/x.bin"]', undefined], ['["/y.bin"]', undefined]]);
    expect(creates.slice(1).map((c) => c.ClientToken)).toEqual(failedIds.map((id) => redriveImportToken(FS, FLOW, id)));
    expect(state.createDirUnsupported).toBe(true);
  });

  it('re-drives a Failed manifest Import by the same TransferFileListPath while its manifests exist, else reports it', async () => {
    const { api, deps } = setup();
    const manifests = new Set(['/lists/ok/']);
    const objects: ObjectReader = { head: async () => ({ size: 1 }), hasManifests: async (dir) => manifests.has(dir) };
    const made: string[] = [];
    for (const dir of ['/lists/ok/', '/lists/gone/']) {
      const { TaskId } = await api.createDataFlowTask({ FileSystemId: FS, DataFlowId: FLOW, TaskAction: 'Import', DataType: 'MetaAndData', DstDirectory: '/m/', TransferFileListPath: dir, ConflictPolicy: 'SKIP_THE_FILE', ClientToken: `seed-${dir}` });
      api.setStatus(TaskId as string, 'Failed');
      made.push(TaskId as string);
    }
    const report = await verify({ ingest: deps(), objects }, { window: WINDOW, redrive: true, deadlineMs: NOW + 60_000 });
    expect(report.objects.map((o) => [o.key, o.destination, o.state])).toEqual([
      ['(manifests /lists/ok/)', '/m/', 're-driven'],
      ['(manifests /lists/gone/)', '/m/', 'failed'],
    ]);
    expect(report.objects[1]?.note).toContain('no longer exist');
    const creates = api.calls.filter((c) => c.operation === 'CreateDataFlowTask').map((c) => c.params as CreateDataFlowTaskParams).slice(2);
    expect(creates).toHaveLength(1);
    expect(creates[0]).toMatchObject({ TransferFileListPath: '/lists/ok/', DstDirectory: '/m/', ConflictPolicy: 'SKIP_THE_FILE', ClientToken: redriveImportToken(FS, FLOW, made[0] as string) });
    expect(creates[0]).not.toHaveProperty('EntryList');
    expect(creates[0]).not.toHaveProperty('Directory');
  });
});
