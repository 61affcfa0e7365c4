/**
 * Shared set-up for the emulator tests: a pinned clock, a known world (LINGJUN 2.6 / 2.4 / 2.2, CPFS) and
 * throw-away bucket and file-system directories.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { ErrorBody } from '../../shared/nas/wire.js';
import { createManualClock, startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../emulator/server.js';
import { createEmulatorCaller, type EmulatorCall, type EmulatorResponse } from './emulator-request.js';

export const TEST_KEY = { accessKeyId: 'LTAI-test', accessKeySecret: 'test-secret-value' } as const;
export const STS_KEY = { accessKeyId: 'STS.test', accessKeySecret: 'sts-secret-value', securityToken: 'sts-token-value' } as const;

/** The world every emulator test starts from. */
export const IDS = {
  lingjun: 'bmcpfs-test00000001',
  lingjunFlow: 'df-test00000001',
  lingjunFlow2: 'df-test00000002',
  lingjun24: 'bmcpfs-test00000024',
  lingjun24Flow: 'df-test00000024',
  lingjun22: 'bmcpfs-test00000022',
  cpfs: 'cpfs-test00000001',
  cpfsFlow: 'df-testcpfs0001',
  stoppedFlow: 'df-teststopped01',
} as const;

export interface EmulatorFixture {
  readonly emulator: EmulatorHandle;
  readonly call: EmulatorCall;
  readonly bucketDir: string;
  readonly fsDir: string;
  cleanup(): Promise<void>;
}

/** Starts an emulator on a manual clock (it moves only with `emulator.clock.advance` / `settle`). */
export async function startTestEmulator(overrides: Partial<EmulatorOptions> = {}): Promise<EmulatorFixture> {
  const root = mkdtempSync(path.join(tmpdir(), 'nas-emulator-test-'));
  const bucketDir = path.join(root, 'bucket');
  const fsDir = path.join(root, 'fs');
  const emulator = await startEmulator({
    seed: 42,
    clock: createManualClock(Date.UTC(2024, 6, 1, 12, 0, 0)),
    autoTickMs: false,
    keys: [TEST_KEY, STS_KEY],
    bucketDir,
    fileSystemDir: fsDir,
    fileSystems: [
      { id: IDS.lingjun, version: '2.6.0' },
      { id: IDS.lingjun24, version: '2.4.0' },
      { id: IDS.lingjun22, version: '2.2.0' },
      { id: IDS.cpfs, version: '2.3.0' },
    ],
    dataFlows: [
      { id: IDS.lingjunFlow, fileSystemId: IDS.lingjun, sourceStorage: 'oss://test-bucket' },
      { id: IDS.lingjunFlow2, fileSystemId: IDS.lingjun, sourceStorage: 'oss://test-bucket', sourceStoragePath: '/other/', fileSystemPath: '/other/' },
      { id: IDS.lingjun24Flow, fileSystemId: IDS.lingjun24, sourceStorage: 'oss://test-bucket' },
      { id: IDS.cpfsFlow, fileSystemId: IDS.cpfs, sourceStorage: 'oss://test-bucket' },
      { id: IDS.stoppedFlow, fileSystemId: IDS.lingjun, sourceStorage: 'oss://test-bucket', status: 'Stopped' },
    ],
    timings: { batchPendingMs: 1_000, batchExecutingMs: 2_000, streamPendingMs: 0, cancelingMs: 1_000, subTaskCreatedMs: 100, subTaskRunningMs: 400 },
    ...overrides,
  });
  const call = createEmulatorCaller(emulator, TEST_KEY);
  return {
    emulator,
    call,
    bucketDir,
    fsDir,
    async cleanup() {
      await emulator.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Asserts an error answer: documented shape, HTTP status and code. */
export function expectApiError(res: EmulatorResponse, status: number, code: string): void {
  expect({ status: res.status, code: res.body['Code'] }).toEqual({ status, code });
  const parsed = ErrorBody.parse(res.body);
  expect(parsed.RequestId).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
  expect(parsed.HostId).toBeTruthy();
  expect(parsed.Message).toBeTruthy();
}

/** Valid parameters of a LINGJUN batch import; override what a test is about. */
export function lingjunImport(overrides: Record<string, string | boolean | undefined> = {}): Record<string, string | boolean | undefined> {
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

/** Valid parameters of a LINGJUN StreamImport task. */
export function lingjunStream(overrides: Record<string, string | boolean | undefined> = {}): Record<string, string | boolean | undefined> {
  return {
    FileSystemId: IDS.lingjun,
    DataFlowId: IDS.lingjunFlow,
    TaskAction: 'StreamImport',
    DataType: 'MetaAndData',
    ConflictPolicy: 'OVERWRITE_EXISTING',
    CreateDirIfNotExist: true,
    ...overrides,
  };
}
