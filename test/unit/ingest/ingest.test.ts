/**
 * The use case (shared/ingest/) against an in-memory DataFlowApi: one outcome per record, grouping per
 * ConflictPolicy, the batch fallback, re-resolution of a lost streaming task, the per-instance caches and
 * the deadline. The clock is injected; sleeping is instant.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../shared/config/load-config.js';
import { DeadlineExceededError } from '../../../shared/errors.js';
import { ingest, InstanceState, type IngestDeps, type RecordOutcome } from '../../../shared/ingest/index.js';
import { createLogger } from '../../../shared/log.js';
import { nativeEnvelope, objectCreatedEvent, toPayload, type OssEventElement } from '../../support/event-factories.js';
import { FakeDataFlowApi, nasError } from '../../support/fake-data-flow-api.js';

const LINGJUN = 'bmcpfs-unit00000001';
const CPFS = 'cpfs-unit00000001';
const FLOW = 'df-unit00000001';
const NOW = Date.UTC(2024, 6, 1, 12, 0, 0);
const ROUTES = [
  { prefix: 'in/keep/', dstDirectory: '/keep/', conflictPolicy: 'KEEP_LATEST' },
  { prefix: 'in/over/', dstDirectory: '/over/', conflictPolicy: 'OVERWRITE_EXISTING' },
];

function config(env: Record<string, string> = {}): Config {
  return loadConfig({
    CPFS_FILE_SYSTEM_ID: LINGJUN,
    CPFS_DATA_FLOW_ID: FLOW,
    CPFS_SOURCE_STORAGE_PATH: '/in/',
    NAS_ENDPOINT: 'http://127.0.0.1:9',
    CPFS_ROUTES: JSON.stringify(ROUTES),
    ...env,
  });
}

interface Harness {
  readonly deps: IngestDeps;
  readonly api: FakeDataFlowApi;
  readonly lines: string[];
  readonly clock: { now: number };
  readonly sleeps: number[];
}

function harness(options: { env?: Record<string, string>; api?: FakeDataFlowApi; state?: InstanceState } = {}): Harness {
  const api = options.api ?? new FakeDataFlowApi();
  const lines: string[] = [];
  const clock = { now: NOW };
  const sleeps: number[] = [];
  const deps: IngestDeps = {
    config: config(options.env),
    api,
    logger: createLogger({ write: (line) => lines.push(line) }),
    state: options.state ?? new InstanceState(),
    now: () => clock.now,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
    },
  };
  return { deps, api, lines, clock, sleeps };
}

const invocation = { deadlineMs: NOW + 60_000 };
const events = (...keys: string[]): OssEventElement[] => keys.map((key) => objectCreatedEvent({ key }));
const payload = (elements: readonly unknown[]) => toPayload(nativeEnvelope(elements));
/** A key of exactly `length` characters under `prefix`, in names of at most 200 characters. */
const longKey = (prefix: string, length: number): string => {
  let key = prefix;
  while (key.length < length - 4) key += `${'n'.repeat(Math.min(200, length - 4 - key.length - 1))}/`;
  return `${key.slice(0, length - 4).replace(/\/$/, 'n')}.bin`;
};
const byKey = (outcomes: readonly RecordOutcome[]) => new Map(outcomes.filter((o) => o.key !== undefined).map((o) => [o.key as string, o]));

