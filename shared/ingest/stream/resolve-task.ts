/** Finding (or creating) the Executing StreamImport task of a stream group (docs/platform.md §1). */
import { DeadlineExceededError, StreamTaskUnavailableError } from '../../errors.js';
import type { DataFlowTask } from '../../nas/wire.js';
import { streamTaskClientTokenFor, type StreamTaskGroup } from '../../planning/index.js';
import { defaultSleep, type IngestDeps, type InvocationContext } from '../deps.js';
import { streamTaskRequest } from './requests.js';

/** Status values of a streaming task that can still take sub-tasks or will soon. */
const LIVE_TASK_STATUSES = new Set(['Pending', 'Executing']);
/** How often to look at a streaming task that is still Pending (DescribeDataFlowTasks has a 120/60 s quota). */
const PENDING_POLL_MS = 1000;
/** StreamImport creations one resolution may make before giving up until the replay. */
const MAX_STREAM_TASK_CREATES = 3;

/**
 * Finds the Executing StreamImport task of `group`, or creates it. Instances racing on a cold start
 * converge: they see the same task list, pick the same task (smallest TaskId), or send the same
 * ClientToken (generation = the TaskId of the task it replaces) and get the same new task.
 *
 * A task our ClientToken leads to may be missing from the listing: just created and not listed yet, or
 * gone (removed, or aged out of the list while the service still remembers the token). Sending the same
 * token again would only return that id again, forever; so after one more look (PENDING_POLL_MS later)
 * the missing task counts as the one being replaced and the next create uses its id as generation.
 *
 * @returns the task id; `undefined` on a dry run when no task exists yet (a dry-run create was checked).
 * @throws StreamTaskUnavailableError (retryable) when MAX_STREAM_TASK_CREATES creates gave no live task.
 */
export async function resolveStreamTask(group: StreamTaskGroup, deps: IngestDeps, invocation: InvocationContext): Promise<string | undefined> {
  const cached = deps.state.streamTasks.get(group.groupKey);
  if (cached !== undefined) return cached;

  const { api, config } = deps;
  /** The TaskId our last create answered, while we wait to see it listed. */
  let created: string | undefined;
  let unlistedLooks = 0;
  /** A TaskId our token led to that the listing does not show: the generation of the next create. */
  let vanished: string | undefined;
  let creates = 0;
  for (;;) {
    const tasks = await listStreamTasks(group, deps, invocation);
    const live = tasks.filter((t) => LIVE_TASK_STATUSES.has(t.Status)).sort((a, b) => (a.TaskId < b.TaskId ? -1 : 1));
    const executing = live.find((t) => t.Status === 'Executing');
    if (executing !== undefined) {
      deps.state.streamTasks.set(group.groupKey, executing.TaskId);
      return executing.TaskId;
    }
    if (created !== undefined) {
      const mine = tasks.find((t) => t.TaskId === created);
      if (mine === undefined) {
        unlistedLooks += 1;
        if (unlistedLooks >= 2) {
          deps.logger.warn('stream.task.unlisted', { taskId: created, conflictPolicy: group.conflictPolicy, action: 'create a replacement' });
          vanished = created;
          created = undefined;
          unlistedLooks = 0;
        }
      } else if (!LIVE_TASK_STATUSES.has(mine.Status)) {
        // Ours ended already (e.g. Failed): as the newest dead task it is the generation of the next create.
        deps.logger.warn('stream.task.ended', { taskId: created, status: mine.Status, conflictPolicy: group.conflictPolicy });
        vanished = undefined;
        created = undefined;
      }
    }
    if (live.length === 0 && created === undefined) {
      if (creates >= MAX_STREAM_TASK_CREATES) {
        throw new StreamTaskUnavailableError(`no Executing StreamImport task (${group.conflictPolicy}) after ${creates} creations; an FC retry tries again`);
      }
      const generation = vanished ?? newestTaskId(tasks) ?? 'initial';
      const request = streamTaskRequest(group, streamTaskClientTokenFor(group, generation), config.dryRun);
      const response = await api.createDataFlowTask(request, { deadlineMs: invocation.deadlineMs });
      creates += 1;
      if (config.dryRun || response.TaskId === undefined) return undefined;
      created = response.TaskId;
      deps.logger.info('stream.task.created', { taskId: created, conflictPolicy: group.conflictPolicy, replaces: generation });
      // Look again at once: a streaming task is usually Executing within moments.
      continue;
    }
    // A task is Pending (ours or another instance's), or ours is not listed yet: look again shortly.
    if (deps.now() + PENDING_POLL_MS >= invocation.deadlineMs) {
      throw new DeadlineExceededError('the StreamImport task did not reach Executing before the invocation deadline');
    }
    await (deps.sleep ?? defaultSleep)(PENDING_POLL_MS);
  }
}

/** The TaskId of the newest (by CreateTime, then TaskId) of `tasks`, all of them dead here. */
function newestTaskId(tasks: readonly DataFlowTask[]): string | undefined {
  const dead = tasks.slice().sort((a, b) => ((a.CreateTime ?? '') < (b.CreateTime ?? '') ? -1 : (a.CreateTime ?? '') > (b.CreateTime ?? '') ? 1 : a.TaskId < b.TaskId ? -1 : 1));
  return dead.length > 0 ? (dead[dead.length - 1] as DataFlowTask).TaskId : undefined;
}

async function listStreamTasks(group: StreamTaskGroup, deps: IngestDeps, invocation: InvocationContext): Promise<DataFlowTask[]> {
  const found: DataFlowTask[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.api.describeDataFlowTasks(
      {
        FileSystemId: group.fileSystemId,
        Filters: [
          { Key: 'DataFlowIds', Value: group.dataFlowId },
          { Key: 'TaskActions', Value: 'StreamImport' },
        ],
        MaxResults: 100,
        ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
      },
      { deadlineMs: invocation.deadlineMs },
    );
    for (const task of page.TaskInfo?.Task ?? []) {
      if (
        task.TaskAction === 'StreamImport' &&
        task.ConflictPolicy === group.conflictPolicy &&
        (task.Directory ?? '/') === group.directory &&
        (task.DstDirectory ?? '/') === group.dstDirectory
      ) {
        found.push(task);
      }
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken !== undefined);
  return found;
}
