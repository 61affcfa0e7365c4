/**
 * Issue 13 at the use-case level (shared/ingest/, shared/handler-result.ts), against the in-memory API
 * with an injected clock:
 * - point 1: `submitted` only for an object version the service confirmed (a create answer for its
 *   version-exact ClientToken); a rewritten object whose old version has a sub-task is NOT "already sent";
 *   cold replays under lasting faults reach the holes (no livelock on one prefix);
 * - point 2: system failures (signature, AccessKey, token, RAM, TLS, missing data flow) fail the
 *   invocation, record-scoped refusals do not;
 * - point 5: keys/messages bounded; the handler result has a maximum size;
 * - point 7: a malformed record keeps its key; empty batches are reported.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/load-config.js';
import { NetworkError } from '../../../shared/errors.js';
import { MAX_RESULT_BYTES, resultOrThrow, RetryableIngestError, summaryOf, SystemFailureError } from '../../../shared/handler-result.js';
import { ingest, InstanceState, type IngestDeps, type IngestReport, type RecordOutcome } from '../../../shared/ingest/index.js';
import { createLogger } from '../../../shared/log.js';
import { isSystemFailure } from '../../../shared/nas/classify.js';
import type { CreateDataFlowSubTaskParams } from '../../../shared/nas/types.js';
import { boundText, MAX_OUTCOME_KEY_CHARS } from '../../../shared/text-bound.js';
import { nativeEnvelope, objectCreatedEvent, toPayload } from '../../support/event-factories.js';
import { FakeDataFlowApi, nasError } from '../../support/fake-data-flow-api.js';

const NOW = Date.UTC(2024, 6, 1, 12, 0, 0);
const ROUTES = [{ prefix: 'in/keep/', dstDirectory: '/keep/', conflictPolicy: 'KEEP_LATEST' }];

function harness(api: FakeDataFlowApi, options: { state?: InstanceState; random?: () => number; env?: Record<string, string> } = {}) {
  const clock = { now: NOW };
  const lines: string[] = [];
  const deps: IngestDeps = {
    config: loadConfig({
      CPFS_FILE_SYSTEM_ID: 'bmcpfs-unit00000001',
      CPFS_DATA_FLOW_ID: 'df-unit00000001',
      CPFS_SOURCE_STORAGE_PATH: '/in/',
      NAS_ENDPOINT: 'http://127.0.0.1:9',
      CPFS_ROUTES: JSON.stringify(ROUTES),
      CPFS_IMPORT_MODE: 'stream',
      CPFS_MAX_CONCURRENCY: '4',
      ...options.env,
    }),
    api,
    logger: createLogger({ write: (line) => lines.push(line) }),
    state: options.state ?? new InstanceState(),
    now: () => clock.now,
    sleep: async (ms) => {
      clock.now += ms;
    },
    ...(options.random ? { random: options.random } : {}),
  };
  return { deps, clock, lines };
}

const keys = (count: number) => Array.from({ length: count }, (_, i) => `in/keep/obj-${String(i).padStart(4, '0')}.bin`);
const batch = (names: readonly string[], size: number) => toPayload(nativeEnvelope(names.map((key) => objectCreatedEvent({ key, size }))));

/** Every CreateDataFlowSubTask call costs `msPerCall` of the injected clock (a machine-independent "slow service"). */
function costPerCall(api: FakeDataFlowApi, clock: { now: number }, msPerCall: number): void {
  api.fail((operation) => {
    if (operation === 'CreateDataFlowSubTask') clock.now += msPerCall;
    return undefined;
  });
}

/** The sub-task id the service holds for `key` at `size` (the exact version), if any. */
function subTaskOfVersion(api: FakeDataFlowApi, key: string, size: number): string | undefined {
  return [...api.subTasks.values()].find((s) => s.SrcFilePath === `/${key.slice('in/'.length)}` && s.Size === size)?.DataFlowSubTaskId;
}