describe('ingest — one outcome per record', () => {
  it('gives every record exactly one outcome, for every status', async () => {
    const { deps, api } = harness();
    api.fail((op, params) =>
      op === 'CreateDataFlowSubTask' && (params as { SrcFilePath: string }).SrcFilePath === '/keep/refused.bin' ? nasError('IllegalCharacters', false, 400) : undefined,
    );
    api.fail((op, params) =>
      op === 'CreateDataFlowSubTask' && (params as { SrcFilePath: string }).SrcFilePath === '/keep/busy.bin' ? nasError('Throttling.User', true, 400) : undefined,
    );
    const first = objectCreatedEvent({ key: 'in/keep/twice.bin', eTag: 'AAAA' });
    const report = await ingest(
      payload([
        ...events('in/keep/a.bin', 'in/over/b.bin', 'in/keep/refused.bin', 'in/keep/busy.bin', 'elsewhere/c.bin', 'in/keep/../escape.bin', longKey('in/keep/', 1100)),
        first,
        first, // the same notification delivered twice in one payload
        objectCreatedEvent({ key: 'in/keep/twice.bin', eTag: 'BBBB' }), // a newer version supersedes
        objectCreatedEvent({ key: 'in/keep/gone.bin', eventName: 'ObjectRemoved:DeleteObject' }),
        { eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'ingest-bucket' }, object: { key: 42 } } },
      ]),
      deps,
      invocation,
    );

    const outcomes = byKey(report.outcomes);
    expect(outcomes.get('in/keep/a.bin')).toMatchObject({ status: 'submitted', mode: 'stream', conflictPolicy: 'KEEP_LATEST', srcFilePath: '/keep/a.bin', dstFilePath: '/keep/a.bin' });
    expect(outcomes.get('in/over/b.bin')).toMatchObject({ status: 'submitted', conflictPolicy: 'OVERWRITE_EXISTING' });
    expect(outcomes.get('in/keep/refused.bin')).toMatchObject({ status: 'failed', code: 'IllegalCharacters', retryable: false });
    expect(outcomes.get('in/keep/busy.bin')).toMatchObject({ status: 'failed', code: 'Throttling.User', retryable: true });
    expect(outcomes.get('elsewhere/c.bin')).toMatchObject({ status: 'rejected', kind: 'outside-source-path' });
    expect((outcomes.get('elsewhere/c.bin') as { reason: string }).reason).toContain('outside SourceStoragePath "/in/"');
    expect(outcomes.get('in/keep/../escape.bin')).toMatchObject({ status: 'rejected', kind: 'invalid-path' });
    expect((outcomes.get('in/keep/../escape.bin') as { reason: string }).reason).toMatch(/contains a "\.\." name/);
    const long = [...outcomes.values()].find((o) => o.key?.startsWith('in/keep/nnn'));
    // Longer than any legal key: echoed bounded (shared/text-bound.ts) — prefix, length and hash.
    expect(long?.key).toMatch(/^in\/keep\/[n/]{1016}…\[1100 chars, sha256:[0-9a-f]{16}\]$/);
    expect(long).toMatchObject({ status: 'rejected', kind: 'invalid-path' });
    expect((long as { reason: string }).reason).toMatch(/longer than 1023 characters/);
    expect(outcomes.get('in/keep/gone.bin')).toMatchObject({ status: 'ignored' });
    const twice = report.outcomes.filter((o) => o.key === 'in/keep/twice.bin').map((o) => o.status).sort();
    expect(twice).toEqual(['duplicate', 'duplicate', 'submitted']);
    const malformed = report.outcomes.filter((o) => o.status === 'rejected' && o.kind === 'malformed-event');
    expect(malformed).toHaveLength(1);

    // 7 + 3 + 1 + 1 elements in, each accounted for once.
    expect(report.outcomes).toHaveLength(12);
    expect(report.counts).toEqual({ submitted: 3, ignored: 1, duplicate: 2, rejected: 4, failed: 2 });
    expect(report.retryableFailures).toBe(1);
    expect(report.mode).toBe('stream');
    expect(report.dryRun).toBe(false);
  });

  it('counts only retryable failures in retryableFailures', async () => {
    const { deps, api } = harness();
    api.fail((op) => (op === 'CreateDataFlowSubTask' ? nasError('InternalError', true, 500) : undefined));
    const report = await ingest(payload(events('in/keep/a.bin', 'in/keep/b.bin')), deps, invocation);
    expect(report.counts.failed).toBe(2);
    expect(report.retryableFailures).toBe(2);

    const permanent = harness();
    permanent.api.fail((op) => (op === 'CreateDataFlowSubTask' ? nasError('InvalidParameter.InvalidFormat', false, 404) : undefined));
    const report2 = await ingest(payload(events('in/keep/a.bin')), permanent.deps, invocation);
    expect(report2.counts.failed).toBe(1);
    expect(report2.retryableFailures).toBe(0);
  });
});

