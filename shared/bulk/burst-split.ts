/**
 * Bursts in the function (issue 10 point 2), the decision alone: how many objects of a stream group go
 * through sub-tasks and how many through a bulk Import (manifest on LINGJUN with OSS_BUCKET, else EntryList).
 *
 * The split is a pure function of the group's size and the configuration — never of the clock or of the
 * time left in the invocation. That is what makes a burst exactly-once under FC replays: a replay (warm or
 * cold, with whatever time it has left) splits the same group at the same object, so it re-sends the same
 * sub-task ClientTokens for the head and puts the same rows in the same manifests (same names, same
 * content-derived Import ClientToken) for the tail; the service answers with the task it already has. A
 * split that depended on the time left would move objects between the head and the tail from one replay to
 * the next, and an object moved that way would be imported twice (once per path).
 *
 * The rule: groups up to `threshold` objects go through sub-tasks; a larger group sends its first `threshold`
 * objects (in the group's order, which replays share) through sub-tasks and the rest bulk. `threshold` comes
 * from CPFS_BURST_THRESHOLD (shared/config/load-config.ts): a number, or `auto` = what the configured
 * sub-task rate submits in the function's timeout minus the deadline margin ({@link autoBurstThreshold}) —
 * "more than the quota can submit before the deadline", computed from configuration so that it is the same
 * on every replay.
 */
export interface BurstInput {
  /** Objects in the stream group, in submission order. */
  readonly groupSize: number;
  /** Groups up to this size go through sub-tasks only; 0 sends every object of a non-empty group bulk. */
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
 * groupSize; bulk is 0 when the group is within the threshold; the sub-tasks are the leading objects.
 * @throws RangeError for a size or threshold that is not a whole number ≥ 0
 */
export function splitBurst(input: BurstInput): BurstSplit {
  for (const [field, value] of [['groupSize', input.groupSize], ['threshold', input.threshold]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`${field} must be a whole number ≥ 0`);
  }
  const n = input.groupSize;
  if (n <= input.threshold) return { subTasks: n, bulk: 0, shape: 'subtasks', reason: `group of ${n} is within the burst threshold ${input.threshold}` };
  return {
    subTasks: input.threshold,
    bulk: n - input.threshold,
    shape: input.bulkShape,
    reason: `group of ${n} is above the burst threshold ${input.threshold}: ${n - input.threshold} go through ${input.bulkShape}`,
  };
}

/**
 * CPFS_BURST_THRESHOLD=auto: the objects the configured sub-task rate submits in one invocation window
 * (function timeout minus the deadline margin). From configuration only, so every replay gets the same value.
 */
export function autoBurstThreshold(input: { readonly subTaskRatePerSecond: number; readonly functionTimeoutMs: number; readonly deadlineMarginMs: number }): number {
  const windowMs = Math.max(0, input.functionTimeoutMs - input.deadlineMarginMs);
  return Math.floor((input.subTaskRatePerSecond * windowMs) / 1000);
}
