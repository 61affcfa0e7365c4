/**
 * The reconcile use case (functions/reconcile/reconcile.ts) over a mocked S3 listing and the FakeDataFlowApi:
 * prefixes, watermark and safety margin, resuming a sweep cut by the deadline; and its OSS state store.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException, type GetObjectCommandOutput, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ossPageLister } from '../../../../shared/backfill.js';
import { loadConfig } from '../../../../shared/config/load-config.js';
import { ConfigError, ResponseShapeError } from '../../../../shared/errors.js';
import { InstanceState, type IngestDeps } from '../../../../shared/ingest/index.js';
import { createLogger } from '../../../../shared/log.js';
import { OssApiError } from '../../../../shared/oss/errors.js';
import { ossStateStore } from '../../../../functions/reconcile/oss-state-store.js';
import { reconcilePrefixes, runReconcile } from '../../../../functions/reconcile/reconcile.js';
import { memoryStateStore, STATE_KEY } from '../../../../functions/reconcile/state.js';
import { FakeDataFlowApi } from '../../../support/fake-data-flow-api.js';
import { VerifyFakeApi } from '../../../support/fake-verify-api.js';

const BUCKET = 'rc-bucket';
const T0 = Date.UTC(2024, 6, 1, 12, 0, 0);
const s3 = mockClient(S3Client);
let client: S3Client;
beforeEach(() => {
  s3.reset();
  client = new S3Client({ region: 'cn-hangzhou', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
});
afterEach(() => client.destroy());

function listing(objects: Array<[key: string, modifiedMs: number]>, next?: string): ListObjectsV2CommandOutput {
  return {
    $metadata: {},
    Contents: objects.map(([key, ms]) => ({ Key: key, Size: 3, ETag: '"E"', LastModified: new Date(ms) })),
    IsTruncated: next !== undefined,
    ...(next !== undefined ? { NextContinuationToken: next } : {}),
  };
}

const baseEnv = { CPFS_FILE_SYSTEM_ID: 'bmcpfs-rc0001', CPFS_DATA_FLOW_ID: 'df-rc0001', FC_REGION: 'cn-hangzhou', OSS_BUCKET: BUCKET, CPFS_RECONCILE_SAFETY_MARGIN_SECONDS: '300' };

function world(env: Record<string, string> = {}) {
  let now = T0;
  const api = new FakeDataFlowApi();
  const ingest: IngestDeps = {
    config: loadConfig({ ...baseEnv, ...env }),
    api,
    logger: createLogger({ write: () => undefined }),
    state: new InstanceState(),
    now: () => now,
    sleep: async () => undefined,
  };
  const store = memoryStateStore();
  return {
    api,
    store,
    ingest,
    advance: (ms: number) => (now += ms),
    now: () => now,
    run: (deadlineMs = now + 60_000) => runReconcile({ ingest, store, list: ossPageLister({ client, bucket: BUCKET, pageSize: 2 }) }, { deadlineMs }),
  };
}

describe('reconcilePrefixes', () => {
  const config = (env: Record<string, string>) => loadConfig({ ...baseEnv, ...env });
  it('defaults to the SourceStoragePath prefix, else every route prefix, and drops covered ones', () => {
    expect(reconcilePrefixes(config({}))).toEqual(['']);
    expect(reconcilePrefixes(config({ CPFS_SOURCE_STORAGE_PATH: '/data/' }))).toEqual(['data/']);
    const routes = JSON.stringify([
      { prefix: 'data/img/', dstDirectory: '/i/' },
      { prefix: 'data/img/raw/', dstDirectory: '/r/' },
      { prefix: 'data/txt/', dstDirectory: '/t/' },
    ]);
    expect(reconcilePrefixes(config({ CPFS_SOURCE_STORAGE_PATH: '/data/', CPFS_ROUTES: routes }))).toEqual(['data/img/', 'data/txt/']);
    // A route prefix above SourceStoragePath ("") is narrowed to it.
    const catchAll = JSON.stringify([{ prefix: '', dstDirectory: '/all/' }, { prefix: 'data/x/', dstDirectory: '/x/' }]);
    expect(reconcilePrefixes(config({ CPFS_SOURCE_STORAGE_PATH: '/data/', CPFS_ROUTES: catchAll }))).toEqual(['data/']);
    expect(reconcilePrefixes(config({ CPFS_RECONCILE_PREFIXES: 'b/, a/ ,a/x/' }))).toEqual(['a/', 'b/']);
  });
});

describe('runReconcile', () => {
  it('first run: looks back one safety margin, submits what changed, and sets the watermark to its start', async () => {
    const w = world();
    s3.on(ListObjectsV2Command).resolves(listing([['a', T0 - 60_000], ['b', T0 - 3_600_000], [STATE_KEY, T0 - 1000]]));
    const report = await w.run();
    expect(report.status).toBe('complete');
    expect(report.prefixes).toEqual(['']);
    expect(report.sweep).toMatchObject({ resumed: false, complete: true, since: new Date(T0 - 300_000).toISOString() });
    expect(report.run).toMatchObject({ listed: 1, submitted: 1, skippedNotModifiedSince: 1, excluded: 1 });
    expect([...w.api.subTasks.values()].map((s) => s.SrcFilePath)).toEqual(['/a']);
    expect(w.store.current).toMatchObject({ bucket: BUCKET, watermark: new Date(T0).toISOString(), lastRun: { status: 'complete', submitted: 1 } });
    expect(w.store.current?.sweep).toBeUndefined();
  });

  it('next run: objects modified since watermark − margin, including ones already submitted (replays)', async () => {
    const w = world();
    s3.on(ListObjectsV2Command).resolves(listing([['a', T0 - 60_000]]));
    await w.run();
    w.advance(900_000);
    s3.on(ListObjectsV2Command).resolves(listing([['a', T0 - 60_000], ['c', T0 + 600_000]]));
    const report = await w.run();
    expect(report.sweep.since).toBe(new Date(T0 - 300_000).toISOString());
    expect(report.run).toMatchObject({ listed: 2, submitted: 2 });
    expect(w.api.subTasks.size).toBe(2); // `a` was a ClientToken replay
    expect(w.store.current?.watermark).toBe(new Date(T0 + 900_000).toISOString());
  });

  it('a sweep cut by the deadline is saved and resumed by the next run with the same since', async () => {
    const w = world();
    s3.on(ListObjectsV2Command)
      .resolvesOnce(listing([['a', T0], ['b', T0]], 'next'))
      .resolvesOnce(listing([['c', T0], ['d', T0]]));
    // Each sub-task takes 10 s: the first page ends past the point where a second page may start.
    w.api.fail((op) => {
      if (op === 'CreateDataFlowSubTask') w.advance(10_000);
      return undefined;
    });
    const first = await w.run(T0 + 24_000);
    expect(first.status).toBe('deadline');
    expect(first.sweep.complete).toBe(false);
    expect(w.store.current?.sweep?.checkpoint).toMatchObject({ prefixIndex: 0, startAfter: 'b' });
    expect(w.store.current?.watermark).toBeUndefined();

    w.advance(600_000);
    s3.on(ListObjectsV2Command).resolves(listing([['c', T0], ['d', T0]]));
    const second = await w.run();
    expect(second.status).toBe('complete');
    expect(second.sweep).toMatchObject({ resumed: true, since: first.sweep.since, startedAt: first.sweep.startedAt });
    expect(s3.commandCalls(ListObjectsV2Command).at(-1)?.args[0].input.StartAfter).toBe('b');
    expect(second.overall.submitted).toBe(4);
    // The watermark is the start of the sweep that just completed, not of this run.
    expect(w.store.current?.watermark).toBe(first.sweep.startedAt);
  });

  it('restarts a sweep whose prefixes changed, keeping its since', async () => {
    const w = world({ CPFS_RECONCILE_PREFIXES: 'new/' });
    await w.store.save({
      version: 1, bucket: BUCKET,
      sweep: {
        startedAt: new Date(T0 - 1000).toISOString(), since: new Date(T0 - 10_000).toISOString(),
        checkpoint: { version: 1, bucket: BUCKET, prefixes: ['old/'], since: new Date(T0 - 10_000).toISOString(), prefixIndex: 0, startAfter: 'old/x', totals: { pages: 0, listed: 0, submitted: 0, ignored: 0, duplicate: 0, rejected: 0, failed: 0, retries: 0, skippedFolderMarkers: 0, skippedNotModifiedSince: 0, excluded: 0 }, updatedAt: new Date(T0).toISOString() },
      },
    });
    s3.on(ListObjectsV2Command).resolves(listing([['new/1', T0]]));
    const report = await w.run();
    expect(report).toMatchObject({ status: 'complete', prefixes: ['new/'], sweep: { since: new Date(T0 - 10_000).toISOString() } });
    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toMatchObject({ Prefix: 'new/' });
    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input.StartAfter).toBeUndefined();
  });

  it('needs OSS_BUCKET', async () => {
    const w = world();
    const ingest = { ...w.ingest, config: loadConfig({ ...baseEnv, OSS_BUCKET: '' }) };
    await expect(runReconcile({ ingest, store: w.store, list: ossPageLister({ client, bucket: BUCKET }) }, { deadlineMs: T0 + 1 })).rejects.toThrow(ConfigError);
  });
});

describe('ossStateStore', () => {
  /** The part of the SDK's streaming body the store uses. */
  const body = (text: string) => ({ transformToString: async () => text }) as unknown as GetObjectCommandOutput['Body'];

  it('loads nothing when the object does not exist, and round-trips a state through PutObject/GetObject', async () => {
    s3.on(GetObjectCommand).rejectsOnce(new S3ServiceException({ name: 'NoSuchKey', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'none' }));
    const store = ossStateStore({ client, bucket: BUCKET });
    expect(await store.load()).toBeUndefined();

    const state = { version: 1 as const, bucket: BUCKET, watermark: '2024-07-01T00:00:00.000Z' };
    s3.on(PutObjectCommand).resolves({});
    await store.save(state);
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put).toMatchObject({ Bucket: BUCKET, Key: '.cpfs-ingest/reconcile-state.json', ContentType: 'application/json' });
    s3.on(GetObjectCommand).resolves({ Body: body(String(put?.Body)) });
    expect(await store.load()).toEqual(state);
  });

  it('refuses a corrupt state object and classifies access errors', async () => {
    const store = ossStateStore({ client, bucket: BUCKET });
    s3.on(GetObjectCommand).resolvesOnce({ Body: body('{not json') }).resolvesOnce({ Body: body('{"version":2}') });
    await expect(store.load()).rejects.toThrow(ResponseShapeError);
    await expect(store.load()).rejects.toThrow(/not a reconcile state/);
    s3.on(PutObjectCommand).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'denied' }));
    const error = await store.save({ version: 1, bucket: BUCKET }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OssApiError);
    expect(error).toMatchObject({ code: 'AccessDenied', operation: 'PutObject', retryable: false });
  });
});

