/**
 * The FC function as built (dist/oss-stream-import/index.js) against the NAS emulator: every envelope
 * lands its objects once, redelivery is harmless, bad keys are refused with the rule named while the rest
 * of the batch lands, secrets never show, and a dry run creates nothing.
 * Run `npm run build` first (`npm test` does).
 */
import { RUNTIME_MAX_ATTEMPTS } from '../../../shared/runtime.js';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cloudEvent, mnsBatch, nativeEnvelope, objectCreatedEvent } from '../../support/event-factories.js';
import { invokeUntilSuccess, loadFunction, logRecords, type FunctionInstance, type Invocation } from '../../support/function-harness.js';
import { FUNCTION_KEY, startFunctionWorld, subTasksByPath, tasksOf, WORLD, type FunctionWorld } from '../../support/function-world.js';

let world: FunctionWorld;
let fn: FunctionInstance | undefined;
beforeEach(async () => {
  world = await startFunctionWorld();
});
afterEach(async () => {
  fn?.close();
  fn = undefined;
  await world.cleanup();
});

function outcome(invocation: Invocation, key: string) {
  const outcomes = invocation.result?.outcomes ?? invocation.error?.report?.outcomes ?? [];
  return outcomes.find((o) => o['key'] === key);
}

describe('oss-stream-import bundle — delivery envelopes', () => {
  it('lands an object from a native OSS event', async () => {
    const [event] = world.putObjects(['incoming/native/a file.txt']);
    fn = loadFunction(world.env('lingjun'));
    const invocation = await fn.invoke(nativeEnvelope([event]), world.context());
    expect(invocation.ok).toBe(true);
    expect(outcome(invocation, 'incoming/native/a file.txt')).toMatchObject({ status: 'submitted', mode: 'stream', srcFilePath: '/native/a file.txt', dstFilePath: '/native/a file.txt' });
    expect(world.emulator.state.subTasks.size).toBe(1);
    expect([...world.emulator.state.subTasks.values()][0]).toMatchObject({ status: 'COMPLETE', srcFilePath: '/native/a file.txt' });
    expect(readFileSync(world.landedPath('/native/a file.txt'), 'utf8')).toBe('content of incoming/native/a file.txt\n');
  });

  it('lands an object from an EventBridge CloudEvent', async () => {
    const [event] = world.putObjects(['incoming/cloud/中文 ✓.bin']);
    fn = loadFunction(world.env('lingjun'));
    const invocation = await fn.invoke(cloudEvent(event!), world.context());
    expect(invocation.ok).toBe(true);
    expect(outcome(invocation, 'incoming/cloud/中文 ✓.bin')).toMatchObject({ status: 'submitted' });
    expect(subTasksByPath(world.emulator).get('/cloud/中文 ✓.bin\u0000/cloud/中文 ✓.bin')).toHaveLength(1);
    expect(world.landed('/cloud/中文 ✓.bin', event!.oss.object.size)).toBe(true);
  });

  it('lands every object of an MNS batch with several events per message and a topic envelope', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `incoming/mns/${i % 3}/obj ${i}+%.dat`);
    const events = world.putObjects(keys);
    fn = loadFunction(world.env('lingjun'));
    const invocation = await fn.invoke(mnsBatch(events, { eventsPerMessage: 4, topicEnvelope: 'json' }), world.context());
    expect(invocation.ok).toBe(true);
    expect(invocation.result?.counts).toMatchObject({ submitted: 40, failed: 0, rejected: 0 });
    const byPath = subTasksByPath(world.emulator);
    expect(byPath.size).toBe(40);
    expect([...byPath.values()].every((ids) => ids.length === 1)).toBe(true);
    expect(keys.every((key) => world.landed(`/${key.slice('incoming/'.length)}`))).toBe(true);
  });
});

