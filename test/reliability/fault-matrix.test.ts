/**
 * Fault matrix, transport faults: a batch of 200 OSS objects (keys with spaces, `+`, `%`, CJK, emoji; two
 * routes with two ConflictPolicies, hence two StreamImport tasks; plus records that must be rejected) is
 * ingested through `createRuntime` + `runIngestInvocation` against the emulator while the emulator injects
 * one kind of fault. The invocation is replayed the way FC's async retries replay it (same event, again,
 * while it fails retryably), alternating warm and cold instances. Then the emulator is settled and every
 * object must be imported EXACTLY ONCE: one COMPLETE sub-task per (SrcFilePath, DstFilePath), in the
 * streaming task of its route's ConflictPolicy, and the file in the file system with the object's bytes;
 * every bad record reported (rejected/ignored with a reason).
 *
 * Data-flow and task lifecycle faults (Stopped data flow, task cancelled or gone, deadline) are in
 * fault-matrix-lifecycle.test.ts.
 */
import { describe, expect, it, type TestContext } from 'vitest';
import type { IngestReport } from '../../shared/ingest/index.js';
import { expectNoSecrets } from '../support/reliability-client.js';
import { EXACTLY_ONCE, WORLD_ROUTES, WORLD_SECRETS, startIngestWorld, type FcRun, type IngestWorld } from '../support/reliability-world.js';
import { MAX_VERIFY_ROUNDS, verifyRuntime, verifyUntilSettled } from './verify-pass.js';

/** A world of its own for one test, cleaned up when the test ends (tests here run concurrently). */
async function newWorld(context: TestContext, options?: Parameters<typeof startIngestWorld>[0]): Promise<IngestWorld> {
  const world = await startIngestWorld(options);
  context.onTestFinished(() => world.cleanup());
  return world;
}

/** Every valid object's final outcome is `submitted` with a sub-task id. */
function expectAllSubmitted(w: IngestWorld, report: IngestReport): void {
  const submitted = new Map(report.outcomes.filter((o) => o.status === 'submitted').map((o) => [o.key, o]));
  for (const object of w.objects) {
    const outcome = submitted.get(object.key);
    expect(outcome, `final outcome of ${object.key}`).toMatchObject({ status: 'submitted', mode: 'stream', srcFilePath: object.srcFilePath, dstFilePath: object.dstFilePath });
    expect(outcome?.subTaskId).toMatch(/^subTaskId-/);
  }
}

/**
 * The exactly-once verdict: every object one COMPLETE sub-task with the right bytes, through the streaming
 * task of its route's ConflictPolicy; exactly two StreamImport tasks; no secret in any log line.
 */
function expectExactlyOnce(w: IngestWorld, run: FcRun): void {
  expect(run.succeeded, 'FC stopped retrying before the event succeeded').toBe(true);
  const last = run.reports.at(-1) as IngestReport;
  expect(w.verdict(last)).toMatchObject({ ...EXACTLY_ONCE, subTasks: w.objects.length, complete: w.objects.length });
  expectAllSubmitted(w, last);

  const tasks = [...w.emulator.state.tasks.values()];
  expect(tasks.map((t) => [t.action, t.conflictPolicy, t.status]).sort()).toEqual([
    ['StreamImport', 'OVERWRITE_EXISTING', 'Executing'],
    ['StreamImport', 'SKIP_THE_FILE', 'Executing'],
  ]);
  const policyOf = new Map(tasks.map((t) => [t.id, t.conflictPolicy]));
  for (const sub of w.emulator.state.subTasks.values()) {
    const route = WORLD_ROUTES.find((r) => sub.dstFilePath.startsWith(r.dstDirectory));
    expect(policyOf.get(sub.taskId), sub.srcFilePath).toBe(route?.conflictPolicy);
  }
  expectNoSecrets(w.logLines, WORLD_SECRETS);
}

/** Log entries of one action (the emulator's view of the run). */
const entriesOf = (w: IngestWorld, action: string) => w.emulator.log.forAction(action);

