/**
 * The order in which a stream group's items are submitted — an optimisation only; it never decides an
 * outcome.
 *
 * Why an order at all: a batch larger than one invocation can submit (about timeout × CPFS_SUBTASK_RATE)
 * is finished by FC's replays. A warm instance skips what it already sent (InstanceState, keyed by the
 * version-exact ClientToken); a replay on a **cold** instance has no such memory. Sending in payload order
 * every time would spend each cold window on the same first items, so: items that (by a probe) probably
 * have no sub-task yet go first ("fresh"), the others ("again") after them, starting at a random place so
 * that successive replays reach different parts of them — holes left by failed calls get reached; no
 * livelock on the same prefix.
 *
 * Why the probe cannot count as confirmation: DescribeDataFlowSubTasks names a sub-task by task and paths;
 * it echoes neither the ClientToken, nor `Condition.Size`, nor the eTag. `FileDetail` (Size, ModifyTime,
 * Checksum) appears only once the sub-task ran and describes whatever the source held then — a same-size
 * rewrite is indistinguishable. So an entry found for the path may be an older version's sub-task
 * (docs/platform.md §1). Only a create answer (or this instance's memory of one, for the same ClientToken,
 * which includes size and eTag) confirms an object version; everything the deadline leaves unconfirmed is
 * a retryable failure.
 *
 * The probe ({@link findResumePoint}): a galloping then binary search for the frontier of what earlier
 * invocations (which used the same order) sent. A missing item is only taken as the frontier when its next
 * {@link HOLE_TOLERANCE} neighbours are missing too, so an isolated hole (a call that failed while later
 * ones succeeded) does not pin every replay to the same place. Only for groups of more than
 * RESUME_PROBE_MIN_ITEMS items that this instance has not sent yet: a cold first invocation pays a handful
 * of DescribeDataFlowSubTasks calls.
 */
import type { PlannedObject, StreamTaskGroup } from '../../planning/index.js';
import { subTaskClientTokenFor } from '../../planning/index.js';
import type { IngestDeps, InvocationContext } from '../deps.js';

export interface SubmissionOrder {
  /** Indexes into the group's items that probably no earlier invocation sent. */
  readonly fresh: number[];
  /** Indexes an earlier invocation probably sent: sent after every group's fresh items, still confirmed one by one. */
  readonly again: number[];
}

/** Groups larger than this look for an earlier invocation's progress before submitting. */
const RESUME_PROBE_MIN_ITEMS = 64;
/** Missing neighbours that make a missing item the frontier rather than a hole. */
export const HOLE_TOLERANCE = 2;
/** Share of the remaining window the resume probe may use. */
const PROBE_WINDOW_SHARE = 0.2;

/**
 * The index of the first item that no earlier invocation reached (`count` when all were), given
 * `exists(index)` — whether item `index` has a sub-task. Pure apart from the calls to `exists`: a
 * galloping then binary search, taking a missing item as the frontier only when its next
 * {@link HOLE_TOLERANCE} neighbours are missing too.
 */
export async function findResumePoint(count: number, exists: (index: number) => Promise<boolean>): Promise<number> {
  /** Sent by an earlier invocation, or a hole with a sent neighbour within HOLE_TOLERANCE. */
  const reached = async (index: number): Promise<boolean> => {
    if (await exists(index)) return true;
    const neighbours: number[] = [];
    for (let probe = index + 1; probe <= Math.min(count - 1, index + HOLE_TOLERANCE); probe += 1) neighbours.push(probe);
    return (await Promise.all(neighbours.map(exists))).some(Boolean);
  };
  if (count === 0 || !(await reached(0))) return 0;
  // Invariant: reached(low); high === count, or !reached(high).
  let low = 0;
  let high = Math.min(1, count - 1);
  while (high > low) {
    if (!(await reached(high))) break;
    low = high;
    high = Math.min(count - 1, high * 2);
  }
  if (high === low) high = count;
  while (high < count && high - low > 1) {
    const middle = low + Math.floor((high - low) / 2);
    if (await reached(middle)) low = middle;
    else high = middle;
  }
  return high;
}

/**
 * The order from a resume point: everything from `frontier − maxConcurrency` on is fresh (submissions run
 * `maxConcurrency` at a time, so the frontier may be ragged); what lies before is sent again, rotated to
 * start at `random() × its length` (random is asked only when there is something to rotate) so successive cold replays re-send (and so confirm, or fill) different
 * parts first. Pure.
 */
export function resumeOrder(count: number, frontier: number, maxConcurrency: number, random: () => number): SubmissionOrder & { readonly start: number; readonly offset: number } {
  const identity = Array.from({ length: count }, (_, index) => index);
  if (frontier <= 0) return { fresh: identity, again: [], start: 0, offset: 0 };
  const start = frontier >= count ? count : Math.max(0, frontier - maxConcurrency);
  const again = identity.slice(0, start);
  const offset = again.length === 0 ? 0 : Math.floor(random() * again.length) % again.length;
  return { fresh: identity.slice(start), again: [...again.slice(offset), ...again.slice(0, offset)], start, offset };
}

export async function submissionOrder(group: StreamTaskGroup, taskId: string, deps: IngestDeps, invocation: InvocationContext): Promise<SubmissionOrder> {
  const count = group.items.length;
  // Small groups go out in a few waves of `maxConcurrency` calls: nothing to gain from looking first.
  const small = count <= RESUME_PROBE_MIN_ITEMS;
  // A warm instance confirms what it remembers without a call: nothing to gain from looking either.
  const remembered = () => group.items.some((item) => deps.state.subTasks.lookup(subTaskClientTokenFor(item, taskId)) !== undefined);
  if (small || deps.config.dryRun || remembered()) return resumeOrder(count, 0, deps.config.maxConcurrency, Math.random);
  // The probe only orders; it must not eat the window it orders (under dropped connections every look
  // costs retries and backoff): it gets PROBE_WINDOW_SHARE of what is left, then stops where it got.
  const probeDeadlineMs = deps.now() + Math.max(0, invocation.deadlineMs - deps.now()) * PROBE_WINDOW_SHARE;
  const exists = async (index: number): Promise<boolean> => {
    const item = group.items[index] as PlannedObject;
    // Unknown counts as reached. Overestimating the frontier only moves unsent items into the rotated
    // second pass (still sent this window or the next); underestimating it would re-send the same
    // prefix first on every replay under lasting faults — a livelock.
    if (deps.now() >= probeDeadlineMs) return true;
    try {
      const page = await deps.api.describeDataFlowSubTasks(
        {
          FileSystemId: item.fileSystemId,
          Filters: [
            { Key: 'DataFlowTaskIds', Value: taskId },
            { Key: 'SrcFilePath', Value: item.srcFilePath },
          ],
          MaxResults: 20,
        },
        { deadlineMs: probeDeadlineMs },
      );
      return (page.DataFlowSubTask?.DataFlowSubTask ?? []).some(
        (sub) => sub.DataFlowTaskId === taskId && sub.SrcFilePath === item.srcFilePath && sub.DstFilePath === item.dstFilePath,
      );
    } catch {
      return true; // unknown: see above
    }
  };
  const frontier = await findResumePoint(count, exists);
  if (frontier === 0) return resumeOrder(count, 0, deps.config.maxConcurrency, Math.random);
  const order = resumeOrder(count, frontier, deps.config.maxConcurrency, deps.random ?? Math.random);
  deps.logger.info('stream.resume', { taskId, items: count, resumeAt: order.start, againFrom: order.offset });
  return { fresh: order.fresh, again: order.again };
}
