/** Stream mode: one CreateDataFlowSubTask per object on the group's StreamImport task (docs/platform.md §1). */
import { isStreamImportUnsupported, isStreamTaskGone, nasCodeOf } from '../../nas/classify.js';
import { groupByStreamTask, subTaskClientTokenFor, type PlannedObject, type StreamTaskGroup } from '../../planning/index.js';
import { runPool, type IngestDeps, type InvocationContext } from '../deps.js';
import { deadlineFailure, failed, submittedOutcome, type RecordOutcome } from '../outcomes.js';
import { subTaskRequest } from './requests.js';
import { burstBulkShape, planBurst, submitBurstTail } from './burst.js';
import { resolveStreamTask } from './resolve-task.js';
import { submissionOrder, type SubmissionOrder } from './resume.js';

export interface StreamResult {
  readonly outcomes: RecordOutcome[];
  /** Items to send as Import tasks instead (auto mode, StreamImport not supported by the file system). */
  readonly fallBackToBatch: PlannedObject[];
}

type Resolution = { readonly taskId?: string; readonly error?: unknown; readonly skipped?: true };

export async function submitStream(items: PlannedObject[], deps: IngestDeps, invocation: InvocationContext): Promise<StreamResult> {
  const outcomes: RecordOutcome[] = [];
  const fallBackToBatch: PlannedObject[] = [];
  const groups = groupByStreamTask(items);
  const ready: Array<{ group: StreamTaskGroup; taskId: string; plan: SubmissionOrder }> = [];
  // Bursts (burst.ts): the objects of a group past CPFS_BURST_THRESHOLD go bulk, split from configuration only.
  const threshold = invocation.bursts === true ? deps.config.burstThreshold : undefined;
  const bulkShape = burstBulkShape(deps.config, deps.manifests !== undefined);
  const tail: PlannedObject[] = [];
  // Resolve every group's streaming task at once: on a cold start each may wait for Pending → Executing.
  const resolutions = await Promise.all(
    groups.map(async (group): Promise<Resolution> => {
      if (deps.state.capabilities.streamImportUnsupported && deps.config.importMode === 'auto') return { skipped: true };
      try {
        const taskId = await resolveStreamTask(group, deps, invocation);
        return taskId === undefined ? {} : { taskId };
      } catch (error) {
        return { error };
      }
    }),
  );
  for (const [index, group] of groups.entries()) {
    const resolution = resolutions[index] ?? {};
    if (resolution.skipped) {
      // Known for this instance already: no need to ask again per ConflictPolicy.
      fallBackToBatch.push(...group.items);
      continue;
    }
    if (resolution.error !== undefined) {
      const error = resolution.error;
      if (isStreamImportUnsupported(error) && deps.config.importMode === 'auto') {
        if (!deps.state.capabilities.streamImportUnsupported) {
          deps.logger.warn('stream.unsupported', { fileSystemId: group.fileSystemId, code: nasCodeOf(error), fallback: 'batch Import tasks for the rest of this instance' });
        }
        deps.state.capabilities.markStreamImportUnsupported();
        fallBackToBatch.push(...group.items);
        continue;
      }
      for (const item of group.items) outcomes.push(failed(item, error));
      continue;
    }
    const taskId = resolution.taskId;
    if (taskId === undefined) {
      // Dry run with no streaming task yet: the CreateDataFlowTask dry run passed; there is no task to dry-run sub-tasks on.
      for (const item of group.items) outcomes.push(submittedOutcome(item, 'stream', undefined, undefined, true));
      continue;
    }
    const burst = planBurst(group.items, threshold, bulkShape);
    if (burst.tail.length > 0) {
      deps.logger.info('burst.split', { groupKey: group.groupKey, objects: group.items.length, subTasks: burst.head.length, bulk: burst.tail.length, shape: burst.shape, reason: burst.reason });
      tail.push(...burst.tail);
    }
    const head = burst.tail.length > 0 ? { ...group, items: burst.head } : group;
    ready.push({ group: head, taskId, plan: await submissionOrder(head, taskId, deps, invocation) });
  }
  // The bulk tail runs beside the sub-tasks: a wait for a batch-task slot must not hold them up.
  const bulk = submitBurstTail(tail, bulkShape, deps, invocation);
  // Two passes: first what no earlier invocation sent, for every group; then the re-sends (covering rare
  // holes), which must not take the window from a group that still has objects never sent. Within a pass
  // the groups take turns (interleave): a window shorter than one group's re-send pass still reaches the
  // other groups' items — which may include unsent ones the resume probe could not tell apart — instead of
  // every cold replay spending its window on the first group's (a livelock the reliability tests replay).
  const submissions = ready.map(({ group, taskId }) => new GroupSubmission(group, deps.state.streamTasks.get(group.groupKey) ?? taskId, deps, invocation));
  for (const pass of ['fresh', 'again'] as const) {
    const queue = interleave(ready.map(({ plan }) => plan[pass]));
    const results: RecordOutcome[] = new Array(queue.length);
    await runPool(queue.length, deps.config.maxConcurrency, async (position) => {
      const [groupIndex, itemIndex] = queue[position] as readonly [number, number];
      const { group } = ready[groupIndex] as (typeof ready)[number];
      results[position] = await submitOne(group.items[itemIndex] as PlannedObject, submissions[groupIndex] as GroupSubmission, deps, invocation);
    });
    outcomes.push(...results);
  }
  outcomes.push(...(await bulk));
  return { outcomes, fallBackToBatch };
}

