import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreateDataFlowSubTaskResponse, CreateDataFlowTaskResponse } from '../../../shared/nas/wire.js';
import { IDS, STS_KEY, expectApiError, lingjunImport, lingjunStream, startTestEmulator, type EmulatorFixture } from '../../support/emulator-fixtures.js';

describe('emulator: ClientToken idempotency and DryRun', () => {
  let fx: EmulatorFixture;
  beforeEach(async () => {
    fx = await startTestEmulator();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it('answers the same TaskId for the same token and parameters, creating one task', async () => {
    const params = lingjunImport({ ClientToken: 'token-1' });
    const first = CreateDataFlowTaskResponse.parse((await fx.call('CreateDataFlowTask', params)).body);
    const second = CreateDataFlowTaskResponse.parse((await fx.call('CreateDataFlowTask', params)).body);
    expect(second.TaskId).toBe(first.TaskId);
    expect(second.RequestId).not.toBe(first.RequestId);
    expect(fx.emulator.state.tasks.size).toBe(1);
    expect(fx.emulator.log.forAction('CreateDataFlowTask').map((e) => e.replayed ?? false)).toEqual([false, true]);
  });

  it('treats the same token from a different account as a different request', async () => {
    fx.emulator.addKey({ accessKeyId: 'LTAI-other', accessKeySecret: 'other-secret', accountId: '999' });
    const params = lingjunImport({ ClientToken: 'token-1' });
    const a = CreateDataFlowTaskResponse.parse((await fx.call('CreateDataFlowTask', params)).body);
    const b = CreateDataFlowTaskResponse.parse(
      (await fx.call('CreateDataFlowTask', params, { credentials: { accessKeyId: 'LTAI-other', accessKeySecret: 'other-secret' } })).body,
    );
    expect(b.TaskId).not.toBe(a.TaskId);
    // Keys of the same account share tokens.
    const c = CreateDataFlowTaskResponse.parse((await fx.call('CreateDataFlowTask', params, { credentials: STS_KEY })).body);
    expect(c.TaskId).toBe(a.TaskId);
  });

  it('rejects the same token with different parameters (IdempotentParameterMismatch)', async () => {
    await fx.call('CreateDataFlowTask', lingjunImport({ ClientToken: 'token-2' }));
    const res = await fx.call('CreateDataFlowTask', lingjunImport({ ClientToken: 'token-2', EntryList: '["/other.txt"]' }));
    expectApiError(res, 400, 'IdempotentParameterMismatch');
    expect(fx.emulator.state.tasks.size).toBe(1);
  });

  it('replays a token even when the state changed since (a retry must not fail on the 4-task limit)', async () => {
    const params = lingjunImport({ ClientToken: 'token-3' });
    const first = CreateDataFlowTaskResponse.parse((await fx.call('CreateDataFlowTask', params)).body);
    for (let i = 0; i < 3; i++) await fx.call('CreateDataFlowTask', lingjunImport({ EntryList: `["/f${i}"]` }));
    fx.emulator.setDataFlowStatus(IDS.lingjunFlow, 'Stopped');
    const retry = await fx.call('CreateDataFlowTask', params);
    expect(retry.status).toBe(200);
    expect(CreateDataFlowTaskResponse.parse(retry.body).TaskId).toBe(first.TaskId);
  });

  it('does not remember a failed request: a retry with the same token is evaluated afresh', async () => {
    fx.emulator.setDataFlowStatus(IDS.lingjunFlow, 'Stopped');
    const params = lingjunImport({ ClientToken: 'token-4' });
    expectApiError(await fx.call('CreateDataFlowTask', params), 403, 'OperationDenied.InvalidState');
    fx.emulator.setDataFlowStatus(IDS.lingjunFlow, 'Running');
    const ok = await fx.call('CreateDataFlowTask', params);
    expect(CreateDataFlowTaskResponse.parse(ok.body).TaskId).toMatch(/^task-[0-9a-f]{16}$/);
  });

  it('makes CreateDataFlowSubTask idempotent too', async () => {
    const stream = CreateDataFlowTaskResponse.parse((await fx.call('CreateDataFlowTask', lingjunStream())).body);
    const params = {
      FileSystemId: IDS.lingjun,
      DataFlowId: IDS.lingjunFlow,
      DataFlowTaskId: stream.TaskId,
      SrcFilePath: '/a.txt',
      DstFilePath: '/a.txt',
      ClientToken: 'sub-token',
    };
    const a = CreateDataFlowSubTaskResponse.parse((await fx.call('CreateDataFlowSubTask', params)).body);
    const b = CreateDataFlowSubTaskResponse.parse((await fx.call('CreateDataFlowSubTask', params)).body);
    expect(b.DataFlowSubTaskId).toBe(a.DataFlowSubTaskId);
    expect(fx.emulator.state.subTasks.size).toBe(1);
    const mismatch = await fx.call('CreateDataFlowSubTask', { ...params, DstFilePath: '/b.txt' });
    expectApiError(mismatch, 400, 'IdempotentParameterMismatch');
  });

  it('DryRun=true runs every check, creates nothing and returns no TaskId', async () => {
    const res = await fx.call('CreateDataFlowTask', lingjunImport({ DryRun: true, ClientToken: 'dry' }));
    expect(res.status).toBe(200);
    const body = CreateDataFlowTaskResponse.parse(res.body);
    expect(body.TaskId).toBeUndefined();
    expect(fx.emulator.state.tasks.size).toBe(0);

    const invalid = await fx.call('CreateDataFlowTask', lingjunImport({ DryRun: true, EntryList: 'nope' }));
    expectApiError(invalid, 404, 'InvalidParameter.InvalidFormat');

    // A dry run does not consume the token: the real request then creates the task.
    const real = CreateDataFlowTaskResponse.parse((await fx.call('CreateDataFlowTask', lingjunImport({ ClientToken: 'dry' }))).body);
    expect(real.TaskId).toBeDefined();
    expect(fx.emulator.state.tasks.size).toBe(1);
  });

  it('DryRun=true on CreateDataFlowSubTask and CancelDataFlowTask changes nothing', async () => {
    const stream = CreateDataFlowTaskResponse.parse((await fx.call('CreateDataFlowTask', lingjunStream())).body);
    const sub = await fx.call('CreateDataFlowSubTask', {
      FileSystemId: IDS.lingjun,
      DataFlowId: IDS.lingjunFlow,
      DataFlowTaskId: stream.TaskId,
      SrcFilePath: '/a.txt',
      DstFilePath: '/a.txt',
      DryRun: true,
    });
    expect(sub.status).toBe(200);
    expect(CreateDataFlowSubTaskResponse.parse(sub.body).DataFlowSubTaskId).toBeUndefined();
    expect(fx.emulator.state.subTasks.size).toBe(0);
    const cancel = await fx.call('CancelDataFlowTask', { FileSystemId: IDS.lingjun, DataFlowId: IDS.lingjunFlow, TaskId: stream.TaskId, DryRun: true });
    expect(cancel.status).toBe(200);
    expect(fx.emulator.state.tasks.get(stream.TaskId ?? '')?.status).toBe('Executing');
  });
});