describe('point 1: submitted means this version was confirmed', () => {
  it('overwrites under a short deadline on a cold instance: never "already sent"; each submitted outcome names the new version’s own sub-task', async () => {
    const api = new FakeDataFlowApi();
    const names = keys(200);
    // Version 1 of every object is imported completely.
    const first = harness(api);
    const v1 = await ingest(batch(names, 100), first.deps, { deadlineMs: NOW + 600_000 });
    expect(v1.counts.submitted).toBe(200);

    // Version 2 (new size) arrives at a cold instance whose window holds about 40 sub-task calls.
    const cold = harness(api);
    costPerCall(api, cold.clock, 25);
    const report = await ingest(batch(names, 222), cold.deps, { deadlineMs: NOW + 1_000 });
    expect(report.counts.submitted).toBeGreaterThan(0);
    expect(report.counts.submitted).toBeLessThan(200);
    for (const outcome of report.outcomes) {
      expect(outcome).not.toHaveProperty('earlier');
      if (outcome.status === 'submitted') {
        // The sub-task the outcome names is the one created for version 2, not version 1's.
        expect(outcome.subTaskId, outcome.key).toBe(subTaskOfVersion(api, outcome.key, 222));
      } else {
        expect(outcome).toMatchObject({ status: 'failed', retryable: true });
        expect(subTaskOfVersion(api, (outcome as { key: string }).key, 222), (outcome as { key: string }).key).toBeUndefined();
      }
    }
    expect(report.retryableFailures).toBe(200 - report.counts.submitted);
    expect(() => resultOrThrow(report)).toThrow(RetryableIngestError);
  });

  it('a re-send cut by the deadline is a retryable failure, even when an earlier invocation sent the same path', async () => {
    const api = new FakeDataFlowApi();
    const names = keys(100);
    await ingest(batch(names, 5), harness(api).deps, { deadlineMs: NOW + 600_000 });
    const cold = harness(api);
    // Every call is cut by its deadline: nothing is confirmed in this invocation.
    api.fail((operation) => {
      if (operation !== 'CreateDataFlowSubTask') return undefined;
      cold.clock.now = NOW + 10_000;
      return new NetworkError('dropped');
    });
    const report = await ingest(batch(names, 5), cold.deps, { deadlineMs: NOW + 5_000 });
    expect(report.counts.submitted).toBe(0);
    expect(report.retryableFailures).toBe(100);
  });

  it('a warm replay confirms from memory only for the exact version (the ClientToken carries size and eTag)', async () => {
    const api = new FakeDataFlowApi();
    const state = new InstanceState();
    await ingest(batch(['in/keep/a.bin'], 1), harness(api, { state }).deps, { deadlineMs: NOW + 60_000 });
    const before = api.count('CreateDataFlowSubTask');
    const again = await ingest(batch(['in/keep/a.bin'], 1), harness(api, { state }).deps, { deadlineMs: NOW + 60_000 });
    expect(api.count('CreateDataFlowSubTask')).toBe(before); // same version: from memory
    expect(again.counts.submitted).toBe(1);
    const rewritten = await ingest(batch(['in/keep/a.bin'], 2), harness(api, { state }).deps, { deadlineMs: NOW + 60_000 });
    expect(api.count('CreateDataFlowSubTask')).toBe(before + 1); // new version: sent
    expect(rewritten.outcomes[0]).toMatchObject({ status: 'submitted', subTaskId: subTaskOfVersion(api, 'in/keep/a.bin', 2) });
  });

  it('cold replays under a lasting 35 % drop rate reach every hole: every version gets its sub-task, and success is reported only when all were confirmed', async () => {
    const api = new FakeDataFlowApi();
    const names = keys(300);
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    // A lasting fault: 35 % of sub-task calls dropped before reaching the service, decided by a seeded PRNG.
    api.fail((operation) => (operation === 'CreateDataFlowSubTask' && random() < 0.35 ? new NetworkError('dropped before the service') : undefined));
    let succeeded: IngestReport | undefined;
    const created: number[] = [];
    for (let replay = 0; replay < 30 && succeeded === undefined && created.filter((n) => n === 300).length < 3; replay += 1) {
      const cold = harness(api, { random });
      // About 120 calls per window: far fewer than the 300 objects, as in the case 2.
      api.fail((operation) => {
        if (operation === 'CreateDataFlowSubTask') cold.clock.now += 10;
        return undefined;
      });
      const report = await ingest(batch(names, 9), cold.deps, { deadlineMs: NOW + 1_200 });
      created.push(api.subTasks.size);
      if (report.retryableFailures === 0) succeeded = report;
      // The per-replay clock rule stays but costs nothing once its harness is gone: drop it and re-add the drops.
      api.clearFailures();
      api.fail((operation) => (operation === 'CreateDataFlowSubTask' && random() < 0.35 ? new NetworkError('dropped before the service') : undefined));
    }
    // Progress: the holes were reached — every version has its sub-task.
    for (const key of names) expect(subTaskOfVersion(api, key, 9), key).toBeDefined();
    expect(api.subTasks.size).toBe(300);
    // A cold window cannot confirm 300 versions, so no replay may have claimed success.
    expect(succeeded).toBeUndefined();
    // No livelock: progress never stalls for six replays in a row until all exist (a fixed-prefix resume
    // re-sent the same first items every time and stalled for good). The PRNG is seeded: deterministic.
    const firstComplete = created.indexOf(300);
    expect(firstComplete, JSON.stringify(created)).toBeGreaterThan(0);
    expect(firstComplete, JSON.stringify(created)).toBeLessThan(25);
    for (let i = 6; i <= firstComplete; i += 1) expect(created[i] as number, `replays ${i - 6}..${i}: ${JSON.stringify(created)}`).toBeGreaterThan(created[i - 6] as number);
  });

  it('a hole in the middle does not pin the resume point: the frontier is past it', async () => {
    const api = new FakeDataFlowApi();
    const names = keys(200);
    // Earlier invocation: the first 150 sent except object 20 (a hole).
    await ingest(batch(names.slice(0, 150).filter((_, i) => i !== 20), 3), harness(api).deps, { deadlineMs: NOW + 600_000 });
    const cold = harness(api, { random: () => 0 });
    const sent: string[] = [];
    api.fail((operation, params) => {
      if (operation === 'CreateDataFlowSubTask') sent.push((params as CreateDataFlowSubTaskParams).SrcFilePath);
      return undefined;
    });
    const report = await ingest(batch(names, 3), cold.deps, { deadlineMs: NOW + 600_000 });
    expect(report.counts.submitted).toBe(200);
    // The first sends start near 150 (minus maxConcurrency for a ragged edge), not at the hole.
    const firstIndex = Number(/obj-(\d+)/.exec(sent[0] as string)?.[1]);
    expect(firstIndex).toBeGreaterThanOrEqual(150 - 4);
    expect(firstIndex).toBeLessThanOrEqual(150);
  });
});

