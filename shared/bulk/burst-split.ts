/**
 * Bursts in the function (issue 10 point 2), the decision alone — pure, not yet wired into shared/ingest/.
 *
 * A stream group of `groupSize` objects can go through sub-tasks at about `subTaskRatePerSecond` (the
 * account-wide quota share this instance gets, docs/platform.md §1 Quotas). Whatever cannot be submitted
 * before the invocation's deadline would be left for a replay; above `threshold` objects the excess goes
 * through the bulk shape instead (manifest on LINGJUN with OSS_BUCKET, else EntryList Imports), which costs
 * a handful of CreateDataFlowTask calls rather than one quota slot per object.
 */
export interface BurstInput {
  /** Objects in the stream group, in submission order. */
  readonly groupSize: number;
  /** Sub-tasks per second this instance may submit (> 0). */
  readonly subTaskRatePerSecond: number;
  /** Milliseconds left before the invocation must stop submitting (deadline minus margin). */
  readonly timeLeftMs: number;
  /**
   * Groups up to this size always go through sub-tasks; a larger group that the quota cannot submit in time
   * sends its first `threshold` objects through sub-tasks and the rest bulk. 0 = all of such a group goes bulk.
   */
  readonly threshold: number;
  readonly bulkShape: 'manifest' | 'entrylist';
}

export interface BurstSplit {
  /** The first `subTasks` objects (in order) go through sub-tasks. */
  readonly subTasks: number;
  /** The remaining `bulk` objects go through `shape`. */
  readonly bulk: number;
  readonly shape: 'subtasks' | 'manifest' | 'entrylist';
  /** Why, for the log. */
  readonly reason: string;
}

/**
 * How many objects of a group go to sub-tasks and how many to the bulk shape. Invariants: subTasks + bulk =
 * groupSize; bulk is 0 when the group is within the threshold or fits the time; sub-tasks are the leading
 * objects so that an FC replay, which derives the same split from the same group and a shorter or equal time,
 * re-sends the same sub-task ClientTokens and puts the same tail in the bulk request (whose token is derived
 * from its content — the replay finds its Import task already there). That is why the split point is the
 * threshold and not "what fits in the time left": time only decides *whether* the group goes bulk, so a
 * replay with less time left that also goes bulk splits at the same object.
 */
export function splitBurst(input: BurstInput): BurstSplit {
  for (const [field, value] of [['groupSize', input.groupSize], ['threshold', input.threshold], ['timeLeftMs', input.timeLeftMs]] as const) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${field} must be a finite number ≥ 0`);
  }
  if (!Number.isInteger(input.groupSize)) throw new RangeError('groupSize must be a whole number');
  if (!(input.subTaskRatePerSecond > 0) || !Number.isFinite(input.subTaskRatePerSecond)) throw new RangeError('subTaskRatePerSecond must be a finite number > 0');
  const n = input.groupSize;
  const fitAll = Math.floor((input.subTaskRatePerSecond * input.timeLeftMs) / 1000);
  if (n <= input.threshold) return { subTasks: n, bulk: 0, shape: 'subtasks', reason: `group of ${n} is within the threshold ${input.threshold}` };
  if (n <= fitAll) return { subTasks: n, bulk: 0, shape: 'subtasks', reason: `the quota submits ${n} before the deadline` };
  if (!Number.isInteger(input.threshold)) throw new RangeError('threshold must be a whole number');
  const subTasks = input.threshold;
  return {
    subTasks,
    bulk: n - subTasks,
    shape: input.bulkShape,
    reason: `the quota submits about ${fitAll} of ${n} before the deadline; ${n - subTasks} go through ${input.bulkShape}`,
  };
}
