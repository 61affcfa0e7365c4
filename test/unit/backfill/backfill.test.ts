/**
 * The backfill core (shared/backfill.ts): listing through `ossPageLister` over a mocked S3 client
 * (aws-sdk-client-mock), submission through the real `ingestRecords` over the in-memory FakeDataFlowApi.
 * Checkpoint/resume, deadline, interrupt, retries, and what stops the run versus what is reported.
 */
import { ListObjectsV2Command, S3Client, S3ServiceException, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backfill, emptyTotals, ossPageLister, type BackfillCheckpoint, type BackfillOptions, type BackfillProgress, type CheckpointStore } from '../../../shared/backfill.js';
import { loadConfig } from '../../../shared/config/load-config.js';
import { ValidationError } from '../../../shared/errors.js';
import { InstanceState, type IngestDeps } from '../../../shared/ingest/index.js';
import { createLogger } from '../../../shared/log.js';
import { FakeDataFlowApi, nasError } from '../../support/fake-data-flow-api.js';

const BUCKET = 'bf-bucket';
const s3 = mockClient(S3Client);
let client: S3Client;

beforeEach(() => {
  s3.reset();
  client = new S3Client({ region: 'cn-hangzhou', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
});
afterEach(() => client.destroy());

const LAST_MODIFIED = new Date('2024-05-01T00:00:00Z');

function page(keys: string[], next?: string, lastModified = LAST_MODIFIED): ListObjectsV2CommandOutput {
  return {
    $metadata: {},
    Contents: keys.map((key) => ({ Key: key, Size: 5, ETag: '"ABC"', LastModified: lastModified })),
    KeyCount: keys.length,
    IsTruncated: next !== undefined,
    ...(next === undefined ? {} : { NextContinuationToken: next }),
  };
}

const keysOf = (prefix: string, from: number, count: number) => Array.from({ length: count }, (_, i) => `${prefix}f-${String(from + i).padStart(3, '0')}`);

/** A clock that only moves when told (the fake API's calls do not move it). */
function manualClock(start = Date.UTC(2024, 6, 1)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function deps(api: FakeDataFlowApi, clock = manualClock(), env: Record<string, string> = {}): IngestDeps & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    config: loadConfig({ CPFS_FILE_SYSTEM_ID: 'bmcpfs-bf0001', CPFS_DATA_FLOW_ID: 'df-bf0001', FC_REGION: 'cn-hangzhou', OSS_BUCKET: BUCKET, ...env }),
    api,
    logger: createLogger({ write: () => undefined }),
    state: new InstanceState(),
    now: clock.now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
    sleeps,
  };
}

function memoryStore(initial?: BackfillCheckpoint): CheckpointStore & { saved: BackfillCheckpoint[]; current: () => BackfillCheckpoint | undefined } {
  const saved: BackfillCheckpoint[] = [];
  let current = initial;
  return {
    saved,
    current: () => current,
    load: async () => current,
    save: async (checkpoint) => {
      current = structuredClone(checkpoint);
      saved.push(current);
    },
  };
}

function run(d: IngestDeps, overrides: Partial<BackfillOptions> = {}) {
  const events: BackfillProgress[] = [];
  const promise = backfill({
    bucket: BUCKET,
    prefixes: ['a/'],
    list: ossPageLister({ client, bucket: BUCKET, pageSize: 3, retry: { sleep: async () => undefined } }),
    deps: d,
    onProgress: (event) => events.push(event),
    retryBaseDelayMs: 10,
    ...overrides,
  });
  return { promise, events };
}

const srcPaths = (api: FakeDataFlowApi) => [...api.subTasks.values()].map((s) => s.SrcFilePath).sort();

describe('backfill: listing and checkpoints', () => {
  it('submits every page, including past an empty one, and checkpoints the last key of each page', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce(page(keysOf('a/', 0, 3), 't1'))
      .resolvesOnce(page([], 't2'))
      .resolvesOnce(page(keysOf('a/', 3, 2)));
    const api = new FakeDataFlowApi();
    const store = memoryStore();
    const { promise, events } = run(deps(api), { checkpoint: store });
    const summary = await promise;

    expect(summary.status).toBe('complete');
    expect(summary.run).toMatchObject({ pages: 3, listed: 5, submitted: 5, rejected: 0, failed: 0 });
    expect(srcPaths(api)).toEqual(keysOf('/a/', 0, 5));
    // After page 1: its last key; the empty page keeps it; then the prefix is done.
    expect(store.saved.map((c) => [c.prefixIndex, c.startAfter])).toEqual([[0, 'a/f-002'], [0, 'a/f-002'], [0, 'a/f-004'], [1, undefined]]);
    expect(events.map((e) => e.type)).toEqual(['page', 'page', 'page', 'prefix-done']);
    const calls = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
    expect(calls.map((i) => i.ContinuationToken)).toEqual([undefined, 't1', 't2']);
  });

  it('resumes after the checkpointed key, counting on from the saved totals', async () => {
    s3.on(ListObjectsV2Command).resolves(page(['a/f-003', 'a/f-004']));
    const api = new FakeDataFlowApi();
    const previous: BackfillCheckpoint = {
      version: 1, bucket: BUCKET, prefixes: ['a/'], prefixIndex: 0, startAfter: 'a/f-002',
      totals: { ...emptyTotals(), pages: 1, listed: 3, submitted: 3 }, updatedAt: '2024-07-01T00:00:00.000Z',
    };
    const store = memoryStore(previous);
    const summary = await run(deps(api), { checkpoint: store }).promise;

    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toMatchObject({ Prefix: 'a/', StartAfter: 'a/f-002' });
    expect(srcPaths(api)).toEqual(['/a/f-003', '/a/f-004']);
    expect(summary.run).toMatchObject({ pages: 1, submitted: 2 });
    expect(summary.overall).toMatchObject({ pages: 2, listed: 5, submitted: 5 });
    expect(store.current()).toMatchObject({ prefixIndex: 1, totals: { submitted: 5 } });
  });

  it('lists the prefixes in order and resumes in the second one', async () => {
    s3.on(ListObjectsV2Command, { Prefix: 'a/' }).resolves(page(['a/1']));
    s3.on(ListObjectsV2Command, { Prefix: 'b/' }).resolves(page(['b/1', 'b/2']));
    const api = new FakeDataFlowApi();
    const store = memoryStore();
    const summary = await run(deps(api), { prefixes: ['a/', 'b/'], checkpoint: store }).promise;
    expect(summary.status).toBe('complete');
    expect(srcPaths(api)).toEqual(['/a/1', '/b/1', '/b/2']);
    expect(store.current()?.prefixIndex).toBe(2);
  });

  it('does nothing for a complete checkpoint and refuses one of another backfill', async () => {
    const api = new FakeDataFlowApi();
    const done: BackfillCheckpoint = { version: 1, bucket: BUCKET, prefixes: ['a/'], prefixIndex: 1, totals: emptyTotals(), updatedAt: '2024-07-01T00:00:00.000Z' };
    const summary = await run(deps(api), { checkpoint: memoryStore(done) }).promise;
    expect(summary).toMatchObject({ status: 'complete', alreadyComplete: true });
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);

    await expect(run(deps(api), { prefixes: ['b/'], checkpoint: memoryStore(done) }).promise).rejects.toThrow(ValidationError);
    await expect(run(deps(api), { since: new Date(0), checkpoint: memoryStore(done) }).promise).rejects.toThrow(/another backfill/);
  });

  it('saves at most once per interval but always at the end', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce(page(['a/1'], 't1'))
      .resolvesOnce(page(['a/2'], 't2'))
      .resolvesOnce(page(['a/3']));
    const store = memoryStore();
    const summary = await run(deps(new FakeDataFlowApi()), { checkpoint: store, checkpointIntervalMs: 60_000 }).promise;
    expect(summary.status).toBe('complete');
    // The clock does not move: the first page saves, the next two are skipped, the prefix end is forced.
    expect(store.saved.map((c) => c.startAfter ?? `done:${c.prefixIndex}`)).toEqual(['a/1', 'done:1']);
    expect(store.current()?.totals.submitted).toBe(3);
  });

  it('passes --since to the listing and leaves out excluded keys', async () => {
    s3.on(ListObjectsV2Command).resolves({
      ...page(['a/new', '.cpfs-ingest/state.json']),
      Contents: [
        { Key: 'a/old', Size: 1, ETag: '"A"', LastModified: new Date('2020-01-01T00:00:00Z') },
        { Key: 'a/new', Size: 1, ETag: '"B"', LastModified: new Date('2024-06-01T00:00:00Z') },
        { Key: 'a/dir/', Size: 0, ETag: '"C"', LastModified: new Date('2024-06-01T00:00:00Z') },
        { Key: 'a/.cpfs-ingest/x', Size: 1, ETag: '"D"', LastModified: new Date('2024-06-01T00:00:00Z') },
      ],
    });
    const api = new FakeDataFlowApi();
    const summary = await run(deps(api), { since: new Date('2024-01-01T00:00:00Z'), exclude: (key) => key.includes('.cpfs-ingest/') }).promise;
    expect(srcPaths(api)).toEqual(['/a/new']);
    expect(summary.run).toMatchObject({ listed: 1, submitted: 1, skippedNotModifiedSince: 1, skippedFolderMarkers: 1, excluded: 1 });
  });
});

