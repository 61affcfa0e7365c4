/**
 * At most 4 batch (Import/Export) tasks run at once per CPFS for LINGJUN data flow; a fifth is refused with
 * `OperationDenied.DependencyViolation` (docs/platform.md §1). Bulk submitters take a slot before each
 * CreateDataFlowTask: when 4 are known to be running, they look at the data flow's Import tasks
 * (DescribeDataFlowTasks, WithReports=false — a 120/60 s quota, so at most one look per `pollMs`) and wait
 * until one has ended. A refusal that still arrives (tasks started by someone else) is waited out the same way.
 */
import type { DataFlowApi } from '../nas/types.js';
import type { DataFlowTask } from '../nas/wire.js';

export const MAX_BATCH_TASKS_PER_DATA_FLOW = 4;
export const SLOT_REFUSAL_CODE = 'OperationDenied.DependencyViolation';
const RUNNING = new Set(['Pending', 'Executing']);

export interface SlotOptions {
  readonly api: DataFlowApi;
  readonly fileSystemId: string;
  readonly dataFlowId: string;
  readonly max?: number;
  readonly pollMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** True when waiting must stop (deadline, interrupt). */
  readonly shouldStop: () => boolean;
  readonly deadlineMs?: number;
}

export class SlotWaitStopped extends Error {
  constructor() {
    super('stopped while waiting for a batch-task slot');
    this.name = 'SlotWaitStopped';
  }
}

/** Running Import tasks of the data flow (every page; WithReports=false keeps the answers small). */
export async function runningImportTasks(options: Pick<SlotOptions, 'api' | 'fileSystemId' | 'dataFlowId' | 'deadlineMs'>): Promise<DataFlowTask[]> {
  const running: DataFlowTask[] = [];
  let nextToken: string | undefined;
  do {
    const page = await options.api.describeDataFlowTasks(
      {
        FileSystemId: options.fileSystemId,
        Filters: [{ Key: 'DataFlowIds', Value: options.dataFlowId }, { Key: 'TaskActions', Value: 'Import' }],
        MaxResults: 100,
        WithReports: false,
        ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
      },
      options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {},
    );
    for (const task of page.TaskInfo?.Task ?? []) {
      if (task.TaskAction === 'Import' && (task.DataFlowId === undefined || task.DataFlowId === options.dataFlowId) && RUNNING.has(task.Status)) running.push(task);
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined && nextToken !== '');
  return running;
}

/** Tracks the batch tasks believed running; `acquire` returns once one more may start. */
export class BatchSlots {
  private believedRunning = 0;
  /** DescribeDataFlowTasks calls made while waiting. */
  looks = 0;
  waits = 0;

  constructor(private readonly options: SlotOptions) {}

  get max(): number {
    return this.options.max ?? MAX_BATCH_TASKS_PER_DATA_FLOW;
  }

  async acquire(): Promise<void> {
    while (this.believedRunning >= this.max) {
      if (this.options.shouldStop()) throw new SlotWaitStopped();
      this.looks += 1;
      this.believedRunning = (await runningImportTasks(this.options)).length;
      if (this.believedRunning < this.max) break;
      this.waits += 1;
      await this.options.sleep(this.options.pollMs);
    }
  }

  /** A task was accepted. */
  started(): void {
    this.believedRunning += 1;
  }

  /** The service refused a task for want of a slot: believe it full, wait, and let the caller try again. */
  async refused(): Promise<void> {
    this.believedRunning = this.max;
    this.waits += 1;
    if (this.options.shouldStop()) throw new SlotWaitStopped();
    await this.options.sleep(this.options.pollMs);
  }
}