// Concurrent: each test has its own emulator and instances, and most of a run is spent waiting (rate
// limit, backoff, FC-like replays), so running them side by side keeps the file fast.
// Concurrent tests on wall-clock emulator lifecycles: a generous bound per test for loaded machines (a correctness suite, not a timing one).
describe.concurrent('fault matrix: transport faults, replayed like FC, end exactly once', { timeout: 90_000 }, () => {
  it('no fault (control): one invocation, exactly once', async (context) => {
    const w = await newWorld(context);
    const run = await w.runLikeFc();
    expect(run.reports).toHaveLength(1);
    expectExactlyOnce(w, run);
  });

  it('throttling bursts: a burst of 40 throttled sub-task calls, then 25 % of every call throttled', async (context) => {
    const w = await newWorld(context, { seed: 11 });
    w.emulator.faults.injectNext('CreateDataFlowSubTask', 'throttle', 40);
    w.emulator.faults.set('*', { throttleRate: 0.25 });
    const run = await w.runLikeFc({ instances: 'alternate' });
    const throttled = w.emulator.log.entries.filter((e) => e.code === 'Throttling.User');
    expect(throttled.length).toBeGreaterThanOrEqual(40);
    expect(throttled.every((e) => e.status === 400 && !e.executed)).toBe(true);
    expectExactlyOnce(w, run);
  }, 90_000); // a correctness test: the adaptive limiter slows down under 25 % throttling, by design

  it('5xx: 15 % InternalError (500) and 10 % ServiceUnavailable (503) on every action', async (context) => {
    const w = await newWorld(context, { seed: 12 });
    w.emulator.faults.set('*', { internalErrorRate: 0.15, unavailableRate: 0.1 });
    const run = await w.runLikeFc({ instances: 'alternate' });
    const codes = new Set(w.emulator.log.entries.map((e) => e.code));
    expect(codes).toContain('InternalError');
    expect(codes).toContain('ServiceUnavailable');
    expectExactlyOnce(w, run);
  });

  it('connections dropped BEFORE the request ran (20 % of every action)', async (context) => {
    const w = await newWorld(context, { seed: 13 });
    w.emulator.faults.set('*', { dropBeforeRate: 0.2 });
    const run = await w.runLikeFc({ instances: 'alternate' });
    const dropped = w.emulator.log.entries.filter((e) => e.fault === 'drop-before');
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped.every((e) => e.status === null && !e.executed)).toBe(true);
    expectExactlyOnce(w, run);
  });

  it('connections dropped AFTER the request ran (25 % of every action): the idempotency test', async (context) => {
    const w = await newWorld(context, { seed: 14 });
    w.emulator.faults.set('*', { dropAfterRate: 0.25 });
    const run = await w.runLikeFc({ instances: 'alternate' });

    const subTaskCalls = entriesOf(w, 'CreateDataFlowSubTask');
    const ranButLost = subTaskCalls.filter((e) => e.fault === 'drop-after');
    expect(ranButLost.length).toBeGreaterThan(0);
    expect(ranButLost.every((e) => e.executed && e.status === null)).toBe(true);
    // Each lost answer was followed by a retry that the service recognised by its ClientToken.
    const replayedTokens = new Set(subTaskCalls.filter((e) => e.replayed).map((e) => e.params['ClientToken']));
    for (const lost of ranButLost) expect(replayedTokens).toContain(lost.params['ClientToken']);
    expectExactlyOnce(w, run);
  });

  it('latency past the client timeout: 60 sub-task answers arrive after the per-attempt timeout (the calls ran)', async (context) => {
    const w = await newWorld(context, { seed: 15 });
    w.emulator.faults.set('CreateDataFlowSubTask', { latencyMs: 400 });
    w.afterRequests('CreateDataFlowSubTask', 60, () => w.emulator.faults.clear());
    const run = await w.runLikeFc({ instances: 'alternate', attemptTimeoutMs: 150 });

    const calls = entriesOf(w, 'CreateDataFlowSubTask');
    // The first 60 ran on the service but their answers came too late: every one was asked again and replayed.
    const slow = calls.slice(0, 60);
    expect(slow.every((e) => e.executed && e.status === 200)).toBe(true);
    const replayedTokens = new Set(calls.slice(60).filter((e) => e.replayed).map((e) => e.params['ClientToken']));
    for (const entry of slow) expect(replayedTokens).toContain(entry.params['ClientToken']);
    expectExactlyOnce(w, run);
  });

  it('FC replays the whole event after it succeeded: no new sub-task (warm: no call at all; cold: every call a replay)', async (context) => {
    const w = await newWorld(context, { objects: 120 });
    const first = await w.runLikeFc();
    expectExactlyOnce(w, first);
    const subTasksBefore = w.emulator.state.subTasks.size;

    w.emulator.log.clear();
    const warm = await w.runLikeFc({ instances: 'warm', runtime: first.runtime });
    expect(warm.succeeded).toBe(true);
    expect(entriesOf(w, 'CreateDataFlowSubTask')).toHaveLength(0);
    expect(entriesOf(w, 'CreateDataFlowTask')).toHaveLength(0);

    w.emulator.log.clear();
    const cold = await w.runLikeFc({ instances: 'cold' });
    expect(cold.succeeded).toBe(true);
    const calls = entriesOf(w, 'CreateDataFlowSubTask');
    expect(calls).toHaveLength(w.objects.length);
    expect(calls.every((e) => e.replayed === true)).toBe(true);
    expect(entriesOf(w, 'CreateDataFlowTask')).toHaveLength(0); // the Executing streaming tasks were found

    expect(w.emulator.state.subTasks.size).toBe(subTasksBefore);
    // The replays report the very same sub-tasks.
    const ids = (run: FcRun) => (run.reports.at(-1) as IngestReport).outcomes.map((o) => (o.status === 'submitted' ? o.subTaskId : o.status)).sort();
    expect(ids(warm)).toEqual(ids(first));
    expect(ids(cold)).toEqual(ids(first));
    expectExactlyOnce(w, cold);
  });
});