describe('oss-stream-import bundle — redelivery', () => {
  it('creates no new task or sub-task when the same event comes again, to the same or a new instance', async () => {
    const events = world.putObjects(['incoming/dup/1.txt', 'incoming/dup/2.txt', 'incoming/dup/3.txt']);
    const routes = JSON.stringify([
      { prefix: 'incoming/dup/1', dstDirectory: '/one/', conflictPolicy: 'OVERWRITE_EXISTING' },
      { prefix: 'incoming/', dstDirectory: '/all/', conflictPolicy: 'SKIP_THE_FILE' },
    ]);
    const payload = nativeEnvelope(events);
    fn = loadFunction(world.env('lingjun', { CPFS_ROUTES: routes }));
    const first = await fn.invoke(payload, world.context());
    expect(first.ok).toBe(true);
    const snapshot = () => ({ tasks: [...world.emulator.state.tasks.keys()].sort(), subTasks: [...world.emulator.state.subTasks.keys()].sort() });
    const before = snapshot();
    expect(before).toMatchObject({ tasks: expect.any(Array), subTasks: expect.any(Array) });
    expect(before.tasks).toHaveLength(2);
    expect(before.subTasks).toHaveLength(3);
    const ids = (inv: Invocation) => inv.result?.outcomes.map((o) => [o['key'], o['taskId'], o['subTaskId']]);

    const again = await fn.invoke(payload, world.context());
    expect(again.ok).toBe(true);
    expect(snapshot()).toEqual(before);
    expect(ids(again)).toEqual(ids(first));
    // The warm instance remembered its sub-tasks: nothing was sent.
    const subTaskCalls = world.emulator.log.forAction('CreateDataFlowSubTask').length;
    expect(subTaskCalls).toBe(3);

    // A cold instance sends again; the ClientTokens return the same ids.
    fn.close();
    fn = loadFunction(world.env('lingjun', { CPFS_ROUTES: routes }));
    const cold = await fn.invoke(payload, world.context());
    expect(cold.ok).toBe(true);
    expect(snapshot()).toEqual(before);
    expect(ids(cold)).toEqual(ids(first));
    const replayed = world.emulator.log.forAction('CreateDataFlowSubTask').slice(3);
    expect(replayed).toHaveLength(3);
    expect(replayed.every((entry) => entry.replayed === true)).toBe(true);
  });
});

describe('oss-stream-import bundle — refusals', () => {
  it('refuses a malformed event, a ".." key, a 1,100-character key and a key outside SourceStoragePath, and lands the rest', async () => {
    const good = world.putObjects(['incoming/ok/first.txt', 'incoming/ok/second.txt']);
    const longKey = `incoming/${Array.from({ length: 6 }, (_, i) => String(i).repeat(180)).join('/')}`.padEnd(1096, 'x') + '.bin';
    expect(longKey).toHaveLength(1100);
    const payload = nativeEnvelope([
      good[0],
      { eventName: 'ObjectCreated:PutObject', eventSource: 'acs:oss', oss: { bucket: { name: WORLD.bucket }, object: { size: 12 } } },
      objectCreatedEvent({ key: 'incoming/ok/../../etc/passwd', bucket: WORLD.bucket }),
      objectCreatedEvent({ key: longKey, bucket: WORLD.bucket }),
      objectCreatedEvent({ key: 'elsewhere/outside.txt', bucket: WORLD.bucket }),
      good[1],
    ]);
    fn = loadFunction(world.env('lingjun'));
    const invocation = await fn.invoke(payload, world.context());
    // Refusals are final: nothing to retry, so the handler returns.
    expect(invocation.ok).toBe(true);
    expect(invocation.result?.counts).toMatchObject({ submitted: 2, rejected: 4, failed: 0 });

    const rejected = invocation.result!.outcomes.filter((o) => o.status === 'rejected');
    const reasonOf = (predicate: (o: Record<string, unknown>) => boolean) => String(rejected.find(predicate)?.['reason']);
    expect(reasonOf((o) => o['kind'] === 'malformed-event')).toBe('$.events[1]: oss.object.key must be a non-empty string');
    expect(reasonOf((o) => o['key'] === 'incoming/ok/../../etc/passwd')).toMatch(/^SrcFilePath: contains a "\.\." name/);
    // Longer than any legal key, so echoed bounded (shared/text-bound.ts): prefix, length, hash.
    expect(reasonOf((o) => /^.{1000,1024}…\[1100 chars, sha256:[0-9a-f]{16}\]$/su.test(String(o['key'])) && String(o['key']).startsWith(longKey.slice(0, 1000)))).toMatch(/longer than 1023 characters \(109\d\)/);
    expect(reasonOf((o) => o['key'] === 'elsewhere/outside.txt')).toBe('key is outside SourceStoragePath "/incoming/"');

    // Each refusal is also a warning line naming the rule.
    const warnings = logRecords(invocation.lines).filter((r) => r['event'] === 'record.rejected');
    expect(warnings.map((w) => w['kind']).sort()).toEqual(['invalid-path', 'invalid-path', 'malformed-event', 'outside-source-path']);

    expect(world.emulator.state.subTasks.size).toBe(2);
    expect(world.landed('/ok/first.txt', good[0]!.oss.object.size)).toBe(true);
    expect(world.landed('/ok/second.txt', good[1]!.oss.object.size)).toBe(true);
  });

  it('answers a payload that is not an OSS notification with one clear rejection', async () => {
    fn = loadFunction(world.env('lingjun'));
    const invocation = await fn.invoke({ key: 'value' }, world.context());
    expect(invocation.ok).toBe(true);
    expect(invocation.result?.outcomes).toEqual([
      expect.objectContaining({ status: 'rejected', kind: 'malformed-event', reason: expect.stringMatching(/^\$: is not an OSS notification/) }),
    ]);
    expect(world.emulator.log.entries.length).toBe(0);
  });
});

