/**
 * Wire shapes of the NAS OpenAPI (version 2017-06-26) responses this project reads, as zod schemas.
 * They are the single source of truth shared by the client (which parses them) and the emulator
 * (which must emit them). Field names follow the official SDK models (e.g. the Go SDK's
 * `DescribeDataFlowTasksResponseBodyTaskInfoTask`, where the file system id is spelled `FilesystemId`).
 * Unknown fields are tolerated: the service adds fields over time.
 *
 * Written with `zod/mini` to keep the FC bundle small. Mini loads no locale, so issue messages are the
 * generic "Invalid input": report a shape problem by issue `code` and `path` (as the client does), not message.
 */
import * as z from 'zod/mini';

// Every schema below is built on its first use (`z.lazy`), not when the bundle is loaded (issue 11, cold
// start): an invocation builds only the shapes of the calls it makes, and none of the ~170 schema objects
// of this file is constructed while the function's module is evaluated.

export const NAS_API_VERSION = '2017-06-26';

export const TASK_ACTIONS = ['Import', 'Export', 'StreamImport', 'StreamExport', 'Evict', 'Inventory'] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];
export const DATA_TYPES = ['Metadata', 'Data', 'MetaAndData'] as const;
export type DataType = (typeof DATA_TYPES)[number];
export const CONFLICT_POLICIES = ['SKIP_THE_FILE', 'KEEP_LATEST', 'OVERWRITE_EXISTING'] as const;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

