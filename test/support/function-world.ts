/**
 * The world the function tests run in: a NAS emulator on loopback with local "bucket" and "file system"
 * directories, an STS key for the function's role, and helpers to put objects, build the function's
 * environment and read the emulator's state back.
 *
 * The emulator clock is manual but starts at the real time, so the client's `x-acs-date` is inside the
 * ±15 min window; `settle()` moves it only seconds. Lifecycle timings default to 0 (a sub-task is
 * COMPLETE, its file copied, by the time its create call returns); quotas default to off, so that a test
 * asks for the documented ones when it is about them.
 */
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createManualClock, NO_QUOTAS, startEmulator, type EmulatorHandle, type EmulatorOptions, type LifecycleTimings, type QuotaOverrides } from '../../emulator/server.js';
import { objectCreatedEvent, type OssEventElement } from './event-factories.js';
import { fcContext, type FcContext } from './function-harness.js';

/** The function role's STS credentials: distinctive strings so a leak is easy to find in output. */
export const FUNCTION_KEY = Object.freeze({
  accessKeyId: 'STS.NUfunctionRoleKeyId01',
  accessKeySecret: 'fnSecret-7Qx9/Lm+Zr2Kp8Wv3Yt',
  securityToken: 'CAIS-fnSecurityToken-Hq4Jw8Ee1Rr6Tt0Uu5Ii9Oo3Pp7==',
});

export const WORLD = Object.freeze({
  bucket: 'ingest-bucket',
  /** CPFS for LINGJUN 2.6 (StreamImport and sub-tasks). */
  lingjun: 'bmcpfs-fn00000026',
  lingjunFlow: 'df-fn00000026',
  /** CPFS for LINGJUN 2.5: data flows and Import, no StreamImport, no CreateDirIfNotExist. */
  lingjun25: 'bmcpfs-fn00000025',
  lingjun25Flow: 'df-fn00000025',
  /** CPFS general purpose: Import only. */
  cpfs: 'cpfs-fn00000001',
  cpfsFlow: 'df-fncpfs000001',
  /** SourceStoragePath of every data flow: keys outside `incoming/` are rejected. */
  sourceStoragePath: '/incoming/',
  /** FileSystemPath of every data flow. */
  fileSystemPath: '/landing/',
});

const ZERO_TIMINGS: LifecycleTimings = {
  batchPendingMs: 0,
  batchExecutingMs: 0,
  streamPendingMs: 0,
  cancelingMs: 0,
  subTaskCreatedMs: 0,
  subTaskRunningMs: 0,
};

export interface WorldOptions {
  readonly timings?: Partial<LifecycleTimings>;
  readonly quotas?: QuotaOverrides;
  readonly onRequest?: EmulatorOptions['onRequest'];
  readonly seed?: number;
}

export interface FunctionWorld {
  readonly emulator: EmulatorHandle;
  readonly bucketDir: string;
  readonly fsDir: string;
  /**
   * Writes objects into the bucket directory and returns their events (size = the bytes written, so the
   * sub-task's Condition.Size holds).
   */
  putObjects(keys: readonly string[], content?: (key: string) => string): OssEventElement[];
  /** The function's environment for one file system, data flow and extra variables. */
  env(target: 'lingjun' | 'lingjun25' | 'cpfs', extra?: Readonly<Record<string, string>>): Record<string, string>;
  /** A fresh FC context with the function role's STS credentials. */
  context(timeoutSeconds?: number): FcContext;
  /** The local path of a file-system path of the data flows (`/landing/…`). */
  landedPath(dstFilePath: string): string;
  /** Whether `dstFilePath` (relative to FileSystemPath) exists as a file with `bytes` bytes. */
  landed(dstFilePath: string, bytes?: number): boolean;
  cleanup(): Promise<void>;
}