// Issue 12: a run ends with a verify pass. Sub-tasks fail after they were created (injected), under the
// same transport faults; verify re-drives them (its tokens survive dropped answers) until every object
// has exactly one COMPLETE sub-task in the emulator's state.
describe('fault matrix: the run ends with a verify pass', () => {
  it('15 % of sub-tasks end FAILED and every call sees 5xx / dropped answers: verify re-drives until every object is COMPLETE once', { timeout: 120_000 }, async (context) => {
    const w = await newWorld(context, { seed: 21 });
    w.emulator.faults.reseed(21);
    w.emulator.faults.setSubTaskFailureRate(0.15);
    w.emulator.faults.set('*', { internalErrorRate: 0.05, dropAfterRate: 0.1 });
    const run = await w.runLikeFc({ instances: 'alternate' });
    expect(run.succeeded).toBe(true);
    w.emulator.settle();
    const failedBefore = [...w.emulator.state.subTasks.values()].filter((s) => s.status === 'FAILED').length;
    expect(failedBefore).toBeGreaterThan(0);
    // The re-drives themselves finish without injected failures (else a 3-time loser would be permanent
    // by chance); the transport faults stay.
    w.emulator.faults.setSubTaskFailureRate(0);
    const runtime = verifyRuntime(w);
    context.onTestFinished(() => runtime.api.close());
    const pass = await verifyUntilSettled(w, runtime);
    expect(pass.rounds).toBeLessThanOrEqual(MAX_VERIFY_ROUNDS);
    expect(pass.redriven).toBe(failedBefore);
    const last = pass.reports.at(-1);
    expect(last?.counts).toMatchObject({ complete: w.objects.length, permanent: 0, failed: 0, gone: 0, canceled: 0 });
    expect(w.verdict(run.reports.at(-1))).toMatchObject({ ...EXACTLY_ONCE, complete: w.objects.length, subTasks: w.objects.length + failedBefore });
    // Every re-drive was created once: one re-drive sub-task per failed one.
    const creates = new Set(entriesOf(w, 'CreateDataFlowSubTask').filter((e) => e.executed && String(e.params['ClientToken']).startsWith('cpfs-rd-')).map((e) => e.params['ClientToken']));
    expect(creates.size).toBe(failedBefore);
    expectNoSecrets(w.logLines, WORLD_SECRETS);
  });
});
