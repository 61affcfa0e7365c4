/**
 * The port the use case talks to: the data-flow capability of the NAS OpenAPI. Parameter names are the
 * wire names (PascalCase) so that what is validated is exactly what is sent. The NAS adapter
 * (shared/nas/client.ts) implements it over HTTP; tests may hand in a fake.
 */
import type {
  CancelDataFlowSubTaskResponse,
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
  /**
   * Directory, EntryList and TransferFileListPath are mutually exclusive: a request carries at most one
   * of them (docs/platform.md §1, newer API texts). DstDirectory is not part of that set.
   */
  readonly Directory?: string;
  readonly DstDirectory?: string;
  /** The EntryList exactly as sent: a JSON array of strings, at most 65,535 bytes of UTF-8 (less than 64 KB). */
  readonly EntryList?: string;
  /** LINGJUN only, Import/Export only: an OSS directory (`/…/`) of CSV files naming what to transfer. */
  readonly TransferFileListPath?: string;
  /** LINGJUN only, only with Directory: a JSON list of sub-folders (`/…/`) to transfer. */
  readonly Includes?: string;
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

/** CancelDataFlowSubTask: every id is required (docs/platform.md §1). Operator-only: the functions never cancel. */
export interface CancelDataFlowSubTaskParams {
  readonly FileSystemId: string;
  readonly DataFlowId: string;
  readonly DataFlowTaskId: string;
  readonly DataFlowSubTaskId: string;
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

/**
 * Operations beyond the port that only an operator's tool calls: cancelling a sub-task (`cpfs-ingest
 * cancel`). Kept off {@link DataFlowApi} on purpose — the functions never cancel, and their fakes need not
 * implement it. The NAS client ({@link NasOperatorApi}) has it.
 */
export interface NasOperatorApi {
  cancelDataFlowSubTask(params: CancelDataFlowSubTaskParams, options?: CallOptions): Promise<CancelDataFlowSubTaskResponse>;
}

/** The operations of the {@link DataFlowApi} port. */
export type OperationName =
  | 'CreateDataFlowTask'
  | 'CreateDataFlowSubTask'
  | 'DescribeDataFlowTasks'
  | 'DescribeDataFlowSubTasks'
  | 'DescribeDataFlows'
  | 'CancelDataFlowTask';

/**
 * Every NAS operation the client knows: the port's six plus the operator-only CancelDataFlowSubTask —
 * the seven operations of the documented quota table (docs/platform.md §1, Quotas).
 */
export type NasOperationName = OperationName | 'CancelDataFlowSubTask';
