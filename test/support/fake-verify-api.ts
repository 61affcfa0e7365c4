/**
 * The ingest fake (test/support/fake-data-flow-api.ts) plus what verification reads: sub-task
 * statuses with times, ErrorMsg and FileDetail, paged DescribeDataFlowSubTasks whose DataFlowIds filter
 * matches part of an id (as the service's does), and Import tasks that carry their EntryList.
 */
import type { CallOptions, CreateDataFlowSubTaskParams, CreateDataFlowTaskParams, DataFlowApi, DescribeDataFlowSubTasksParams, DescribeDataFlowTasksParams } from '../../shared/nas/types.js';
import type { DataFlowSubTask } from '../../shared/nas/wire.js';
import { FakeDataFlowApi } from './fake-data-flow-api.js';

export interface SubTaskState {
  Status: string;
  ErrorMsg?: string;
  CreateTime: string;
  EndTime?: string;
  DataFlowId: string;
  Size?: number;
}

export class VerifyFakeApi extends FakeDataFlowApi {
  readonly subState = new Map<string, SubTaskState>();
  readonly taskErrors = new Map<string, string>();
  /** TransferFileListPath of each task created with one (the base fake does not keep it). */
  readonly manifestPaths = new Map<string, string>();
  /** CreateTime given to sub-tasks created through the API. */
  createTime = '2024-07-01 12:30:00';
  private seeded = 0;

  constructor(private readonly dataFlowId: string) {
    super();
    // The base class declares this operation as unused by ingest (`() => never`); give it a real answer.
    (this as unknown as DataFlowApi).describeDataFlowSubTasks = (params) => this.listSubTasks(params);
  }

  /** Test setup: a sub-task the service holds (e.g. one that FAILED). */
  seedSubTask(sub: { src: string; dst: string; status: string; taskId: string; errorMsg?: string; createTime: string; endTime?: string; dataFlowId?: string; size?: number }): string {
    this.seeded += 1;
    const id = `seeded-${String(this.seeded).padStart(4, '0')}`;
    this.subTasks.set(id, { DataFlowSubTaskId: id, DataFlowTaskId: sub.taskId, SrcFilePath: sub.src, DstFilePath: sub.dst });
    this.subState.set(id, {
      Status: sub.status,
      CreateTime: sub.createTime,
      DataFlowId: sub.dataFlowId ?? this.dataFlowId,
      ...(sub.errorMsg !== undefined ? { ErrorMsg: sub.errorMsg } : {}),
      ...(sub.endTime !== undefined ? { EndTime: sub.endTime } : {}),
      ...(sub.size !== undefined ? { Size: sub.size } : {}),
    });
    return id;
  }

  override async createDataFlowTask(params: CreateDataFlowTaskParams, options?: CallOptions) {
    const answer = await super.createDataFlowTask(params, options);
    if (answer.TaskId !== undefined && params.TransferFileListPath !== undefined) this.manifestPaths.set(answer.TaskId, params.TransferFileListPath);
    return answer;
  }

  override async createDataFlowSubTask(params: CreateDataFlowSubTaskParams, options?: CallOptions) {
    const answer = await super.createDataFlowSubTask(params, options);
    const id = answer.DataFlowSubTaskId;
    if (id !== undefined && !this.subState.has(id)) this.subState.set(id, { Status: 'CREATED', CreateTime: this.createTime, DataFlowId: this.dataFlowId });
    return answer;
  }

  private async listSubTasks(params: DescribeDataFlowSubTasksParams) {
    this.calls.push({ operation: 'DescribeDataFlowSubTasks', params });
    const wanted = params.Filters?.find((f) => f.Key === 'DataFlowIds')?.Value;
    const all: DataFlowSubTask[] = [];
    for (const sub of this.subTasks.values()) {
      const state = this.subState.get(sub.DataFlowSubTaskId);
      if (state === undefined) continue;
      // Like the service: a filter value matches part of an id.
      if (wanted !== undefined && !state.DataFlowId.includes(wanted)) continue;
      all.push({
        DataFlowSubTaskId: sub.DataFlowSubTaskId,
        DataFlowTaskId: sub.DataFlowTaskId,
        DataFlowId: state.DataFlowId,
        SrcFilePath: sub.SrcFilePath,
        DstFilePath: sub.DstFilePath,
        Status: state.Status,
        CreateTime: state.CreateTime,
        ...(state.EndTime !== undefined ? { EndTime: state.EndTime } : {}),
        ...(state.ErrorMsg !== undefined ? { ErrorMsg: state.ErrorMsg } : {}),
        ...(state.Size !== undefined ? { FileDetail: { Size: state.Size } } : {}),
      });
    }
    const offset = params.NextToken === undefined ? 0 : Number(params.NextToken);
    const size = params.MaxResults ?? 20;
    const next = offset + size < all.length ? String(offset + size) : undefined;
    return { RequestId: 'fake', ...(next !== undefined ? { NextToken: next } : {}), DataFlowSubTask: { DataFlowSubTask: all.slice(offset, offset + size) } };
  }

  override async describeDataFlowTasks(params: DescribeDataFlowTasksParams, options?: CallOptions) {
    const answer = await super.describeDataFlowTasks(params, options);
    const Task = (answer.TaskInfo?.Task ?? []).map((t) => {
      const stored = this.tasks.get(t.TaskId);
      const error = this.taskErrors.get(t.TaskId);
      return {
        ...t,
        DataFlowId: this.dataFlowId,
        ...(stored?.EntryList !== undefined ? { EntryList: stored.EntryList } : {}),
        ...(this.manifestPaths.has(t.TaskId) ? { TransferFileListPath: this.manifestPaths.get(t.TaskId) } : {}),
        ...(error !== undefined ? { ErrorMsg: error } : {}),
      };
    });
    return { ...answer, TaskInfo: { Task } };
  }
}
