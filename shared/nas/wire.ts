/**
 * Wire shapes of the NAS OpenAPI (version 2017-06-26) responses this project reads, as zod schemas.
 * They are the single source of truth shared by the client (which parses them) and the emulator
 * (which must emit them). Field names follow the official SDK models (e.g. the Go SDK's
 * `DescribeDataFlowTasksResponseBodyTaskInfoTask`, where the file system id is spelled `FilesystemId`).
 * Unknown fields are tolerated: the service adds fields over time.
 */
import * as z from 'zod';

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
export const ErrorBody = z.looseObject({
  RequestId: z.string().optional(),
  HostId: z.string().optional(),
  Code: z.string(),
  Message: z.string().optional(),
  Recommend: z.string().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const CreateDataFlowTaskResponse = z.looseObject({
  RequestId: z.string(),
  /** Absent on a DryRun. */
  TaskId: z.string().optional(),
});
export type CreateDataFlowTaskResponse = z.infer<typeof CreateDataFlowTaskResponse>;

export const CreateDataFlowSubTaskResponse = z.looseObject({
  RequestId: z.string(),
  /** Absent on a DryRun. */
  DataFlowSubTaskId: z.string().optional(),
});
export type CreateDataFlowSubTaskResponse = z.infer<typeof CreateDataFlowSubTaskResponse>;

export const CancelDataFlowTaskResponse = z.looseObject({ RequestId: z.string() });
export type CancelDataFlowTaskResponse = z.infer<typeof CancelDataFlowTaskResponse>;

export const TaskProgressStats = z.looseObject({
  ActualBytes: z.number().optional(),
  ActualFiles: z.number().optional(),
  AverageSpeed: z.number().optional(),
  BytesDone: z.number().optional(),
  BytesTotal: z.number().optional(),
  FilesDone: z.number().optional(),
  FilesTotal: z.number().optional(),
  RemainTime: z.number().optional(),
});

export const DataFlowTask = z.looseObject({
  TaskId: z.string(),
  DataFlowId: z.string().optional(),
  FilesystemId: z.string().optional(),
  TaskAction: z.string().optional(),
  DataType: z.string().optional(),
  Status: z.string(),
  ConflictPolicy: z.string().optional(),
  Directory: z.string().optional(),
  DstDirectory: z.string().optional(),
  FileSystemPath: z.string().optional(),
  SourceStorage: z.string().optional(),
  Originator: z.string().optional(),
  Progress: z.number().optional(),
  ProgressStats: TaskProgressStats.optional(),
  ErrorMsg: z.string().optional(),
  CreateTime: z.string().optional(),
  StartTime: z.string().optional(),
  EndTime: z.string().optional(),
  /** Deprecated by the service; may hold a signed URL — never log it. */
  ReportPath: z.string().optional(),
  /** LINGJUN batch-task reports: signed URLs — never log them. */
  Reports: z.looseObject({ Report: z.array(z.looseObject({ Name: z.string().optional(), Path: z.string().optional() })).optional() }).optional(),
});
export type DataFlowTask = z.infer<typeof DataFlowTask>;

export const DescribeDataFlowTasksResponse = z.looseObject({
  RequestId: z.string(),
  NextToken: z.string().optional(),
  TaskInfo: z.looseObject({ Task: z.array(DataFlowTask).optional() }).optional(),
});
export type DescribeDataFlowTasksResponse = z.infer<typeof DescribeDataFlowTasksResponse>;

export const DataFlowSubTask = z.looseObject({
  DataFlowSubTaskId: z.string(),
  DataFlowTaskId: z.string().optional(),
  DataFlowId: z.string().optional(),
  FileSystemId: z.string().optional(),
  SrcFilePath: z.string().optional(),
  DstFilePath: z.string().optional(),
  Status: z.string(),
  /** 0–10000; done = COMPLETE and 10000. */
  Progress: z.number().optional(),
  ProgressStats: z.looseObject({
    ActualBytes: z.number().optional(),
    AverageSpeed: z.number().optional(),
    BytesDone: z.number().optional(),
    BytesTotal: z.number().optional(),
  }).optional(),
  FileDetail: z.looseObject({
    Checksum: z.string().optional(),
    /** ns since epoch */
    ModifyTime: z.number().optional(),
    Size: z.number().optional(),
  }).optional(),
  ErrorMsg: z.string().optional(),
  CreateTime: z.string().optional(),
  StartTime: z.string().optional(),
  EndTime: z.string().optional(),
});
export type DataFlowSubTask = z.infer<typeof DataFlowSubTask>;

export const DescribeDataFlowSubTasksResponse = z.looseObject({
  RequestId: z.string(),
  NextToken: z.string().optional(),
  DataFlowSubTask: z.looseObject({ DataFlowSubTask: z.array(DataFlowSubTask).optional() }).optional(),
});
export type DescribeDataFlowSubTasksResponse = z.infer<typeof DescribeDataFlowSubTasksResponse>;

export const DataFlow = z.looseObject({
  DataFlowId: z.string(),
  FileSystemId: z.string().optional(),
  Status: z.string(),
  /** `oss://bucket` */
  SourceStorage: z.string().optional(),
  /** `/prefix/` — LINGJUN data flows. */
  SourceStoragePath: z.string().optional(),
  FileSystemPath: z.string().optional(),
  Description: z.string().optional(),
  ErrorMessage: z.string().optional(),
  CreateTime: z.string().optional(),
  UpdateTime: z.string().optional(),
});
export type DataFlow = z.infer<typeof DataFlow>;

export const DescribeDataFlowsResponse = z.looseObject({
  RequestId: z.string(),
  NextToken: z.string().optional(),
  DataFlowInfo: z.looseObject({ DataFlow: z.array(DataFlow).optional() }).optional(),
});
export type DescribeDataFlowsResponse = z.infer<typeof DescribeDataFlowsResponse>;
