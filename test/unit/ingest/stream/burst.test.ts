/**
 * Bursts (shared/ingest/stream/burst.ts): the pure split and the content-derived manifest names and
 * ClientTokens (same content → same names and tokens; a new version of one object → new ones), and the tail
 * submitter against an in-memory DataFlowApi: submitted only after the parts were written and the Import
 * answered; a write failure fails its objects; a batch-task-limit refusal waits for a slot, then gives up
 * retryably at the deadline.
 */
import { describe, expect, it } from 'vitest';
import type { ManifestStore } from '../../../../shared/bulk/manifest-writer.js';
import { parseManifest } from '../../../../shared/bulk/csv.js';
import { loadConfig } from '../../../../shared/config/load-config.js';
import type { ObjectCreated } from '../../../../shared/events/types.js';
import { InstanceState, type IngestDeps } from '../../../../shared/ingest/index.js';
import { burstBulkShape, burstEntryListClientToken, planBurst, planEntryListImports, planManifestImports, submitBurstTail, BURST_SLOT_POLL_MS } from '../../../../shared/ingest/stream/burst.js';
import { createLogger } from '../../../../shared/log.js';
import { OssApiError } from '../../../../shared/oss/api-error.js';
import { planSubmissions } from '../../../../shared/planning/index.js';
import type { PlannedObject } from '../../../../shared/planning/index.js';
import { FakeDataFlowApi, nasError } from '../../../support/fake-data-flow-api.js';

const NOW = Date.UTC(2026, 10, 30, 4, 0, 0);
const ENV = { CPFS_FILE_SYSTEM_ID: 'bmcpfs-unit00000026', CPFS_DATA_FLOW_ID: 'df-unit00000026', NAS_ENDPOINT: 'http://127.0.0.1:9', CPFS_SOURCE_STORAGE_PATH: '/in/', OSS_BUCKET: 'bkt', CPFS_BURST_THRESHOLD: '2' };
const ROUTES = [
  { prefix: 'in/keep/', dstDirectory: '/landing/keep/' }, // keeps the path: expressible in bulk
  { prefix: 'in/rename/', dstDirectory: '/elsewhere/' }, // renames: sub-tasks only
];

function record(key: string, eTag = 'E1', size = 10): ObjectCreated {
  return { bucket: 'bkt', key, size, eTag, eventName: 'ObjectCreated:PutObject', eventTime: '2026-11-30T04:00:00.000Z' } as ObjectCreated;
}
function items(records: ObjectCreated[]): PlannedObject[] {
  const config = loadConfig({ ...ENV, CPFS_ROUTES: JSON.stringify(ROUTES) });
  return planSubmissions(records, config.planning).items;
}

class MemoryStore implements ManifestStore {
  readonly objects = new Map<string, string>();
  readonly puts: string[] = [];
  failWith: Error | undefined;
  async put(key: string, body: string) {
    this.puts.push(key);
    if (this.failWith) throw this.failWith;
    this.objects.set(key, body);
  }
  async delete(key: string) {
    this.objects.delete(key);
  }
}

function harness(options: { now?: () => number; store?: MemoryStore } = {}) {
  const api = new FakeDataFlowApi();
  const store = options.store ?? new MemoryStore();
  const slept: number[] = [];
  let clock = NOW;
  const deps: IngestDeps = {
    config: loadConfig({ ...ENV, CPFS_ROUTES: JSON.stringify(ROUTES) }),
    api,
    logger: createLogger({ write: () => {} }),
    state: new InstanceState(),
    now: options.now ?? (() => clock),
    sleep: async (ms) => {
      slept.push(ms);
      clock += ms;
    },
    manifests: store,
  };
  return { api, store, deps, slept };
}

