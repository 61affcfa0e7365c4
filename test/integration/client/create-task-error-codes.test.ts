/**
 * The NAS client against the emulator, one test per error code of the CreateDataFlowTask page (seed):
 * the emulator answers the code with the documented HTTP status, AND the client turns it into a
 * NasApiError with that code, that status, and the `retryable` flag classify.ts gives it — checked
 * against the emulator's request log (one attempt for a permanent code, `maxAttempts` for a retryable one).
 *
 * Several codes can only be provoked past the client's own validation (shared/nas/schemas.ts refuses the
 * input before sending). For those the request is rewritten after validation by the client's `send`
 * option (`rewritingSend`), and the client's own ValidationError (field + rule) for the same input is
 * asserted too: both layers.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { entryListOfBytes } from '../../support/entry-lists.js';
import { NasApiError, ValidationError } from '../../../shared/errors.js';
import { isRetryableCode, NON_RETRYABLE_CODES, RETRYABLE_CLIENT_CODES } from '../../../shared/nas/classify.js';
import type { CreateDataFlowTaskParams } from '../../../shared/nas/types.js';
import { TASK_ACTIONS } from '../../../shared/nas/wire.js';
import { SEED_ERROR_CODES } from '../../../emulator/server.js';
import { IDS, TEST_KEY, startTestEmulator, type EmulatorFixture } from '../../support/emulator-fixtures.js';
import { clientFor, closeClients, errorTexts, expectNoSecrets, rejectionOf, rewritingSend } from '../../support/reliability-client.js';

/** HTTP status of each seed code (CreateDataFlowTask page). */
const SEED_STATUS: Readonly<Record<string, number>> = {
  IllegalCharacters: 400,
  MissingFileSystemId: 400,
  MissingDataFlowId: 400,
  'InvalidFilesystemVersion.NotSupport': 400,
  'OperationDenied.InvalidState': 403,
  'OperationDenied.DependencyViolation': 403,
  'OperationDenied.DataFlowNotSupported': 403,
  'InvalidParameter.InvalidFormat': 404,
  'InvalidParameter.SizeTooLarge': 404,
  'InvalidDataFlow.NotFound': 404,
  'InvalidTaskAction.NotSupported': 404,
  'InvalidTaskAction.PermissionDenied': 404,
  'InvalidSrcTaskId.NotFound': 404,
  'InvalidDataType.NotSupported': 404,
  'InvalidSrcTaskId.TaskIdInvalid': 404,
  'InvalidSrcTaskId.TaskIdNotFound': 404,
};

/** The one seed code classify.ts retries (the data flow is Starting/Updating); every other is permanent. */
const RETRYABLE_SEED_CODES = new Set(['OperationDenied.InvalidState']);

const MAX_ATTEMPTS = 3;

/** A valid LINGJUN batch import (what the client's validation accepts). */
function lingjunImport(overrides: Partial<CreateDataFlowTaskParams> = {}): CreateDataFlowTaskParams {
  return {
    FileSystemId: IDS.lingjun,
    DataFlowId: IDS.lingjunFlow,
    TaskAction: 'Import',
    DataType: 'MetaAndData',
    ConflictPolicy: 'OVERWRITE_EXISTING',
    EntryList: JSON.stringify(['/a.txt']),
    ...overrides,
  };
}

/** A LINGJUN Import of one directory: Directory instead of an EntryList (the two are mutually exclusive). */
function lingjunDirectoryImport(directory: string): CreateDataFlowTaskParams {
  const { EntryList: _exclusive, ...rest } = lingjunImport();
  return { ...rest, Directory: directory };
}