describe('ingest — stream mode', () => {
  it('opens one StreamImport task per ConflictPolicy and puts each object in its own', async () => {
    const { deps, api } = harness();
    const report = await ingest(payload(events('in/keep/1.bin', 'in/over/2.bin', 'in/keep/3.bin', 'in/over/4.bin')), deps, invocation);
    expect(report.counts.submitted).toBe(4);
    const streams = api.streamTasks();
    expect(streams.map((t) => t.ConflictPolicy).sort()).toEqual(['KEEP_LATEST', 'OVERWRITE_EXISTING']);
    expect(streams.every((t) => t.Directory === '/' && t.DstDirectory === '/' && t.CreateDirIfNotExist === true)).toBe(true);
    const policyOf = new Map(streams.map((t) => [t.TaskId, t.ConflictPolicy]));
    for (const sub of api.subTasks.values()) {
      expect(policyOf.get(sub.DataFlowTaskId)).toBe(sub.SrcFilePath.startsWith('/keep/') ? 'KEEP_LATEST' : 'OVERWRITE_EXISTING');
      expect(sub.Size).toBe(1024);
    }
    for (const outcome of report.outcomes) {
      if (outcome.status === 'submitted') expect(policyOf.get(outcome.taskId as string)).toBe(outcome.conflictPolicy);
    }
  });

  it('reuses an Executing task it finds instead of creating one', async () => {
    const api = new FakeDataFlowApi();
    const first = harness({ api });
    await ingest(payload(events('in/keep/1.bin')), first.deps, invocation);
    const second = harness({ api }); // another instance: empty caches
    await ingest(payload(events('in/keep/2.bin')), second.deps, invocation);
    expect(api.streamTasks()).toHaveLength(1);
    expect(api.count('CreateDataFlowTask')).toBe(1);
  });

  it('waits for a Pending streaming task to reach Executing', async () => {
    const { deps, api, sleeps } = harness();
    api.newStreamStatus = 'Pending';
    let looks = 0;
    api.fail((op) => {
      if (op === 'DescribeDataFlowTasks' && ++looks === 3) for (const t of api.streamTasks()) api.setStatus(t.TaskId, 'Executing');
      return undefined;
    });
    const report = await ingest(payload(events('in/keep/1.bin')), deps, invocation);
    expect(report.counts.submitted).toBe(1);
    expect(sleeps).toEqual([1000]);
    expect(api.streamTasks()).toHaveLength(1);
  });

  it('remembers submitted sub-tasks per instance: a replay sends nothing again', async () => {
    const { deps, api } = harness();
    const event = payload(events('in/keep/1.bin', 'in/over/2.bin'));
    const first = await ingest(event, deps, invocation);
    const callsAfterFirst = api.calls.length;
    const replay = await ingest(event, deps, invocation);
    expect(api.calls.length).toBe(callsAfterFirst);
    expect(replay.outcomes.map((o) => (o.status === 'submitted' ? o.subTaskId : o.status))).toEqual(
      first.outcomes.map((o) => (o.status === 'submitted' ? o.subTaskId : o.status)),
    );

    // A new instance has no cache: it calls again, and the ClientTokens give back the same sub-tasks.
    const other = harness({ api });
    const elsewhere = await ingest(event, other.deps, invocation);
    expect(api.count('CreateDataFlowSubTask')).toBe(4);
    expect(api.subTasks.size).toBe(2);
    expect(elsewhere.outcomes.map((o) => (o.status === 'submitted' ? o.subTaskId : undefined))).toEqual(
      first.outcomes.map((o) => (o.status === 'submitted' ? o.subTaskId : undefined)),
    );
  });

  it('re-resolves a streaming task that vanished, once, and goes on in the new one', async () => {
    const { deps, api } = harness();
    await ingest(payload(events('in/keep/1.bin')), deps, invocation);
    const [old] = api.streamTasks();
    api.removeTask(old!.TaskId);

    const report = await ingest(payload(events('in/keep/2.bin', 'in/keep/3.bin')), deps, invocation);
    expect(report.counts.submitted).toBe(2);
    const streams = api.streamTasks();
    expect(streams).toHaveLength(1);
    expect(streams[0]!.TaskId).not.toBe(old!.TaskId);
    expect(report.outcomes.every((o) => o.status === 'submitted' && o.taskId === streams[0]!.TaskId)).toBe(true);
  });

  it('replaces a vanished task whose ClientToken the service still answers with the dead id', async () => {
    // Only one task ever existed and it vanished from the list: the 'initial' token is spent on it.
    const { deps, api } = harness();
    await ingest(payload(events('in/keep/1.bin')), deps, invocation);
    const [old] = api.streamTasks();
    api.removeTask(old!.TaskId);
    const fresh = harness({ api }); // a cold instance: no cached task, it must create
    const report = await ingest(payload(events('in/keep/2.bin')), fresh.deps, invocation);
    expect(report.counts.submitted).toBe(1);
    const streams = api.streamTasks();
    expect(streams).toHaveLength(1);
    expect(streams[0]!.TaskId).not.toBe(old!.TaskId);
    expect(fresh.lines.some((l) => l.includes('"stream.task.unlisted"'))).toBe(true);
    // Two creates: the token replay answering the vanished id, then a new generation.
    expect(api.count('CreateDataFlowTask')).toBe(3);
  });

  it('gives up retryably, without waiting for the deadline, when every task it creates ends at once', async () => {
    const { deps, api, sleeps } = harness();
    api.newStreamStatus = 'Failed';
    const report = await ingest(payload(events('in/keep/1.bin')), deps, invocation);
    expect(report.outcomes).toEqual([expect.objectContaining({ status: 'failed', code: 'StreamTaskUnavailable', retryable: true })]);
    expect(api.streamTasks()).toHaveLength(3);
    // Each create used the failed task before it as generation: three different tokens.
    expect(new Set(api.streamTasks().map((t) => t.ClientToken)).size).toBe(3);
    expect(sleeps).toEqual([]);
  });

  it('replaces a Canceled task with a new generation', async () => {
    const { deps, api } = harness();
    await ingest(payload(events('in/keep/1.bin')), deps, invocation);
    const [old] = api.streamTasks();
    api.setStatus(old!.TaskId, 'Canceled');
    const report = await ingest(payload(events('in/keep/2.bin')), deps, invocation);
    expect(report.counts.submitted).toBe(1);
    const live = api.streamTasks().filter((t) => t.Status === 'Executing');
    expect(live).toHaveLength(1);
    expect(live[0]!.ClientToken).not.toBe(old!.ClientToken);
  });

  it('blocks the rest of the group when re-resolution finds the same dead task', async () => {
    const { deps, api } = harness({ env: { CPFS_MAX_CONCURRENCY: '2' } });
    await ingest(payload(events('in/keep/0.bin')), deps, invocation);
    const [task] = api.streamTasks();
    // The service refuses sub-tasks for the task, but still lists it as Executing.
    api.fail((op) => (op === 'CreateDataFlowSubTask' ? nasError('InvalidTaskId.NotFound', false, 404) : undefined));
    const subCallsBefore = api.count('CreateDataFlowSubTask');
    const keys = Array.from({ length: 10 }, (_, i) => `in/keep/${i + 1}.bin`);
    const report = await ingest(payload(events(...keys)), deps, invocation);
    expect(report.counts.failed).toBe(10);
    expect(report.outcomes.every((o) => o.status === 'failed' && o.code === 'InvalidTaskId.NotFound' && !o.retryable)).toBe(true);
    // Only the calls in flight when the task was lost were made; the rest failed without a call.
    expect(api.count('CreateDataFlowSubTask') - subCallsBefore).toBeLessThanOrEqual(2);
    expect(api.streamTasks().map((t) => t.TaskId)).toEqual([task!.TaskId]);
  });

  it('blocks the group with the re-resolution error when no new task can be created', async () => {
    const { deps, api } = harness();
    await ingest(payload(events('in/keep/0.bin')), deps, invocation);
    const [task] = api.streamTasks();
    api.removeTask(task!.TaskId);
    api.fail((op) => (op === 'CreateDataFlowTask' ? nasError('OperationDenied.InvalidState', true, 403, 'CreateDataFlowTask') : undefined));
    const report = await ingest(payload(events('in/keep/1.bin', 'in/keep/2.bin', 'in/keep/3.bin')), deps, invocation);
    expect(report.counts.failed).toBe(3);
    expect(report.outcomes.every((o) => o.status === 'failed' && o.code === 'OperationDenied.InvalidState' && o.retryable)).toBe(true);
    expect(report.retryableFailures).toBe(3);
  });

  it('falls back to packed Import tasks in auto mode on LINGJUN without StreamImport, and remembers it', async () => {
    const state = new InstanceState();
    const { deps, api } = harness({ state });
    api.fail((op, params) => {
      const p = params as { TaskAction?: string; CreateDirIfNotExist?: boolean };
      if (op !== 'CreateDataFlowTask') return undefined;
      if (p.TaskAction === 'StreamImport' || p.CreateDirIfNotExist === true) return nasError('InvalidFilesystemVersion.NotSupport', false, 400, 'CreateDataFlowTask');
      return undefined;
    });
    const report = await ingest(payload(events('in/keep/1.bin', 'in/keep/sub/2.bin', 'in/over/3.bin')), deps, invocation);
    expect(report.mode).toBe('batch');
    expect(report.counts.submitted).toBe(3);
    expect(state.streamImportUnsupported).toBe(true);
    // A LINGJUN without StreamImport is older than 2.6, where CreateDirIfNotExist takes no effect: never sent.
    expect(state.createDirUnsupported).toBe(false);
    const imports = api.calls
      .filter((c) => c.operation === 'CreateDataFlowTask' && (c.params as { TaskAction?: string }).TaskAction === 'Import')
      .map((c) => c.params as { ConflictPolicy?: string; Directory?: string; DstDirectory?: string; EntryList?: string });
    // Route directories equal to the key paths: no Directory (exclusive with EntryList), DstDirectory /.
    expect(imports.map((t) => [t.ConflictPolicy, t.Directory, t.DstDirectory, JSON.parse(t.EntryList as string)])).toEqual([
      ['KEEP_LATEST', undefined, '/', ['/in/keep/1.bin', '/in/keep/sub/2.bin']],
      ['OVERWRITE_EXISTING', undefined, '/', ['/in/over/3.bin']],
    ]);
    expect(api.calls.filter((c) => c.operation === 'CreateDataFlowTask' && (c.params as { TaskAction?: string }).TaskAction === 'Import').every((c) => (c.params as { CreateDirIfNotExist?: boolean }).CreateDirIfNotExist === undefined)).toBe(true);

    // The groups' streaming tasks are resolved concurrently: each of the two policies asked once.
    expect(api.count('DescribeDataFlowTasks')).toBe(2);
    const streamCreates = () => api.calls.filter((c) => c.operation === 'CreateDataFlowTask' && (c.params as { TaskAction: string }).TaskAction === 'StreamImport').length;
    const before = streamCreates();
    const next = await ingest(payload(events('in/keep/4.bin')), deps, invocation);
    expect(next.mode).toBe('batch');
    expect(before).toBe(2);
    expect(streamCreates()).toBe(before);
    expect(api.count('DescribeDataFlowTasks')).toBe(2);
  });

  it('does not fall back in stream mode: the records fail as a system failure', async () => {
    const { deps, api } = harness({ env: { CPFS_IMPORT_MODE: 'stream' } });
    api.fail((op) => (op === 'CreateDataFlowTask' ? nasError('InvalidFilesystemVersion.NotSupport', false, 400, 'CreateDataFlowTask') : undefined));
    const report = await ingest(payload(events('in/keep/1.bin')), deps, invocation);
    // Not this record's fault: a system failure, so the handler throws and FC delivers the event to the
    // failure destination rather than reporting success (issue 13, point 2).
    expect(report.outcomes).toEqual([expect.objectContaining({ status: 'failed', code: 'InvalidFilesystemVersion.NotSupport', retryable: false, system: true })]);
    expect(report.systemFailures).toBe(1);
    expect(api.importTasks()).toHaveLength(0);
  });
});