describe('planBurst (pure)', () => {
  const group = items([record('in/keep/a'), record('in/keep/b'), record('in/rename/c'), record('in/keep/d'), record('in/keep/e')]);

  it('keeps everything on sub-tasks when bursts are off or the group is within the threshold', () => {
    expect(planBurst(group, undefined, 'manifest')).toMatchObject({ tail: [], shape: 'subtasks' });
    expect(planBurst(group, 5, 'manifest').head).toHaveLength(5);
  });

  it('sends the objects past the threshold bulk; one a bulk request cannot express goes back to sub-tasks', () => {
    const plan = planBurst(group, 2, 'manifest');
    expect(plan.head.map((i) => i.record.key)).toEqual(['in/keep/a', 'in/keep/b', 'in/rename/c']);
    expect(plan.tail.map((i) => i.record.key)).toEqual(['in/keep/d', 'in/keep/e']);
    expect(plan.shape).toBe('manifest');
    expect(planBurst(group, 2, 'entrylist').tail.map((i) => i.record.key)).toEqual(['in/keep/d', 'in/keep/e']);
  });

  it('chooses manifests only on LINGJUN with OSS_BUCKET, a writer and no dry run', () => {
    const lingjun = { fileSystemKind: 'lingjun', bucket: 'bkt', dryRun: false } as const;
    expect(burstBulkShape(lingjun, true)).toBe('manifest');
    expect(burstBulkShape(lingjun, false)).toBe('entrylist');
    expect(burstBulkShape({ ...lingjun, bucket: undefined }, true)).toBe('entrylist');
    expect(burstBulkShape({ ...lingjun, dryRun: true }, true)).toBe('entrylist');
    expect(burstBulkShape({ ...lingjun, fileSystemKind: 'general' }, true)).toBe('entrylist');
  });
});

describe('manifest names and ClientTokens derive from content', () => {
  const tail = items([record('in/keep/x/1'), record('in/keep/x/2,"q"')]);

  it('names parts .cpfs-ingest/manifests/burst-<hash>/g-<group>/part-NNNNN.csv and points the Import at their directory', () => {
    const [plan, ...more] = planManifestImports(tail, true);
    expect(more).toEqual([]);
    expect(plan?.parts.map((p) => p.key)).toEqual([expect.stringMatching(/^\.cpfs-ingest\/manifests\/burst-[0-9a-f]{24}\/g-[0-9a-f]{12}\/part-00000\.csv$/)]);
    expect(parseManifest(plan?.parts[0]?.body ?? '')).toEqual([{ name: 'keep/x/1', type: 'file' }, { name: 'keep/x/2,"q"', type: 'file' }]);
    expect(plan?.request).toMatchObject({ TaskAction: 'Import', DstDirectory: '/landing/', ConflictPolicy: 'KEEP_LATEST', CreateDirIfNotExist: true });
    expect(`/${plan?.parts[0]?.key}`.startsWith(plan?.request.TransferFileListPath ?? '?')).toBe(true);
    expect(plan?.request.ClientToken).toMatch(/^cpfs-mf-[0-9a-f]{48}$/);
    expect(plan?.request.EntryList).toBeUndefined();
  });

  it('is the same for the same content (a replay), different for a new version of one object', () => {
    const again = planManifestImports(items([record('in/keep/x/1'), record('in/keep/x/2,"q"')]), true);
    expect(again).toEqual(planManifestImports(tail, true));
    const changed = planManifestImports(items([record('in/keep/x/1'), record('in/keep/x/2,"q"', 'E2')]), true);
    expect(changed[0]?.parts[0]?.key).not.toBe(again[0]?.parts[0]?.key);
    expect(changed[0]?.request.ClientToken).not.toBe(again[0]?.request.ClientToken);
    const resized = planManifestImports(items([record('in/keep/x/1', 'E1', 11), record('in/keep/x/2,"q"')]), true);
    expect(resized[0]?.request.ClientToken).not.toBe(again[0]?.request.ClientToken);
  });

  it('cuts parts at the row limit, every part under the same directory', () => {
    const many = items(Array.from({ length: 5 }, (_, i) => record(`in/keep/m/${i}`)));
    const [plan] = planManifestImports(many, false, 2);
    expect(plan?.parts.map((p) => p.key.slice(-14))).toEqual(['part-00000.csv', 'part-00001.csv', 'part-00002.csv']);
    expect(plan?.request.CreateDirIfNotExist).toBeUndefined();
  });

  it('EntryList Imports carry a token over the list and every entry’s size and eTag', () => {
    const [batch] = planEntryListImports(tail);
    expect(batch?.clientToken).toMatch(/^cpfs-bel-[0-9a-f]{48}$/);
    expect(batch?.clientToken).toBe(burstEntryListClientToken(batch!));
    const [other] = planEntryListImports(items([record('in/keep/x/1'), record('in/keep/x/2,"q"', 'E9')]));
    expect(other?.entryList).toBe(batch?.entryList);
    expect(other?.clientToken).not.toBe(batch?.clientToken);
  });
});

