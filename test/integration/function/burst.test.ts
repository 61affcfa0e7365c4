/**
 * Bursts through the BUILT function bundle (issue 10 point 2), against the emulator on LINGJUN 2.6 with its
 * S3-compatible OSS endpoint (which verifies SigV4): a batch above CPFS_BURST_THRESHOLD sends the head
 * through sub-tasks and the tail through a manifest Import (OSS_BUCKET set) or EntryList Imports (not set);
 * every object is imported exactly once (the emulator's importCounts), also across a warm and a cold replay
 * of the same payload; the report says `submitted` only for what an Import answer confirmed; a failing
 * manifest PutObject leaves those objects failed retryably, none claimed submitted.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mnsBatch, objectCreatedEvent, type OssEventElement } from '../../support/event-factories.js';
import { loadFunction, type Invocation } from '../../support/function-harness.js';
import { startFunctionWorld, subTasksByPath, FUNCTION_KEY, WORLD, type FunctionWorld } from '../../support/function-world.js';
import { createListingClient, ossPageLister } from '../../../shared/backfill.js';
import { cleanUpBurstManifests } from '../../../shared/bulk/manifest-cleanup.js';
import { objectWriterManifestStore } from '../../../shared/bulk/manifest-writer.js';
import { createNasClient } from '../../../shared/nas/client.js';
import { createS3ObjectWriter } from '../../../shared/oss/s3-object.js';

// Small enough that the handler returns every outcome (shared/handler-result.ts bounds the list at 256 KB).
const COUNT = 600;
const THRESHOLD = 100;

let world: FunctionWorld;
let events: OssEventElement[];

beforeEach(async () => {
  world = await startFunctionWorld();
  events = world.putObjects(Array.from({ length: COUNT }, (_, i) => `incoming/burst/shard-${i % 13}/obj ${i},x.bin`));
});
afterEach(async () => {
  await world?.cleanup();
});

const env = (extra: Record<string, string> = {}) =>
  world.env('lingjun', { CPFS_BURST_THRESHOLD: String(THRESHOLD), CPFS_SUBTASK_RATE: '100000', CPFS_MAX_CONCURRENCY: '32', OSS_BUCKET: WORLD.bucket, OSS_S3_ENDPOINT: world.emulator.url, ...extra });

/** The payload: the burst plus one event for one of our own manifests (which must be ignored). */
const payload = () => mnsBatch([...events, objectCreatedEvent({ key: '.cpfs-ingest/manifests/burst-x/g-y/part-00000.csv', bucket: WORLD.bucket, size: 20 })]);

function importTasks() {
  return [...world.emulator.state.tasks.values()].filter((t) => t.action === 'Import');
}

/** Destinations reached per object (after letting every task finish). */
function importsPerObject(): number[] {
  world.emulator.settle();
  const counts = world.emulator.importCounts();
  return events.map((e) => {
    const dst = `${WORLD.fileSystemPath}${e.oss.object.key.slice('incoming/'.length)}`;
    return counts.get(`${WORLD.lingjun}:${dst}`)?.written ?? 0;
  });
}

function submittedBy(invocation: Invocation) {
  const outcomes = invocation.result?.outcomes ?? invocation.error?.report?.outcomes ?? [];
  const by = { stream: 0, batch: 0 };
  for (const o of outcomes) if (o.status === 'submitted') by[o['mode'] as 'stream' | 'batch'] += 1;
  return by;
}

function manifestFiles(): string[] {
  const root = path.join(world.bucketDir, '.cpfs-ingest/manifests');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.relative(world.bucketDir, path.join(d.parentPath, d.name)));
}

async function invokeOnce(extra: Record<string, string> = {}): Promise<{ invocation: Invocation; fn: ReturnType<typeof loadFunction> }> {
  const fn = loadFunction(env(extra));
  const invocation = await fn.invoke(payload(), world.context(300));
  return { invocation, fn };
}