describe('ingest — batch mode', () => {
  it('sends packed Import tasks on general-purpose CPFS, without CreateDirIfNotExist', async () => {
    const { deps, api } = harness({ env: { CPFS_FILE_SYSTEM_ID: CPFS } });
    const report = await ingest(payload(events('in/keep/1.bin', 'in/keep/2.bin')), deps, invocation);
    expect(report.mode).toBe('batch');
    expect(report.outcomes.every((o) => o.status === 'submitted' && o.mode === 'batch' && o.taskId !== undefined && o.subTaskId === undefined)).toBe(true);
    expect(api.importTasks()).toHaveLength(1);
    expect(api.importTasks()[0]!.CreateDirIfNotExist).toBeUndefined();
    expect(api.count('DescribeDataFlowTasks')).toBe(0);
  });

  it('turns the LINGJUN batch-task limit into a retryable failure', async () => {
    const { deps, api } = harness({ env: { CPFS_IMPORT_MODE: 'batch' } });
    api.fail((op, params) =>
      op === 'CreateDataFlowTask' && (params as { ConflictPolicy: string }).ConflictPolicy === 'OVERWRITE_EXISTING' ? nasError('OperationDenied.DependencyViolation', false, 403, 'CreateDataFlowTask') : undefined,
    );
    const report = await ingest(payload(events('in/keep/1.bin', 'in/over/2.bin')), deps, invocation);
    expect(byKey(report.outcomes).get('in/keep/1.bin')).toMatchObject({ status: 'submitted', mode: 'batch' });
    expect(byKey(report.outcomes).get('in/over/2.bin')).toMatchObject({ status: 'failed', code: 'OperationDenied.DependencyViolation', retryable: true });
    expect(report.retryableFailures).toBe(1);
  });

  it('keeps other batch refusals as they are classified', async () => {
    const { deps, api } = harness({ env: { CPFS_IMPORT_MODE: 'batch' } });
    api.fail((op) => (op === 'CreateDataFlowTask' ? nasError('InvalidParameter.SizeTooLarge', false, 404, 'CreateDataFlowTask') : undefined));
    const report = await ingest(payload(events('in/keep/1.bin')), deps, invocation);
    expect(report.outcomes).toEqual([expect.objectContaining({ status: 'failed', code: 'InvalidParameter.SizeTooLarge', retryable: false })]);
  });

  it('replays the same packing with the same ClientToken: no second task', async () => {
    const { deps, api } = harness({ env: { CPFS_IMPORT_MODE: 'batch' } });
    const event = payload(events('in/keep/1.bin', 'in/keep/2.bin'));
    const first = await ingest(event, deps, invocation);
    const second = await ingest(event, deps, invocation);
    expect(api.importTasks()).toHaveLength(1);
    expect(second.outcomes.map((o) => (o.status === 'submitted' ? o.taskId : undefined))).toEqual(first.outcomes.map((o) => (o.status === 'submitted' ? o.taskId : undefined)));
  });
});

