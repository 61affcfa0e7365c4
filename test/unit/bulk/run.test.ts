/**
 * The bulk shapes of shared/backfill.ts (shared/bulk/run.ts) over the in-memory FakeDataFlowApi, a page
 * lister from an array, and an in-memory manifest store: what is sent (newer contract: one of Directory,
 * EntryList, TransferFileListPath), slots, resume, clean-up, and replays.
 */
import { describe, expect, it } from 'vitest';
import { backfill, type BackfillCheckpoint, type BackfillOptions, type CheckpointStore, type PageLister } from '../../../shared/backfill.js';
import { parseManifest } from '../../../shared/bulk/csv.js';
import type { ManifestStore } from '../../../shared/bulk/manifest-store.js';
import { chooseShape } from '../../../shared/bulk/shape.js';
import { loadConfig } from '../../../shared/config/load-config.js';
import { InstanceState, type IngestDeps } from '../../../shared/ingest/index.js';
import { createLogger } from '../../../shared/log.js';
import type { ListedPage } from '../../../shared/oss/listing.js';
import { FakeDataFlowApi, nasError } from '../../support/fake-data-flow-api.js';

const BUCKET = 'bulk-bucket';

function lister(keys: string[], pageSize: number): PageLister {
  return async function* (request) {
    const under = keys.filter((k) => k.startsWith(request.prefix) && (request.startAfter === undefined || k > request.startAfter)).sort();
    for (let i = 0; i < under.length; i += pageSize) {
      const slice = under.slice(i, i + pageSize);
      const page: ListedPage = {
        objects: slice.map((key) => ({ key, size: 3, eTag: 'ABC', lastModified: new Date('2024-01-01T00:00:00Z') })),
        lastKey: slice[slice.length - 1] as string,
        skippedFolderMarkers: 0,
        skippedNotModifiedSince: 0,
      };
      yield page;
    }
  };
}

function memoryStore(): CheckpointStore & { current: () => BackfillCheckpoint | undefined } {
  let current: BackfillCheckpoint | undefined;
  return { current: () => current, load: async () => current, save: async (c) => { current = structuredClone(c); } };
}

function memoryManifests(): ManifestStore & { objects: Map<string, string>; puts: string[]; deletes: string[]; failPutAt?: number } {
  const objects = new Map<string, string>();
  const store = {
    objects, puts: [] as string[], deletes: [] as string[], failPutAt: undefined as number | undefined,
    async put(key: string, body: string) {
      if (store.failPutAt !== undefined && store.puts.length === store.failPutAt) throw new Error('PutObject failed (test)');
      store.puts.push(key);
      objects.set(key, body);
    },
    async delete(key: string) {
      store.deletes.push(key);
      objects.delete(key);
    },
  };
  return store;
}

function deps(api: FakeDataFlowApi, env: Record<string, string> = {}, onSleep: () => void = () => undefined): IngestDeps {
  return {
    config: loadConfig({ CPFS_FILE_SYSTEM_ID: 'bmcpfs-bk0001', CPFS_DATA_FLOW_ID: 'df-bk0001', FC_REGION: 'cn-hangzhou', OSS_BUCKET: BUCKET, CPFS_IMPORT_MODE: 'stream', ...env }),
    api,
    logger: createLogger({ write: () => undefined }),
    state: new InstanceState(),
    now: () => Date.UTC(2024, 6, 1),
    sleep: async () => onSleep(),
  };
}

const importCalls = (api: FakeDataFlowApi) => api.calls.filter((c) => c.operation === 'CreateDataFlowTask').map((c) => c.params as Record<string, unknown>);
const exclusive = (p: Record<string, unknown>) => ['Directory', 'EntryList', 'TransferFileListPath'].filter((k) => p[k] !== undefined);
const completeAll = (api: FakeDataFlowApi) => () => { for (const t of api.importTasks()) if (t.Status === 'Pending') api.setStatus(t.TaskId, 'Completed'); };

