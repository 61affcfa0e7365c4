import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreateDataFlowTaskResponse, DescribeDataFlowTasksResponse, type DataFlowTask } from '../../../shared/nas/wire.js';
import { IDS, lingjunImport, startTestEmulator, type EmulatorFixture } from '../../support/emulator-fixtures.js';

function put(root: string, key: string, content: string): void {
  const file = path.join(root, key);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

describe('emulator: batch task lifecycle', () => {
  let fx: EmulatorFixture;
  beforeEach(async () => {
    fx = await startTestEmulator();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  async function createTask(params: Record<string, string | boolean | undefined>): Promise<string> {
    const res = await fx.call('CreateDataFlowTask', params);
    expect(res.status).toBe(200);
    return CreateDataFlowTaskResponse.parse(res.body).TaskId ?? '';
  }

  async function describeTask(taskId: string, withReports = false): Promise<DataFlowTask> {
    const res = await fx.call('DescribeDataFlowTasks', {
      FileSystemId: IDS.lingjun,
      Filters: [{ Key: 'TaskIds', Value: taskId }],
      WithReports: withReports,
    });
    expect(res.status).toBe(200);
    const task = DescribeDataFlowTasksResponse.parse(res.body).TaskInfo?.Task?.[0];
    if (!task) throw new Error(`task ${taskId} not listed`);
    return task;
  }

  it('goes Pending → Executing → Completed on the clock and copies each EntryList object', async () => {
    put(fx.bucketDir, 'incoming/a.txt', 'alpha');
    put(fx.bucketDir, 'incoming/sub/b.txt', 'bravo!');
    const taskId = await createTask(
      lingjunImport({
        DstDirectory: '/landing/',
        CreateDirIfNotExist: true,
        EntryList: JSON.stringify(['/incoming/a.txt', '/incoming/sub/b.txt']),
      }),
    );
    expect((await describeTask(taskId)).Status).toBe('Pending');
    fx.emulator.clock.advance(1_000);
    const executing = await describeTask(taskId);
    expect(executing.Status).toBe('Executing');
    expect(executing.ProgressStats).toMatchObject({ FilesTotal: 2, BytesTotal: 11, FilesDone: 0 });
    expect(existsSync(path.join(fx.fsDir, 'landing/incoming/a.txt'))).toBe(false);
    fx.emulator.clock.advance(2_000);
    const done = await describeTask(taskId);
    expect(done).toMatchObject({
      Status: 'Completed',
      Progress: 100,
      ProgressStats: { FilesTotal: 2, FilesDone: 2, BytesTotal: 11, BytesDone: 11 },
      CreateTime: '2024-07-01 12:00:00',
      StartTime: '2024-07-01 12:00:01',
      EndTime: '2024-07-01 12:00:03',
      FilesystemId: IDS.lingjun,
      DataFlowId: IDS.lingjunFlow,
      TaskAction: 'Import',
      SourceStorage: 'oss://test-bucket',
    });
    expect(done.ErrorMsg).toBeUndefined();
    // FileSystemPath (/) + DstDirectory + the object's path below SourceStoragePath (/).
    expect(readFileSync(path.join(fx.fsDir, 'landing/incoming/a.txt'), 'utf8')).toBe('alpha');
    expect(readFileSync(path.join(fx.fsDir, 'landing/incoming/sub/b.txt'), 'utf8')).toBe('bravo!');
  });

  it('counts a missing object as failed; fails the task with ErrorMsg when every object is missing', async () => {
    put(fx.bucketDir, 'a.txt', 'here');
    const partial = await createTask(lingjunImport({ EntryList: JSON.stringify(['/a.txt', '/missing.txt']) }));
    const allMissing = await createTask(lingjunImport({ EntryList: JSON.stringify(['/gone-1.txt', '/gone-2.txt']) }));
    fx.emulator.settle();
    const p = await describeTask(partial);
    expect(p).toMatchObject({ Status: 'Completed', ProgressStats: { FilesTotal: 2, FilesDone: 1 } });
    expect(p.ErrorMsg).toContain('/missing.txt');
    const f = await describeTask(allMissing);
    expect(f).toMatchObject({ Status: 'Failed', ProgressStats: { FilesTotal: 2, FilesDone: 0 } });
    expect(f.ErrorMsg).toContain('2 of 2 files failed');
  });

  it('imports a whole Directory when no EntryList is given', async () => {
    put(fx.bucketDir, 'dir/x.txt', 'x');
    put(fx.bucketDir, 'dir/deep/y.txt', 'yy');
    put(fx.bucketDir, 'elsewhere/z.txt', 'z');
    const taskId = await createTask(lingjunImport({ EntryList: undefined, Directory: '/dir/', DstDirectory: '/copy/', CreateDirIfNotExist: true }));
    fx.emulator.settle();
    expect((await describeTask(taskId)).ProgressStats).toMatchObject({ FilesTotal: 2, FilesDone: 2, BytesDone: 3 });
    expect(readFileSync(path.join(fx.fsDir, 'copy/deep/y.txt'), 'utf8')).toBe('yy');
    expect(existsSync(path.join(fx.fsDir, 'copy/z.txt'))).toBe(false);
  });

  it('applies the ConflictPolicy to files that already exist', async () => {
    put(fx.bucketDir, 'c.txt', 'new');
    put(fx.fsDir, 'c.txt', 'old');
    await createTask(lingjunImport({ EntryList: '["/c.txt"]', ConflictPolicy: 'SKIP_THE_FILE' }));
    fx.emulator.settle();
    expect(readFileSync(path.join(fx.fsDir, 'c.txt'), 'utf8')).toBe('old');
    await createTask(lingjunImport({ EntryList: '["/c.txt"]', ConflictPolicy: 'OVERWRITE_EXISTING' }));
    fx.emulator.settle();
    expect(readFileSync(path.join(fx.fsDir, 'c.txt'), 'utf8')).toBe('new');
  });

  it('fails an import into a missing directory unless CreateDirIfNotExist is true', async () => {
    put(fx.bucketDir, 'a.txt', 'a');
    const without = await createTask(lingjunImport({ EntryList: '["/a.txt"]', DstDirectory: '/not-there/' }));
    fx.emulator.settle();
    const t = await describeTask(without);
    expect(t.Status).toBe('Failed');
    expect(t.ErrorMsg).toContain('CreateDirIfNotExist');
    const withFlag = await createTask(lingjunImport({ EntryList: '["/a.txt"]', DstDirectory: '/not-there/', CreateDirIfNotExist: true }));
    fx.emulator.settle();
    expect((await describeTask(withFlag)).Status).toBe('Completed');
  });

  it('gives LINGJUN batch tasks report links only when WithReports=true', async () => {
    const taskId = await createTask(lingjunImport());
    fx.emulator.settle();
    expect((await describeTask(taskId)).Reports).toBeUndefined();
    const reports = (await describeTask(taskId, true)).Reports?.Report ?? [];
    expect(reports.map((r) => r.Name)).toEqual(['TotalFilesReport', 'FailedFilesReport']);
    for (const r of reports) expect(r.Path).toMatch(/^https:\/\/test-bucket\.oss-[^?]+\?.*OSSAccessKeyId=.*&Signature=/);
    // The request log never holds response bodies, so never these URLs.
    expect(JSON.stringify(fx.emulator.log.entries)).not.toContain('Signature=');
  });

  it('runs Evict on a CPFS data flow to completion without reports', async () => {
    const res = await fx.call('CreateDataFlowTask', { FileSystemId: IDS.cpfs, DataFlowId: IDS.cpfsFlow, TaskAction: 'Evict', Directory: '/' });
    const taskId = CreateDataFlowTaskResponse.parse(res.body).TaskId ?? '';
    fx.emulator.settle();
    const list = await fx.call('DescribeDataFlowTasks', { FileSystemId: IDS.cpfs, WithReports: true });
    const task = DescribeDataFlowTasksResponse.parse(list.body).TaskInfo?.Task?.find((t) => t.TaskId === taskId);
    expect(task?.Status).toBe('Completed');
    expect(task?.Reports).toBeUndefined();
  });
});