describe('point 2: system failures fail the invocation', () => {
  it.each([
    ['SignatureDoesNotMatch', nasError('SignatureDoesNotMatch', false, 400)],
    ['InvalidAccessKeyId.NotFound', nasError('InvalidAccessKeyId.NotFound', false, 404)],
    ['InvalidSecurityToken.MismatchWithAccessKey', nasError('InvalidSecurityToken.MismatchWithAccessKey', false, 400)],
    ['Forbidden.RAM', nasError('Forbidden.RAM', false, 403)],
    ['InvalidDataFlow.NotFound', nasError('InvalidDataFlow.NotFound', false, 404)],
    ['a TLS error', Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' })],
    ['a DNS error behind a NetworkError', new NetworkError('connection failed (ENOTFOUND)', { cause: Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }) })],
  ])('%s: every record failed as a system failure, the handler throws SystemFailureError', async (_name, error) => {
    const api = new FakeDataFlowApi();
    api.fail(() => error);
    const { deps } = harness(api);
    const report = await ingest(batch(keys(3), 1), deps, { deadlineMs: NOW + 60_000 });
    expect(report.systemFailures).toBe(3);
    expect(report.outcomes.every((o) => o.status === 'failed' && o.system === true)).toBe(true);
    expect(() => resultOrThrow(report)).toThrow(SystemFailureError);
  });

  it.each(['IllegalCharacters', 'InvalidParameter.InvalidFormat', 'InvalidParameter.SizeTooLarge'])('%s (record-scoped): reported, the handler returns', async (code) => {
    const api = new FakeDataFlowApi();
    api.fail((operation, params) =>
      operation === 'CreateDataFlowSubTask' && (params as CreateDataFlowSubTaskParams).SrcFilePath.endsWith('0001.bin') ? nasError(code, false, 400) : undefined,
    );
    const report = await ingest(batch(keys(3), 1), harness(api).deps, { deadlineMs: NOW + 60_000 });
    expect(report.systemFailures).toBe(0);
    expect(report.counts).toMatchObject({ submitted: 2, failed: 1 });
    expect(resultOrThrow(report).counts.failed).toBe(1);
  });

  it('the predicate is the one place: codes and causes', () => {
    expect(isSystemFailure(nasError('InvalidSecurityToken.Expired', true, 400))).toBe(true);
    expect(isSystemFailure({ code: 'ConfigError' })).toBe(true);
    expect(isSystemFailure({ code: 'HTTP404' })).toBe(true);
    expect(isSystemFailure({ code: 'HTTP413' })).toBe(false);
    expect(isSystemFailure(nasError('Throttling.User', true, 400))).toBe(false);
    expect(isSystemFailure(nasError('IllegalCharacters', false, 400))).toBe(false);
    expect(isSystemFailure(new NetworkError('connection failed (ECONNRESET)'))).toBe(false);
  });
});

