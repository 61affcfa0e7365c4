/**
 * The use case: event payload → parsed records → plan → submissions → one outcome per record.
 *
 * Submission paths (docs/platform.md §1):
 * - **stream** (CPFS for LINGJUN ≥ 2.6): one long-lived StreamImport task per (data flow, ConflictPolicy),
 *   created with Directory `/` and DstDirectory `/` (see shared/planning/path-base.ts), reused across the
 *   invocations of a warm instance and re-resolved when it stops being Executing; one
 *   CreateDataFlowSubTask per object, with `Condition.Size` from the event.
 * - **batch** (general-purpose `cpfs-…`, forced `batch`, or LINGJUN older than 2.6 found out in `auto`):
 *   Import tasks whose EntryList is packed up to 64 KB.
 *
 * Retries are harmless by construction: every create carries a ClientToken derived from its content, so
 * an FC replay of the same event gets the same task/sub-task ids back instead of new ones. The handler
 * throws (so FC retries) when some record failed retryably or by a system failure (isSystemFailure,
 * shared/nas/classify.ts); rejected records are reported, not thrown. `submitted` is said only for an
 * object version the service confirmed (see submissionOrder for why a lookup never counts).
 *
 * Time: the caller passes an absolute deadline (FC start + function timeout − margin). No call starts past
 * it; what is left is reported as failed-retryable so the replay continues where this one stopped. At
 * the documented 100 sub-tasks/s quota, that is the normal path for batches larger than ~timeout × 90.
 */
import type { Config } from './config/load-config.js';
import { CpfsIngestError, DeadlineExceededError, NasApiError, ValidationError } from './errors.js';
import { parseEvents, type ParsedEvents } from './events/parse-events.js';
import type { ObjectCreated } from './events/types.js';
import type { Logger } from './log.js';
import { isRetryableError, isSystemFailure } from './nas/classify.js';
import { boundText, MAX_OUTCOME_CODE_CHARS, MAX_OUTCOME_KEY_CHARS, MAX_OUTCOME_MESSAGE_CHARS } from './text-bound.js';
import type { DataFlowApi } from './nas/types.js';
import type { ConflictPolicy, DataFlowTask } from './nas/wire.js';
import {
  groupByStreamTask,
  planImportBatches,
  planSubmissions,
  splitImportBatch,
  streamTaskClientTokenFor,
  subTaskClientTokenFor,
  type ImportBatch,
  type PlannedObject,
  type RejectionKind,
  type StreamTaskGroup,
} from './planning/index.js';

/** What happened to one record. Every record of the payload gets exactly one. */
export type RecordOutcome =
  | {
      readonly status: 'submitted';
      readonly bucket: string;
      readonly key: string;
      readonly mode: 'stream' | 'batch';
      readonly conflictPolicy: ConflictPolicy;
      readonly srcFilePath: string;
      readonly dstFilePath: string;
      /** The StreamImport task (stream) or the Import task (batch); absent on a dry run that created none. */
      readonly taskId?: string;
      /** stream mode only; absent on a dry run. */
      readonly subTaskId?: string;
      readonly dryRun?: true;
    }
  | { readonly status: 'ignored'; readonly bucket?: string; readonly key?: string; readonly reason: string }
  | { readonly status: 'duplicate'; readonly bucket: string; readonly key: string; readonly reason: string }
  | { readonly status: 'rejected'; readonly bucket?: string; readonly key?: string; readonly kind: string; readonly reason: string }
  | {
      readonly status: 'failed';
      readonly bucket: string;
      readonly key: string;
      readonly code: string;
      readonly message: string;
      /** True when a later attempt (an FC replay) may succeed. */
      readonly retryable: boolean;
      /**
       * A system failure (credentials, signature, permissions, endpoint, TLS, the data flow; see
       * isSystemFailure in shared/nas/classify.ts), not a refusal of this record: the invocation fails.
       */
      readonly system?: true;
    };

export type OutcomeStatus = RecordOutcome['status'];

export interface IngestReport {
  readonly mode: 'stream' | 'batch';
  readonly outcomes: RecordOutcome[];
  readonly counts: Readonly<Record<OutcomeStatus, number>>;
  /** Records that failed retryably: the handler throws when this is > 0. */
  readonly retryableFailures: number;
  /** Records that failed because of a system failure (see isSystemFailure): the handler throws when > 0. */
  readonly systemFailures: number;
  readonly dryRun: boolean;
}