describe('oss-stream-import bundle — secrets', () => {
  const leaks = (text: string) =>
    [FUNCTION_KEY.accessKeySecret, FUNCTION_KEY.securityToken, encodeURIComponent(FUNCTION_KEY.accessKeySecret), encodeURIComponent(FUNCTION_KEY.securityToken)].filter((s) => text.includes(s));

  it('never writes the AccessKeySecret or SecurityToken to a log line or an error, even when calls fail', async () => {
    const events = world.putObjects(['incoming/secret/1.txt', 'incoming/secret/2.txt']);
    fn = loadFunction(world.env('lingjun', { CPFS_MAX_CONCURRENCY: '2' }));
    const ok = await fn.invoke(nativeEnvelope([events[0]]), world.context());
    expect(ok.ok).toBe(true);

    // Every kind of failure the service can answer with, then an expired token.
    // (The client makes 5 attempts: three injected faults, then two with the expired token.)
    world.emulator.faults.injectNext('CreateDataFlowSubTask', 'internal', 1);
    world.emulator.faults.injectNext('CreateDataFlowSubTask', 'throttle', 1);
    world.emulator.faults.injectNext('CreateDataFlowSubTask', 'drop-before', 1);
    world.emulator.expireSecurityToken(FUNCTION_KEY.accessKeyId);
    const failed = await fn.invoke(nativeEnvelope([events[1]]), world.context());
    expect(failed.ok).toBe(false);
    expect(failed.error?.retryable).toBe(true);
    expect(outcome(failed, 'incoming/secret/2.txt')).toMatchObject({ status: 'failed', code: 'InvalidSecurityToken.Expired' });

    // A configuration error (no endpoint, no region) is thrown too.
    fn.close();
    fn = loadFunction({ ...world.env('lingjun'), NAS_ENDPOINT: '', FC_REGION: '' });
    const misconfigured = await fn.invoke(nativeEnvelope([events[1]]), { ...world.context(), region: '' });
    expect(misconfigured.ok).toBe(false);
    expect(misconfigured.error?.message).toMatch(/FC_REGION: is required/);

    const everything = [
      ...ok.lines, ...ok.stderr, ...failed.lines, ...failed.stderr, ...misconfigured.lines, ...misconfigured.stderr,
      String(failed.error?.message), String(failed.error?.stack), JSON.stringify(failed.error), JSON.stringify(failed.error?.report),
      String(misconfigured.error?.message), String(misconfigured.error?.stack),
    ].join('\n');
    expect(logRecords(failed.lines).some((r) => r['event'] === 'record.failed')).toBe(true);
    // The output is real: it carries the failure (not a secret) that the secrets must not ride along with.
    expect(everything).toContain('InvalidSecurityToken.Expired');
    expect(everything).toContain('"event":"ingest.summary"');
    expect(leaks(everything)).toEqual([]);
  });
});

