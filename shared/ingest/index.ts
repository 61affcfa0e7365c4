/**
 * The use case: event payload → parsed records → plan → submissions → one outcome per record.
 *
 * Submission paths (docs/platform.md §1):
 * - **stream** (CPFS for LINGJUN ≥ 2.6, stream/): one long-lived StreamImport task per (data flow,
 *   ConflictPolicy), created with Directory `/` and DstDirectory `/` (see shared/planning/path-base.ts),
 *   reused across the invocations of a warm instance and re-resolved when it stops being Executing; one
 *   CreateDataFlowSubTask per object, with `Condition.Size` from the event.
 * - **batch** (general-purpose `cpfs-…`, forced `batch`, or LINGJUN older than 2.6 found out in `auto`,
 *   batch/): Import tasks whose EntryList is packed up to 64 KB.
 * - **bursts** (stream mode, events only, CPFS_BURST_THRESHOLD set; stream/burst.ts): the objects of a stream
 *   group past the threshold go as one manifest Import (TransferFileListPath) or packed EntryList Imports.
 *
 * Retries are harmless by construction: every create carries a ClientToken derived from its content, so
 * an FC replay of the same event gets the same task/sub-task ids back instead of new ones. The handler
 * throws (so FC retries) when some record failed retryably or by a system failure (isSystemFailure,
 * shared/nas/classify.ts); rejected records are reported, not thrown. `submitted` is said only for an
 * object version the service confirmed (see stream/resume.ts for why a lookup never counts).
 *
 * Time: the caller passes an absolute deadline (FC start + function timeout − margin). No call starts past
 * it; what is left is reported as failed-retryable so the replay continues where this one stopped. At
 * the documented 100 sub-tasks/s quota, that is the normal path for batches larger than ~timeout × 90.
 */
import type { Config } from '../config/load-config.js';
import { parseEvents } from '../events/parse-events.js';
import type { ObjectCreated } from '../events/types.js';
import { planSubmissions } from '../planning/index.js';
import { submitBatch } from './batch/submit.js';
import type { IngestDeps, InvocationContext } from './deps.js';
import type { InstanceState } from './instance-state.js';
import { boundOutcome, outcomesOfParsing, refusalOutcome, summarize, type IngestReport, type RecordOutcome } from './outcomes.js';
import { submitStream } from './stream/submit.js';

export { StreamTaskUnavailableError } from '../errors.js';
export { NOT_BATCHABLE_CODE } from '../nas/classify.js';
export { importRequest } from './batch/requests.js';
export type { IngestDeps, InvocationContext } from './deps.js';
export { Capabilities, InstanceState, StreamTaskCache, SubmittedSubTasks } from './instance-state.js';
export { boundOutcome, type IngestReport, type OutcomeStatus, type RecordOutcome } from './outcomes.js';
export { streamTaskRequest, subTaskRequest } from './stream/requests.js';
export { resolveStreamTask } from './stream/resolve-task.js';
export { findResumePoint, resumeOrder, submissionOrder, type SubmissionOrder } from './stream/resume.js';

/**
 * Runs one invocation: parses `payload`, plans, submits, and reports an outcome per record.
 * Never throws for a bad record or a failed call; the caller decides from `retryableFailures`.
 */
export async function ingest(payload: Buffer | string | unknown, deps: IngestDeps, invocation: InvocationContext): Promise<IngestReport> {
  const parsed = parseEvents(payload, { keyEncoding: deps.config.keyEncoding });
  // Events are where bursts arrive (stream/burst.ts); ingestRecords' other callers choose their own shape.
  return ingestRecords(parsed.records, deps, { ...invocation, bursts: true }, outcomesOfParsing(parsed));
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
  if (config.importMode === 'auto' && state.capabilities.streamImportUnsupported) return 'batch';
  return 'stream';
}