describe('oss-stream-import bundle — a burst above CPFS_BURST_THRESHOLD (LINGJUN 2.6, OSS_BUCKET set)', () => {
  it('sends the head through sub-tasks and the tail through one manifest Import; each object once, across a warm and a cold replay', async () => {
    const { invocation: first, fn } = await invokeOnce();
    try {
      expect(first.error?.message).toBeUndefined();
      expect(first.result?.counts).toEqual({ submitted: COUNT, ignored: 1, duplicate: 0, rejected: 0, failed: 0 });
      expect(submittedBy(first)).toEqual({ stream: THRESHOLD, batch: COUNT - THRESHOLD });
      // The ignored record is our own manifest key.
      expect(first.result?.outcomes.find((o) => o.status === 'ignored')?.['key']).toBe('.cpfs-ingest/manifests/burst-x/g-y/part-00000.csv');

      expect(world.emulator.state.subTasks.size).toBe(THRESHOLD);
      const imports = importTasks();
      expect(imports).toHaveLength(1);
      expect(imports[0]?.transferFileListPath).toMatch(/^\/\.cpfs-ingest\/manifests\/burst-[0-9a-f]{24}\/g-[0-9a-f]{12}\/$/);
      const files = manifestFiles();
      expect(files).toHaveLength(1);
      const rows = readFileSync(path.join(world.bucketDir, files[0] as string), 'utf8').split('\r\n').filter(Boolean);
      expect(rows).toHaveLength(1 + COUNT - THRESHOLD);
      expect(rows[1]).toBe('"burst/shard-100/obj 100,x.bin",file'.replace('shard-100', `shard-${100 % 13}`));

      expect(importsPerObject().filter((n) => n !== 1)).toEqual([]);

      // Warm replay (same instance) and cold replay (a new instance): nothing new, nothing imported twice.
      const warm = await fn.invoke(payload(), world.context(300));
      expect(warm.result?.counts).toEqual(first.result?.counts);
      const cold = await invokeOnce();
      cold.fn.close();
      expect(cold.invocation.result?.counts).toEqual(first.result?.counts);
      expect(submittedBy(cold.invocation)).toEqual({ stream: THRESHOLD, batch: COUNT - THRESHOLD });
      expect(importTasks()).toHaveLength(1);
      expect(world.emulator.state.subTasks.size).toBe(THRESHOLD);
      expect([...subTasksByPath(world.emulator).values()].filter((ids) => ids.length !== 1)).toEqual([]);
      expect(manifestFiles()).toEqual(files);
      expect(importsPerObject().filter((n) => n !== 1)).toEqual([]);
    } finally {
      fn.close();
    }
  }, 120_000);

  it('reconcile’s cleanup deletes the manifests of a completed burst Import, and only those', async () => {
    const { invocation, fn } = await invokeOnce();
    fn.close();
    expect(invocation.ok).toBe(true);
    const files = manifestFiles();
    expect(files).toHaveLength(1);
    const api = createNasClient({ endpoint: world.emulator.url, credentials: () => FUNCTION_KEY });
    const client = createListingClient({ region: 'cn-hangzhou', ossS3Endpoint: world.emulator.url }, FUNCTION_KEY, { internal: true });
    const cleanup = () => cleanUpBurstManifests({
      api, fileSystemId: WORLD.lingjun, dataFlowId: WORLD.lingjunFlow,
      listKeys: async (prefix) => {
        const keys: string[] = [];
        for await (const page of ossPageLister({ client, bucket: WORLD.bucket })({ prefix })) keys.push(...page.objects.map((o) => o.key));
        return keys;
      },
      store: objectWriterManifestStore(createS3ObjectWriter({ endpoint: world.emulator.url, region: 'cn-hangzhou', bucket: WORLD.bucket, credentials: () => FUNCTION_KEY })),
      deadlineMs: Date.now() + 60_000, now: Date.now,
    });
    // A foreign object under .cpfs-ingest/manifests/ (not a burst directory) is left alone.
    world.putObjects(['.cpfs-ingest/manifests/run-operator/g-1/part-00000.csv']);
    world.emulator.settle();
    expect(importTasks().map((t) => t.status)).toEqual(['Completed']);
    expect(await cleanup()).toEqual({ directories: 1, deleted: 1 });
    expect(manifestFiles()).toEqual(['.cpfs-ingest/manifests/run-operator/g-1/part-00000.csv']);
    // The next run finds the directory empty: nothing more to delete.
    expect(await cleanup()).toEqual({ directories: 1, deleted: 0 });
    // Every object is in place: the manifest was read before it was removed.
    expect(importsPerObject().filter((n) => n !== 1)).toEqual([]);
    client.destroy();
  }, 120_000);

  it('without OSS_BUCKET the tail goes as EntryList Imports, each object once, also on a cold replay', async () => {
    const { invocation: first, fn } = await invokeOnce({ OSS_BUCKET: '' });
    fn.close();
    expect(first.error?.message).toBeUndefined();
    expect(submittedBy(first)).toEqual({ stream: THRESHOLD, batch: COUNT - THRESHOLD });
    const imports = importTasks();
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.every((t) => t.entryList !== undefined && t.transferFileListPath === undefined)).toBe(true);
    expect(imports.reduce((n, t) => n + (t.entryList?.length ?? 0), 0)).toBe(COUNT - THRESHOLD);
    expect(manifestFiles()).toEqual([]);
    expect(importsPerObject().filter((n) => n !== 1)).toEqual([]);

    const cold = await invokeOnce({ OSS_BUCKET: '' });
    cold.fn.close();
    expect(submittedBy(cold.invocation)).toEqual({ stream: THRESHOLD, batch: COUNT - THRESHOLD });
    expect(importTasks()).toHaveLength(imports.length);
    expect(importsPerObject().filter((n) => n !== 1)).toEqual([]);
  }, 120_000);

  it('a batch within the threshold stays on sub-tasks only', async () => {
    const { invocation, fn } = await invokeOnce({ CPFS_BURST_THRESHOLD: String(COUNT) });
    fn.close();
    expect(submittedBy(invocation)).toEqual({ stream: COUNT, batch: 0 });
    expect(importTasks()).toHaveLength(0);
  }, 120_000);

  it('a failing manifest PutObject leaves the tail failed retryably, none of it claimed submitted', async () => {
    const broken = http.createServer((req, res) => {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0"?><Error><Code>ServiceUnavailable</Code><RequestId>rid-burst</RequestId></Error>');
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    try {
      const { invocation, fn } = await invokeOnce({ OSS_S3_ENDPOINT: `http://127.0.0.1:${(broken.address() as AddressInfo).port}` });
      fn.close();
      // The handler throws so that FC replays the event; its report says what happened.
      expect(invocation.ok).toBe(false);
      const report = invocation.error?.report;
      expect(report?.counts).toMatchObject({ submitted: THRESHOLD, failed: COUNT - THRESHOLD });
      expect(report?.retryableFailures).toBe(COUNT - THRESHOLD);
      const failedOutcomes = (report?.outcomes ?? []).filter((o) => o.status === 'failed');
      expect(new Set(failedOutcomes.map((o) => o['code']))).toEqual(new Set(['ServiceUnavailable']));
      expect(submittedBy(invocation)).toEqual({ stream: THRESHOLD, batch: 0 });
      expect(importTasks()).toHaveLength(0);
    } finally {
      await new Promise<void>((resolve) => broken.close(() => resolve()));
    }
  }, 120_000);
});
