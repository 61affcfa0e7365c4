/**
 * A small in-memory DataFlowApi for the use-case tests: streaming and Import tasks, sub-tasks,
 * ClientToken replay (same token ⇒ same answer, even after the task is gone — as the service remembers
 * tokens), and scripted failures. Not an emulator: only what shared/ingest/ calls, no HTTP.
 */
import { NasApiError } from '../../shared/errors.js';
import type {
  CallOptions,
  CreateDataFlowSubTaskParams,
  CreateDataFlowTaskParams,
  DataFlowApi,
  DescribeDataFlowSubTasksParams,
  DescribeDataFlowTasksParams,
  OperationName,
} from '../../shared/nas/types.js';
import type { DataFlowTask } from '../../shared/nas/wire.js';

export interface FakeTask {
  readonly TaskId: string;
  readonly TaskAction: string;
  Status: string;
  readonly ConflictPolicy?: string;
  readonly Directory: string;
  readonly DstDirectory: string;
  readonly EntryList?: string;
  readonly CreateDirIfNotExist?: boolean;
  readonly CreateTime: string;
  readonly ClientToken?: string;
}

export interface FakeSubTask {
  readonly DataFlowSubTaskId: string;
  readonly DataFlowTaskId: string;
  readonly SrcFilePath: string;
  readonly DstFilePath: string;
  readonly Size?: number;
  readonly ClientToken?: string;
}

/** Decides a failure for one call: return an error to throw it, undefined to let the call through. */
export type FailureRule = (operation: OperationName, params: unknown) => Error | undefined;

/** A NAS error answer as the client would raise it. */
export function nasError(code: string, retryable: boolean, httpStatus = retryable ? 503 : 403, action = 'CreateDataFlowSubTask'): NasApiError {
  return new NasApiError(code, `fake ${code}`, httpStatus, retryable, 'FAKE-REQUEST-ID', action);
}

export class FakeDataFlowApi implements DataFlowApi {
  readonly tasks = new Map<string, FakeTask>();
  readonly subTasks = new Map<string, FakeSubTask>();
  readonly calls: Array<{ operation: OperationName; params: unknown }> = [];
  /** Status new streaming tasks get; `Executing` (default) or `Pending`. */
  newStreamStatus = 'Executing';
  /** When set, Describe lists these tasks instead of the real ones (a stale listing). */
  staleListing: FakeTask[] | undefined;
  private readonly rules: FailureRule[] = [];
  private readonly tokens = new Map<string, { params: string; answer: Record<string, string> }>();
  private taskSeq = 0;
  private subSeq = 0;

  /** Adds a failure rule; rules are asked in order and the first error wins. */
  fail(rule: FailureRule): this {
    this.rules.push(rule);
    return this;
  }

  clearFailures(): void {
    this.rules.length = 0;
  }

  count(operation: OperationName): number {
    return this.calls.filter((c) => c.operation === operation).length;
  }

  /** The task vanishes, with its sub-tasks (its ClientToken stays remembered). */
  removeTask(taskId: string): void {
    this.tasks.delete(taskId);
    for (const [id, sub] of this.subTasks) if (sub.DataFlowTaskId === taskId) this.subTasks.delete(id);
  }

  setStatus(taskId: string, status: string): void {
    const task = this.tasks.get(taskId);
    if (!task) throw new Error(`no task ${taskId}`);
    task.Status = status;
  }

  streamTasks(): FakeTask[] {
    return [...this.tasks.values()].filter((t) => t.TaskAction === 'StreamImport');
  }

  importTasks(): FakeTask[] {
    return [...this.tasks.values()].filter((t) => t.TaskAction === 'Import');
  }

  private enter(operation: OperationName, params: unknown): void {
    this.calls.push({ operation, params });
    for (const rule of this.rules) {
      const error = rule(operation, params);
      if (error) throw error;
    }
  }

  private replay(operation: string, token: string | undefined, params: object): Record<string, string> | undefined {
    if (token === undefined) return undefined;
    const remembered = this.tokens.get(`${operation}\u0000${token}`);
    if (remembered === undefined) return undefined;
    if (remembered.params !== JSON.stringify(params)) throw nasError('IdempotentParameterMismatch', false, 400, operation);
    return remembered.answer;
  }

  private remember(operation: string, token: string | undefined, params: object, answer: Record<string, string>): void {
    if (token !== undefined) this.tokens.set(`${operation}\u0000${token}`, { params: JSON.stringify(params), answer });
  }