/** Starts the emulator world. */
export async function startFunctionWorld(options: WorldOptions = {}): Promise<FunctionWorld> {
  const root = mkdtempSync(path.join(scratchParent(), 'cpfs-fn-test-'));
  const bucketDir = path.join(root, 'bucket');
  const fsDir = path.join(root, 'fs');
  mkdirSync(bucketDir, { recursive: true });
  const flow = (id: string, fileSystemId: string) => ({
    id,
    fileSystemId,
    sourceStorage: `oss://${WORLD.bucket}`,
    sourceStoragePath: WORLD.sourceStoragePath,
    fileSystemPath: WORLD.fileSystemPath,
  });
  const emulator = await startEmulator({
    seed: options.seed ?? 7,
    clock: createManualClock(Date.now()),
    autoTickMs: false,
    keys: [FUNCTION_KEY],
    bucketDir,
    fileSystemDir: fsDir,
    fileSystems: [
      { id: WORLD.lingjun, version: '2.6.0' },
      { id: WORLD.lingjun25, version: '2.5.0' },
      { id: WORLD.cpfs, version: '2.3.0' },
    ],
    dataFlows: [flow(WORLD.lingjunFlow, WORLD.lingjun), flow(WORLD.lingjun25Flow, WORLD.lingjun25), flow(WORLD.cpfsFlow, WORLD.cpfs)],
    timings: { ...ZERO_TIMINGS, ...options.timings },
    quotas: { ...NO_QUOTAS, ...options.quotas },
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
  // Objects get one fixed, past modification time: KEEP_LATEST then always finds the source newer than
  // nothing, and a re-import of the same bytes is recognisable by the unchanged mtime.
  const objectTime = new Date(Date.UTC(2024, 4, 1, 8, 0, 0));

  const landedPath = (dstFilePath: string) => path.join(fsDir, WORLD.fileSystemPath, dstFilePath);
  const ids = {
    lingjun: [WORLD.lingjun, WORLD.lingjunFlow],
    lingjun25: [WORLD.lingjun25, WORLD.lingjun25Flow],
    cpfs: [WORLD.cpfs, WORLD.cpfsFlow],
  } as const;

  return {
    emulator,
    bucketDir,
    fsDir,
    putObjects(keys, content = (key) => `content of ${key}\n`) {
      return keys.map((key) => {
        const text = content(key);
        const file = path.join(bucketDir, key);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, text);
        utimesSync(file, objectTime, objectTime);
        return objectCreatedEvent({ key, bucket: WORLD.bucket, size: Buffer.byteLength(text) });
      });
    },
    env(target, extra = {}) {
      const [fileSystemId, dataFlowId] = ids[target];
      return {
        CPFS_FILE_SYSTEM_ID: fileSystemId,
        CPFS_DATA_FLOW_ID: dataFlowId,
        CPFS_SOURCE_STORAGE_PATH: WORLD.sourceStoragePath,
        NAS_ENDPOINT: emulator.url,
        FC_REGION: 'cn-hangzhou',
        // FC also puts the role's credentials in the environment (docs/platform.md §4).
        ALIBABA_CLOUD_ACCESS_KEY_ID: FUNCTION_KEY.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: FUNCTION_KEY.accessKeySecret,
        ALIBABA_CLOUD_SECURITY_TOKEN: FUNCTION_KEY.securityToken,
        ...extra,
      };
    },
    context(timeoutSeconds = 60) {
      return fcContext({ credentials: FUNCTION_KEY, timeoutSeconds });
    },
    landedPath,
    landed(dstFilePath, bytes) {
      try {
        const st = statSync(landedPath(dstFilePath));
        return st.isFile() && (bytes === undefined || st.size === bytes);
      } catch {
        return false;
      }
    },
    async cleanup() {
      await emulator.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Where the bucket and file-system directories go: tmpfs (`/dev/shm`) when there is one — ten thousand
 * writes, copies and deletes cost seconds on a disk shared with other jobs — else the system temp dir.
 */
function scratchParent(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/** Sub-tasks per (SrcFilePath, DstFilePath) — optionally of one streaming task only. */
export function subTasksByPath(emulator: EmulatorHandle, taskId?: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const sub of emulator.state.subTasks.values()) {
    if (taskId !== undefined && sub.taskId !== taskId) continue;
    const key = `${sub.srcFilePath}\u0000${sub.dstFilePath}`;
    const list = out.get(key) ?? [];
    list.push(sub.id);
    out.set(key, list);
  }
  return out;
}

/** The emulator's tasks of one action, in creation order. */
export function tasksOf(emulator: EmulatorHandle, action: string): Array<{ id: string; status: string; conflictPolicy?: string; entryList?: readonly string[] }> {
  return [...emulator.state.tasks.values()]
    .filter((t) => t.action === action)
    .map((t) => ({ id: t.id, status: t.status, ...(t.conflictPolicy ? { conflictPolicy: t.conflictPolicy } : {}), ...(t.entryList ? { entryList: t.entryList } : {}) }));
}

/** Counts of sub-tasks per status. */
export function subTaskStatusCounts(emulator: EmulatorHandle): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const sub of emulator.state.subTasks.values()) counts[sub.status] = (counts[sub.status] ?? 0) + 1;
  return counts;
}