describe('ingest — deadline and dry run', () => {
  it('submits nothing once the deadline has passed and reports every record as retryable', async () => {
    const { deps, api, clock } = harness();
    await ingest(payload(events('in/keep/0.bin')), deps, invocation); // the streaming task is cached now
    const calls = api.calls.length;
    clock.now = invocation.deadlineMs;
    const report = await ingest(payload(events('in/keep/1.bin', 'in/keep/2.bin')), deps, invocation);
    expect(api.calls.length).toBe(calls);
    expect(report.outcomes.every((o) => o.status === 'failed' && o.code === new DeadlineExceededError('x').code && o.retryable)).toBe(true);
    expect(report.retryableFailures).toBe(2);
  });

  it('stops between records when the clock passes the deadline mid-batch', async () => {
    const { deps, api, clock } = harness({ env: { CPFS_MAX_CONCURRENCY: '1' } });
    await ingest(payload(events('in/keep/0.bin')), deps, invocation);
    api.fail((op) => {
      if (op === 'CreateDataFlowSubTask') clock.now += 25_000; // each call takes 25 s of the 60 s
      return undefined;
    });
    const report = await ingest(payload(events('in/keep/1.bin', 'in/keep/2.bin', 'in/keep/3.bin', 'in/keep/4.bin')), deps, { deadlineMs: clock.now + 60_000 });
    expect(report.outcomes.map((o) => o.status)).toEqual(['submitted', 'submitted', 'submitted', 'failed']);
    expect(report.retryableFailures).toBe(1);
  });

  it('dry run creates nothing and says so on every outcome', async () => {
    const { deps, api } = harness({ env: { CPFS_DRY_RUN: 'true' } });
    const report = await ingest(payload(events('in/keep/1.bin', 'in/over/2.bin')), deps, invocation);
    expect(report.dryRun).toBe(true);
    expect(report.outcomes.every((o) => o.status === 'submitted' && o.dryRun === true && o.subTaskId === undefined)).toBe(true);
    expect(api.tasks.size).toBe(0);
    expect(api.calls.filter((c) => c.operation === 'CreateDataFlowTask').every((c) => (c.params as { DryRun?: boolean }).DryRun === true)).toBe(true);
  });

  it('dry run with a live streaming task dry-runs each sub-task', async () => {
    const api = new FakeDataFlowApi();
    await ingest(payload(events('in/keep/0.bin')), harness({ api }).deps, invocation);
    const { deps } = harness({ api, env: { CPFS_DRY_RUN: 'true' } });
    const report = await ingest(payload(events('in/keep/1.bin')), deps, invocation);
    expect(report.outcomes).toEqual([expect.objectContaining({ status: 'submitted', dryRun: true, taskId: api.streamTasks()[0]!.TaskId })]);
    expect(api.subTasks.size).toBe(1);
    const last = api.calls.at(-1);
    expect(last?.operation).toBe('CreateDataFlowSubTask');
    expect((last?.params as { DryRun?: boolean }).DryRun).toBe(true);
  });
});
