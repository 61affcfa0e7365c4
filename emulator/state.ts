/**
 * The emulator's in-memory world: file systems, data flows, data-flow tasks and streaming sub-tasks.
 * Records are plain mutable objects owned by the emulator; `handle.state` exposes them read-only for
 * inspection. All times are emulator-clock milliseconds.
 */
import type {
  ConflictPolicy,
  DataFlowStatus,
  DataType,
  SubTaskStatus,
  TaskAction,
  TaskStatus,
} from '../shared/nas/wire.js';

/** `bmcpfs-…` is CPFS for LINGJUN; `cpfs-…` is CPFS general purpose (docs/platform.md §1). */
export type FileSystemKind = 'lingjun' | 'cpfs';

export interface FileSystemRecord {
  readonly id: string;
  readonly kind: FileSystemKind;
  /** e.g. `2.6.0`. */
  version: string;
  /** Local directory backing this file system's root (optional). */
  dir?: string;
}

export interface DataFlowRecord {
  readonly id: string;
  readonly fileSystemId: string;
  status: DataFlowStatus;
  /** `oss://bucket` */
  readonly sourceStorage: string;
  /** `/prefix/` inside the bucket. */
  readonly sourceStoragePath: string;
  /** `/dir/` inside the file system. */
  readonly fileSystemPath: string;
  description?: string;
  readonly createdAt: number;
  updatedAt: number;
}

export interface ProgressStatsRecord {
  filesTotal: number;
  filesDone: number;
  bytesTotal: number;
  bytesDone: number;
  actualFiles: number;
  actualBytes: number;
}

export interface ReportRecord {
  readonly name: string;
  /** A signed URL (fake, but shaped like OSS's): never log it. */
  readonly path: string;
}

export interface TaskRecord {
  readonly id: string;
  readonly accountId: string;
  readonly dataFlowId: string;
  readonly fileSystemId: string;
  readonly action: TaskAction;
  readonly dataType: DataType;
  /** The effective source directory: Directory as sent, `/` when not given. */
  readonly directory: string;
  /** Directory exactly as sent (absent when the request had none; DescribeDataFlowTasks echoes this). */
  readonly sentDirectory?: string;
  readonly dstDirectory: string;
  readonly entryList?: readonly string[];
  /** Includes (LINGJUN, only with Directory): sub-folders of Directory to transfer. */
  readonly includes?: readonly string[];
  /** TransferFileListPath (LINGJUN Import/Export): OSS directory of `Name,Type` CSV manifests. */
  readonly transferFileListPath?: string;
  readonly conflictPolicy?: ConflictPolicy;
  readonly createDirIfNotExist: boolean;
  /** StreamImport / StreamExport. */
  readonly streaming: boolean;
  readonly srcTaskId?: string;
  status: TaskStatus;
  readonly createdAt: number;
  /** Scheduled time of Pending → Executing. */
  executingAt: number;
  /** Scheduled time of Executing → Completed/Failed (batch tasks only). */
  finishAt?: number;
  startedAt?: number;
  endedAt?: number;
  cancelRequestedAt?: number;
  /** 0–100 (ASSUMED scale for tasks). */
  progress: number;
  stats: ProgressStatsRecord;
  errorMsg?: string;
  reports?: ReportRecord[];
}

export interface SubTaskRecord {
  readonly id: string;
  readonly accountId: string;
  readonly taskId: string;
  readonly dataFlowId: string;
  readonly fileSystemId: string;
  readonly srcFilePath: string;
  readonly dstFilePath: string;
  /** `Condition.Size` in bytes. */
  readonly conditionSize?: number;
  /** `Condition.ModifyTime` in ns since the epoch (a bigint: ns exceed 2^53). */
  readonly conditionModifyTimeNs?: bigint;
  status: SubTaskStatus;
  readonly createdAt: number;
  /** When CancelDataFlowSubTask made it CANCELING. */
  cancelRequestedAt?: number;
  /** Scheduled time of CREATED → RUNNING. */
  runningAt: number;
  /** Scheduled time of RUNNING → COMPLETE/FAILED. */
  finishAt: number;
  startedAt?: number;
  endedAt?: number;
  /** 0–10000; done = COMPLETE and 10000. */
  progress: number;
  bytesTotal: number;
  bytesDone: number;
  errorMsg?: string;
  fileDetail?: { checksum: string; modifyTimeNs: bigint; size: number };
}