describe('runReconcile: verification on every tick', () => {
  const FLOW = 'df-rc0001';
  const FS = 'bmcpfs-rc0001';
  function verifyWorld() {
    const api = new VerifyFakeApi(FLOW);
    const lines: string[] = [];
    const ingest: IngestDeps = {
      config: loadConfig(baseEnv),
      api,
      logger: createLogger({ write: (line) => lines.push(line) }),
      state: new InstanceState(),
      now: () => T0,
      sleep: async () => undefined,
    };
    const store = memoryStateStore();
    const run = () => runReconcile({ ingest, store, list: ossPageLister({ client, bucket: BUCKET, pageSize: 2 }), objects: { head: async () => ({ size: 3 }) } }, { deadlineMs: T0 + 60_000 });
    const events = () => lines.map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
    return { api, store, run, events };
  }

  it('re-drives failures, counts them, and logs each permanent failure once', async () => {
    const w = verifyWorld();
    s3.on(ListObjectsV2Command).resolves(listing([]));
    const { TaskId } = await w.api.createDataFlowTask({ FileSystemId: FS, DataFlowId: FLOW, TaskAction: 'StreamImport', ConflictPolicy: 'KEEP_LATEST', Directory: '/', DstDirectory: '/', ClientToken: 'seed' });
    w.api.seedSubTask({ src: '/ok', dst: '/ok', status: 'COMPLETE', taskId: TaskId as string, createTime: '2024-07-01 11:00:00', endTime: '2024-07-01 11:00:04' });
    w.api.seedSubTask({ src: '/f', dst: '/f', status: 'FAILED', errorMsg: 'boom', taskId: TaskId as string, createTime: '2024-07-01 11:00:00' });
    for (let i = 1; i <= 3; i += 1) w.api.seedSubTask({ src: '/p', dst: '/dst/p', status: 'FAILED', errorMsg: `no ${i}`, taskId: TaskId as string, createTime: `2024-07-01 11:00:0${i}` });

    const report = await w.run();
    expect(report.verify).toMatchObject({ complete: 1, reDriven: 1, permanent: 1, newlyPermanent: 1, ossCheck: 'done' });
    expect(report.verify.lag).toMatchObject({ count: 1, maxMs: 4000 });
    const alerts = w.events().filter((e) => e.event === 'permanent-failure');
    expect(alerts).toEqual([expect.objectContaining({ level: 'error', key: 'p', destination: '/dst/p', errorMsg: 'no 3' })]);
    expect(w.events().find((e) => e.event === 'reconcile.verify')).toMatchObject({ complete: 1, reDriven: 1, permanent: 1 });

    const second = await w.run();
    expect(second.verify).toMatchObject({ permanent: 1, newlyPermanent: 0, reDriven: 0, inProgress: 1 });
    expect(w.events().filter((e) => e.event === 'permanent-failure')).toHaveLength(1);
    expect(w.api.count('CreateDataFlowSubTask')).toBe(1);
  });
});