describe('backfill: failures, retries and stops', () => {
  it('retries records that failed retryably, with backoff, and then finishes the page', async () => {
    s3.on(ListObjectsV2Command).resolves(page(['a/1', 'a/2', 'a/3']));
    const api = new FakeDataFlowApi();
    let throttled = 0;
    api.fail((op, params) => (op === 'CreateDataFlowSubTask' && (params as { SrcFilePath: string }).SrcFilePath === '/a/2' && throttled++ < 2 ? nasError('Throttling.User', true) : undefined));
    const d = deps(api);
    const { promise, events } = run(d, { checkpoint: memoryStore() });
    const summary = await promise;
    expect(summary.status).toBe('complete');
    expect(summary.run).toMatchObject({ submitted: 3, failed: 0, retries: 2 });
    expect(d.sleeps).toEqual([10, 20]);
    expect(events.filter((e) => e.type === 'retry').map((e) => (e.type === 'retry' ? [e.round, e.records, e.firstCode] : []))).toEqual([[1, 1, 'Throttling.User'], [2, 1, 'Throttling.User']]);
    expect(srcPaths(api)).toEqual(['/a/1', '/a/2', '/a/3']);
  });

  it('stops before a page whose records still fail retryably, leaving the checkpoint before it', async () => {
    s3.on(ListObjectsV2Command).resolvesOnce(page(['a/1'], 't1')).resolvesOnce(page(['a/2', 'a/3']));
    const api = new FakeDataFlowApi();
    api.fail((op, params) => (op === 'CreateDataFlowSubTask' && (params as { SrcFilePath: string }).SrcFilePath === '/a/3' ? nasError('ServiceUnavailable', true) : undefined));
    const store = memoryStore();
    const summary = await run(deps(api), { checkpoint: store, maxRetries: 2 }).promise;
    expect(summary.status).toBe('retryable-failures');
    expect(summary.pendingRetryable).toBe(1);
    expect(summary.error).toMatchObject({ code: 'ServiceUnavailable', retryable: true });
    expect(store.current()).toMatchObject({ prefixIndex: 0, startAfter: 'a/1' });
    // Only the fully submitted page is counted; a/2 was sent and will be sent again (a replay) next time.
    expect(summary.run).toMatchObject({ pages: 1, submitted: 1 });
  });

  it('waits for a batch-task slot (LINGJUN: at most 4 Import tasks) instead of stopping', async () => {
    s3.on(ListObjectsV2Command).resolves(page(['a/1', 'a/2']));
    const api = new FakeDataFlowApi();
    let refusals = 0;
    api.fail((op) => (op === 'CreateDataFlowTask' && refusals++ < 1 ? nasError('OperationDenied.DependencyViolation', false, 403, 'CreateDataFlowTask') : undefined));
    const d = deps(api, manualClock(), { CPFS_IMPORT_MODE: 'batch' });
    const summary = await run(d).promise;
    expect(summary.status).toBe('complete');
    expect(summary.run).toMatchObject({ submitted: 2, failed: 0, retries: 1 });
    expect(api.importTasks()).toHaveLength(1);
  });

  it('reports records the service refuses for their own reasons and goes on', async () => {
    s3.on(ListObjectsV2Command).resolves(page(['a/1', 'a/2']));
    const api = new FakeDataFlowApi();
    api.fail((op, params) => (op === 'CreateDataFlowSubTask' && (params as { SrcFilePath: string }).SrcFilePath === '/a/1' ? nasError('IllegalCharacters', false, 400) : undefined));
    const summary = await run(deps(api), { checkpoint: memoryStore() }).promise;
    expect(summary.status).toBe('complete');
    expect(summary.run).toMatchObject({ pages: 1, submitted: 1, failed: 1 });
    expect(summary.reported).toEqual([expect.objectContaining({ status: 'failed', key: 'a/1', code: 'IllegalCharacters' })]);
  });

  it('stops, without skipping anything, on a failure that is not the record’s (credentials)', async () => {
    s3.on(ListObjectsV2Command).resolvesOnce(page(['a/1'], 't1')).resolvesOnce(page(['a/2']));
    const api = new FakeDataFlowApi();
    let calls = 0;
    api.fail((op) => (op === 'CreateDataFlowSubTask' && ++calls > 1 ? nasError('InvalidAccessKeyId.NotFound', false, 404) : undefined));
    const store = memoryStore();
    const summary = await run(deps(api), { checkpoint: store }).promise;
    expect(summary.status).toBe('error');
    expect(summary.error?.code).toBe('InvalidAccessKeyId.NotFound');
    expect(store.current()).toMatchObject({ prefixIndex: 0, startAfter: 'a/1' });
    expect(summary.run.failed).toBe(0);
  });

  it('reports rejected keys with their reasons and counts them', async () => {
    s3.on(ListObjectsV2Command).resolves(page(['a/ok', 'a/bad//name']));
    const summary = await run(deps(new FakeDataFlowApi())).promise;
    expect(summary.run).toMatchObject({ submitted: 1, rejected: 1 });
    expect(summary.reported).toEqual([expect.objectContaining({ status: 'rejected', key: 'a/bad//name', kind: 'invalid-path' })]);
  });

  it('stops at the deadline before starting a page, and a later run resumes there', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce(page(['a/1'], 't1'))
      .resolvesOnce(page(['a/2']));
    const clock = manualClock();
    const api = new FakeDataFlowApi();
    api.fail((op) => {
      if (op === 'CreateDataFlowSubTask') clock.advance(10_000); // each submission takes 10 s
      return undefined;
    });
    const store = memoryStore();
    const first = await run(deps(api, clock), { checkpoint: store, deadlineMs: clock.now() + 12_000, minPageTimeMs: 5_000 }).promise;
    expect(first.status).toBe('deadline');
    expect(store.current()).toMatchObject({ prefixIndex: 0, startAfter: 'a/1' });
    expect(srcPaths(api)).toEqual(['/a/1']);

    s3.on(ListObjectsV2Command).resolves(page(['a/2']));
    const second = await run(deps(api, clock), { checkpoint: store, deadlineMs: clock.now() + 60_000 }).promise;
    expect(second.status).toBe('complete');
    expect(srcPaths(api)).toEqual(['/a/1', '/a/2']);
  });

  it('finishes the page in flight when interrupted, saves, and reports interrupted', async () => {
    s3.on(ListObjectsV2Command).resolvesOnce(page(['a/1'], 't1')).resolvesOnce(page(['a/2']));
    const controller = new AbortController();
    const api = new FakeDataFlowApi();
    api.fail((op) => {
      if (op === 'CreateDataFlowSubTask') controller.abort();
      return undefined;
    });
    const store = memoryStore();
    const summary = await run(deps(api), { checkpoint: store, signal: controller.signal }).promise;
    expect(summary.status).toBe('interrupted');
    expect(srcPaths(api)).toEqual(['/a/1']);
    expect(store.current()).toMatchObject({ startAfter: 'a/1', totals: { submitted: 1 } });
  });

  it('retries a throttled listing (SlowDown) and reports a refused one (AccessDenied) as an error', async () => {
    const slowDown = new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'slow down' });
    s3.on(ListObjectsV2Command).rejectsOnce(slowDown).resolves(page(['a/1']));
    const ok = await run(deps(new FakeDataFlowApi())).promise;
    expect(ok.status).toBe('complete');
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(2);

    s3.reset();
    const denied = new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'denied' });
    s3.on(ListObjectsV2Command).rejects(denied);
    const store = memoryStore();
    const failed = await run(deps(new FakeDataFlowApi()), { checkpoint: store }).promise;
    expect(failed.status).toBe('error');
    expect(failed.error).toMatchObject({ code: 'AccessDenied', retryable: false });
    expect(failed.error?.message).toContain('oss:ListObjects');
  });

  it('a lost checkpoint only re-sends pages: ClientTokens make them replays, not new sub-tasks', async () => {
    s3.on(ListObjectsV2Command).resolves(page(['a/1', 'a/2']));
    const api = new FakeDataFlowApi();
    await run(deps(api)).promise; // no store: nothing remembered
    await run(deps(api)).promise; // a new process, same objects
    expect(api.subTasks.size).toBe(2);
    expect(api.count('CreateDataFlowSubTask')).toBe(4);
  });
});