/**
 * Per-instance memory, kept across the invocations of a warm instance (module scope in the handler).
 * Nothing here is needed for correctness — ClientTokens are — it saves API calls and quota.
 */
export class InstanceState {
  /** Executing StreamImport task per stream group key. */
  readonly streamTasks = new Map<string, string>();
  /** Set when a LINGJUN file system answered that StreamImport is not supported (older than 2.6). */
  streamImportUnsupported = false;
  /** Set when CreateDirIfNotExist was refused (LINGJUN older than 2.6): Import tasks are sent without it. */
  createDirUnsupported = false;
  /** Sub-task ClientToken → DataFlowSubTaskId already obtained; lets a replay skip what it already sent. */
  private readonly submitted = new Map<string, string>();

  constructor(private readonly maxRemembered = 200_000) {}

  rememberSubmitted(clientToken: string, subTaskId: string): void {
    if (this.submitted.size >= this.maxRemembered) {
      // Insertion order is age order: drop the oldest tenth at once rather than one per insert.
      let drop = Math.ceil(this.maxRemembered / 10);
      for (const key of this.submitted.keys()) {
        this.submitted.delete(key);
        if (--drop === 0) break;
      }
    }
    this.submitted.set(clientToken, subTaskId);
  }

  submittedSubTask(clientToken: string): string | undefined {
    return this.submitted.get(clientToken);
  }
}

export interface IngestDeps {
  readonly config: Config;
  readonly api: DataFlowApi;
  readonly logger: Logger;
  readonly state: InstanceState;
  /** Clock in ms since the epoch, the same one the deadline is on. */
  readonly now: () => number;
  /** Waits; injected so tests can run fast. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1) (default Math.random); injected so tests pin the re-send rotation (submissionOrder). */
  readonly random?: () => number;
}

export interface InvocationContext {
  /** Absolute time (ms since epoch) after which no call may start. */
  readonly deadlineMs: number;
}

/** Status values of a streaming task that can still take sub-tasks or will soon. */
const LIVE_TASK_STATUSES = new Set(['Pending', 'Executing']);
/** How often to look at a streaming task that is still Pending (DescribeDataFlowTasks has a 120/60 s quota). */
const PENDING_POLL_MS = 1000;
/** Groups larger than this look for an earlier invocation's progress before submitting (see submissionOrder). */
const RESUME_PROBE_MIN_ITEMS = 64;
/** Codes meaning "this streaming task cannot take sub-tasks (any more)". */
const STREAM_TASK_GONE_CODES = new Set(['OperationDenied.InvalidState', 'InvalidTaskId.NotFound', 'InvalidDataFlowTask.NotFound']);
/** Codes meaning "this file system does not do StreamImport" (LINGJUN older than 2.6). */
const STREAM_UNSUPPORTED_CODES = new Set(['InvalidFilesystemVersion.NotSupport']);
/** StreamImport creations one resolution may make before giving up until the replay. */
const MAX_STREAM_TASK_CREATES = 3;
/**
 * The answer of CreateDataFlowTask (Import) on LINGJUN when the data flow already has its batch tasks
 * (at most 4 per data flow, docs/platform.md §1). The NAS client does not retry it — the request cannot succeed
 * as such right now — but it clears when one of those tasks ends: for the use case it is a retryable
 * failure, left to FC's replay (minutes later) rather than to a busy wait here.
 */
const BATCH_TASK_LIMIT_CODES = new Set(['OperationDenied.DependencyViolation']);

/** No live StreamImport task could be had in this invocation (it keeps vanishing); FC's replay tries again. */
export class StreamTaskUnavailableError extends CpfsIngestError {
  readonly retryable = true;
  readonly code = 'StreamTaskUnavailable';
}

/**
 * Runs one invocation: parses `payload`, plans, submits, and reports an outcome per record.
 * Never throws for a bad record or a failed call; the caller decides from `retryableFailures`.
 */
export async function ingest(payload: Buffer | string | unknown, deps: IngestDeps, invocation: InvocationContext): Promise<IngestReport> {
  const parsed = parseEvents(payload, { keyEncoding: deps.config.keyEncoding });
  return ingestRecords(parsed.records, deps, invocation, outcomesOfParsing(parsed));
}