describe('submitBurstTail', () => {
  const tail = () => items([record('in/keep/t/1'), record('in/keep/t/2'), record('in/keep/u/3')]);
  const invocation = { deadlineMs: NOW + 60_000 };

  it('writes the parts, then creates the Import; submitted with its TaskId; a replay gets the same task', async () => {
    const { api, store, deps } = harness();
    const outcomes = await submitBurstTail(tail(), 'manifest', deps, invocation);
    expect(outcomes.map((o) => o.status)).toEqual(['submitted', 'submitted', 'submitted']);
    const [task] = api.importTasks();
    expect(api.importTasks()).toHaveLength(1);
    expect(outcomes.every((o) => o.status === 'submitted' && o.mode === 'batch' && o.taskId === task?.TaskId)).toBe(true);
    expect(store.objects.size).toBe(1);
    const replay = await submitBurstTail(tail(), 'manifest', deps, invocation);
    expect(replay).toEqual(outcomes);
    expect(api.importTasks()).toHaveLength(1);
  });

  it('a failed part write fails its objects (retryable by the error) and sends no Import', async () => {
    const store = new MemoryStore();
    store.failWith = new OssApiError('SlowDown', 503, true, 'PutObject', 'bkt', '.cpfs-ingest/manifests/x', 1);
    const { api, deps } = harness({ store });
    const outcomes = await submitBurstTail(tail(), 'manifest', deps, invocation);
    expect(outcomes.map((o) => (o.status === 'failed' ? [o.code, o.retryable] : o.status))).toEqual([['SlowDown', true], ['SlowDown', true], ['SlowDown', true]]);
    expect(api.count('CreateDataFlowTask')).toBe(0);
  });

  it('a refused part write (AccessDenied: the role lacks the manifest grant) is a system failure, not a per-object refusal', async () => {
    const store = new MemoryStore();
    store.failWith = new OssApiError('AccessDenied', 403, false, 'PutObject', 'bkt', '.cpfs-ingest/manifests/x', 1);
    const { api, deps } = harness({ store });
    const outcomes = await submitBurstTail(tail(), 'manifest', deps, invocation);
    expect(outcomes.map((o) => (o.status === 'failed' ? [o.code, o.retryable, o.system] : o.status))).toEqual([
      ['AccessDenied', false, true], ['AccessDenied', false, true], ['AccessDenied', false, true],
    ]);
    expect(api.count('CreateDataFlowTask')).toBe(0);
  });

  it('waits for a batch-task slot on the limit refusal, then submits', async () => {
    const { api, deps, slept } = harness();
    let refusals = 2;
    api.fail((operation) => (operation === 'CreateDataFlowTask' && refusals-- > 0 ? nasError('OperationDenied.DependencyViolation', false, 403, 'CreateDataFlowTask') : undefined));
    const outcomes = await submitBurstTail(tail(), 'entrylist', deps, invocation);
    expect(outcomes.every((o) => o.status === 'submitted')).toBe(true);
    expect(slept).toEqual([BURST_SLOT_POLL_MS, BURST_SLOT_POLL_MS]);
  });

  it('gives up retryably when no slot frees up before the deadline', async () => {
    const { api, deps } = harness();
    api.fail((operation) => (operation === 'CreateDataFlowTask' ? nasError('OperationDenied.DependencyViolation', false, 403, 'CreateDataFlowTask') : undefined));
    const outcomes = await submitBurstTail(tail(), 'manifest', deps, invocation);
    expect(outcomes.map((o) => (o.status === 'failed' ? [o.code, o.retryable] : o.status))).toEqual([['DeadlineExceeded', true], ['DeadlineExceeded', true], ['DeadlineExceeded', true]]);
    expect(api.importTasks()).toHaveLength(0);
  });
});