/**
 * How often one destination file in a file system was reached by an import (batch file or sub-task), so a
 * test can check "every object imported exactly once". `written`: the bytes were copied (or, with a
 * simulated store, the import succeeded); `skipped`: the file existed and the ConflictPolicy kept it.
 */
export interface ImportCount {
  written: number;
  skipped: number;
  /** Task (and sub-task) ids that reached this file, in order. */
  readonly by: string[];
}

/** Key of `EmulatorState.imports`: `<fileSystemId>:<absolute path in the file system>`. */
export function importKey(fileSystemId: string, path: string): string {
  return `${fileSystemId}:${path}`;
}

/** Everything the emulator knows; Maps keep insertion (= creation) order, which paging relies on. */
export interface EmulatorState {
  readonly fileSystems: Map<string, FileSystemRecord>;
  readonly dataFlows: Map<string, DataFlowRecord>;
  readonly tasks: Map<string, TaskRecord>;
  readonly subTasks: Map<string, SubTaskRecord>;
  /** By `importKey(fileSystemId, path)`. */
  readonly imports: Map<string, ImportCount>;
}

/** The read-only view handed out as `handle.state`. */
export interface EmulatorStateView {
  readonly fileSystems: ReadonlyMap<string, Readonly<FileSystemRecord>>;
  readonly dataFlows: ReadonlyMap<string, Readonly<DataFlowRecord>>;
  readonly tasks: ReadonlyMap<string, Readonly<TaskRecord>>;
  readonly subTasks: ReadonlyMap<string, Readonly<SubTaskRecord>>;
  readonly imports: ReadonlyMap<string, Readonly<ImportCount>>;
}

export function createState(): EmulatorState {
  return { fileSystems: new Map(), dataFlows: new Map(), tasks: new Map(), subTasks: new Map(), imports: new Map() };
}

/** Kind of a file system from its id prefix; undefined when neither `bmcpfs-` nor `cpfs-`. */
export function fileSystemKindOf(id: string): FileSystemKind | undefined {
  if (id.startsWith('bmcpfs-')) return 'lingjun';
  if (id.startsWith('cpfs-')) return 'cpfs';
  return undefined;
}

/** Compares dotted versions numerically: `compareVersions('2.10.0', '2.6.0') > 0`. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Minimum versions (docs/platform.md §1): data flows from CPFS 2.2.0 / LINGJUN 2.4.0; streaming and sub-tasks LINGJUN 2.6.0. */
export const MIN_DATA_FLOW_VERSION: Readonly<Record<FileSystemKind, string>> = { cpfs: '2.2.0', lingjun: '2.4.0' };
export const MIN_STREAMING_VERSION = '2.6.0';

/** Task states in which a task still counts as running (the LINGJUN 4-batch-task limit counts these). */
export const ACTIVE_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['Pending', 'Executing']);
/** Sub-task states that end by themselves (CREATED → RUNNING → …, CANCELING → CANCELED). */
export const UNFINISHED_SUB_TASK_STATUSES: ReadonlySet<SubTaskStatus> = new Set<SubTaskStatus>(['CREATED', 'RUNNING', 'CANCELING']);
/** Sub-task states that block cancelling their streaming task. */
export const ACTIVE_SUB_TASK_STATUSES: ReadonlySet<SubTaskStatus> = new Set<SubTaskStatus>(['CREATED', 'RUNNING']);