  async createDataFlowTask(params: CreateDataFlowTaskParams, _options?: CallOptions) {
    this.enter('CreateDataFlowTask', params);
    const replayed = this.replay('CreateDataFlowTask', params.ClientToken, params);
    if (replayed) return { RequestId: 'fake', ...replayed };
    if (params.DryRun) return { RequestId: 'fake' };
    this.taskSeq += 1;
    const id = `task-${String(this.taskSeq).padStart(16, '0')}`;
    const streaming = params.TaskAction === 'StreamImport';
    this.tasks.set(id, {
      TaskId: id,
      TaskAction: params.TaskAction ?? 'Import',
      Status: streaming ? this.newStreamStatus : 'Pending',
      ...(params.ConflictPolicy ? { ConflictPolicy: params.ConflictPolicy } : {}),
      Directory: params.Directory ?? '/',
      DstDirectory: params.DstDirectory ?? '/',
      ...(params.EntryList ? { EntryList: params.EntryList } : {}),
      ...(params.CreateDirIfNotExist !== undefined ? { CreateDirIfNotExist: params.CreateDirIfNotExist } : {}),
      CreateTime: `2024-07-01 12:00:${String(this.taskSeq).padStart(2, '0')}`,
      ...(params.ClientToken ? { ClientToken: params.ClientToken } : {}),
    });
    this.remember('CreateDataFlowTask', params.ClientToken, params, { TaskId: id });
    return { RequestId: 'fake', TaskId: id };
  }

  async createDataFlowSubTask(params: CreateDataFlowSubTaskParams, _options?: CallOptions) {
    this.enter('CreateDataFlowSubTask', params);
    const replayed = this.replay('CreateDataFlowSubTask', params.ClientToken, params);
    if (replayed) return { RequestId: 'fake', ...replayed };
    const task = this.tasks.get(params.DataFlowTaskId);
    if (!task) throw nasError('InvalidTaskId.NotFound', false, 404);
    if (task.Status !== 'Executing') throw nasError('OperationDenied.InvalidState', true, 403);
    if (params.DryRun) return { RequestId: 'fake' };
    this.subSeq += 1;
    const id = `subTaskId-${String(this.subSeq).padStart(19, '0')}`;
    this.subTasks.set(id, {
      DataFlowSubTaskId: id,
      DataFlowTaskId: params.DataFlowTaskId,
      SrcFilePath: params.SrcFilePath,
      DstFilePath: params.DstFilePath,
      ...(params.Condition?.Size !== undefined ? { Size: params.Condition.Size } : {}),
      ...(params.ClientToken ? { ClientToken: params.ClientToken } : {}),
    });
    this.remember('CreateDataFlowSubTask', params.ClientToken, params, { DataFlowSubTaskId: id });
    return { RequestId: 'fake', DataFlowSubTaskId: id };
  }

  async describeDataFlowTasks(params: DescribeDataFlowTasksParams, _options?: CallOptions) {
    this.enter('DescribeDataFlowTasks', params);
    const actions = params.Filters?.find((f) => f.Key === 'TaskActions')?.Value.split(',');
    const listed = (this.staleListing ?? [...this.tasks.values()]).filter((t) => actions === undefined || actions.includes(t.TaskAction));
    const Task: DataFlowTask[] = listed.map((t) => ({
      TaskId: t.TaskId,
      TaskAction: t.TaskAction,
      Status: t.Status,
      ...(t.ConflictPolicy ? { ConflictPolicy: t.ConflictPolicy } : {}),
      Directory: t.Directory,
      DstDirectory: t.DstDirectory,
      CreateTime: t.CreateTime,
    }));
    return { RequestId: 'fake', TaskInfo: { Task } };
  }

  /** Filters DataFlowTaskIds (exact here) and SrcFilePath; one page. Like the service, echoes no ClientToken or Condition. */
  async describeDataFlowSubTasks(params: DescribeDataFlowSubTasksParams, _options?: CallOptions) {
    this.enter('DescribeDataFlowSubTasks', params);
    const filter = (key: string) => params.Filters?.find((f) => f.Key === key)?.Value;
    const taskId = filter('DataFlowTaskIds');
    const src = filter('SrcFilePath');
    const DataFlowSubTask = [...this.subTasks.values()]
      .filter((s) => (taskId === undefined || s.DataFlowTaskId === taskId) && (src === undefined || s.SrcFilePath === src))
      .map((s) => ({ DataFlowSubTaskId: s.DataFlowSubTaskId, DataFlowTaskId: s.DataFlowTaskId, SrcFilePath: s.SrcFilePath, DstFilePath: s.DstFilePath, Status: 'COMPLETE' }));
    return { RequestId: 'fake', DataFlowSubTask: { DataFlowSubTask } };
  }

  async describeDataFlows(): Promise<never> {
    throw new Error('not used by ingest');
  }

  async cancelDataFlowTask(): Promise<never> {
    throw new Error('not used by ingest');
  }
}