/**
 * What the concurrent submitters of one group share, in one place. One re-resolution per group and
 * invocation: a task that vanished is replaced once; if the new one is refused too (e.g. the data flow is
 * Stopped), the rest of the group fails retryably without more calls.
 */
class GroupSubmission {
  private reResolved: Promise<string | undefined> | undefined;
  private blockedBy: { readonly error: unknown } | undefined;

  constructor(
    private readonly group: StreamTaskGroup,
    /** The task sub-tasks go to now; changes once when the first one vanished. */
    public taskId: string,
    private readonly deps: IngestDeps,
    private readonly invocation: InvocationContext,
  ) {}

  /** The error that makes every further item of the group fail without a call, once there is one. */
  get blocked(): { readonly error: unknown } | undefined {
    return this.blockedBy;
  }

  block(error: unknown): void {
    this.blockedBy ??= { error };
  }

  /**
   * `usedTaskId` answered "gone": resolve the group's task again (once per group, shared by every
   * submitter that met it) and switch to the new task, or block the group when there is none.
   */
  async replaceTask(usedTaskId: string, error: unknown): Promise<void> {
    if (this.taskId !== usedTaskId) return; // another submitter already switched
    if (this.reResolved === undefined) {
      this.deps.state.streamTasks.delete(this.group.groupKey);
      this.deps.logger.warn('stream.task.lost', { taskId: usedTaskId, code: nasCodeOf(error) });
      this.reResolved = resolveStreamTask(this.group, this.deps, this.invocation);
    }
    try {
      const next = await this.reResolved;
      if (next === undefined || next === usedTaskId) this.block(error);
      else this.taskId = next;
    } catch (resolveError) {
      this.block(resolveError);
    }
  }
}

/** Sends one item; on a first "task gone" answer, once more on the replacement task. */
async function submitOne(item: PlannedObject, state: GroupSubmission, deps: IngestDeps, invocation: InvocationContext): Promise<RecordOutcome> {
  for (let attempt = 0; ; attempt += 1) {
    if (state.blocked !== undefined) return failed(item, state.blocked.error);
    if (deps.now() >= invocation.deadlineMs) return deadlineFailure(item);
    const usedTaskId = state.taskId;
    const clientToken = subTaskClientTokenFor(item, usedTaskId);
    const known = deps.state.subTasks.lookup(clientToken);
    if (known !== undefined) return submittedOutcome(item, 'stream', usedTaskId, known, false);
    try {
      const response = await deps.api.createDataFlowSubTask(subTaskRequest(item, usedTaskId, clientToken, deps.config.dryRun), { deadlineMs: invocation.deadlineMs });
      if (response.DataFlowSubTaskId !== undefined) deps.state.subTasks.remember(clientToken, response.DataFlowSubTaskId);
      return submittedOutcome(item, 'stream', usedTaskId, response.DataFlowSubTaskId, deps.config.dryRun);
    } catch (error) {
      if (!isStreamTaskGone(error)) {
        // Unconfirmed (whatever an earlier invocation may have sent): a failure, retryable when the error
        // is, so FC's replay confirms it (see stream/resume.ts for why a lookup cannot).
        return failed(item, error);
      }
      if (attempt > 0) {
        state.block(error);
        return failed(item, error);
      }
      await state.replaceTask(usedTaskId, error);
    }
  }
}

/**
 * Round-robin merge of per-group orders: `[group, item]` pairs taking one item of each group in turn, each
 * group's own order kept (the resume probe relies on a group being sent in its order). Pure.
 */
export function interleave(orders: ReadonlyArray<readonly number[]>): Array<readonly [number, number]> {
  const merged: Array<readonly [number, number]> = [];
  const longest = orders.reduce((max, order) => Math.max(max, order.length), 0);
  for (let k = 0; k < longest; k += 1) {
    for (const [groupIndex, order] of orders.entries()) {
      if (k < order.length) merged.push([groupIndex, order[k] as number]);
    }
  }
  return merged;
}
