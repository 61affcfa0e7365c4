/**
 * Bulk shapes in the emulator (issue 10): Import from TransferFileListPath manifests, and the duration
 * model (per-task overhead + per-file + per-byte) that ProgressStats follow.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CreateDataFlowTaskResponse } from '../../../shared/nas/wire.js';
import { importKey } from '../../../emulator/server.js';
import { parseCsv, rowProblem } from '../../../emulator/manifests.js';
import { IDS, expectApiError, lingjunImport, startTestEmulator, type EmulatorFixture } from '../../support/emulator-fixtures.js';

function put(root: string, key: string, content: string | Buffer): void {
  const file = path.join(root, key);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

let fx: EmulatorFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

async function create(f: EmulatorFixture, params: Record<string, string | boolean | undefined>): Promise<string> {
  const res = await f.call('CreateDataFlowTask', params);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return CreateDataFlowTaskResponse.parse(res.body).TaskId ?? '';
}

async function rawTask(f: EmulatorFixture, taskId: string): Promise<Record<string, unknown>> {
  const res = await f.call('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun, Filters: [{ Key: 'TaskIds', Value: taskId }], WithReports: false });
  const task = (res.body['TaskInfo'] as { Task: Record<string, unknown>[] }).Task[0];
  if (!task) throw new Error(`task ${taskId} not listed`);
  return task;
}

const manifestImport = (extra: Record<string, string | boolean | undefined> = {}) =>
  lingjunImport({ EntryList: undefined, TransferFileListPath: '/.cpfs-ingest/manifests/run-1/', DstDirectory: '/landing/', CreateDirIfNotExist: true, ...extra });

describe('emulator: Import from TransferFileListPath (LINGJUN)', () => {
  it('imports the files and directories the CSV rows name; Name is relative to SourceStoragePath', async () => {
    fx = await startTestEmulator();
    // lingjunFlow2: SourceStoragePath /other/, FileSystemPath /other/.
    put(fx.bucketDir, 'other/ds/a.bin', 'aaaa');
    put(fx.bucketDir, 'other/ds/with, comma.bin', 'c');
    put(fx.bucketDir, 'other/ds/imgs/1.png', '11');
    put(fx.bucketDir, 'other/ds/imgs/deep/2.png', '222');
    put(fx.bucketDir, 'other/ds/not-listed.bin', 'n');
    put(fx.bucketDir, '.cpfs-ingest/manifests/run-1/part-00000.csv', 'Name,Type\nds/a.bin,file\n"ds/with, comma.bin",file\n');
    put(fx.bucketDir, '.cpfs-ingest/manifests/run-1/part-00001.csv', '\uFEFFName,Type\r\nds/imgs/,dir\r\n');
    put(fx.bucketDir, '.cpfs-ingest/manifests/run-1/notes.txt', 'not a manifest');
    const taskId = await create(fx, manifestImport({ DataFlowId: IDS.lingjunFlow2 }));
    fx.emulator.settle();
    expect(await rawTask(fx, taskId)).toMatchObject({ Status: 'Completed', ProgressStats: { FilesTotal: 4, FilesDone: 4, BytesDone: 10 } });
    expect(readFileSync(path.join(fx.fsDir, 'other/landing/ds/a.bin'), 'utf8')).toBe('aaaa');
    expect(readFileSync(path.join(fx.fsDir, 'other/landing/ds/with, comma.bin'), 'utf8')).toBe('c');
    expect(readFileSync(path.join(fx.fsDir, 'other/landing/ds/imgs/deep/2.png'), 'utf8')).toBe('222');
    expect(existsSync(path.join(fx.fsDir, 'other/landing/ds/not-listed.bin'))).toBe(false);
    // Every object reached its destination exactly once.
    const counts = [...fx.emulator.importCounts().entries()].filter(([k]) => k.startsWith(`${IDS.lingjun}:/other/landing/`));
    expect(counts).toHaveLength(4);
    expect(counts.every(([, c]) => c.written === 1 && c.skipped === 0 && c.by.length === 1 && c.by[0] === taskId)).toBe(true);
  });

  it.each([
    ['a wrong header', 'Key,Kind\na.bin,file\n', 'header Name,Type'],
    ['an absolute Name', 'Name,Type\n/a.bin,file\n', 'line 2: Name must be a relative path'],
    ['a bad Type', 'Name,Type\na.bin,folder\n', 'line 2: Type must be file or dir'],
    ['a dir Name without a trailing slash', 'Name,Type\nimgs,dir\n', 'line 2: a dir Name must end with "/"'],
    ['a file Name ending in a slash', 'Name,Type\nimgs/,file\n', 'line 2: a file Name must not end with "/"'],
    ['a ".." segment', 'Name,Type\nx/../../etc/passwd,file\n', 'line 2: Name has an empty, "." or ".." segment'],
    ['a third column', 'Name,Type\na.bin,file,extra\n', 'line 2: expected 2 fields'],
  ])('fails the whole task, importing nothing, on %s (ErrorMsg names file and line)', async (_name, csv, message) => {
    fx = await startTestEmulator();
    put(fx.bucketDir, 'a.bin', 'a');
    put(fx.bucketDir, '.cpfs-ingest/manifests/run-1/part-00000.csv', 'Name,Type\na.bin,file\n');
    put(fx.bucketDir, '.cpfs-ingest/manifests/run-1/part-00001.csv', csv);
    const taskId = await create(fx, manifestImport());
    fx.emulator.settle();
    const task = await rawTask(fx, taskId);
    expect(task['Status']).toBe('Failed');
    expect(String(task['ErrorMsg'])).toContain('/.cpfs-ingest/manifests/run-1/part-00001.csv');
    expect(String(task['ErrorMsg'])).toContain(message);
    expect(existsSync(path.join(fx.fsDir, 'landing/a.bin'))).toBe(false);
  });

  it('fails the task when the directory is missing or holds no CSV', async () => {
    fx = await startTestEmulator();
    const missing = await create(fx, manifestImport());
    put(fx.bucketDir, 'empty-run/readme.txt', 'x');
    const empty = await create(fx, manifestImport({ TransferFileListPath: '/empty-run/' }));
    fx.emulator.settle();
    expect(await rawTask(fx, missing)).toMatchObject({ Status: 'Failed', ErrorMsg: 'TransferFileListPath /.cpfs-ingest/manifests/run-1/ does not exist' });
    expect(await rawTask(fx, empty)).toMatchObject({ Status: 'Failed', ErrorMsg: 'TransferFileListPath /empty-run/ holds no .csv file' });
  });

  it('refuses TransferFileListPath on CPFS, on StreamImport, and when it is not a directory path', async () => {
    fx = await startTestEmulator();
    expectApiError(
      await fx.call('CreateDataFlowTask', { FileSystemId: IDS.cpfs, DataFlowId: IDS.cpfsFlow, TaskAction: 'Import', TransferFileListPath: '/m/' }),
      403,
      'OperationDenied.DataFlowNotSupported',
    );
    expectApiError(await fx.call('CreateDataFlowTask', manifestImport({ TaskAction: 'StreamImport' })), 404, 'InvalidParameter.InvalidFormat');
    expectApiError(await fx.call('CreateDataFlowTask', manifestImport({ TransferFileListPath: '/m/list.csv' })), 404, 'InvalidParameter.InvalidFormat');
  });

  it('parses CSV quoting and validates rows (unit level)', () => {
    expect(parseCsv('Name,Type\r\n"a ""q"".bin",file\n')).toEqual([['Name', 'Type'], ['a "q".bin', 'file']]);
    expect(rowProblem('dir/', 'dir')).toBeUndefined();
    expect(rowProblem('a\\b', 'file')).toContain('backslash');
    expect(rowProblem('a//b', 'file')).toContain('empty');
  });
});

describe('emulator: batch task duration model', () => {
  it('costs overhead + per file + per byte; FilesDone/BytesDone follow the files as they land', async () => {
    fx = await startTestEmulator({
      timings: { batchPendingMs: 1_000, batchExecutingMs: 2_000, batchPerFileMs: 100, batchPerByteMs: 1, streamPendingMs: 0, cancelingMs: 1_000, subTaskCreatedMs: 100, subTaskRunningMs: 400 },
    });
    // 10 files of 100 bytes: each 100 + 100·1 = 200 ms → 2,000 ms after the 2,000 ms overhead.
    const keys = Array.from({ length: 10 }, (_, i) => `bulk/f${i}.bin`);
    for (const k of keys) put(fx.bucketDir, k, Buffer.alloc(100, 1));
    const taskId = await create(fx, lingjunImport({ EntryList: JSON.stringify(keys.map((k) => '/' + k)), DstDirectory: '/out/', CreateDirIfNotExist: true }));
    fx.emulator.clock.advance(1_000 + 2_000 + 200 * 3); // Executing, overhead done, three files landed
    expect(await rawTask(fx, taskId)).toMatchObject({ Status: 'Executing', ProgressStats: { FilesTotal: 10, FilesDone: 3, BytesTotal: 1_000, BytesDone: 300 } });
    expect(existsSync(path.join(fx.fsDir, 'out/bulk/f2.bin'))).toBe(true);
    expect(existsSync(path.join(fx.fsDir, 'out/bulk/f3.bin'))).toBe(false);
    const remaining = fx.emulator.settle();
    expect(remaining).toBe(200 * 7);
    const done = await rawTask(fx, taskId);
    expect(done).toMatchObject({ Status: 'Completed', StartTime: '2024-07-01 12:00:01', EndTime: '2024-07-01 12:00:05', ProgressStats: { FilesDone: 10, BytesDone: 1_000 } });
    expect([...fx.emulator.importCounts().values()].every((c) => c.written === 1)).toBe(true);
  });

  it('a task cancelled half-way keeps what landed and imports nothing more', async () => {
    fx = await startTestEmulator({
      timings: { batchPendingMs: 0, batchExecutingMs: 0, batchPerFileMs: 1_000, streamPendingMs: 0, cancelingMs: 1_000, subTaskCreatedMs: 100, subTaskRunningMs: 400 },
    });
    const keys = Array.from({ length: 6 }, (_, i) => `c/f${i}.bin`);
    for (const k of keys) put(fx.bucketDir, k, 'x');
    const taskId = await create(fx, lingjunImport({ EntryList: JSON.stringify(keys.map((k) => '/' + k)), CreateDirIfNotExist: true }));
    fx.emulator.clock.advance(2_500);
    const cancel = await fx.call('CancelDataFlowTask', { FileSystemId: IDS.lingjun, DataFlowId: IDS.lingjunFlow, TaskId: taskId });
    expect(cancel.status).toBe(200);
    fx.emulator.settle();
    expect(await rawTask(fx, taskId)).toMatchObject({ Status: 'Canceled', ProgressStats: { FilesTotal: 6, FilesDone: 2 } });
    expect(fx.emulator.importCounts().get(importKey(IDS.lingjun, '/c/f1.bin'))?.written).toBe(1);
    expect(fx.emulator.importCounts().has(importKey(IDS.lingjun, '/c/f2.bin'))).toBe(false);
  });
});