describe('oss-stream-import bundle — secrets in what the payload says', () => {
  it('a key that contains the current secret is reported with [REDACTED] in the result, and the rest of the batch lands', async () => {
    // The logger redacts every line; the handler result echoes keys from the payload and leaves the function
    // as it is (FC keeps it for destinations and the console), so it is redacted too.
    const [good] = world.putObjects(['incoming/s/good.txt']);
    const hostile = `incoming/s/${FUNCTION_KEY.accessKeySecret}\u0001.txt`;
    const tokenKey = `incoming/s/${encodeURIComponent(FUNCTION_KEY.securityToken)}.txt`;
    const [tokenEvent] = world.putObjects([tokenKey]);
    fn = loadFunction(world.env('lingjun'));
    const invocation = await fn.invoke(nativeEnvelope([good, objectCreatedEvent({ key: hostile, bucket: WORLD.bucket }), tokenEvent]), world.context());
    expect(invocation.ok).toBe(true);
    expect(invocation.result?.counts).toMatchObject({ submitted: 2, rejected: 1 });
    const everything = [JSON.stringify(invocation.result), ...invocation.lines, ...invocation.stderr].join('\n');
    for (const secret of [FUNCTION_KEY.accessKeySecret, FUNCTION_KEY.securityToken, encodeURIComponent(FUNCTION_KEY.securityToken)]) {
      expect(everything).not.toContain(secret);
    }
    expect(outcome(invocation, 'incoming/s/[REDACTED]\u0001.txt')).toMatchObject({ status: 'rejected', kind: 'invalid-path' });
    // The object whose key holds the token still landed: only what the result says is redacted.
    expect(outcome(invocation, 'incoming/s/[REDACTED].txt')).toMatchObject({ status: 'submitted' });
    expect(world.landed(`/s/${encodeURIComponent(FUNCTION_KEY.securityToken)}.txt`)).toBe(true);
    expect(outcome(invocation, 'incoming/s/good.txt')).toMatchObject({ status: 'submitted' });
  });
});

describe('oss-stream-import bundle — dry run', () => {
  it('creates nothing in the emulator and says dry run on every outcome', async () => {
    const events = world.putObjects(['incoming/dry/1.txt', 'incoming/dry/2.txt']);
    fn = loadFunction(world.env('lingjun', { CPFS_DRY_RUN: 'true' }));
    const invocation = await fn.invoke(nativeEnvelope(events), world.context());
    expect(invocation.ok).toBe(true);
    expect(invocation.result?.dryRun).toBe(true);
    expect(invocation.result?.outcomes).toHaveLength(2);
    expect(invocation.result?.outcomes.every((o) => o.status === 'submitted' && o['dryRun'] === true)).toBe(true);
    expect(world.emulator.state.tasks.size).toBe(0);
    expect(world.emulator.state.subTasks.size).toBe(0);
    const creates = world.emulator.log.forAction('CreateDataFlowTask');
    expect(creates.length).toBeGreaterThan(0);
    expect(creates.every((e) => e.params['DryRun'] === 'true' && e.status === 200)).toBe(true);
    expect(world.landed('/dry/1.txt')).toBe(false);
  });

  it('dry-runs each sub-task when a streaming task already exists, still creating nothing', async () => {
    const events = world.putObjects(['incoming/dry/0.txt', 'incoming/dry/1.txt']);
    fn = loadFunction(world.env('lingjun'));
    expect((await fn.invoke(nativeEnvelope([events[0]]), world.context())).ok).toBe(true);
    fn.close();
    const before = { tasks: world.emulator.state.tasks.size, subTasks: world.emulator.state.subTasks.size };
    fn = loadFunction(world.env('lingjun', { CPFS_DRY_RUN: '1' }));
    const invocation = await fn.invoke(nativeEnvelope([events[1]]), world.context());
    expect(invocation.result?.outcomes).toEqual([expect.objectContaining({ status: 'submitted', dryRun: true, taskId: tasksOf(world.emulator, 'StreamImport')[0]!.id })]);
    expect({ tasks: world.emulator.state.tasks.size, subTasks: world.emulator.state.subTasks.size }).toEqual(before);
    expect(world.emulator.log.forAction('CreateDataFlowSubTask').at(-1)?.params['DryRun']).toBe('true');
  });
});

describe('oss-stream-import bundle — FC replay helper', () => {
  it('invokeUntilSuccess stops at the first success', async () => {
    const events = world.putObjects(['incoming/replay/1.txt']);
    fn = loadFunction(world.env('lingjun'));
    world.emulator.faults.injectNext('CreateDataFlowSubTask', 'internal', RUNTIME_MAX_ATTEMPTS); // every attempt of the first invocation
    const runs = await invokeUntilSuccess(fn, nativeEnvelope(events), { context: () => world.context() });
    expect(runs.map((r) => r.ok)).toEqual([false, true]);
    expect(path.basename(world.landedPath('/replay/1.txt'))).toBe('1.txt');
    expect(world.landed('/replay/1.txt')).toBe(true);
  });
});