/**
 * Plans and submits already-normalised records: the one path shared by live events (through
 * {@link ingest}) and backfill/reconcile (records built from an OSS listing).
 *
 * @param earlier - outcomes already decided upstream (ignored/duplicate/malformed events), reported along.
 */
export async function ingestRecords(
  records: readonly ObjectCreated[],
  deps: IngestDeps,
  invocation: InvocationContext,
  earlier: readonly RecordOutcome[] = [],
): Promise<IngestReport> {
  const { config, logger } = deps;
  const outcomes: RecordOutcome[] = [...earlier];
  const plan = planSubmissions(records, config.planning);
  for (const rejected of plan.rejected) outcomes.push(refusalOutcome(rejected.record, rejected.kind, rejected.reason));

  let mode = chooseMode(config, deps.state);
  if (plan.items.length > 0) {
    if (mode === 'stream') {
      const result = await submitStream(plan.items, deps, invocation);
      outcomes.push(...result.outcomes);
      if (result.fallBackToBatch.length > 0) {
        mode = 'batch';
        outcomes.push(...(await submitBatch(result.fallBackToBatch, deps, invocation)));
      }
    } else {
      outcomes.push(...(await submitBatch(plan.items, deps, invocation)));
    }
  }

  const report = summarize(mode, outcomes.map(boundOutcome), config.dryRun);
  for (const outcome of report.outcomes) {
    if (outcome.status === 'rejected') logger.warn('record.rejected', { key: outcome.key, bucket: outcome.bucket, kind: outcome.kind, reason: outcome.reason });
    if (outcome.status === 'failed') logger.error('record.failed', { key: outcome.key, bucket: outcome.bucket, code: outcome.code, retryable: outcome.retryable, message: outcome.message });
  }
  logger.info('ingest.summary', { mode: report.mode, dryRun: report.dryRun, records: outcomes.length, ...report.counts, retryableFailures: report.retryableFailures });
  return report;
}

/** stream or batch for this invocation (docs/platform.md §1: StreamImport never goes to a `cpfs-…` file system). */
export function chooseMode(config: Config, state: InstanceState): 'stream' | 'batch' {
  if (config.fileSystemKind === 'general') return 'batch';
  if (config.importMode === 'batch') return 'batch';
  if (config.importMode === 'auto' && state.streamImportUnsupported) return 'batch';
  return 'stream';
}

function outcomesOfParsing(parsed: ParsedEvents): RecordOutcome[] {
  const outcomes: RecordOutcome[] = [];
  for (const ignored of parsed.ignored) {
    outcomes.push({ status: 'ignored', ...(ignored.key !== undefined ? { key: ignored.key } : {}), reason: ignored.reason });
  }
  for (const duplicate of parsed.duplicates) {
    outcomes.push({ status: 'duplicate', bucket: duplicate.bucket, key: duplicate.key, reason: 'same bucket, key and eTag as an earlier record of this payload' });
  }
  for (const malformed of parsed.malformed) {
    outcomes.push({
      status: 'rejected',
      ...(malformed.bucket !== undefined ? { bucket: malformed.bucket } : {}),
      ...(malformed.key !== undefined ? { key: malformed.key } : {}),
      kind: 'malformed-event',
      reason: `${malformed.path}: ${malformed.reason}`,
    });
  }
  for (const empty of parsed.empty) {
    // An empty batch is not an error, but an invocation always accounts for what it received.
    outcomes.push({ status: 'ignored', reason: `empty-batch: ${empty.path} holds no events` });
  }
  return outcomes;
}

/** The outcome of a record that planning did not submit: a duplicate, an ignored event, or a rejection. */
function refusalOutcome(record: ObjectCreated, kind: RejectionKind, reason: string): RecordOutcome {
  const { bucket, key } = record;
  if (kind === 'duplicate') return { status: 'duplicate', bucket, key, reason };
  if (kind === 'ignored-event' || kind === 'directory-marker') return { status: 'ignored', bucket, key, reason };
  return { status: 'rejected', bucket, key, kind, reason };
}

/**
 * Bounds the untrusted text of one outcome (key, bucket, reason, message, paths) with boundText
 * (shared/text-bound.ts). Every outcome passes here before it is logged or returned, whichever path
 * (stream, batch, parsing) made it.
 */
