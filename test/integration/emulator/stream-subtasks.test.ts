import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CreateDataFlowSubTaskResponse,
  CreateDataFlowTaskResponse,
  DescribeDataFlowSubTasksResponse,
  DescribeDataFlowTasksResponse,
  type DataFlowSubTask,
} from '../../../shared/nas/wire.js';
import { resolveSubTaskPaths } from '../../../emulator/server.js';
import type { DataFlowRecord, TaskRecord } from '../../../emulator/state.js';
import { IDS, expectApiError, lingjunImport, lingjunStream, startTestEmulator, type EmulatorFixture } from '../../support/emulator-fixtures.js';

function put(root: string, key: string, content: string): string {
  const file = path.join(root, key);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

describe('emulator: streaming tasks and sub-tasks', () => {
  let fx: EmulatorFixture;
  beforeEach(async () => {
    fx = await startTestEmulator();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  async function openStream(overrides: Record<string, string | boolean | undefined> = {}): Promise<string> {
    const res = await fx.call('CreateDataFlowTask', lingjunStream(overrides));
    expect(res.status).toBe(200);
    return CreateDataFlowTaskResponse.parse(res.body).TaskId ?? '';
  }

  const subParams = (taskId: string, extra: Record<string, string | number | undefined> = {}) => ({
    FileSystemId: IDS.lingjun,
    DataFlowId: IDS.lingjunFlow,
    DataFlowTaskId: taskId,
    SrcFilePath: '/a.txt',
    DstFilePath: '/a.txt',
    ...extra,
  });

  async function createSub(taskId: string, extra: Record<string, string | number | undefined> = {}, condition?: { Size?: number; ModifyTime?: string }): Promise<string> {
    const res = await fx.call('CreateDataFlowSubTask', { ...subParams(taskId, extra), ...(condition ? { Condition: condition } : {}) });
    expect(res.status).toBe(200);
    return CreateDataFlowSubTaskResponse.parse(res.body).DataFlowSubTaskId ?? '';
  }

  async function describeSub(subId: string): Promise<DataFlowSubTask> {
    const res = await fx.call('DescribeDataFlowSubTasks', { FileSystemId: IDS.lingjun, Filters: [{ Key: 'DataFlowSubTaskIds', Value: subId }] });
    expect(res.status).toBe(200);
    const sub = DescribeDataFlowSubTasksResponse.parse(res.body).DataFlowSubTask?.DataFlowSubTask?.[0];
    if (!sub) throw new Error(`sub-task ${subId} not listed`);
    return sub;
  }

  it('opens a streaming task that goes Executing and stays there', async () => {
    await fx.cleanup();
    fx = await startTestEmulator({ timings: { streamPendingMs: 500 } });
    const taskId = await openStream();
    expect(fx.emulator.state.tasks.get(taskId)?.status).toBe('Pending');
    // Sub-tasks need an Executing streaming task.
    expectApiError(await fx.call('CreateDataFlowSubTask', subParams(taskId)), 403, 'OperationDenied.InvalidState');
    fx.emulator.clock.advance(500);
    fx.emulator.settle();
    const list = DescribeDataFlowTasksResponse.parse((await fx.call('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun })).body);
    expect(list.TaskInfo?.Task?.[0]).toMatchObject({ TaskId: taskId, Status: 'Executing', TaskAction: 'StreamImport' });
    expect((await fx.call('CreateDataFlowSubTask', subParams(taskId))).status).toBe(200);
  });

  it('accepts sub-tasks only for an Executing streaming task of the same data flow', async () => {
    const batch = CreateDataFlowTaskResponse.parse((await fx.call('CreateDataFlowTask', lingjunImport())).body).TaskId ?? '';
    expectApiError(await fx.call('CreateDataFlowSubTask', subParams(batch)), 403, 'OperationDenied.DataFlowNotSupported');
    expectApiError(await fx.call('CreateDataFlowSubTask', subParams('task-ffffffffffffffff')), 404, 'InvalidTaskId.NotFound');
    const stream = await openStream();
    expectApiError(await fx.call('CreateDataFlowSubTask', { ...subParams(stream), DataFlowId: IDS.lingjunFlow2 }), 404, 'InvalidTaskId.NotFound');
    fx.emulator.setDataFlowStatus(IDS.lingjunFlow, 'Stopped');
    expectApiError(await fx.call('CreateDataFlowSubTask', subParams(stream)), 403, 'OperationDenied.InvalidState');
  });

  it('validates sub-task parameters and file-system support', async () => {
    const stream = await openStream();
    expectApiError(await fx.call('CreateDataFlowSubTask', subParams(stream, { DataFlowTaskId: undefined })), 400, 'MissingDataFlowTaskId');
    expectApiError(await fx.call('CreateDataFlowSubTask', subParams(stream, { SrcFilePath: undefined })), 400, 'MissingSrcFilePath');
    expectApiError(await fx.call('CreateDataFlowSubTask', subParams(stream, { DstFilePath: undefined })), 400, 'MissingDstFilePath');
    expectApiError(await fx.call('CreateDataFlowSubTask', subParams(stream, { DstFilePath: '/dir/' })), 404, 'InvalidParameter.InvalidFormat');
    expectApiError(await fx.call('CreateDataFlowSubTask', subParams(stream, { SrcFilePath: 'a.txt' })), 404, 'InvalidParameter.InvalidFormat');
    expectApiError(await fx.call('CreateDataFlowSubTask', subParams(stream, { SrcFilePath: '/a\\b.txt' })), 400, 'IllegalCharacters');
    expectApiError(await fx.call('CreateDataFlowSubTask', { ...subParams(stream), Condition: { Size: -1 } }), 404, 'InvalidParameter.InvalidFormat');
    expectApiError(
      await fx.call('CreateDataFlowSubTask', { ...subParams(stream), FileSystemId: IDS.cpfs, DataFlowId: IDS.cpfsFlow }),
      403,
      'OperationDenied.DataFlowNotSupported',
    );
    expectApiError(
      await fx.call('CreateDataFlowSubTask', { ...subParams(stream), FileSystemId: IDS.lingjun24, DataFlowId: IDS.lingjun24Flow }),
      400,
      'InvalidFilesystemVersion.NotSupport',
    );
  });

  it('runs a sub-task CREATED → RUNNING → COMPLETE and really copies the file', async () => {
    const src = put(fx.bucketDir, 'in/a.txt', 'hello, cpfs');
    const stream = await openStream({ Directory: '/in/', DstDirectory: '/out/' });
    const mtimeNs = statSync(src, { bigint: true }).mtimeNs;
    const subId = await createSub(stream, {}, { Size: 11, ModifyTime: mtimeNs.toString() });
    expect(await describeSub(subId)).toMatchObject({ Status: 'CREATED', Progress: 0, DataFlowTaskId: stream, SrcFilePath: '/a.txt' });
    fx.emulator.clock.advance(100);
    expect((await describeSub(subId)).Status).toBe('RUNNING');
    fx.emulator.clock.advance(400);
    const done = await describeSub(subId);
    expect(done).toMatchObject({ Status: 'COMPLETE', Progress: 10_000, ProgressStats: { BytesTotal: 11, BytesDone: 11 }, FileDetail: { Size: 11 } });
    expect(done.FileDetail?.Checksum).toMatch(/^crc64:\d+$/);
    expect(done.ErrorMsg).toBeUndefined();
    expect(readFileSync(path.join(fx.fsDir, 'out/a.txt'), 'utf8')).toBe('hello, cpfs');
    // The streaming task stays Executing and sums its sub-tasks.
    const task = DescribeDataFlowTasksResponse.parse((await fx.call('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun })).body).TaskInfo?.Task?.[0];
    expect(task).toMatchObject({ Status: 'Executing', ProgressStats: { FilesTotal: 1, FilesDone: 1, BytesDone: 11 } });
  });

  it('fails a sub-task whose Condition.Size does not match the source', async () => {
    put(fx.bucketDir, 'a.txt', '12345');
    const stream = await openStream();
    const subId = await createSub(stream, {}, { Size: 4 });
    fx.emulator.settle();
    const sub = await describeSub(subId);
    expect(sub.Status).toBe('FAILED');
    expect(sub.ErrorMsg).toContain('Condition.Size');
    expect(existsSync(path.join(fx.fsDir, 'a.txt'))).toBe(false);
  });

  it('fails a sub-task whose Condition.ModifyTime is another second than the source', async () => {
    const src = put(fx.bucketDir, 'a.txt', 'x');
    utimesSync(src, new Date('2024-01-01T00:00:10Z'), new Date('2024-01-01T00:00:10Z'));
    const stream = await openStream();
    const sameSecond = await createSub(stream, { DstFilePath: '/same.txt' }, { ModifyTime: `${Date.parse('2024-01-01T00:00:10Z')}000999` });
    const otherSecond = await createSub(stream, { DstFilePath: '/other.txt' }, { ModifyTime: `${Date.parse('2024-01-01T00:00:11Z')}000000` });
    fx.emulator.settle();
    expect((await describeSub(sameSecond)).Status).toBe('COMPLETE');
    const failed = await describeSub(otherSecond);
    expect(failed.Status).toBe('FAILED');
    expect(failed.ErrorMsg).toContain('Condition.ModifyTime');
  });

  it('fails a sub-task whose source does not exist', async () => {
    const stream = await openStream();
    const subId = await createSub(stream, { SrcFilePath: '/nowhere.txt' });
    fx.emulator.settle();
    const sub = await describeSub(subId);
    expect(sub).toMatchObject({ Status: 'FAILED' });
    expect(sub.ErrorMsg).toContain('/nowhere.txt');
  });

  it("reads sub-task paths relative to the data flow's paths when subTaskPathBase is 'dataFlow'", async () => {
    await fx.cleanup();
    fx = await startTestEmulator({ subTaskPathBase: 'dataFlow' });
    put(fx.bucketDir, 'root.txt', 'root');
    const stream = await openStream({ Directory: '/in/', DstDirectory: '/out/' });
    const subId = await createSub(stream, { SrcFilePath: '/root.txt', DstFilePath: '/landed.txt' });
    fx.emulator.settle();
    expect((await describeSub(subId)).Status).toBe('COMPLETE');
    expect(readFileSync(path.join(fx.fsDir, 'landed.txt'), 'utf8')).toBe('root');
  });
});

describe('resolveSubTaskPaths (the one UNVERIFIED path-base decision)', () => {
  const dataFlow = { sourceStoragePath: '/src-prefix/', fileSystemPath: '/fs-prefix/' } as DataFlowRecord;
  const task = (action: 'StreamImport' | 'StreamExport') => ({ action, directory: '/dir/', dstDirectory: '/dst/' }) as TaskRecord;
  const sub = { srcFilePath: '/x/a.bin', dstFilePath: '/y/b.bin' };

  it.each([
    ['StreamImport', 'task', 'bucket', '/src-prefix/dir/x/a.bin', 'fileSystem', '/fs-prefix/dst/y/b.bin'],
    ['StreamImport', 'dataFlow', 'bucket', '/src-prefix/x/a.bin', 'fileSystem', '/fs-prefix/y/b.bin'],
    ['StreamExport', 'task', 'fileSystem', '/fs-prefix/dir/x/a.bin', 'bucket', '/src-prefix/dst/y/b.bin'],
    ['StreamExport', 'dataFlow', 'fileSystem', '/fs-prefix/x/a.bin', 'bucket', '/src-prefix/y/b.bin'],
  ] as const)('%s with base %s', (action, base, srcStore, srcPath, dstStore, dstPath) => {
    expect(resolveSubTaskPaths(dataFlow, task(action), sub, base)).toEqual({
      source: { store: srcStore, path: srcPath },
      destination: { store: dstStore, path: dstPath },
    });
  });
});
