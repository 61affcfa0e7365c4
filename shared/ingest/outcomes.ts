/** One outcome per record: its shape, how failures and refusals become outcomes, bounding and the summary. */
import { DeadlineExceededError } from '../errors.js';
import type { ParsedEvents } from '../events/parse-events.js';
import type { ObjectCreated } from '../events/types.js';
import { describeError } from '../nas/classify.js';
import type { ConflictPolicy } from '../nas/wire.js';
import type { PlannedObject, RejectionKind } from '../planning/index.js';
import { boundText, MAX_OUTCOME_CODE_CHARS, MAX_OUTCOME_KEY_CHARS, MAX_OUTCOME_MESSAGE_CHARS } from '../text-bound.js';


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
export type SubmittedOutcome = Extract<RecordOutcome, { status: 'submitted' }>;

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

export function outcomesOfParsing(parsed: ParsedEvents): RecordOutcome[] {
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
export function refusalOutcome(record: ObjectCreated, kind: RejectionKind, reason: string): RecordOutcome {
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

export function summarize(mode: 'stream' | 'batch', outcomes: RecordOutcome[], dryRun: boolean): IngestReport {
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

export function failed(item: PlannedObject, error: unknown, retryableOverride?: boolean): RecordOutcome {
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

export function deadlineFailure(item: PlannedObject): RecordOutcome {
  return failed(item, new DeadlineExceededError('not submitted: the invocation deadline arrived first; an FC retry continues from here'));
}

export function submittedOutcome(item: PlannedObject, mode: 'stream' | 'batch', taskId: string | undefined, subTaskId: string | undefined, dryRun: boolean): SubmittedOutcome {
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