describe('NAS client ↔ emulator: every CreateDataFlowTask error code of the seed', () => {
  let fx: EmulatorFixture;
  const covered = new Set<string>();

  beforeAll(async () => {
    fx = await startTestEmulator();
  });
  afterAll(async () => {
    await fx.cleanup();
  });
  beforeEach(() => {
    fx.emulator.settle(); // no batch task left running from an earlier case
    fx.emulator.log.clear();
  });
  afterEach(() => {
    closeClients();
  });

  /**
   * Sends `params` through the client (optionally rewritten after validation by `mutate`) and asserts
   * both the emulator's answer (log: code, status, attempts) and the client's NasApiError.
   */
  async function expectCode(code: string, params: CreateDataFlowTaskParams, mutate?: (p: Record<string, string>) => void): Promise<NasApiError> {
    const status = SEED_STATUS[code];
    if (status === undefined) throw new Error(`${code} is not a seed code`);
    const send = mutate ? rewritingSend(TEST_KEY, mutate) : undefined;
    try {
      const { client } = clientFor(fx.emulator, TEST_KEY, { maxAttempts: MAX_ATTEMPTS, ...(send ? { send } : {}) });
      const error = await rejectionOf(client.createDataFlowTask(params));

      expect(error).toBeInstanceOf(NasApiError);
      const apiError = error as NasApiError;
      const retryable = RETRYABLE_SEED_CODES.has(code);
      expect({ code: apiError.code, httpStatus: apiError.httpStatus, retryable: apiError.retryable, action: apiError.action }).toEqual({
        code,
        httpStatus: status,
        retryable,
        action: 'CreateDataFlowTask',
      });
      expect(apiError.requestId).toMatch(/^[0-9A-F-]{36}$/);
      expect(apiError.message).toContain(code);
      expectNoSecrets(errorTexts(apiError), [TEST_KEY.accessKeySecret]);

      // The emulator answered exactly that, once for a permanent code, every attempt for a retryable one.
      const answers = fx.emulator.log.forAction('CreateDataFlowTask');
      expect(answers.map((e) => [e.status, e.code, e.executed])).toEqual(
        Array.from({ length: retryable ? MAX_ATTEMPTS : 1 }, () => [status, code, false]),
      );
      covered.add(code);
      return apiError;
    } finally {
      send?.destroy();
    }
  }

  /** The client refuses `params` before sending: ValidationError(field, rule), nothing on the wire. */
  async function expectClientRefuses(params: unknown, field: string, rule: string): Promise<void> {
    const { client } = clientFor(fx.emulator, TEST_KEY);
    const before = fx.emulator.log.entries.length;
    const error = await rejectionOf(client.createDataFlowTask(params as CreateDataFlowTaskParams));
    expect(error).toBeInstanceOf(ValidationError);
    expect({ field: (error as ValidationError).field, rule: (error as ValidationError).rule, retryable: (error as ValidationError).retryable }).toEqual({
      field,
      rule,
      retryable: false,
    });
    expect(fx.emulator.log.entries.length).toBe(before);
  }

  it('IllegalCharacters (400, permanent): a backslash in Directory, a control character in an EntryList element', async () => {
    // The client's schema does not look for these characters (the planner's path rules do), so they reach the service.
    await expectCode('IllegalCharacters', lingjunDirectoryImport('/windows\\path/'));
    fx.emulator.log.clear();
    await expectCode('IllegalCharacters', lingjunImport({ EntryList: JSON.stringify(['/tab\there.txt']) }));
  });

  it('MissingFileSystemId (400, permanent): only past the client, which refuses a missing FileSystemId itself', async () => {
    const { FileSystemId: _omitted, ...withoutId } = lingjunImport();
    await expectClientRefuses(withoutId, 'FileSystemId', 'is required');
    await expectCode('MissingFileSystemId', lingjunImport(), (p) => delete p['FileSystemId']);
    expect(fx.emulator.log.entries[0]?.params['FileSystemId']).toBeUndefined();
  });

  it('MissingDataFlowId (400, permanent): only past the client, which refuses a missing DataFlowId itself', async () => {
    const { DataFlowId: _omitted, ...withoutId } = lingjunImport();
    await expectClientRefuses(withoutId, 'DataFlowId', 'is required');
    await expectCode('MissingDataFlowId', lingjunImport(), (p) => delete p['DataFlowId']);
  });

  it('InvalidFilesystemVersion.NotSupport (400, permanent): StreamImport on CPFS for LINGJUN 2.4', async () => {
    await expectCode('InvalidFilesystemVersion.NotSupport', {
      FileSystemId: IDS.lingjun24,
      DataFlowId: IDS.lingjun24Flow,
      TaskAction: 'StreamImport',
      DataType: 'MetaAndData',
      ConflictPolicy: 'SKIP_THE_FILE',
    });
  });

  it('OperationDenied.InvalidState (403, RETRYABLE): the data flow is not Running; every attempt is spent', async () => {
    const error = await expectCode('OperationDenied.InvalidState', lingjunImport({ DataFlowId: IDS.stoppedFlow }));
    expect(error.retryable).toBe(true);
  });

  it('OperationDenied.DependencyViolation (403, permanent): a fifth concurrent batch task on a LINGJUN data flow', async () => {
    const { client } = clientFor(fx.emulator, TEST_KEY);
    for (let i = 0; i < 4; i++) {
      const created = await client.createDataFlowTask(lingjunImport({ EntryList: JSON.stringify([`/batch-${i}.txt`]) }));
      expect(created.TaskId).toMatch(/^task-/);
    }
    fx.emulator.log.clear();
    await expectCode('OperationDenied.DependencyViolation', lingjunImport({ EntryList: JSON.stringify(['/batch-5.txt']) }));
  });

  it('OperationDenied.DataFlowNotSupported (403, permanent): StreamImport on general-purpose CPFS, only past the client', async () => {
    const streamOnCpfs = { FileSystemId: IDS.cpfs, DataFlowId: IDS.cpfsFlow, TaskAction: 'StreamImport', ConflictPolicy: 'SKIP_THE_FILE' };
    await expectClientRefuses(streamOnCpfs, 'TaskAction', 'StreamImport and StreamExport are supported only on CPFS for LINGJUN file systems (bmcpfs-…)');
    await expectCode(
      'OperationDenied.DataFlowNotSupported',
      { FileSystemId: IDS.cpfs, DataFlowId: IDS.cpfsFlow, TaskAction: 'Import', ConflictPolicy: 'SKIP_THE_FILE', EntryList: '["/a"]' },
      (p) => {
        p['TaskAction'] = 'StreamImport';
        delete p['EntryList'];
      },
    );
  });

  it('InvalidParameter.InvalidFormat (404, permanent): a "." directory segment directly; a non-array EntryList past the client', async () => {
    // The client refuses ".." but not "." segments (an emulator assumption, not a documented rule): the service decides.
    await expectCode('InvalidParameter.InvalidFormat', lingjunDirectoryImport('/a/./b/'));
    fx.emulator.log.clear();
    await expectClientRefuses(lingjunImport({ EntryList: '{"a":1}' }), 'EntryList', 'must be a JSON array of strings');
    await expectCode('InvalidParameter.InvalidFormat', lingjunImport(), (p) => {
      p['EntryList'] = '{"a":1}';
    });
  });

  it('InvalidParameter.SizeTooLarge (404, permanent): an EntryList of 65,536 bytes ("less than 64 KB"), only past the client', async () => {
    const tooLarge = entryListOfBytes(65_536);
    await expectClientRefuses(lingjunImport({ EntryList: tooLarge }), 'EntryList', 'must be at most 65535 bytes of UTF-8 (it is 65536 bytes)');
    await expectCode('InvalidParameter.SizeTooLarge', lingjunImport(), (p) => {
      p['EntryList'] = tooLarge;
    });
    // The boundary itself goes through both layers.
    fx.emulator.log.clear();
    const { client } = clientFor(fx.emulator, TEST_KEY);
    const exact = await client.createDataFlowTask(lingjunImport({ EntryList: entryListOfBytes(65_535) }));
    expect(exact.TaskId).toMatch(/^task-/);
  });

  it('InvalidDataFlow.NotFound (404, permanent): an unknown data flow', async () => {
    await expectCode('InvalidDataFlow.NotFound', lingjunImport({ DataFlowId: 'df-doesnotexist' }));
  });

  it('InvalidTaskAction.NotSupported (404, permanent): TaskAction missing directly; an unknown TaskAction past the client', async () => {
    const { TaskAction: _omitted, ...withoutAction } = lingjunImport();
    await expectCode('InvalidTaskAction.NotSupported', withoutAction);
    fx.emulator.log.clear();
    await expectClientRefuses(lingjunImport({ TaskAction: 'Teleport' as never }), 'TaskAction', `must be one of ${TASK_ACTIONS.join(', ')}`);
    await expectCode('InvalidTaskAction.NotSupported', lingjunImport(), (p) => {
      p['TaskAction'] = 'Teleport';
    });
  });

  it('InvalidTaskAction.PermissionDenied (404, permanent): Evict on CPFS for LINGJUN, only past the client', async () => {
    await expectClientRefuses(
      lingjunImport({ TaskAction: 'Evict', EntryList: undefined }),
      'TaskAction',
      'Evict and Inventory are supported only on CPFS file systems (cpfs-…)',
    );
    await expectCode('InvalidTaskAction.PermissionDenied', lingjunImport(), (p) => {
      p['TaskAction'] = 'Evict';
      delete p['EntryList'];
    });
  });

  it('InvalidSrcTaskId.NotFound (404, permanent): a well-formed SrcTaskId that names no task', async () => {
    await expectCode('InvalidSrcTaskId.NotFound', { FileSystemId: IDS.lingjun, DataFlowId: IDS.lingjunFlow, SrcTaskId: 'task-0000000000000000', ConflictPolicy: 'SKIP_THE_FILE' });
  });

  it('InvalidDataType.NotSupported (404, permanent): Metadata on CPFS for LINGJUN, only past the client', async () => {
    await expectClientRefuses(lingjunImport({ DataType: 'Metadata' }), 'DataType', 'must be MetaAndData on CPFS for LINGJUN file systems (bmcpfs-…)');
    await expectCode('InvalidDataType.NotSupported', lingjunImport(), (p) => {
      p['DataType'] = 'Metadata';
    });
  });

  it('InvalidSrcTaskId.TaskIdInvalid (404, permanent): a streaming task as source directly; a malformed id past the client', async () => {
    const { client } = clientFor(fx.emulator, TEST_KEY);
    const stream = await client.createDataFlowTask({
      FileSystemId: IDS.lingjun,
      DataFlowId: IDS.lingjunFlow,
      TaskAction: 'StreamImport',
      DataType: 'MetaAndData',
      ConflictPolicy: 'SKIP_THE_FILE',
    });
    fx.emulator.log.clear();
    const copyOf = (srcTaskId: string): CreateDataFlowTaskParams => ({
      FileSystemId: IDS.lingjun,
      DataFlowId: IDS.lingjunFlow,
      SrcTaskId: srcTaskId,
      ConflictPolicy: 'SKIP_THE_FILE',
    });
    await expectCode('InvalidSrcTaskId.TaskIdInvalid', copyOf(stream.TaskId ?? ''));
    fx.emulator.log.clear();
    await expectClientRefuses(copyOf('not-a-task-id'), 'SrcTaskId', 'must look like "task-…" (a data flow task id)');
    await expectCode('InvalidSrcTaskId.TaskIdInvalid', copyOf('task-0000000000000000'), (p) => {
      p['SrcTaskId'] = 'not-a-task-id';
    });
  });

  it('InvalidSrcTaskId.TaskIdNotFound (404, permanent): the source task belongs to another data flow', async () => {
    const { client } = clientFor(fx.emulator, TEST_KEY);
    const other = await client.createDataFlowTask(lingjunImport({ DataFlowId: IDS.lingjunFlow2 }));
    fx.emulator.log.clear();
    await expectCode('InvalidSrcTaskId.TaskIdNotFound', {
      FileSystemId: IDS.lingjun,
      DataFlowId: IDS.lingjunFlow,
      SrcTaskId: other.TaskId ?? '',
      ConflictPolicy: 'SKIP_THE_FILE',
    });
  });

  // Runs last (tests of a file run in order).
  it('covered all 16 seed codes, and classify.ts agrees with the expectations above', () => {
    expect([...covered].sort()).toEqual([...SEED_ERROR_CODES].sort());
    for (const code of SEED_ERROR_CODES) {
      const status = SEED_STATUS[code] as number;
      expect(isRetryableCode(code, status), code).toBe(RETRYABLE_SEED_CODES.has(code));
      expect(NON_RETRYABLE_CODES.has(code) || RETRYABLE_CLIENT_CODES.has(code), `${code} is classified explicitly`).toBe(true);
    }
  });
});
