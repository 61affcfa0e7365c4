import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CancelDataFlowTaskResponse, CreateDataFlowSubTaskResponse, CreateDataFlowTaskResponse } from '../../../shared/nas/wire.js';
import { startEmulator } from '../../../emulator/server.js';
import { createEmulatorCaller } from '../../support/emulator-request.js';
import {
  IDS,
  TEST_KEY,
  expectApiError,
  lingjunImport,
  lingjunStream,
  startTestEmulator,
  type EmulatorFixture,
} from '../../support/emulator-fixtures.js';

describe('emulator: CancelDataFlowTask and the admin API', () => {
  let fx: EmulatorFixture;
  beforeEach(async () => {
    fx = await startTestEmulator();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  const cancel = (taskId: string, extra: Record<string, string> = {}) =>
    fx.call('CancelDataFlowTask', { FileSystemId: IDS.lingjun, DataFlowId: IDS.lingjunFlow, TaskId: taskId, ...extra });

  async function create(params: Record<string, string | boolean | undefined>): Promise<string> {
    return CreateDataFlowTaskResponse.parse((await fx.call('CreateDataFlowTask', params)).body).TaskId ?? '';
  }

  it('cancels a Pending batch task: Canceling, then Canceled; a finished task cannot be cancelled', async () => {
    const taskId = await create(lingjunImport());
    const res = await cancel(taskId);
    expect(res.status).toBe(200);
    CancelDataFlowTaskResponse.parse(res.body);
    expect(fx.emulator.state.tasks.get(taskId)?.status).toBe('Canceling');
    fx.emulator.clock.advance(1_000);
    fx.emulator.tick();
    expect(fx.emulator.state.tasks.get(taskId)?.status).toBe('Canceled');
    expectApiError(await cancel(taskId), 403, 'OperationDenied.InvalidState');
    expectApiError(await cancel('task-ffffffffffffffff'), 404, 'InvalidTaskId.NotFound');
    expectApiError(await fx.call('CancelDataFlowTask', { FileSystemId: IDS.lingjun, DataFlowId: IDS.lingjunFlow }), 400, 'MissingTaskId');
  });

  it('replays a cancel with the same ClientToken instead of failing on the changed state', async () => {
    const taskId = await create(lingjunImport());
    expect((await cancel(taskId, { ClientToken: 'cancel-1' })).status).toBe(200);
    expect((await cancel(taskId, { ClientToken: 'cancel-1' })).status).toBe(200);
    expectApiError(await cancel(taskId, { ClientToken: 'cancel-2' }), 403, 'OperationDenied.InvalidState');
  });

  it('refuses to cancel a streaming task with CREATED or RUNNING sub-tasks (DependencyViolation)', async () => {
    const stream = await create(lingjunStream());
    const sub = await fx.call('CreateDataFlowSubTask', {
      FileSystemId: IDS.lingjun,
      DataFlowId: IDS.lingjunFlow,
      DataFlowTaskId: stream,
      SrcFilePath: '/a.txt',
      DstFilePath: '/a.txt',
    });
    CreateDataFlowSubTaskResponse.parse(sub.body);
    expectApiError(await cancel(stream), 403, 'OperationDenied.DependencyViolation');
    fx.emulator.clock.advance(100); // RUNNING now
    fx.emulator.tick();
    expectApiError(await cancel(stream), 403, 'OperationDenied.DependencyViolation');
    fx.emulator.settle(); // the sub-task ends (FAILED: no source file)
    expect((await cancel(stream)).status).toBe(200);
    fx.emulator.settle();
    expect(fx.emulator.state.tasks.get(stream)?.status).toBe('Canceled');
  });

  it('lets a test take a streaming task away from under the client', async () => {
    const stream = await create(lingjunStream());
    const params = { FileSystemId: IDS.lingjun, DataFlowId: IDS.lingjunFlow, DataFlowTaskId: stream, SrcFilePath: '/a', DstFilePath: '/a' };
    expect((await fx.call('CreateDataFlowSubTask', params)).status).toBe(200);

    fx.emulator.cancelTask(stream);
    // The streaming task ended under its unfinished sub-task: EXPIRED (ASSUMED, see emulator/README.md).
    expect([...fx.emulator.state.subTasks.values()].map((s) => s.status)).toEqual(['EXPIRED']);
    expectApiError(await fx.call('CreateDataFlowSubTask', params), 403, 'OperationDenied.InvalidState');

    fx.emulator.removeTask(stream);
    expect(fx.emulator.state.subTasks.size).toBe(0);
    expectApiError(await fx.call('CreateDataFlowSubTask', params), 404, 'InvalidTaskId.NotFound');
  });

  it('stops and restarts a data flow, and adds file systems and data flows at run time', async () => {
    fx.emulator.setDataFlowStatus(IDS.lingjunFlow, 'Stopped');
    expectApiError(await fx.call('CreateDataFlowTask', lingjunImport()), 403, 'OperationDenied.InvalidState');
    fx.emulator.setDataFlowStatus(IDS.lingjunFlow, 'Running');
    expect((await fx.call('CreateDataFlowTask', lingjunImport())).status).toBe(200);

    fx.emulator.addFileSystem({ id: 'bmcpfs-added000001', version: '2.6.0' });
    fx.emulator.addDataFlow({ id: 'df-added000001', fileSystemId: 'bmcpfs-added000001', sourceStorage: 'oss://b2' });
    const res = await fx.call('CreateDataFlowTask', lingjunImport({ FileSystemId: 'bmcpfs-added000001', DataFlowId: 'df-added000001' }));
    expect(res.status).toBe(200);
    fx.emulator.setFileSystemVersion('bmcpfs-added000001', '2.5.0');
    expectApiError(
      await fx.call('CreateDataFlowTask', lingjunStream({ FileSystemId: 'bmcpfs-added000001', DataFlowId: 'df-added000001' })),
      400,
      'InvalidFilesystemVersion.NotSupport',
    );
  });

  it('settle() runs every lifecycle to its end and reports the time it advanced', async () => {
    await create(lingjunImport());
    const before = fx.emulator.clock.now();
    const advanced = fx.emulator.settle();
    expect(advanced).toBe(3_000);
    expect(fx.emulator.clock.now() - before).toBe(3_000);
    expect([...fx.emulator.state.tasks.values()].map((t) => t.status)).toEqual(['Failed']);
  });
});

describe('emulator: real-time clock with a time scale', () => {
  it('waitForIdle() lets lifecycles run on a sped-up wall clock without moving it by hand', async () => {
    const emulator = await startEmulator({
      timeScale: 1_000,
      autoTickMs: 5,
      keys: [TEST_KEY],
      fileSystems: [{ id: IDS.lingjun }],
      dataFlows: [{ id: IDS.lingjunFlow, fileSystemId: IDS.lingjun, sourceStorage: 'oss://test-bucket' }],
    });
    try {
      const call = createEmulatorCaller(emulator, TEST_KEY);
      const res = await call('CreateDataFlowTask', lingjunImport());
      const taskId = CreateDataFlowTaskResponse.parse(res.body).TaskId ?? '';
      await emulator.waitForIdle({ timeoutMs: 10_000 });
      // No bucket directory: the import is simulated and succeeds.
      expect(emulator.state.tasks.get(taskId)?.status).toBe('Completed');
    } finally {
      await emulator.stop();
    }
  });
});
