/**
 * How sub-tasks end besides COMPLETE, as the verification core (issue 12) must see them: cancelled by
 * CancelDataFlowSubTask, FAILED because the source changed after the event, EXPIRED when their streaming
 * task ends, FAILED by injected fault — and the seven quotas, CancelDataFlowSubTask's included.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreateDataFlowSubTaskResponse, CreateDataFlowTaskResponse } from '../../../shared/nas/wire.js';
import { INJECTED_SUB_TASK_ERROR, importKey } from '../../../emulator/server.js';
import { IDS, expectApiError, lingjunImport, lingjunStream, startTestEmulator, type EmulatorFixture } from '../../support/emulator-fixtures.js';

function put(root: string, key: string, content: string): void {
  const file = path.join(root, key);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

describe('emulator: sub-task outcomes', () => {
  let fx: EmulatorFixture;
  beforeEach(async () => {
    fx = await startTestEmulator({ quotas: { CreateDataFlowSubTask: null, DescribeDataFlowSubTasks: null } });
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  async function openStream(): Promise<string> {
    const res = await fx.call('CreateDataFlowTask', lingjunStream());
    expect(res.status).toBe(200);
    return CreateDataFlowTaskResponse.parse(res.body).TaskId ?? '';
  }

  async function createSub(taskId: string, file: string, condition?: { Size?: number }): Promise<string> {
    const res = await fx.call('CreateDataFlowSubTask', {
      FileSystemId: IDS.lingjun,
      DataFlowId: IDS.lingjunFlow,
      DataFlowTaskId: taskId,
      SrcFilePath: file,
      DstFilePath: file,
      ...(condition ? { Condition: condition } : {}),
    });
    expect(res.status).toBe(200);
    return CreateDataFlowSubTaskResponse.parse(res.body).DataFlowSubTaskId ?? '';
  }

  /** Status and ErrorMsg of a sub-task as DescribeDataFlowSubTasks reports it (raw JSON). */
  async function seen(subId: string): Promise<{ Status: unknown; ErrorMsg?: unknown }> {
    const res = await fx.call('DescribeDataFlowSubTasks', { FileSystemId: IDS.lingjun, Filters: [{ Key: 'DataFlowSubTaskIds', Value: subId }] });
    expect(res.status).toBe(200);
    const list = (res.body['DataFlowSubTask'] as { DataFlowSubTask: Array<Record<string, unknown>> }).DataFlowSubTask;
    const sub = list.find((s) => s['DataFlowSubTaskId'] === subId);
    if (!sub) throw new Error(`sub-task ${subId} not listed`);
    return { Status: sub['Status'], ...(sub['ErrorMsg'] !== undefined ? { ErrorMsg: sub['ErrorMsg'] } : {}) };
  }

  const cancelSub = (taskId: string, subId: string, extra: Record<string, string | boolean | undefined> = {}) =>
    fx.call('CancelDataFlowSubTask', { FileSystemId: IDS.lingjun, DataFlowId: IDS.lingjunFlow, DataFlowTaskId: taskId, DataFlowSubTaskId: subId, ...extra });

  describe('CancelDataFlowSubTask', () => {
    it('takes a CREATED or RUNNING sub-task through CANCELING to CANCELED, and copies nothing', async () => {
      put(fx.bucketDir, 'a.txt', 'a');
      put(fx.bucketDir, 'b.txt', 'b');
      const stream = await openStream();
      const created = await createSub(stream, '/a.txt');
      const running = await createSub(stream, '/b.txt');
      fx.emulator.clock.advance(100); // both RUNNING now (subTaskCreatedMs 100)
      fx.emulator.tick();
      const createdLater = await createSub(stream, '/a.txt');
      expect((await cancelSub(stream, running)).status).toBe(200);
      expect((await cancelSub(stream, createdLater)).status).toBe(200);
      expect(await seen(running)).toEqual({ Status: 'CANCELING' });
      fx.emulator.settle();
      expect(await seen(running)).toEqual({ Status: 'CANCELED' });
      expect(await seen(createdLater)).toEqual({ Status: 'CANCELED' });
      expect(await seen(created)).toEqual({ Status: 'COMPLETE' }); // not cancelled: it lands
      expect(fx.emulator.importCounts().get(importKey(IDS.lingjun, '/b.txt'))).toBeUndefined();
    });

    it('refuses finished and CANCELING sub-tasks (403 OperationDenied.InvalidState), unknown ones (404), missing ids (400)', async () => {
      const stream = await openStream();
      const sub = await createSub(stream, '/nowhere.txt');
      expect((await cancelSub(stream, sub)).status).toBe(200);
      expectApiError(await cancelSub(stream, sub), 403, 'OperationDenied.InvalidState'); // CANCELING
      fx.emulator.settle();
      expectApiError(await cancelSub(stream, sub), 403, 'OperationDenied.InvalidState'); // CANCELED
      const failed = await createSub(stream, '/nowhere.txt');
      fx.emulator.settle();
      expect((await seen(failed)).Status).toBe('FAILED');
      expectApiError(await cancelSub(stream, failed), 403, 'OperationDenied.InvalidState');
      expectApiError(await cancelSub(stream, 'subTaskId-doesnotexist0000000'), 404, 'InvalidSubTaskId.NotFound');
      const other = await openStream();
      expectApiError(await cancelSub(other, sub), 404, 'InvalidSubTaskId.NotFound');
      for (const missing of ['FileSystemId', 'DataFlowId', 'DataFlowTaskId', 'DataFlowSubTaskId'] as const) {
        const code = missing === 'FileSystemId' ? 'MissingFileSystemId' : missing === 'DataFlowId' ? 'MissingDataFlowId' : missing === 'DataFlowTaskId' ? 'MissingDataFlowTaskId' : 'MissingDataFlowSubTaskId';
        expectApiError(await cancelSub(stream, sub, { [missing]: undefined }), 400, code);
      }
    });

    it('DryRun checks and changes nothing; a ClientToken replays the first answer', async () => {
      const stream = await openStream();
      const sub = await createSub(stream, '/a.txt');
      expect((await cancelSub(stream, sub, { DryRun: true })).status).toBe(200);
      expect(fx.emulator.state.subTasks.get(sub)?.status).toBe('CREATED');
      expect((await cancelSub(stream, sub, { ClientToken: 'c-1' })).status).toBe(200);
      const replay = await cancelSub(stream, sub, { ClientToken: 'c-1' });
      expect(replay.status).toBe(200);
      expect(fx.emulator.log.entries.at(-1)).toMatchObject({ replayed: true });
    });

    it('lets the streaming task be cancelled once no sub-task is CREATED or RUNNING', async () => {
      const stream = await openStream();
      const sub = await createSub(stream, '/a.txt');
      const cancelTask = () => fx.call('CancelDataFlowTask', { FileSystemId: IDS.lingjun, DataFlowId: IDS.lingjunFlow, TaskId: stream });
      expectApiError(await cancelTask(), 403, 'OperationDenied.DependencyViolation');
      expect((await cancelSub(stream, sub)).status).toBe(200);
      expect((await cancelTask()).status).toBe(200);
    });
  });

  it('fails a sub-task whose source changed after it was created (Condition.Size checked when it runs)', async () => {
    put(fx.bucketDir, 'changing.txt', '12345');
    const stream = await openStream();
    const sub = await createSub(stream, '/changing.txt', { Size: 5 });
    put(fx.bucketDir, 'changing.txt', '1234567'); // the object is overwritten after the event
    fx.emulator.settle();
    const s = await seen(sub);
    expect(s.Status).toBe('FAILED');
    expect(String(s.ErrorMsg)).toContain('Condition.Size 5 does not match the source size 7');
    expect(fx.emulator.importCounts().size).toBe(0);
  });

  it('leaves unfinished sub-tasks EXPIRED when their streaming task ends (admin cancel or failure)', async () => {
    put(fx.bucketDir, 'a.txt', 'a');
    const stream = await openStream();
    const done = await createSub(stream, '/a.txt');
    fx.emulator.settle();
    const pending = await createSub(stream, '/a.txt');
    fx.emulator.failTask(stream, 'the service lost the tunnel');
    expect(await seen(done)).toEqual({ Status: 'COMPLETE' });
    const expired = await seen(pending);
    expect(expired.Status).toBe('EXPIRED');
    expect(String(expired.ErrorMsg)).toContain(stream);
    expect(fx.emulator.state.tasks.get(stream)).toMatchObject({ status: 'Failed', errorMsg: 'the service lost the tunnel' });
  });

  it('injects sub-task failures at a rate, deterministically for a seed; failNextSubTasks fails exactly the next ones', async () => {
    const stream = await openStream();
    const run = async (): Promise<string[]> => {
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        put(fx.bucketDir, `f${i}.txt`, 'x');
        ids.push(await createSub(stream, `/f${i}.txt`));
      }
      fx.emulator.settle();
      return ids.map((id) => fx.emulator.state.subTasks.get(id)?.status ?? '?');
    };
    fx.emulator.faults.reseed(11);
    fx.emulator.faults.setSubTaskFailureRate(0.25);
    const first = await run();
    fx.emulator.faults.reseed(11);
    const second = await run();
    expect(second).toEqual(first);
    const failed = first.filter((s) => s === 'FAILED').length;
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(40);
    const failedSub = [...fx.emulator.state.subTasks.values()].find((s) => s.status === 'FAILED');
    expect(failedSub?.errorMsg).toBe(INJECTED_SUB_TASK_ERROR);

    fx.emulator.faults.clear();
    fx.emulator.faults.failNextSubTasks(2);
    const next = await run();
    expect(next.slice(0, 3)).toEqual(['FAILED', 'FAILED', 'COMPLETE']);
    expect(next.filter((s) => s === 'FAILED')).toHaveLength(2);
    expect(() => fx.emulator.faults.setSubTaskFailureRate(2)).toThrow(RangeError);
  });
});