export function boundOutcome(outcome: RecordOutcome): RecordOutcome {
  const key = (text: string) => boundText(text, MAX_OUTCOME_KEY_CHARS);
  const message = (text: string) => boundText(text, MAX_OUTCOME_MESSAGE_CHARS);
  switch (outcome.status) {
    case 'submitted':
      return { ...outcome, bucket: message(outcome.bucket), key: key(outcome.key), srcFilePath: key(outcome.srcFilePath), dstFilePath: key(outcome.dstFilePath) };
    case 'failed':
      return { ...outcome, bucket: message(outcome.bucket), key: key(outcome.key), code: boundText(outcome.code, MAX_OUTCOME_CODE_CHARS), message: message(outcome.message) };
    case 'duplicate':
      return { ...outcome, bucket: message(outcome.bucket), key: key(outcome.key), reason: message(outcome.reason) };
    case 'ignored':
    case 'rejected':
      return {
        ...outcome,
        ...(outcome.bucket !== undefined ? { bucket: message(outcome.bucket) } : {}),
        ...(outcome.key !== undefined ? { key: key(outcome.key) } : {}),
        reason: message(outcome.reason),
      };
  }
}

function summarize(mode: 'stream' | 'batch', outcomes: RecordOutcome[], dryRun: boolean): IngestReport {
  const counts: Record<OutcomeStatus, number> = { submitted: 0, ignored: 0, duplicate: 0, rejected: 0, failed: 0 };
  let retryableFailures = 0;
  let systemFailures = 0;
  for (const outcome of outcomes) {
    counts[outcome.status] += 1;
    if (outcome.status === 'failed' && outcome.retryable) retryableFailures += 1;
    if (outcome.status === 'failed' && outcome.system) systemFailures += 1;
  }
  return { mode, outcomes, counts, retryableFailures, systemFailures, dryRun };
}

function failed(item: PlannedObject, error: unknown, retryableOverride?: boolean): RecordOutcome {
  const { code, message, retryable, system } = describeError(error);
  return {
    status: 'failed',
    bucket: item.record.bucket,
    key: item.record.key,
    code,
    message,
    // The call's own flag: whether repeating THIS request may succeed. A system failure fails the
    // invocation through `system` (IngestReport.systemFailures), whatever this flag says; keeping the flag
    // honest lets the backfill stop at once on a non-retryable system failure instead of retrying it.
    retryable: retryableOverride ?? retryable,
    ...(system ? { system: true as const } : {}),
  };
}

/**
 * Code, bounded message and flags of a failure. The split system failure / record-scoped refusal is
 * decided by isSystemFailure (shared/nas/classify.ts), nowhere else.
 */
export function describeError(error: unknown): { code: string; message: string; retryable: boolean; system: boolean } {
  const system = isSystemFailure(error);
  if (error instanceof Error && 'retryable' in error && 'code' in error) {
    const e = error as CpfsIngestError;
    return { code: boundText(String(e.code), MAX_OUTCOME_CODE_CHARS), message: boundText(e.message, MAX_OUTCOME_MESSAGE_CHARS), retryable: e.retryable, system };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'Unexpected', message: boundText(message, MAX_OUTCOME_MESSAGE_CHARS), retryable: isRetryableError(error), system };
}

function codeOf(error: unknown): string | undefined {
  return error instanceof NasApiError ? error.code : undefined;
}

function deadlineFailure(item: PlannedObject): RecordOutcome {
  return failed(item, new DeadlineExceededError('not submitted: the invocation deadline arrived first; an FC retry continues from here'));
}

// ---------------------------------------------------------------------------------------------------
// stream mode

interface StreamResult {
  readonly outcomes: RecordOutcome[];
  /** Items to send as Import tasks instead (auto mode, StreamImport not supported by the file system). */
  readonly fallBackToBatch: PlannedObject[];
}

