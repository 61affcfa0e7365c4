import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CreateDataFlowTaskResponse } from '../../../shared/nas/wire.js';
import { SEED_ERROR_CODES } from '../../../emulator/server.js';
import { encodeParams, flattenParams } from '../../support/emulator-request.js';
import {
  IDS,
  expectApiError,
  lingjunImport,
  lingjunStream,
  startTestEmulator,
  type EmulatorFixture,
} from '../../support/emulator-fixtures.js';
import { entryListOfBytes } from '../../support/entry-lists.js';

describe('emulator: CreateDataFlowTask answers every documented error code', () => {
  let fx: EmulatorFixture;
  const covered = new Set<string>();

  beforeAll(async () => {
    fx = await startTestEmulator();
  });
  afterAll(async () => {
    await fx.cleanup();
  });
  beforeEach(() => {
    // Each case starts with no running batch tasks.
    fx.emulator.settle();
  });

  async function expectCode(params: Record<string, string | boolean | undefined>, status: number, code: string): Promise<void> {
    const res = await fx.call('CreateDataFlowTask', params);
    expectApiError(res, status, code);
    covered.add(code);
  }

  it('IllegalCharacters (400): a backslash or control character in a path', async () => {
    await expectCode(lingjunImport({ Directory: '/windows\\path/', EntryList: undefined }), 400, 'IllegalCharacters');
    await expectCode(lingjunImport({ DstDirectory: '/line\nbreak/' }), 400, 'IllegalCharacters');
    await expectCode(lingjunImport({ EntryList: JSON.stringify(['/tab\there.txt']) }), 400, 'IllegalCharacters');
  });

  it('IllegalCharacters (400): bytes that are not UTF-8 in the form body', async () => {
    const params = flattenParams(lingjunImport({ Directory: undefined }));
    const raw = Buffer.concat([Buffer.from(encodeParams(params) + '&Directory=%2F'), Buffer.from('%FF%FE'), Buffer.from('%2F')]);
    const res = await fx.call('CreateDataFlowTask', {}, { rawBody: raw });
    expectApiError(res, 400, 'IllegalCharacters');
    expect(String(res.body['Message'])).toContain('Directory');
  });

  it('MissingFileSystemId / MissingDataFlowId (400)', async () => {
    await expectCode(lingjunImport({ FileSystemId: undefined }), 400, 'MissingFileSystemId');
    await expectCode(lingjunImport({ DataFlowId: undefined }), 400, 'MissingDataFlowId');
    await expectCode(lingjunImport({ DataFlowId: '' }), 400, 'MissingDataFlowId');
  });

  it('InvalidFilesystemVersion.NotSupport (400): streaming and CreateDirIfNotExist below LINGJUN 2.6, data flows below 2.4', async () => {
    await expectCode(lingjunStream({ FileSystemId: IDS.lingjun24, DataFlowId: IDS.lingjun24Flow, CreateDirIfNotExist: undefined }), 400, 'InvalidFilesystemVersion.NotSupport');
    await expectCode(lingjunImport({ FileSystemId: IDS.lingjun24, DataFlowId: IDS.lingjun24Flow, CreateDirIfNotExist: true }), 400, 'InvalidFilesystemVersion.NotSupport');
    await expectCode(lingjunImport({ FileSystemId: IDS.lingjun22, DataFlowId: 'df-any' }), 400, 'InvalidFilesystemVersion.NotSupport');
    // A plain batch import is fine on 2.4.
    const ok = await fx.call('CreateDataFlowTask', lingjunImport({ FileSystemId: IDS.lingjun24, DataFlowId: IDS.lingjun24Flow }));
    expect(ok.status).toBe(200);
  });

  it('OperationDenied.InvalidState (403): the data flow is not Running', async () => {
    await expectCode(lingjunImport({ DataFlowId: IDS.stoppedFlow }), 403, 'OperationDenied.InvalidState');
  });

  it('OperationDenied.DependencyViolation (403): a fifth concurrent batch task on a LINGJUN data flow', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await fx.call('CreateDataFlowTask', lingjunImport({ EntryList: JSON.stringify([`/batch-${i}.txt`]) }));
      expect(res.status).toBe(200);
    }
    await expectCode(lingjunImport({ EntryList: JSON.stringify(['/batch-5.txt']) }), 403, 'OperationDenied.DependencyViolation');
    // Streaming tasks are not limited, and another data flow has its own four.
    expect((await fx.call('CreateDataFlowTask', lingjunStream())).status).toBe(200);
    expect((await fx.call('CreateDataFlowTask', lingjunImport({ DataFlowId: IDS.lingjunFlow2 }))).status).toBe(200);
    // Once the running ones finish, a new batch task is accepted (the limit counts concurrent tasks).
    fx.emulator.settle();
    expect((await fx.call('CreateDataFlowTask', lingjunImport())).status).toBe(200);
  });

  it('OperationDenied.DataFlowNotSupported (403): streaming or CreateDirIfNotExist on a CPFS (general purpose) data flow', async () => {
    await expectCode(
      { FileSystemId: IDS.cpfs, DataFlowId: IDS.cpfsFlow, TaskAction: 'StreamImport', ConflictPolicy: 'SKIP_THE_FILE' },
      403,
      'OperationDenied.DataFlowNotSupported',
    );
    await expectCode(
      { FileSystemId: IDS.cpfs, DataFlowId: IDS.cpfsFlow, TaskAction: 'Import', CreateDirIfNotExist: true, EntryList: '["/a"]' },
      403,
      'OperationDenied.DataFlowNotSupported',
    );
  });

  it('InvalidParameter.InvalidFormat (404): EntryList not an array of paths, directories without slashes', async () => {
    await expectCode(lingjunImport({ EntryList: '{"a":1}' }), 404, 'InvalidParameter.InvalidFormat');
    await expectCode(lingjunImport({ EntryList: '["/ok", 3]' }), 404, 'InvalidParameter.InvalidFormat');
    await expectCode(lingjunImport({ EntryList: '["no-leading-slash.txt"]' }), 404, 'InvalidParameter.InvalidFormat');
    await expectCode(lingjunImport({ EntryList: 'not json' }), 404, 'InvalidParameter.InvalidFormat');
    await expectCode(lingjunImport({ EntryList: JSON.stringify(['/' + 'x'.repeat(1023)]) }), 404, 'InvalidParameter.InvalidFormat');
    await expectCode(lingjunImport({ Directory: 'no/slash/', EntryList: undefined }), 404, 'InvalidParameter.InvalidFormat');
    await expectCode(lingjunImport({ DstDirectory: '/no-trailing-slash' }), 404, 'InvalidParameter.InvalidFormat');
    await expectCode(lingjunImport({ DstDirectory: '/a/../b/' }), 404, 'InvalidParameter.InvalidFormat');
    await expectCode(lingjunImport({ ConflictPolicy: 'MERGE' }), 404, 'InvalidParameter.InvalidFormat');
    await expectCode(lingjunImport({ ClientToken: 'é-not-ascii' }), 404, 'InvalidParameter.InvalidFormat');
  });

  it('InvalidParameter.SizeTooLarge (404): EntryList of 64 KB or more counted in UTF-8 bytes ("less than 64 KB")', async () => {
    const largest = entryListOfBytes(65_535);
    const ok = await fx.call('CreateDataFlowTask', lingjunImport({ EntryList: largest }));
    expect(ok.status).toBe(200);
    fx.emulator.settle();
    await expectCode(lingjunImport({ EntryList: entryListOfBytes(65_536) }), 404, 'InvalidParameter.SizeTooLarge');
    // Fewer than 65,536 characters but more than 65,535 bytes.
    const multibyte = entryListOfBytes(65_600, 'é');
    expect(multibyte.length).toBeLessThan(65_536);
    await expectCode(lingjunImport({ EntryList: multibyte }), 404, 'InvalidParameter.SizeTooLarge');
  });

  it('InvalidDataFlow.NotFound (404): unknown data flow, or one of another file system', async () => {
    await expectCode(lingjunImport({ DataFlowId: 'df-doesnotexist' }), 404, 'InvalidDataFlow.NotFound');
    await expectCode(lingjunImport({ DataFlowId: IDS.cpfsFlow }), 404, 'InvalidDataFlow.NotFound');
  });

  it('InvalidTaskAction.NotSupported (404): unknown or missing TaskAction', async () => {
    await expectCode(lingjunImport({ TaskAction: 'Teleport' }), 404, 'InvalidTaskAction.NotSupported');
    await expectCode(lingjunImport({ TaskAction: undefined }), 404, 'InvalidTaskAction.NotSupported');
  });

  it('InvalidTaskAction.PermissionDenied (404): Evict / Inventory on CPFS for LINGJUN', async () => {
    await expectCode(lingjunImport({ TaskAction: 'Evict', EntryList: undefined }), 404, 'InvalidTaskAction.PermissionDenied');
    await expectCode(lingjunImport({ TaskAction: 'Inventory', EntryList: undefined }), 404, 'InvalidTaskAction.PermissionDenied');
    const onCpfs = await fx.call('CreateDataFlowTask', { FileSystemId: IDS.cpfs, DataFlowId: IDS.cpfsFlow, TaskAction: 'Evict' });
    expect(onCpfs.status).toBe(200);
  });

  it('InvalidDataType.NotSupported (404): anything but MetaAndData on LINGJUN; unknown types anywhere', async () => {
    await expectCode(lingjunImport({ DataType: 'Metadata' }), 404, 'InvalidDataType.NotSupported');
    await expectCode(
      { FileSystemId: IDS.cpfs, DataFlowId: IDS.cpfsFlow, TaskAction: 'Import', DataType: 'Everything', EntryList: '["/a"]' },
      404,
      'InvalidDataType.NotSupported',
    );
  });

  it('InvalidSrcTaskId.* (404): malformed or streaming source, unknown task, task of another data flow', async () => {
    await expectCode(lingjunImport({ SrcTaskId: 'not-a-task-id' }), 404, 'InvalidSrcTaskId.TaskIdInvalid');
    await expectCode(lingjunImport({ SrcTaskId: 'task-0000000000000000' }), 404, 'InvalidSrcTaskId.NotFound');

    const other = await fx.call('CreateDataFlowTask', lingjunImport({ DataFlowId: IDS.lingjunFlow2 }));
    const otherId = CreateDataFlowTaskResponse.parse(other.body).TaskId;
    await expectCode(lingjunImport({ SrcTaskId: otherId }), 404, 'InvalidSrcTaskId.TaskIdNotFound');

    const stream = await fx.call('CreateDataFlowTask', lingjunStream());
    const streamId = CreateDataFlowTaskResponse.parse(stream.body).TaskId;
    await expectCode(lingjunImport({ SrcTaskId: streamId, TaskAction: undefined }), 404, 'InvalidSrcTaskId.TaskIdInvalid');
  });

  it('SrcTaskId copies TaskAction, DataType and EntryList from the source task', async () => {
    const src = await fx.call('CreateDataFlowTask', lingjunImport({ EntryList: JSON.stringify(['/x.txt', '/y.txt']) }));
    const srcId = CreateDataFlowTaskResponse.parse(src.body).TaskId ?? '';
    const copy = await fx.call('CreateDataFlowTask', {
      FileSystemId: IDS.lingjun,
      DataFlowId: IDS.lingjunFlow,
      SrcTaskId: srcId,
      ConflictPolicy: 'SKIP_THE_FILE',
    });
    expect(copy.status).toBe(200);
    const copied = fx.emulator.state.tasks.get(CreateDataFlowTaskResponse.parse(copy.body).TaskId ?? '');
    expect({ action: copied?.action, dataType: copied?.dataType, entries: copied?.entryList, src: copied?.srcTaskId }).toEqual({
      action: 'Import',
      dataType: 'MetaAndData',
      entries: ['/x.txt', '/y.txt'],
      src: srcId,
    });
  });

  it('requires ConflictPolicy on LINGJUN (MissingConflictPolicy, 400) but not on CPFS', async () => {
    const res = await fx.call('CreateDataFlowTask', lingjunImport({ ConflictPolicy: undefined }));
    expectApiError(res, 400, 'MissingConflictPolicy');
    const cpfs = await fx.call('CreateDataFlowTask', { FileSystemId: IDS.cpfs, DataFlowId: IDS.cpfsFlow, TaskAction: 'Import', EntryList: '["/a"]' });
    expect(cpfs.status).toBe(200);
  });

  it('answers an unknown file system with InvalidFileSystem.NotFound (404)', async () => {
    const res = await fx.call('CreateDataFlowTask', lingjunImport({ FileSystemId: 'bmcpfs-nope' }));
    expectApiError(res, 404, 'InvalidFileSystem.NotFound');
  });

  // Runs last (tests in a file run in order): every one of the seed's 16 codes was produced above.
  it('reached all 16 codes of the seed page', () => {
    expect(SEED_ERROR_CODES).toHaveLength(16);
    expect([...covered].sort()).toEqual([...SEED_ERROR_CODES].sort());
  });
});