export const TASK_STATUSES = ['Pending', 'Executing', 'Failed', 'Completed', 'Canceling', 'Canceled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const SUB_TASK_STATUSES = ['CREATED', 'RUNNING', 'COMPLETE', 'FAILED', 'CANCELING', 'CANCELED', 'EXPIRED'] as const;
export type SubTaskStatus = (typeof SUB_TASK_STATUSES)[number];
export const DATA_FLOW_STATUSES = [
  'Starting', 'Running', 'Updating', 'Deleting', 'Stopping', 'Stopped', 'Misconfigured',
] as const;
export type DataFlowStatus = (typeof DATA_FLOW_STATUSES)[number];

/** Error body of every failed call: `{RequestId, HostId, Code, Message, Recommend?}`. */
export const ErrorBody = z.lazy(() => z.looseObject({
  RequestId: z.optional(z.string()),
  HostId: z.optional(z.string()),
  Code: z.string(),
  Message: z.optional(z.string()),
  Recommend: z.optional(z.string()),
}));
export type ErrorBody = z.infer<typeof ErrorBody>;

export const CreateDataFlowTaskResponse = z.lazy(() => z.looseObject({
  RequestId: z.string(),
  /** Absent on a DryRun. */
  TaskId: z.optional(z.string()),
}));
export type CreateDataFlowTaskResponse = z.infer<typeof CreateDataFlowTaskResponse>;

export const CreateDataFlowSubTaskResponse = z.lazy(() => z.looseObject({
  RequestId: z.string(),
  /** Absent on a DryRun. */
  DataFlowSubTaskId: z.optional(z.string()),
}));
export type CreateDataFlowSubTaskResponse = z.infer<typeof CreateDataFlowSubTaskResponse>;

export const CancelDataFlowTaskResponse = z.lazy(() => z.looseObject({ RequestId: z.string() }));
export type CancelDataFlowTaskResponse = z.infer<typeof CancelDataFlowTaskResponse>;

export const CancelDataFlowSubTaskResponse = z.lazy(() => z.looseObject({ RequestId: z.string() }));
export type CancelDataFlowSubTaskResponse = z.infer<typeof CancelDataFlowSubTaskResponse>;

export const TaskProgressStats = z.lazy(() => z.looseObject({
  ActualBytes: z.optional(z.number()),
  ActualFiles: z.optional(z.number()),
  AverageSpeed: z.optional(z.number()),
  BytesDone: z.optional(z.number()),
  BytesTotal: z.optional(z.number()),
  FilesDone: z.optional(z.number()),
  FilesTotal: z.optional(z.number()),
  RemainTime: z.optional(z.number()),
}));

export const DataFlowTask = z.lazy(() => z.looseObject({
  TaskId: z.string(),
  DataFlowId: z.optional(z.string()),
  FilesystemId: z.optional(z.string()),
  TaskAction: z.optional(z.string()),
  DataType: z.optional(z.string()),
  Status: z.string(),
  ConflictPolicy: z.optional(z.string()),
  Directory: z.optional(z.string()),
  DstDirectory: z.optional(z.string()),
  /** Newer API texts (docs/platform.md §1): the task's EntryList JSON, Includes JSON, CSV list directory. */
  EntryList: z.optional(z.string()),
  Includes: z.optional(z.string()),
  TransferFileListPath: z.optional(z.string()),
  FileSystemPath: z.optional(z.string()),
  /** The file system path of the task (newer API texts). */
  FsPath: z.optional(z.string()),
  SourceStorage: z.optional(z.string()),
  Originator: z.optional(z.string()),
  Progress: z.optional(z.number()),
  ProgressStats: z.optional(TaskProgressStats),
  ErrorMsg: z.optional(z.string()),
  CreateTime: z.optional(z.string()),
  StartTime: z.optional(z.string()),
  EndTime: z.optional(z.string()),
  /** Deprecated by the service; may hold a signed URL — never log it. */
  ReportPath: z.optional(z.string()),
  /** LINGJUN batch-task reports: signed URLs — never log them. */
  Reports: z.optional(z.looseObject({
    Report: z.optional(z.array(z.looseObject({ Name: z.optional(z.string()), Path: z.optional(z.string()) }))),
  })),
}));
export type DataFlowTask = z.infer<typeof DataFlowTask>;

export const DescribeDataFlowTasksResponse = z.lazy(() => z.looseObject({
  RequestId: z.string(),
  NextToken: z.optional(z.string()),
  TaskInfo: z.optional(z.looseObject({ Task: z.optional(z.array(DataFlowTask)) })),
}));
export type DescribeDataFlowTasksResponse = z.infer<typeof DescribeDataFlowTasksResponse>;

export const DataFlowSubTask = z.lazy(() => z.looseObject({
  DataFlowSubTaskId: z.string(),
  DataFlowTaskId: z.optional(z.string()),
  DataFlowId: z.optional(z.string()),
  FileSystemId: z.optional(z.string()),
  SrcFilePath: z.optional(z.string()),
  DstFilePath: z.optional(z.string()),
  Status: z.string(),
  /** 0–10000; done = COMPLETE and 10000. */
  Progress: z.optional(z.number()),
  ProgressStats: z.optional(z.looseObject({
    ActualBytes: z.optional(z.number()),
    AverageSpeed: z.optional(z.number()),
    BytesDone: z.optional(z.number()),
    BytesTotal: z.optional(z.number()),
  })),
  FileDetail: z.optional(z.looseObject({
    Checksum: z.optional(z.string()),
    /** ns since epoch */
    ModifyTime: z.optional(z.number()),
    Size: z.optional(z.number()),
  })),
  ErrorMsg: z.optional(z.string()),
  CreateTime: z.optional(z.string()),
  StartTime: z.optional(z.string()),
  EndTime: z.optional(z.string()),
}));
export type DataFlowSubTask = z.infer<typeof DataFlowSubTask>;

export const DescribeDataFlowSubTasksResponse = z.lazy(() => z.looseObject({
  RequestId: z.string(),
  NextToken: z.optional(z.string()),
  DataFlowSubTask: z.optional(z.looseObject({ DataFlowSubTask: z.optional(z.array(DataFlowSubTask)) })),
}));
export type DescribeDataFlowSubTasksResponse = z.infer<typeof DescribeDataFlowSubTasksResponse>;

export const DataFlow = z.lazy(() => z.looseObject({
  DataFlowId: z.string(),
  FileSystemId: z.optional(z.string()),
  Status: z.string(),
  /** `oss://bucket` */
  SourceStorage: z.optional(z.string()),
  /** `/prefix/` — LINGJUN data flows. */
  SourceStoragePath: z.optional(z.string()),
  FileSystemPath: z.optional(z.string()),
  Description: z.optional(z.string()),
  ErrorMessage: z.optional(z.string()),
  CreateTime: z.optional(z.string()),
  UpdateTime: z.optional(z.string()),
}));
export type DataFlow = z.infer<typeof DataFlow>;

export const DescribeDataFlowsResponse = z.lazy(() => z.looseObject({
  RequestId: z.string(),
  NextToken: z.optional(z.string()),
  DataFlowInfo: z.optional(z.looseObject({ DataFlow: z.optional(z.array(DataFlow)) })),
}));
export type DescribeDataFlowsResponse = z.infer<typeof DescribeDataFlowsResponse>;
