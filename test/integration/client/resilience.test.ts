/**
 * The NAS client against the emulator under the failures it is built to absorb: ClientToken idempotency,
 * throttling, 5xx, dropped connections (before and after the request ran), slow answers past the
 * per-attempt timeout, the caller's deadline; and the failures it must NOT retry (signature, unknown key)
 * or must classify right (expired STS token). The client and the emulator share one manual clock, so
 * backoff sleeps move emulator time and the emulator's request log timestamps can be compared with the
 * caller's deadline exactly.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DeadlineExceededError,
  NasApiError,
  NetworkError,
  TimeoutError,
  ValidationError,
} from '../../../shared/errors.js';
import type { CreateDataFlowSubTaskParams, CreateDataFlowTaskParams } from '../../../shared/nas/types.js';
import type { SigningCredentials } from '../../../shared/nas/signer.js';
import type { RequestLogEntry } from '../../../emulator/server.js';
import { IDS, STS_KEY, TEST_KEY, startTestEmulator, type EmulatorFixture } from '../../support/emulator-fixtures.js';
import { clientFor, closeClients, errorTexts, expectNoSecrets, rejectionOf } from '../../support/reliability-client.js';

const SECRETS = [TEST_KEY.accessKeySecret, STS_KEY.accessKeySecret, STS_KEY.securityToken];

function streamTask(overrides: Partial<CreateDataFlowTaskParams> = {}): CreateDataFlowTaskParams {
  return {
    FileSystemId: IDS.lingjun,
    DataFlowId: IDS.lingjunFlow,
    TaskAction: 'StreamImport',
    DataType: 'MetaAndData',
    ConflictPolicy: 'OVERWRITE_EXISTING',
    ...overrides,
  };
}

function batchImport(overrides: Partial<CreateDataFlowTaskParams> = {}): CreateDataFlowTaskParams {
  return {
    FileSystemId: IDS.lingjun,
    DataFlowId: IDS.lingjunFlow,
    TaskAction: 'Import',
    DataType: 'MetaAndData',
    ConflictPolicy: 'KEEP_LATEST',
    EntryList: JSON.stringify(['/a.txt']),
    ...overrides,
  };
}

describe('NAS client ↔ emulator: idempotency, retries, deadlines, credentials', () => {
  let fx: EmulatorFixture;
  /** Called with every request the emulator logs (set per test). */
  let onRequest: ((entry: RequestLogEntry) => void) | undefined;
  let streamTaskId: string;

  function subTask(n: number | string, overrides: Partial<CreateDataFlowSubTaskParams> = {}): CreateDataFlowSubTaskParams {
    return {
      FileSystemId: IDS.lingjun,
      DataFlowId: IDS.lingjunFlow,
      DataFlowTaskId: streamTaskId,
      SrcFilePath: `/in/file-${n}.bin`,
      DstFilePath: `/out/file-${n}.bin`,
      ClientToken: `resilience-sub-${n}`,
      ...overrides,
    };
  }

  const subTasksFor = (srcFilePath: string) => [...fx.emulator.state.subTasks.values()].filter((s) => s.srcFilePath === srcFilePath);

  beforeAll(async () => {
    fx = await startTestEmulator({ onRequest: (entry) => onRequest?.(entry) });
    const { client } = clientFor(fx.emulator, TEST_KEY);
    streamTaskId = (await client.createDataFlowTask(streamTask({ ClientToken: 'resilience-stream' }))).TaskId ?? '';
    expect(fx.emulator.state.tasks.get(streamTaskId)?.status).toBe('Executing');
  });
  afterAll(async () => {
    await fx.cleanup();
  });
  beforeEach(() => {
    onRequest = undefined;
    fx.emulator.faults.clear();
    fx.emulator.log.clear();
  });
  afterEach(() => {
    closeClients();
  });

  describe('idempotency through the client', () => {
    it('same ClientToken → same TaskId (StreamImport and Import); the second answer is a replay that creates nothing', async () => {
      const { client } = clientFor(fx.emulator, TEST_KEY);
      const again = await client.createDataFlowTask(streamTask({ ClientToken: 'resilience-stream' }));
      expect(again.TaskId).toBe(streamTaskId);

      const tasksBefore = fx.emulator.state.tasks.size;
      const first = await client.createDataFlowTask(batchImport({ ClientToken: 'resilience-batch-1' }));
      const second = await client.createDataFlowTask(batchImport({ ClientToken: 'resilience-batch-1' }));
      expect(second.TaskId).toBe(first.TaskId);
      expect(fx.emulator.state.tasks.size).toBe(tasksBefore + 1);
      expect(fx.emulator.log.forAction('CreateDataFlowTask').map((e) => e.replayed ?? false)).toEqual([true, false, true]);
    });

    it('same ClientToken → same DataFlowSubTaskId', async () => {
      const { client } = clientFor(fx.emulator, TEST_KEY);
      const first = await client.createDataFlowSubTask(subTask('idem'));
      const second = await client.createDataFlowSubTask(subTask('idem'));
      expect(first.DataFlowSubTaskId).toMatch(/^subTaskId-/);
      expect(second.DataFlowSubTaskId).toBe(first.DataFlowSubTaskId);
      expect(subTasksFor('/in/file-idem.bin')).toHaveLength(1);
    });

    it('same ClientToken with other parameters → IdempotentParameterMismatch, permanent, one attempt, nothing created', async () => {
      const { client } = clientFor(fx.emulator, TEST_KEY);
      await client.createDataFlowSubTask(subTask('mismatch'));
      fx.emulator.log.clear();
      const error = await rejectionOf(client.createDataFlowSubTask(subTask('mismatch', { DstFilePath: '/out/elsewhere.bin' })));
      expect(error).toBeInstanceOf(NasApiError);
      expect({ code: (error as NasApiError).code, status: (error as NasApiError).httpStatus, retryable: (error as NasApiError).retryable }).toEqual({
        code: 'IdempotentParameterMismatch',
        status: 400,
        retryable: false,
      });
      expect(fx.emulator.log.forAction('CreateDataFlowSubTask')).toHaveLength(1);
      expect(subTasksFor('/in/file-mismatch.bin').map((s) => s.dstFilePath)).toEqual(['/out/file-mismatch.bin']);
    });
  });

  describe('retries that succeed', () => {
    it('throttling is absorbed: emulator quota lowered, client limiting off → Throttling.User answers, retried, all succeed', async () => {
      fx.emulator.quotas.set('CreateDataFlowSubTask', { limit: 3, windowMs: 1_000 });
      try {
        const { client, clock } = clientFor(fx.emulator, TEST_KEY, { maxAttempts: 8, baseDelayMs: 200 });
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.createDataFlowSubTask(subTask(`throttle-${i}`))));

        expect(new Set(results.map((r) => r.DataFlowSubTaskId)).size).toBe(10);
        const log = fx.emulator.log.forAction('CreateDataFlowSubTask');
        const throttled = log.filter((e) => e.code === 'Throttling.User');
        expect(throttled.length).toBeGreaterThan(0);
        expect(throttled.every((e) => e.status === 400 && !e.executed)).toBe(true);
        expect(log.filter((e) => e.executed)).toHaveLength(10);
        expect(clock.sleeps.length).toBe(throttled.length); // one backoff per throttled answer
        for (let i = 0; i < 10; i++) expect(subTasksFor(`/in/file-throttle-${i}.bin`)).toHaveLength(1);
      } finally {
        fx.emulator.quotas.set('CreateDataFlowSubTask', { limit: 100, windowMs: 1_000 });
      }
    });

    it('5xx (InternalError 500, ServiceUnavailable 503) is retried until it succeeds; one task is created', async () => {
      fx.emulator.faults.injectNext('CreateDataFlowTask', 'internal', 2);
      fx.emulator.faults.injectNext('CreateDataFlowTask', 'unavailable', 1);
      const { client } = clientFor(fx.emulator, TEST_KEY, { maxAttempts: 4 });
      const tasksBefore = fx.emulator.state.tasks.size;
      const created = await client.createDataFlowTask(batchImport({ ClientToken: 'resilience-5xx', EntryList: '["/5xx.txt"]' }));
      expect(created.TaskId).toMatch(/^task-/);
      expect(fx.emulator.log.forAction('CreateDataFlowTask').map((e) => [e.status, e.code ?? null, e.executed])).toEqual([
        [500, 'InternalError', false],
        [500, 'InternalError', false],
        [503, 'ServiceUnavailable', false],
        [200, null, true],
      ]);
      expect(fx.emulator.state.tasks.size).toBe(tasksBefore + 1);
    });

    it('a connection dropped BEFORE the request ran is retried; one sub-task exists', async () => {
      fx.emulator.faults.injectNext('CreateDataFlowSubTask', 'drop-before', 2);
      const { client } = clientFor(fx.emulator, TEST_KEY);
      const created = await client.createDataFlowSubTask(subTask('drop-before'));
      expect(fx.emulator.log.forAction('CreateDataFlowSubTask').map((e) => [e.status, e.executed, e.fault ?? null])).toEqual([
        [null, false, 'drop-before'],
        [null, false, 'drop-before'],
        [200, true, null],
      ]);
      expect(subTasksFor('/in/file-drop-before.bin').map((s) => s.id)).toEqual([created.DataFlowSubTaskId]);
    });

    it('a connection dropped AFTER the request ran is retried with the same ClientToken: the retry is a replay, one sub-task exists', async () => {
      fx.emulator.faults.injectNext('CreateDataFlowSubTask', 'drop-after', 2);
      const { client } = clientFor(fx.emulator, TEST_KEY);
      const created = await client.createDataFlowSubTask(subTask('drop-after'));
      expect(fx.emulator.log.forAction('CreateDataFlowSubTask').map((e) => [e.status, e.executed, e.replayed ?? false])).toEqual([
        [null, true, false],
        [null, true, true],
        [200, true, true],
      ]);
      expect(subTasksFor('/in/file-drop-after.bin').map((s) => s.id)).toEqual([created.DataFlowSubTaskId]);
    });

    it('(why tokens are mandatory) the same drop-after without a ClientToken makes the retry create a second sub-task', async () => {
      fx.emulator.faults.injectNext('CreateDataFlowSubTask', 'drop-after', 1);
      const { client } = clientFor(fx.emulator, TEST_KEY);
      const { ClientToken: _omitted, ...noToken } = subTask('no-token');
      await client.createDataFlowSubTask(noToken);
      expect(subTasksFor('/in/file-no-token.bin')).toHaveLength(2);
    });

    it('an answer slower than timeoutMs is a TimeoutError, retried; the request had run, so the retry is a replay', async () => {
      fx.emulator.faults.set('CreateDataFlowSubTask', { latencyMs: 400 });
      // Only the first answer is slow: once it is logged (it ran), the latency goes away.
      onRequest = () => fx.emulator.faults.clear();
      const { client } = clientFor(fx.emulator, TEST_KEY, { timeoutMs: 100 });
      const created = await client.createDataFlowSubTask(subTask('slow'));
      expect(fx.emulator.log.forAction('CreateDataFlowSubTask').map((e) => [e.status, e.executed, e.replayed ?? false])).toEqual([
        [200, true, false],
        [200, true, true],
      ]);
      expect(subTasksFor('/in/file-slow.bin').map((s) => s.id)).toEqual([created.DataFlowSubTaskId]);
    });
  });

  describe('retries that stop', () => {
    it('every answer too slow: TimeoutError after maxAttempts, retryable; still one sub-task on the service', async () => {
      fx.emulator.faults.set('CreateDataFlowSubTask', { latencyMs: 300 });
      const { client } = clientFor(fx.emulator, TEST_KEY, { timeoutMs: 60, maxAttempts: 3 });
      const error = await rejectionOf(client.createDataFlowSubTask(subTask('always-slow')));
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).retryable).toBe(true);
      expect(fx.emulator.log.forAction('CreateDataFlowSubTask').map((e) => e.replayed ?? false)).toEqual([false, true, true]);
      expect(subTasksFor('/in/file-always-slow.bin')).toHaveLength(1);
    });

    it('the caller deadline stops retrying: no attempt starts at or after it (emulator log vs deadline, one clock)', async () => {
      fx.emulator.faults.set('CreateDataFlowTask', { unavailableRate: 1 });
      const { client, clock } = clientFor(fx.emulator, TEST_KEY, { maxAttempts: 20, baseDelayMs: 1_000, maxDelayMs: 60_000 });
      const deadlineMs = clock.now() + 3_000;
      const error = await rejectionOf(client.createDataFlowTask(batchImport({ ClientToken: 'resilience-deadline' }), { deadlineMs }));

      // The last answer (retryable 503) is what the caller gets: the deadline, not maxAttempts, ended it.
      expect(error instanceof DeadlineExceededError || (error instanceof NasApiError && error.code === 'ServiceUnavailable')).toBe(true);
      expect((error as NasApiError).retryable).toBe(true);
      const attempts = fx.emulator.log.forAction('CreateDataFlowTask');
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(attempts.length).toBeLessThan(20);
      for (const attempt of attempts) expect(attempt.timeMs).toBeLessThan(deadlineMs);
      expect(clock.now()).toBeLessThan(deadlineMs); // no backoff slept past it either
    });

    it('a deadline already passed: DeadlineExceededError, nothing sent', async () => {
      const { client, clock } = clientFor(fx.emulator, TEST_KEY);
      const error = await rejectionOf(client.createDataFlowSubTask(subTask('late'), { deadlineMs: clock.now() }));
      expect(error).toBeInstanceOf(DeadlineExceededError);
      expect((error as DeadlineExceededError).retryable).toBe(true);
      expect(fx.emulator.log.entries).toHaveLength(0);
    });

    it('a wrong AccessKeySecret: SignatureDoesNotMatch (400), not retried, secret not in the error', async () => {
      const wrong = { accessKeyId: TEST_KEY.accessKeyId, accessKeySecret: 'wrong-secret-for-test' };
      const { client } = clientFor(fx.emulator, wrong);
      const error = await rejectionOf(client.createDataFlowSubTask(subTask('bad-signature')));
      expect(error).toBeInstanceOf(NasApiError);
      expect({ code: (error as NasApiError).code, status: (error as NasApiError).httpStatus, retryable: (error as NasApiError).retryable }).toEqual({
        code: 'SignatureDoesNotMatch',
        status: 400,
        retryable: false,
      });
      expect(fx.emulator.log.entries).toHaveLength(1);
      expectNoSecrets(errorTexts(error), [...SECRETS, wrong.accessKeySecret]);
    });

    it('an unknown AccessKeyId: InvalidAccessKeyId.NotFound (404), not retried', async () => {
      const { client } = clientFor(fx.emulator, { accessKeyId: 'LTAI-nobody', accessKeySecret: 'nobody-secret-value' });
      const error = await rejectionOf(client.createDataFlowSubTask(subTask('unknown-key')));
      expect({ code: (error as NasApiError).code, status: (error as NasApiError).httpStatus, retryable: (error as NasApiError).retryable }).toEqual({
        code: 'InvalidAccessKeyId.NotFound',
        status: 404,
        retryable: false,
      });
      expect(fx.emulator.log.entries).toHaveLength(1);
    });
  });

  describe('expired STS token', () => {
    afterEach(() => {
      fx.emulator.expireSecurityToken(STS_KEY.accessKeyId, false);
    });

    it('is classified InvalidSecurityToken.Expired (400), retryable; with static credentials it ends at maxAttempts', async () => {
      fx.emulator.expireSecurityToken(STS_KEY.accessKeyId);
      const { client } = clientFor(fx.emulator, STS_KEY, { maxAttempts: 3 });
      const error = await rejectionOf(client.createDataFlowSubTask(subTask('sts-static')));
      expect(error).toBeInstanceOf(NasApiError);
      expect({ code: (error as NasApiError).code, status: (error as NasApiError).httpStatus, retryable: (error as NasApiError).retryable }).toEqual({
        code: 'InvalidSecurityToken.Expired',
        status: 400,
        retryable: true,
      });
      expect(fx.emulator.log.entries.map((e) => e.code)).toEqual(Array(3).fill('InvalidSecurityToken.Expired'));
      expectNoSecrets(errorTexts(error), SECRETS);
    });

    it('the retry re-reads the provider: FC rotated the token, the next attempt signs with the fresh one and succeeds', async () => {
      const fresh: SigningCredentials = { accessKeyId: 'STS.fresh', accessKeySecret: 'fresh-sts-secret', securityToken: 'fresh-sts-token' };
      fx.emulator.addKey(fresh);
      fx.emulator.expireSecurityToken(STS_KEY.accessKeyId);
      let reads = 0;
      const { client } = clientFor(fx.emulator, STS_KEY, { credentials: () => (++reads === 1 ? STS_KEY : fresh) });
      const created = await client.createDataFlowSubTask(subTask('sts-rotated'));
      expect(created.DataFlowSubTaskId).toMatch(/^subTaskId-/);
      expect(fx.emulator.log.entries.map((e) => [e.code ?? null, e.accessKeyId ?? null])).toEqual([
        ['InvalidSecurityToken.Expired', null],
        [null, 'STS.fresh'],
      ]);
    });
  });

  it('no secret (AccessKeySecret, SecurityToken) in any error the client raises, whatever the failure', async () => {
    const errors: unknown[] = [];
    const { client } = clientFor(fx.emulator, STS_KEY, { maxAttempts: 2, timeoutMs: 80 });
    const fail = async (promise: Promise<unknown>) => errors.push(await rejectionOf(promise));

    fx.emulator.faults.injectNext('CreateDataFlowSubTask', 'drop-before', 2);
    await fail(client.createDataFlowSubTask(subTask('secret-drop')));
    fx.emulator.faults.set('CreateDataFlowSubTask', { latencyMs: 250 });
    await fail(client.createDataFlowSubTask(subTask('secret-slow')));
    fx.emulator.faults.set('CreateDataFlowSubTask', { internalErrorRate: 1 });
    await fail(client.createDataFlowSubTask(subTask('secret-5xx')));
    fx.emulator.faults.clear();
    await fail(client.createDataFlowSubTask(subTask('secret-bad', { SrcFilePath: 'no-slash' })));
    await fail(client.createDataFlowTask(batchImport({ DataFlowId: 'df-doesnotexist' })));
    fx.emulator.expireSecurityToken(STS_KEY.accessKeyId);
    await fail(client.createDataFlowSubTask(subTask('secret-expired')));
    fx.emulator.expireSecurityToken(STS_KEY.accessKeyId, false);
    const { client: wrongClient } = clientFor(fx.emulator, { ...STS_KEY, accessKeySecret: 'not-the-sts-secret' });
    await fail(wrongClient.createDataFlowSubTask(subTask('secret-signature')));

    expect(errors.map((e) => (e as Error).constructor.name)).toEqual([
      NetworkError.name,
      TimeoutError.name,
      NasApiError.name,
      ValidationError.name,
      NasApiError.name,
      NasApiError.name,
      NasApiError.name,
    ]);
    expectNoSecrets(errors.flatMap(errorTexts), [...SECRETS, 'not-the-sts-secret']);
  });
});