describe('manifest shape', () => {
  const keys = [...Array.from({ length: 25 }, (_, i) => `ds/f-${String(i).padStart(3, '0')}.bin`), 'ds/comma,name.bin', 'ds/quote"name.bin', '.cpfs-ingest/reconcile-state.json'];

  it('writes CSV parts, sends one Import with TransferFileListPath only, waits, then deletes the parts', async () => {
    const api = new FakeDataFlowApi();
    const manifests = memoryManifests();
    const store = memoryStore();
    const options: BackfillOptions = { bucket: BUCKET, prefixes: ['ds/', '.cpfs-ingest/'], list: lister(keys, 4), deps: deps(api, {}, completeAll(api)), shape: 'manifest', manifests, manifestPartRows: 10, checkpoint: store };
    const summary = await backfill(options);
    expect(summary.status).toBe('complete');
    expect(summary.overall).toMatchObject({ listed: 28, submitted: 27, ignored: 1 });
    // Parts: cut at page boundaries once ≥ 10 rows are pending, and at each prefix end.
    const written = manifests.puts.map((k) => k.replace(/.*\//, ''));
    expect(written).toEqual(['part-00000.csv', 'part-00001.csv', 'part-00002.csv']);
    const calls = importCalls(api);
    expect(calls).toHaveLength(1);
    const call = calls[0] as Record<string, unknown>;
    expect(exclusive(call)).toEqual(['TransferFileListPath']);
    expect(call).toMatchObject({ TaskAction: 'Import', DstDirectory: '/', ConflictPolicy: 'KEEP_LATEST', CreateDirIfNotExist: true });
    expect(String(call['TransferFileListPath'])).toMatch(/^\/\.cpfs-ingest\/manifests\/run-[0-9a-f]+\/g-[0-9a-f]+\/$/);
    expect(String(call['ClientToken'])).toMatch(/^cpfs-mf-/);
    // Progress came from DescribeDataFlowTasks with WithReports=false; then every part was deleted.
    const describes = api.calls.filter((c) => c.operation === 'DescribeDataFlowTasks').map((c) => c.params as Record<string, unknown>);
    expect(describes.length).toBeGreaterThan(0);
    expect(describes.every((p) => p['WithReports'] === false)).toBe(true);
    expect(manifests.deletes.sort()).toEqual([...manifests.puts].sort());
    expect(manifests.objects.size).toBe(0);
    expect(summary.bulk?.tasks).toEqual([expect.objectContaining({ status: 'Completed' })]);
    expect(store.current()?.bulk?.phase).toBe('done');
  });

  it('puts every listed object in exactly one row (names escaped per RFC 4180), own state left out', async () => {
    const api = new FakeDataFlowApi();
    const manifests = memoryManifests();
    // Keep the parts: the task never completes within the run (deadline via a signal after the Import).
    const controller = new AbortController();
    const summary = await backfill({ bucket: BUCKET, prefixes: ['ds/', '.cpfs-ingest/'], list: lister(keys, 4), deps: deps(api, {}, () => controller.abort()), shape: 'manifest', manifests, manifestPartRows: 10, signal: controller.signal });
    expect(summary.status).toBe('interrupted');
    const rows = [...manifests.objects.values()].flatMap((body) => parseManifest(body));
    expect(rows.map((r) => r.name).sort()).toEqual(keys.filter((k) => !k.startsWith('.cpfs-ingest/')).sort());
    expect(rows.every((r) => r.type === 'file')).toBe(true);
  });

  it('resumes at the part it reached after a failed PutObject, and a re-run replays the same Import', async () => {
    const api = new FakeDataFlowApi();
    const manifests = memoryManifests();
    manifests.failPutAt = 1;
    const store = memoryStore();
    const base = { bucket: BUCKET, prefixes: ['ds/'], list: lister(keys, 4), shape: 'manifest' as const, manifests, manifestPartRows: 10, checkpoint: store };
    const first = await backfill({ ...base, deps: deps(api, {}, completeAll(api)) });
    expect(first.status).toBe('error');
    expect(first.error?.message).toContain('PutObject failed');
    expect(store.current()?.bulk?.groups[0]?.parts).toHaveLength(1);
    expect(importCalls(api)).toHaveLength(0);

    manifests.failPutAt = undefined;
    const second = await backfill({ ...base, deps: deps(api, {}, completeAll(api)) });
    expect(second.status).toBe('complete');
    // Part 0 was not written again; parts 1.. followed.
    expect(manifests.puts.filter((k) => k.endsWith('part-00000.csv'))).toHaveLength(1);
    expect(second.overall.submitted).toBe(27);
    const firstToken = importCalls(api)[0]?.['ClientToken'];

    // The same backfill from scratch (another checkpoint): same run id, same content → same ClientToken.
    const api2 = api;
    const third = await backfill({ ...base, checkpoint: memoryStore(), deps: deps(api2, {}, completeAll(api2)) });
    expect(third.status).toBe('complete');
    const tokens = importCalls(api2).map((c) => c['ClientToken']);
    expect(tokens).toEqual([firstToken, firstToken]);
    expect(api2.importTasks()).toHaveLength(1);
  });

  it('keeps the manifests and stops with an error when the Import fails', async () => {
    const api = new FakeDataFlowApi();
    const manifests = memoryManifests();
    const fail = () => { for (const t of api.importTasks()) api.setStatus(t.TaskId, 'Failed'); };
    const summary = await backfill({ bucket: BUCKET, prefixes: ['ds/'], list: lister(keys, 4), deps: deps(api, {}, fail), shape: 'manifest', manifests });
    expect(summary.status).toBe('error');
    expect(summary.error?.code).toBe('ImportTaskFailed');
    expect(manifests.objects.size).toBeGreaterThan(0);
    expect(manifests.deletes).toEqual([]);
  });

  it('sends objects a manifest row cannot express (a route that strips the prefix) through sub-tasks', async () => {
    const api = new FakeDataFlowApi();
    const manifests = memoryManifests();
    const env = { CPFS_ROUTES: JSON.stringify([{ prefix: 'ds/', dstDirectory: '/flat/' }]) };
    const summary = await backfill({ bucket: BUCKET, prefixes: ['ds/'], list: lister(keys, 4), deps: deps(api, env, completeAll(api)), shape: 'manifest', manifests });
    expect(summary.status).toBe('complete');
    expect(manifests.puts).toEqual([]);
    expect(api.subTasks.size).toBe(27);
    expect(summary.overall.submitted).toBe(27);
  });

  it('is refused on general-purpose CPFS', async () => {
    const api = new FakeDataFlowApi();
    await expect(backfill({ bucket: BUCKET, prefixes: ['ds/'], list: lister(keys, 4), deps: deps(api, { CPFS_FILE_SYSTEM_ID: 'cpfs-bk0001', CPFS_IMPORT_MODE: 'auto' }), shape: 'manifest', manifests: memoryManifests() })).rejects.toThrow(/LINGJUN only/);
  });
});

describe('entrylist shape', () => {
  // ~830-byte keys (names ≤ 255 bytes each, as the path rules want): about 78 per 64 KB list, so 400 objects make 6 lists.
  const deep = `${'d'.repeat(200)}/`.repeat(4);
  const keys = Array.from({ length: 400 }, (_, i) => `el/${deep}f-${String(i).padStart(4, '0')}.bin`);

  it('packs lists ≤ 65,535 bytes, never more than 4 running, waiting for a slot', async () => {
    const api = new FakeDataFlowApi();
    let maxRunning = 0;
    api.fail((operation) => {
      if (operation === 'CreateDataFlowTask') maxRunning = Math.max(maxRunning, api.importTasks().filter((t) => t.Status === 'Pending').length + 1);
      return undefined;
    });
    const store = memoryStore();
    const summary = await backfill({ bucket: BUCKET, prefixes: ['el/'], list: lister(keys, 1000), deps: deps(api, {}, completeAll(api)), shape: 'entrylist', checkpoint: store });
    expect(summary.status).toBe('complete');
    const calls = importCalls(api);
    expect(calls.length).toBeGreaterThan(4);
    for (const call of calls) {
      expect(exclusive(call)).toEqual(['EntryList']);
      expect(Buffer.byteLength(String(call['EntryList']))).toBeLessThanOrEqual(65_535);
    }
    const entries = calls.flatMap((c) => JSON.parse(String(c['EntryList'])) as string[]);
    expect(entries.sort()).toEqual(keys.map((k) => `/${k}`).sort());
    expect(maxRunning).toBeLessThanOrEqual(4);
    expect(api.count('DescribeDataFlowTasks')).toBeGreaterThan(0);
    expect(summary.overall.submitted).toBe(400);
    expect(store.current()?.prefixIndex).toBe(1);
  });

  it('waits out OperationDenied.DependencyViolation instead of failing', async () => {
    const api = new FakeDataFlowApi();
    let refusals = 2;
    api.fail((operation) => (operation === 'CreateDataFlowTask' && refusals-- > 0 ? nasError('OperationDenied.DependencyViolation', false, 403, 'CreateDataFlowTask') : undefined));
    const events: string[] = [];
    const summary = await backfill({ bucket: BUCKET, prefixes: ['el/'], list: lister(keys.slice(0, 10), 1000), deps: deps(api, {}, completeAll(api)), shape: 'entrylist', onProgress: (e) => events.push(e.type) });
    expect(summary.status).toBe('complete');
    expect(events.filter((t) => t === 'bulk-wait')).toHaveLength(2);
    expect(api.importTasks()).toHaveLength(1);
  });

  it('checkpoints each fully accepted page; a stop before a page leaves it for the next run', async () => {
    const api = new FakeDataFlowApi();
    let creates = 0;
    api.fail((operation) => (operation === 'CreateDataFlowTask' && ++creates === 2 ? nasError('Forbidden.RAM', false, 403, 'CreateDataFlowTask') : undefined));
    const store = memoryStore();
    const base = { bucket: BUCKET, prefixes: ['el/'], list: lister(keys.slice(0, 120), 60), shape: 'entrylist' as const, checkpoint: store };
    const first = await backfill({ ...base, deps: deps(api, {}, completeAll(api)) });
    expect(first.status).toBe('error');
    expect(store.current()?.startAfter).toBe(keys[59]);
    api.clearFailures();
    const second = await backfill({ ...base, deps: deps(api, {}, completeAll(api)) });
    expect(second.status).toBe('complete');
    // Page 1 once (its task accepted before the stop), page 2 once (after the fix): every key in exactly one task.
    const entries = api.importTasks().flatMap((t) => JSON.parse(t.EntryList ?? '[]') as string[]);
    expect(entries.sort()).toEqual(keys.slice(0, 120).map((k) => `/${k}`).sort());
    expect(second.run.pages).toBe(1);
  });
});

describe('directory shape', () => {
  it('sends one Import per prefix with Directory only, and resumes past accepted prefixes', async () => {
    const api = new FakeDataFlowApi();
    const d = deps(api);
    const decision = chooseShape({ requested: 'auto', prefixes: ['a/', 'b/'], hasExclude: false, planning: d.config.planning, fileSystemKind: 'lingjun', bucketConfigured: true });
    expect(decision.shape).toBe('directory');
    const store = memoryStore();
    let creates = 0;
    api.fail((operation) => (operation === 'CreateDataFlowTask' && ++creates === 2 ? nasError('ServiceUnavailable', true, 503, 'CreateDataFlowTask') : undefined));
    const base = { bucket: BUCKET, prefixes: ['a/', 'b/'], list: lister([], 1), shape: 'directory' as const, directoryImports: decision.directoryImports ?? [], checkpoint: store };
    const first = await backfill({ ...base, deps: d });
    expect(first.status).toBe('error');
    expect(first.error?.retryable).toBe(true);
    expect(store.current()?.prefixIndex).toBe(1);
    api.clearFailures();
    const second = await backfill({ ...base, deps: deps(api) });
    expect(second.status).toBe('complete');
    const calls = importCalls(api);
    expect(calls.map((c) => [c['Directory'], c['DstDirectory']])).toEqual([['/a/', '/a/'], ['/b/', '/b/'], ['/b/', '/b/']]);
    for (const call of calls) expect(exclusive(call)).toEqual(['Directory']);
    expect(api.importTasks()).toHaveLength(2);
    expect(api.count('CreateDataFlowSubTask')).toBe(0);
  });
});

describe('checkpoints across shapes', () => {
  it('refuses to resume a checkpoint written by another shape, naming --shape', async () => {
    const api = new FakeDataFlowApi();
    const store = memoryStore();
    const keys = ['ds/a.bin', 'ds/b.bin'];
    const first = await backfill({ bucket: BUCKET, prefixes: ['ds/'], list: lister(keys, 10), deps: deps(api), checkpoint: store });
    expect(first.status).toBe('complete');
    expect(store.current()?.shape).toBeUndefined();
    await expect(backfill({ bucket: BUCKET, prefixes: ['ds/'], list: lister(keys, 10), deps: deps(api), checkpoint: store, shape: 'entrylist' })).rejects.toThrow(/shape objects.*--shape/);
  });
});