describe('emulator: all seven documented quotas are enforced', () => {
  let fx: EmulatorFixture;
  beforeEach(async () => {
    fx = await startTestEmulator();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it.each([
    ['CreateDataFlowTask', 120],
    ['CreateDataFlowSubTask', 100],
    ['DescribeDataFlowSubTasks', 100],
    ['CancelDataFlowSubTask', 100],
    ['DescribeDataFlowTasks', 120],
    ['CancelDataFlowTask', 120],
    ['DescribeDataFlows', 120],
  ] as const)('%s: %i requests at one instant pass, the next is Throttling.User and not executed', async (action, limit) => {
    // Requests may fail for their own reasons (e.g. an unknown task): what counts is that none is throttled.
    const params: Record<string, string> = { FileSystemId: IDS.lingjun, DataFlowId: IDS.lingjunFlow, TaskId: 'task-0', DataFlowTaskId: 'task-0', DataFlowSubTaskId: 'x', SrcFilePath: '/a', DstFilePath: '/a' };
    for (let i = 0; i < limit; i++) {
      const res = await fx.call(action, action === 'CreateDataFlowTask' ? lingjunImport({ DryRun: true }) : params);
      if (res.body['Code'] === 'Throttling.User') throw new Error(`request ${i + 1} of ${action} was throttled`);
    }
    const over = await fx.call(action, action === 'CreateDataFlowTask' ? lingjunImport({ DryRun: true }) : params);
    expectApiError(over, 400, 'Throttling.User');
    expect(fx.emulator.log.entries.at(-1)).toMatchObject({ action, code: 'Throttling.User', executed: false });
  });
});
