/**
 * The emulator follows the newer NAS API texts (docs/platform.md §1, "Newer API texts"): exclusive file-list
 * parameters, Import by EntryList without Directory, the 65,535-byte EntryList, WithReports defaults and the
 * new response fields, all over signed HTTP requests.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreateDataFlowTaskResponse } from '../../../shared/nas/wire.js';
import { importKey } from '../../../emulator/server.js';
import { IDS, expectApiError, lingjunImport, lingjunStream, startTestEmulator, type EmulatorFixture } from '../../support/emulator-fixtures.js';
import { entryListOfBytes } from '../../support/entry-lists.js';
import { exclusiveParameterViolations, oversizedEntryLists } from '../../support/emulator-log-checks.js';

function put(root: string, key: string, content: string): void {
  const file = path.join(root, key);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/** The raw task as DescribeDataFlowTasks returns it (raw JSON: the new fields are checked as sent). */
async function rawTask(fx: EmulatorFixture, taskId: string, extra: Record<string, string | boolean> = {}): Promise<Record<string, unknown>> {
  const res = await fx.call('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun, Filters: [{ Key: 'TaskIds', Value: taskId }], ...extra });
  expect(res.status).toBe(200);
  const tasks = (res.body['TaskInfo'] as { Task: Record<string, unknown>[] } | undefined)?.Task ?? [];
  const task = tasks.find((t) => t['TaskId'] === taskId);
  if (!task) throw new Error(`task ${taskId} not listed`);
  return task;
}

describe('emulator: newer API texts', () => {
  let fx: EmulatorFixture;
  beforeEach(async () => {
    fx = await startTestEmulator();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  async function create(params: Record<string, string | boolean | undefined>): Promise<string> {
    const res = await fx.call('CreateDataFlowTask', params);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return CreateDataFlowTaskResponse.parse(res.body).TaskId ?? '';
  }

  describe('Directory, EntryList and TransferFileListPath are mutually exclusive', () => {
    it.each([
      ['Directory + EntryList', { Directory: '/in/', EntryList: '["/in/a.txt"]' }, 'Directory and EntryList'],
      ['Directory + TransferFileListPath', { Directory: '/in/', EntryList: undefined, TransferFileListPath: '/m/' }, 'Directory and TransferFileListPath'],
      ['EntryList + TransferFileListPath', { TransferFileListPath: '/m/' }, 'EntryList and TransferFileListPath'],
      ['all three', { Directory: '/in/', TransferFileListPath: '/m/' }, 'Directory and EntryList and TransferFileListPath'],
    ])('%s → 400 InvalidParameter.Conflict naming the fields, nothing created', async (_name, extra, named) => {
      const res = await fx.call('CreateDataFlowTask', lingjunImport(extra));
      expectApiError(res, 400, 'InvalidParameter.Conflict');
      expect(String(res.body['Message'])).toContain(named);
      expect(fx.emulator.state.tasks.size).toBe(0);
    });

    it('also refuses Directory on a task that copies an EntryList through SrcTaskId, and on DryRun', async () => {
      const src = await create(lingjunImport());
      expectApiError(
        await fx.call('CreateDataFlowTask', { FileSystemId: IDS.lingjun, DataFlowId: IDS.lingjunFlow, SrcTaskId: src, ConflictPolicy: 'SKIP_THE_FILE', Directory: '/x/' }),
        400,
        'InvalidParameter.Conflict',
      );
      expectApiError(await fx.call('CreateDataFlowTask', lingjunImport({ Directory: '/in/', DryRun: true })), 400, 'InvalidParameter.Conflict');
    });

    it('accepts each one alone (DstDirectory is not in the set)', async () => {
      await create(lingjunImport({ DstDirectory: '/d/', CreateDirIfNotExist: true }));
      fx.emulator.settle();
      await create(lingjunImport({ EntryList: undefined, Directory: '/in/', DstDirectory: '/d/', CreateDirIfNotExist: true }));
      fx.emulator.settle();
      await create(lingjunImport({ EntryList: undefined, TransferFileListPath: '/m/', DstDirectory: '/d/' }));
    });
  });

  describe('EntryList import without Directory (UNVERIFIED reading, see paths.ENTRY_LIST_ELEMENT_BASE)', () => {
    it('lands each object at FileSystemPath + DstDirectory + its path below SourceStoragePath; elements are full object names', async () => {
      // lingjunFlow2: SourceStoragePath /other/, FileSystemPath /other/.
      put(fx.bucketDir, 'other/imgs/a.png', 'A');
      put(fx.bucketDir, 'other/imgs/deep/b.png', 'BB');
      put(fx.bucketDir, 'outside/c.png', 'C');
      const taskId = await create(
        lingjunImport({
          DataFlowId: IDS.lingjunFlow2,
          DstDirectory: '/landing/',
          CreateDirIfNotExist: true,
          EntryList: JSON.stringify(['/other/imgs/a.png', '/other/imgs/deep/b.png', '/outside/c.png']),
        }),
      );
      fx.emulator.settle();
      expect(readFileSync(path.join(fx.fsDir, 'other/landing/imgs/a.png'), 'utf8')).toBe('A');
      expect(readFileSync(path.join(fx.fsDir, 'other/landing/imgs/deep/b.png'), 'utf8')).toBe('BB');
      const task = await rawTask(fx, taskId, { WithReports: false });
      // An object outside SourceStoragePath cannot be mapped: that file fails, the others land.
      expect(task).toMatchObject({ Status: 'Completed', ProgressStats: { FilesTotal: 3, FilesDone: 2 } });
      expect(String(task['ErrorMsg'])).toContain('/outside/c.png');
      expect(fx.emulator.importCounts().get(importKey(IDS.lingjun, '/other/landing/imgs/a.png'))).toMatchObject({ written: 1, skipped: 0 });
    });

    it("with entryPathBase 'dataFlowPath' the element is the path below SourceStoragePath", async () => {
      await fx.cleanup();
      fx = await startTestEmulator({ entryPathBase: 'dataFlowPath' });
      put(fx.bucketDir, 'other/imgs/a.png', 'A');
      await create(lingjunImport({ DataFlowId: IDS.lingjunFlow2, DstDirectory: '/landing/', CreateDirIfNotExist: true, EntryList: '["/imgs/a.png"]' }));
      fx.emulator.settle();
      expect(readFileSync(path.join(fx.fsDir, 'other/landing/imgs/a.png'), 'utf8')).toBe('A');
    });

    it('keeps whole-Directory imports: files under SourceStoragePath + Directory land under FileSystemPath + DstDirectory', async () => {
      put(fx.bucketDir, 'other/dir/x.txt', 'x');
      put(fx.bucketDir, 'other/dir/sub/y.txt', 'yy');
      put(fx.bucketDir, 'other/not-this/z.txt', 'z');
      await create(lingjunImport({ DataFlowId: IDS.lingjunFlow2, EntryList: undefined, Directory: '/dir/', DstDirectory: '/copy/', CreateDirIfNotExist: true }));
      fx.emulator.settle();
      expect(readFileSync(path.join(fx.fsDir, 'other/copy/sub/y.txt'), 'utf8')).toBe('yy');
      expect(existsSync(path.join(fx.fsDir, 'other/copy/x.txt'))).toBe(true);
      expect(existsSync(path.join(fx.fsDir, 'other/copy/z.txt'))).toBe(false);
    });
  });

  it('EntryList: 65,535 bytes pass, 65,536 bytes are 404 InvalidParameter.SizeTooLarge', async () => {
    expect((await fx.call('CreateDataFlowTask', lingjunImport({ EntryList: entryListOfBytes(65_535) }))).status).toBe(200);
    expectApiError(await fx.call('CreateDataFlowTask', lingjunImport({ EntryList: entryListOfBytes(65_536) })), 404, 'InvalidParameter.SizeTooLarge');
  });

  describe('DescribeDataFlowTasks', () => {
    it('includes report links on LINGJUN by default, omits them with WithReports=false', async () => {
      const taskId = await create(lingjunImport());
      fx.emulator.settle();
      const byDefault = await rawTask(fx, taskId);
      const names = ((byDefault['Reports'] as { Report: Array<{ Name: string; Path: string }> }).Report ?? []).map((r) => r.Name);
      expect(names).toEqual(['TotalFilesReport', 'FailedFilesReport']);
      expect(await rawTask(fx, taskId, { WithReports: false })).not.toHaveProperty('Reports');
      // Never in the request log (no response bodies there).
      expect(JSON.stringify(fx.emulator.log.entries)).not.toContain('Signature=');
    });

    it('carries EntryList, Includes, TransferFileListPath and FsPath; Directory only when it was sent', async () => {
      const byList = await create(lingjunImport({ DstDirectory: '/d/', CreateDirIfNotExist: true, EntryList: '["/a.txt","/b.txt"]' }));
      const byDir = await create(lingjunImport({ EntryList: undefined, Directory: '/in/', Includes: '["/x/","/y/"]', CreateDirIfNotExist: true }));
      const byManifest = await create(lingjunImport({ EntryList: undefined, TransferFileListPath: '/manifests/run-1/' }));
      const list = await rawTask(fx, byList, { WithReports: false });
      expect(list).toMatchObject({ EntryList: '["/a.txt","/b.txt"]', DstDirectory: '/d/', FsPath: '/' });
      expect(list).not.toHaveProperty('Directory');
      expect(await rawTask(fx, byDir, { WithReports: false })).toMatchObject({ Directory: '/in/', Includes: '["/x/","/y/"]' });
      expect(await rawTask(fx, byManifest, { WithReports: false })).toMatchObject({ TransferFileListPath: '/manifests/run-1/' });
    });
  });

  describe('Includes (LINGJUN, only with Directory)', () => {
    it('restricts a Directory import to the listed sub-folders', async () => {
      put(fx.bucketDir, 'in/x/1.txt', '1');
      put(fx.bucketDir, 'in/x/deep/2.txt', '22');
      put(fx.bucketDir, 'in/y/3.txt', '333');
      put(fx.bucketDir, 'in/z/4.txt', '4444');
      const taskId = await create(lingjunImport({ EntryList: undefined, Directory: '/in/', DstDirectory: '/out/', Includes: '["/x/","/y/"]', CreateDirIfNotExist: true }));
      fx.emulator.settle();
      expect(await rawTask(fx, taskId, { WithReports: false })).toMatchObject({ Status: 'Completed', ProgressStats: { FilesTotal: 3, FilesDone: 3, BytesDone: 6 } });
      expect(readFileSync(path.join(fx.fsDir, 'out/x/deep/2.txt'), 'utf8')).toBe('22');
      expect(existsSync(path.join(fx.fsDir, 'out/z/4.txt'))).toBe(false);
    });

    it('is refused without Directory, malformed, on CPFS, or over 3,000 characters', async () => {
      expectApiError(await fx.call('CreateDataFlowTask', lingjunImport({ Includes: '["/x/"]' })), 404, 'InvalidParameter.InvalidFormat');
      const bad = await fx.call('CreateDataFlowTask', lingjunImport({ EntryList: undefined, Directory: '/in/', Includes: '["x/"]' }));
      expectApiError(bad, 404, 'InvalidParameter.InvalidFormat');
      expect(String(bad.body['Message'])).toContain('Includes[0]');
      const long = JSON.stringify(Array.from({ length: 200 }, (_, i) => `/folder-number-${i}/`));
      expectApiError(await fx.call('CreateDataFlowTask', lingjunImport({ EntryList: undefined, Directory: '/in/', Includes: long })), 404, 'InvalidParameter.InvalidFormat');
      expectApiError(
        await fx.call('CreateDataFlowTask', { FileSystemId: IDS.cpfs, DataFlowId: IDS.cpfsFlow, TaskAction: 'Import', Directory: '/in/', Includes: '["/x/"]' }),
        403,
        'OperationDenied.DataFlowNotSupported',
      );
    });
  });

  it('records every parameter name and its full UTF-8 size in the request log', async () => {
    const entryList = entryListOfBytes(40_000, 'é');
    await create(lingjunImport({ EntryList: entryList }));
    const entry = fx.emulator.log.forAction('CreateDataFlowTask').at(-1);
    expect(entry?.paramBytes['EntryList']).toBe(40_000);
    expect(Object.keys(entry?.params ?? {})).toEqual(expect.arrayContaining(['EntryList', 'FileSystemId', 'DataFlowId']));
    expect(entry?.params).not.toHaveProperty('Directory');
    // Secrets never appear (the signature travels in headers; a V1-style Signature param is dropped).
    expect(Object.keys(entry?.paramBytes ?? {})).not.toContain('Signature');
  });

  it('StreamImport is unaffected: Directory alone is fine on a streaming task', async () => {
    await create(lingjunStream({ Directory: '/in/', DstDirectory: '/out/' }));
  });
});

describe('emulator: request-log checks for the product replay test', () => {
  let fx: EmulatorFixture;
  beforeEach(async () => {
    fx = await startTestEmulator();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it('finds requests with two exclusive parameters and EntryLists of 65,536 bytes or more — and nothing in clean traffic', async () => {
    await fx.call('CreateDataFlowTask', lingjunImport({ EntryList: entryListOfBytes(65_535) }));
    await fx.call('CreateDataFlowTask', lingjunImport({ EntryList: undefined, Directory: '/in/' }));
    await fx.call('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun, WithReports: false });
    expect(exclusiveParameterViolations(fx.emulator.log.entries)).toEqual([]);
    expect(oversizedEntryLists(fx.emulator.log.entries)).toEqual([]);

    await fx.call('CreateDataFlowTask', lingjunImport({ Directory: '/in/' })); // refused by the emulator, still logged
    await fx.call('CreateDataFlowTask', lingjunImport({ EntryList: entryListOfBytes(65_536) }));
    expect(exclusiveParameterViolations(fx.emulator.log.entries).map((v) => v.problem)).toEqual(['carries Directory + EntryList']);
    expect(oversizedEntryLists(fx.emulator.log.entries).map((v) => v.problem)).toEqual(['EntryList of 65536 bytes']);
  });
});