async function submitStream(items: PlannedObject[], deps: IngestDeps, invocation: InvocationContext): Promise<StreamResult> {
  const outcomes: RecordOutcome[] = [];
  const fallBackToBatch: PlannedObject[] = [];
  const groups = groupByStreamTask(items);
  const ready: Array<{ group: StreamTaskGroup; taskId: string; plan: SubmissionOrder }> = [];
  // Resolve every group's streaming task at once: on a cold start each may wait for Pending → Executing.
  const resolutions = await Promise.all(
    groups.map(async (group): Promise<{ taskId?: string; error?: unknown; skipped?: true }> => {
      if (deps.state.streamImportUnsupported && deps.config.importMode === 'auto') return { skipped: true };
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
      const code = codeOf(error);
      if (code !== undefined && STREAM_UNSUPPORTED_CODES.has(code) && deps.config.importMode === 'auto') {
        if (!deps.state.streamImportUnsupported) {
          deps.logger.warn('stream.unsupported', { fileSystemId: group.fileSystemId, code, fallback: 'batch Import tasks for the rest of this instance' });
        }
        deps.state.streamImportUnsupported = true;
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
    ready.push({ group, taskId, plan: await submissionOrder(group, taskId, deps, invocation) });
  }
  // Two passes: first what no earlier invocation sent, for every group; then the re-sends (covering rare
  // holes), which must not take the window from a group that still has objects never sent.
  for (const pass of ['fresh', 'again'] as const) {
    for (const { group, taskId, plan } of ready) {
      const current = deps.state.streamTasks.get(group.groupKey) ?? taskId;
      outcomes.push(...(await submitSubTasks(group, current, plan[pass], deps, invocation)));
    }
  }
  return { outcomes, fallBackToBatch };
}

type SubmittedOutcome = Extract<RecordOutcome, { status: 'submitted' }>;

function submittedOutcome(item: PlannedObject, mode: 'stream' | 'batch', taskId: string | undefined, subTaskId: string | undefined, dryRun: boolean): SubmittedOutcome {
  return {
    status: 'submitted',
    bucket: item.record.bucket,
    key: item.record.key,
    mode,
    conflictPolicy: item.conflictPolicy,
    srcFilePath: item.srcFilePath,
    dstFilePath: item.dstFilePath,
    ...(taskId !== undefined ? { taskId } : {}),
    ...(subTaskId !== undefined ? { subTaskId } : {}),
    ...(dryRun ? { dryRun: true as const } : {}),
  };
}

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
  const options = { deadlineMs: invocation.deadlineMs };
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
      const dead = tasks.slice().sort((a, b) => ((a.CreateTime ?? '') < (b.CreateTime ?? '') ? -1 : (a.CreateTime ?? '') > (b.CreateTime ?? '') ? 1 : a.TaskId < b.TaskId ? -1 : 1));
      const generation = vanished ?? (dead.length > 0 ? (dead[dead.length - 1] as DataFlowTask).TaskId : 'initial');
      const response = await api.createDataFlowTask(
        {
          FileSystemId: group.fileSystemId,
          DataFlowId: group.dataFlowId,
          TaskAction: 'StreamImport',
          DataType: 'MetaAndData',
          Directory: group.directory,
          DstDirectory: group.dstDirectory,
          ConflictPolicy: group.conflictPolicy,
          // Sub-tasks write below routed directories that may not exist yet. StreamImport exists only on
          // LINGJUN ≥ 2.6, which is also where CreateDirIfNotExist is accepted (docs/platform.md §1).
          CreateDirIfNotExist: true,
          ClientToken: streamTaskClientTokenFor(group, generation),
          ...(config.dryRun ? { DryRun: true } : {}),
        },
        options,
      );
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

async function submitSubTasks(
  group: StreamTaskGroup,
  initialTaskId: string,
  order: readonly number[],
  deps: IngestDeps,
  invocation: InvocationContext,
): Promise<RecordOutcome[]> {
  const outcomes: RecordOutcome[] = new Array(group.items.length);
  let taskId = initialTaskId;
  // One re-resolution per group and invocation: a task that vanished is replaced once; if the new one is
  // refused too (e.g. the data flow is Stopped), the rest of the group fails retryably without more calls.
  let reResolved: Promise<string | undefined> | undefined;
  let blocked: unknown;

  const submitOne = async (index: number): Promise<void> => {
    const item = group.items[index] as PlannedObject;
    for (let round = 0; ; round += 1) {
      if (blocked !== undefined) {
        outcomes[index] = failed(item, blocked);
        return;
      }
      if (deps.now() >= invocation.deadlineMs) {
        outcomes[index] = deadlineFailure(item);
        return;
      }
      const usedTaskId = taskId;
      const clientToken = subTaskClientTokenFor(item, usedTaskId);
      const known = deps.state.submittedSubTask(clientToken);
      if (known !== undefined) {
        outcomes[index] = submittedOutcome(item, 'stream', usedTaskId, known, false);
        return;
      }
      try {
        const response = await deps.api.createDataFlowSubTask(
          {
            FileSystemId: item.fileSystemId,
            DataFlowId: item.dataFlowId,
            DataFlowTaskId: usedTaskId,
            SrcFilePath: item.srcFilePath,
            DstFilePath: item.dstFilePath,
            ...(item.record.size !== undefined ? { Condition: { Size: item.record.size } } : {}),
            ClientToken: clientToken,
            ...(deps.config.dryRun ? { DryRun: true } : {}),
          },
          { deadlineMs: invocation.deadlineMs },
        );
        if (response.DataFlowSubTaskId !== undefined) deps.state.rememberSubmitted(clientToken, response.DataFlowSubTaskId);
        outcomes[index] = submittedOutcome(item, 'stream', usedTaskId, response.DataFlowSubTaskId, deps.config.dryRun);
        return;
      } catch (error) {
        const code = codeOf(error);
        if (round === 0 && code !== undefined && STREAM_TASK_GONE_CODES.has(code)) {
          if (taskId === usedTaskId) {
            if (reResolved === undefined) {
              deps.state.streamTasks.delete(group.groupKey);
              deps.logger.warn('stream.task.lost', { taskId: usedTaskId, code });
              reResolved = resolveStreamTask(group, deps, invocation);
            }
            try {
              const next = await reResolved;
              if (next === undefined || next === usedTaskId) {
                blocked ??= error;
              } else {
                taskId = next;
              }
            } catch (resolveError) {
              blocked ??= resolveError;
            }
          }
          continue;
        }
        if (code !== undefined && STREAM_TASK_GONE_CODES.has(code)) blocked ??= error;
        // Unconfirmed (whatever an earlier invocation may have sent): a failure, retryable when the error
        // is, so FC's replay confirms it (see submissionOrder for why a lookup cannot).
        outcomes[index] = failed(item, error);
        return;
      }
    }
  };

  await runPool(order.length, deps.config.maxConcurrency, (position) => submitOne(order[position] as number));
  return order.map((index) => outcomes[index] as RecordOutcome);
}

/**
 * The order in which a group's items are submitted — an optimisation only; it never decides an outcome.
 *
 * Why an order at all: a batch larger than one invocation can submit (about timeout × CPFS_SUBTASK_RATE)
 * is finished by FC's replays. A warm instance skips what it already sent (InstanceState, keyed by the
 * version-exact ClientToken); a replay on a **cold** instance has no such memory. Sending in payload order
 * every time would spend each cold window on the same first items, so: items that (by a probe) probably
 * have no sub-task yet go first ("fresh"), the others ("again") after them, starting at a random place so
 * that successive replays reach different parts of them — holes left by failed calls get reached; no
 * livelock on the same prefix.
 *
 * Why the probe cannot count as confirmation (issue 13, point 1): DescribeDataFlowSubTasks names a
 * sub-task by task and paths; it echoes neither the ClientToken, nor `Condition.Size`, nor the eTag.
 * `FileDetail` (Size, ModifyTime, Checksum) appears only once the sub-task ran and describes whatever the
 * source held then — a same-size rewrite is indistinguishable. So an entry found for the path may be an
 * older version's sub-task (docs/platform.md §1). Only a create answer (or this instance's memory of one,
 * for the same ClientToken, which includes size and eTag) confirms an object version; everything the
 * deadline leaves unconfirmed is a retryable failure.
 *
 * The probe: a galloping then binary search for the frontier of what earlier invocations (which used the
 * same order) sent. A missing item is only taken as the frontier when its next {@link HOLE_TOLERANCE}
 * neighbours are missing too, so an isolated hole (a call that failed while later ones succeeded) does
 * not pin every replay to the same place. Only for groups of more than RESUME_PROBE_MIN_ITEMS items that
 * this instance has not sent yet: a cold first invocation pays a handful of DescribeDataFlowSubTasks calls.
 */
interface SubmissionOrder {
  /** Indexes into the group's items that probably no earlier invocation sent. */
  readonly fresh: number[];
  /** Indexes an earlier invocation probably sent: sent after every group's fresh items, still confirmed one by one. */
  readonly again: number[];
}

/** Missing neighbours that make a missing item the frontier rather than a hole (see submissionOrder). */
const HOLE_TOLERANCE = 2;
/** Share of the remaining window the resume probe may use (see submissionOrder). */
const PROBE_WINDOW_SHARE = 0.2;

export async function submissionOrder(group: StreamTaskGroup, taskId: string, deps: IngestDeps, invocation: InvocationContext): Promise<SubmissionOrder> {
  const count = group.items.length;
  const identity = Array.from({ length: count }, (_, index) => index);
  // Small groups go out in a few waves of `maxConcurrency` calls: nothing to gain from looking first.
  const small = count <= RESUME_PROBE_MIN_ITEMS;
  // A warm instance confirms what it remembers without a call: nothing to gain from looking either.
  const remembered = () => group.items.some((item) => deps.state.submittedSubTask(subTaskClientTokenFor(item, taskId)) !== undefined);
  if (small || deps.config.dryRun || remembered()) {
    return { fresh: identity, again: [] };
  }
  // The probe only orders; it must not eat the window it orders (under dropped connections every look
  // costs retries and backoff): it gets PROBE_WINDOW_SHARE of what is left, then stops where it got.
  const probeDeadlineMs = deps.now() + Math.max(0, invocation.deadlineMs - deps.now()) * PROBE_WINDOW_SHARE;
  const exists = async (index: number): Promise<boolean> => {
    const item = group.items[index] as PlannedObject;
    // Unknown counts as reached. Overestimating the frontier only moves unsent items into the rotated
    // second pass (still sent this window or the next); underestimating it would re-send the same
    // prefix first on every replay under lasting faults — the livelock of issue 13, case 2.
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
  /** Sent by an earlier invocation, or a hole with a sent neighbour within HOLE_TOLERANCE. */
  const reached = async (index: number): Promise<boolean> => {
    if (await exists(index)) return true;
    const neighbours: number[] = [];
    for (let probe = index + 1; probe <= Math.min(count - 1, index + HOLE_TOLERANCE); probe += 1) neighbours.push(probe);
    return (await Promise.all(neighbours.map(exists))).some(Boolean);
  };
  if (!(await reached(0))) return { fresh: identity, again: [] };
  // Galloping then binary search for the first item not reached. Invariant: reached(low); high === count,
  // or !reached(high).
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
  // Submissions run `maxConcurrency` at a time, so the frontier may be ragged: start that far before it.
  const start = high >= count ? count : Math.max(0, high - deps.config.maxConcurrency);
  const again = identity.slice(0, start);
  // A random rotation: successive cold replays re-send (and so confirm, or fill) different parts first.
  const offset = again.length === 0 ? 0 : Math.floor((deps.random ?? Math.random)() * again.length) % again.length;
  deps.logger.info('stream.resume', { taskId, items: count, resumeAt: start, againFrom: offset });
  return { fresh: identity.slice(start), again: [...again.slice(offset), ...again.slice(0, offset)] };
}

// ---------------------------------------------------------------------------------------------------
// batch mode

/**
 * Answers that refuse a whole Import because of what some entry holds (a character, a format, the size
 * as the service counts it) without saying which entry. The batch is then halved and re-sent, so the good
 * entries go through without the bad one (splitImportBatch). A client-side ValidationError of the
 * EntryList is treated alike; the per-record checks before packing (planImportBatches) should make it
 * impossible.
 */
const ENTRY_REFUSAL_CODES: ReadonlySet<string> = new Set(['IllegalCharacters', 'InvalidParameter.InvalidFormat', 'InvalidParameter.SizeTooLarge']);

/** Code of the failure of an object whose route batch Import cannot express (auto fell back to batch). */
export const NOT_BATCHABLE_CODE = 'NotBatchable';

function isEntryRefusal(error: unknown): boolean {
  if (error instanceof ValidationError) return error.field.split(', ').includes('EntryList');
  const code = codeOf(error);
  return code !== undefined && ENTRY_REFUSAL_CODES.has(code);
}

async function submitBatch(items: PlannedObject[], deps: IngestDeps, invocation: InvocationContext): Promise<RecordOutcome[]> {
  const { config, api, state } = deps;
  const outcomes: RecordOutcome[] = [];
  const plan = planImportBatches(items);
  for (const rejected of plan.rejected) {
    if (rejected.kind === 'not-batchable') {
      // Only reached when auto fell back to batch (a LINGJUN older than 2.6): where batch is the only mode
      // the configuration refuses such routes at load. Sending it anyway would land the file elsewhere.
      const { bucket, key } = rejected.item.record;
      outcomes.push({ status: 'failed', bucket, key, code: NOT_BATCHABLE_CODE, message: `not imported: this file system takes no sub-tasks (older than 2.6) and ${rejected.reason}`, retryable: false });
    } else {
      outcomes.push(refusalOutcome(rejected.item.record, rejected.kind, rejected.reason));
    }
  }
  const lingjun = config.fileSystemKind === 'lingjun';
  const results = new Array<RecordOutcome[]>(plan.batches.length);

  // Import requests carry EntryList + DstDirectory + ConflictPolicy and no Directory: Directory, EntryList
  // and TransferFileListPath are mutually exclusive (docs/platform.md §1; paths: shared/planning/path-base.ts).
  const send = (batch: ImportBatch, createDir: boolean) =>
    api.createDataFlowTask(
      {
        FileSystemId: batch.fileSystemId,
        DataFlowId: batch.dataFlowId,
        TaskAction: 'Import',
        // LINGJUN accepts only MetaAndData (docs/platform.md §1); general-purpose CPFS gets the same, full import.
        DataType: 'MetaAndData',
        DstDirectory: batch.dstDirectory,
        EntryList: batch.entryList,
        ConflictPolicy: batch.conflictPolicy,
        // CreateDirIfNotExist takes effect on Import on LINGJUN ≥ 2.6 only (docs/platform.md §1): sent there.
        ...(createDir ? { CreateDirIfNotExist: true } : {}),
        ClientToken: batch.clientToken,
        ...(config.dryRun ? { DryRun: true } : {}),
      },
      { deadlineMs: invocation.deadlineMs },
    );

  const sendBatch = async (batch: ImportBatch): Promise<RecordOutcome[]> => {
    if (deps.now() >= invocation.deadlineMs) return batch.items.map(deadlineFailure);
    try {
      let response;
      // Decided per request: batches run concurrently, and one that learns "no CreateDirIfNotExist here"
      // must not make another, refused for the same reason, look like it had been sent without it. A
      // LINGJUN known to be older than 2.6 (no StreamImport) gets none at all.
      const withCreateDir = lingjun && !state.createDirUnsupported && !state.streamImportUnsupported;
      try {
        response = await send(batch, withCreateDir);
      } catch (error) {
        if (!(withCreateDir && STREAM_UNSUPPORTED_CODES.has(codeOf(error) ?? ''))) throw error;
        state.createDirUnsupported = true;
        response = await send(batch, false);
      }
      return batch.items.map((item) => submittedOutcome(item, 'batch', response.TaskId, undefined, config.dryRun));
    } catch (error) {
      if (batch.items.length > 1 && isEntryRefusal(error)) {
        // One entry sinks the whole request: re-send the halves, so the good entries go without it.
        deps.logger.warn('batch.split', { entries: batch.items.length, code: codeOf(error) ?? 'ValidationError' });
        const [first, second] = splitImportBatch(batch);
        return [...(await sendBatch(first)), ...(await sendBatch(second))];
      }
      // The LINGJUN batch-task limit clears when a running task ends: retry on FC's replay.
      const atBatchLimit = lingjun && BATCH_TASK_LIMIT_CODES.has(codeOf(error) ?? '');
      return batch.items.map((item) => failed(item, error, atBatchLimit ? true : undefined));
    }
  };

  await runPool(plan.batches.length, Math.min(4, config.maxConcurrency), async (index) => {
    results[index] = await sendBatch(plan.batches[index] as ImportBatch);
  });
  for (const batchOutcomes of results) outcomes.push(...batchOutcomes);
  return outcomes;
}

// ---------------------------------------------------------------------------------------------------

/** Runs `work(0..count-1)` with at most `concurrency` in flight. */
async function runPool(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
