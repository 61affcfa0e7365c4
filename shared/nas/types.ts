/**
 * The port the use case talks to: the data-flow capability of the NAS OpenAPI. Parameter names are the
 * wire names (PascalCase) so that what is validated is exactly what is sent. The NAS adapter
 * (shared/nas/client.ts) implements it over HTTP; tests may hand in a fake.
 */
import type {
  CancelDataFlowTaskResponse,
  ConflictPolicy,
  CreateDataFlowSubTaskResponse,
  CreateDataFlowTaskResponse,
  DataType,
  DescribeDataFlowSubTasksResponse,
  DescribeDataFlowTasksResponse,
  DescribeDataFlowsResponse,
  TaskAction,
} from './wire.js';

export interface Filter {
  readonly Key: string;
  readonly Value: string;
}

export interface CreateDataFlowTaskParams {
  readonly FileSystemId: string;
  readonly DataFlowId: string;
  readonly SrcTaskId?: string;
  readonly TaskAction?: TaskAction;
  readonly DataType?: DataType;
  readonly Directory?: string;
  readonly DstDirectory?: string;
  /** The EntryList exactly as sent: a JSON array of strings, ≤ 64 KB of UTF-8. */
  readonly EntryList?: string;
  readonly ConflictPolicy?: ConflictPolicy;
  readonly CreateDirIfNotExist?: boolean;
  readonly DryRun?: boolean;
  readonly ClientToken?: string;
}

export interface CreateDataFlowSubTaskParams {
  readonly FileSystemId: string;
  readonly DataFlowId: string;
  readonly DataFlowTaskId: string;
  readonly SrcFilePath: string;
  readonly DstFilePath: string;
  /** Sent flattened as `Condition.Size` / `Condition.ModifyTime` (ns since epoch). */
  readonly Condition?: { readonly Size?: number; readonly ModifyTime?: number };
  readonly DryRun?: boolean;
  readonly ClientToken?: string;
}

export interface DescribeDataFlowTasksParams {
  readonly FileSystemId: string;
  /** Sent flattened as `Filters.N.Key` / `Filters.N.Value`. */
  readonly Filters?: readonly Filter[];
  readonly MaxResults?: number;
  readonly NextToken?: string;
  readonly WithReports?: boolean;
}

export interface DescribeDataFlowSubTasksParams {
  readonly FileSystemId: string;
  readonly Filters?: readonly Filter[];
  readonly MaxResults?: number;
  readonly NextToken?: string;
}

export interface DescribeDataFlowsParams {
  readonly FileSystemId: string;
  readonly Filters?: readonly Filter[];
  readonly MaxResults?: number;
  readonly NextToken?: string;
}

export interface CancelDataFlowTaskParams {
  readonly FileSystemId: string;
  readonly DataFlowId: string;
  readonly TaskId: string;
  readonly DryRun?: boolean;
  readonly ClientToken?: string;
}

/** Per-call options. */
export interface CallOptions {
  /** Absolute deadline (ms since epoch, same clock as the client's): no attempt starts past it. */
  readonly deadlineMs?: number;
  readonly signal?: AbortSignal;
}

export interface DataFlowApi {
  createDataFlowTask(params: CreateDataFlowTaskParams, options?: CallOptions): Promise<CreateDataFlowTaskResponse>;
  createDataFlowSubTask(params: CreateDataFlowSubTaskParams, options?: CallOptions): Promise<CreateDataFlowSubTaskResponse>;
  describeDataFlowTasks(params: DescribeDataFlowTasksParams, options?: CallOptions): Promise<DescribeDataFlowTasksResponse>;
  describeDataFlowSubTasks(params: DescribeDataFlowSubTasksParams, options?: CallOptions): Promise<DescribeDataFlowSubTasksResponse>;
  describeDataFlows(params: DescribeDataFlowsParams, options?: CallOptions): Promise<DescribeDataFlowsResponse>;
  cancelDataFlowTask(params: CancelDataFlowTaskParams, options?: CallOptions): Promise<CancelDataFlowTaskResponse>;
}

export type OperationName =
  | 'CreateDataFlowTask'
  | 'CreateDataFlowSubTask'
  | 'DescribeDataFlowTasks'
  | 'DescribeDataFlowSubTasks'
  | 'DescribeDataFlows'
  | 'CancelDataFlowTask';