describe('point 5: bounded keys, messages and result', () => {
  it('boundText keeps short text, bounds long text with prefix, length and hash', () => {
    expect(boundText('abc', 10)).toBe('abc');
    const bounded = boundText('x'.repeat(5000), 100);
    expect(bounded).toMatch(/^x{100}…\[5000 chars, sha256:[0-9a-f]{16}\]$/);
    expect(boundText('x'.repeat(5000), 100)).toBe(bounded); // stable
    expect(boundText('x'.repeat(5001), 100)).not.toBe(bounded);
    // Idempotent: bounding a bounded text again changes nothing (ingest and the handler result both bound).
    expect(boundText(bounded, 100)).toBe(bounded);
    // Never splits a surrogate pair.
    expect(boundText(`${'a'.repeat(9)}😀${'b'.repeat(20)}`, 10)).toMatch(/^a{9}…/);
  });

  it('a 10 MB key gives a small result and no huge log line', async () => {
    const api = new FakeDataFlowApi();
    const { deps, lines } = harness(api);
    const huge = `in/keep/${'k'.repeat(10 * 1024 * 1024)}`;
    const report = await ingest(batch([huge], 1), deps, { deadlineMs: NOW + 60_000 });
    const result = JSON.stringify(summaryOf(report));
    expect(result.length).toBeLessThan(4 * MAX_OUTCOME_KEY_CHARS);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(16 * 1024);
  });

  it('1,000 keys of 30 KB give a result within MAX_RESULT_BYTES, with complete counts', async () => {
    const api = new FakeDataFlowApi();
    const { deps } = harness(api);
    const names = Array.from({ length: 1000 }, (_, i) => `in/keep/${String(i).padStart(4, '0')}${'z'.repeat(30 * 1024)}`);
    const report = await ingest(batch(names, 1), deps, { deadlineMs: NOW + 60_000 });
    const result = summaryOf(report);
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThanOrEqual(MAX_RESULT_BYTES);
    expect(result.counts.rejected + result.counts.submitted + result.counts.failed).toBe(1000);
    expect(result.outcomesTruncated).toBe(true);
  });
});

describe('point 7: malformed records keep their key; empty batches are reported', () => {
  const record = (patch: Record<string, unknown>) => {
    const element = objectCreatedEvent({ key: 'in/keep/typed.bin' });
    return { ...element, oss: { ...element.oss, object: { ...element.oss.object, ...patch } } };
  };

  it.each([
    ['eTag: null', { eTag: null }],
    ['size: -1', { size: -1 }],
  ])('%s with a good key: rejected WITH the key', async (_name, patch) => {
    const report = await ingest(toPayload(nativeEnvelope([record(patch), objectCreatedEvent({ key: 'in/keep/ok.bin' })])), harness(new FakeDataFlowApi()).deps, { deadlineMs: NOW + 60_000 });
    const rejected = report.outcomes.find((o): o is Extract<RecordOutcome, { status: 'rejected' }> => o.status === 'rejected');
    expect(rejected).toMatchObject({ key: 'in/keep/typed.bin', kind: 'malformed-event' });
    expect(report.counts.submitted).toBe(1);
  });

  it.each([
    ['CloudEvent data: []', { specversion: '1.0', source: 'acs:oss', type: 'oss:ObjectCreated:PutObject', data: [] }],
    ['MNS body []', [{ specversion: '1.0', source: 'acs:mns', type: 'mns:Queue:SendMessage', data: { messageBody: '[]' } }]],
  ])('%s: one outcome saying the batch was empty', async (_name, payload) => {
    const report = await ingest(toPayload(payload), harness(new FakeDataFlowApi()).deps, { deadlineMs: NOW + 60_000 });
    expect(report.outcomes).toEqual([{ status: 'ignored', reason: expect.stringMatching(/^empty-batch: /) }]);
    expect(report.retryableFailures).toBe(0);
  });
});
