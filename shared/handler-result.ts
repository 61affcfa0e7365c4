/** What a handler returns, and the errors it throws to have FC retry the event. */
import { CpfsIngestError } from './errors.js';
import type { IngestReport, RecordOutcome } from './ingest/index.js';
import { boundOutcome } from './ingest/index.js';

/**
 * Most outcomes a handler returns. A 10,000-record queue batch would otherwise return megabytes to FC's
 * async destination (whose size limit is not documented here); the log lines carry every rejection and
 * failure anyway.
 */
export const MAX_RETURNED_OUTCOMES = 1000;

/**
 * THE documented maximum size of a handler result: its JSON is at most this many bytes (UTF-8), whatever
 * the payload held (a 10 MB key, 1,000 keys of 30 KB, …). Outcomes are bounded one by one first
 * (shared/text-bound.ts: a key at most ~1 KB), then the list is cut once the budget is spent. 256 KB is
 * well below what FC passes to a destination (UNVERIFIED: FC documents no limit for async results; 256 KB
 * is the size of one MNS message / EventBridge event, the usual destinations, docs/platform.md §4).
 */
export const MAX_RESULT_BYTES = 256 * 1024;

/** Room kept for the fields around `outcomes` (mode, counts, flags). */
const RESULT_ENVELOPE_BYTES = 1024;

export interface HandlerResult {
  mode: IngestReport['mode'];
  dryRun: boolean;
  counts: IngestReport['counts'];
  outcomes: RecordOutcome[];
  /** Present when outcomes were left out (by count or by {@link MAX_RESULT_BYTES}); the counts are complete. */
  outcomesTruncated?: true;
}

/**
 * The handler's return value: counts and per-record outcomes (no secrets, no signed URLs). Outcomes that
 * are not `submitted` come first; the list stops at {@link MAX_RETURNED_OUTCOMES} outcomes or when the
 * JSON would pass {@link MAX_RESULT_BYTES}.
 */
export function summaryOf(report: IngestReport): HandlerResult {
  const base = { mode: report.mode, dryRun: report.dryRun, counts: report.counts };
  const notSubmitted = report.outcomes.filter((o) => o.status !== 'submitted');
  const submitted = report.outcomes.filter((o) => o.status === 'submitted');
  const outcomes: RecordOutcome[] = [];
  let bytes = RESULT_ENVELOPE_BYTES;
  for (const raw of [...notSubmitted, ...submitted]) {
    if (outcomes.length >= MAX_RETURNED_OUTCOMES) break;
    const outcome = boundOutcome(raw);
    const size = Buffer.byteLength(JSON.stringify(outcome), 'utf8') + 1;
    if (bytes + size > MAX_RESULT_BYTES) break;
    bytes += size;
    outcomes.push(outcome);
  }
  // Keep the original order when nothing was cut (small batches read naturally).
  if (outcomes.length === report.outcomes.length) return { ...base, outcomes: report.outcomes.map(boundOutcome) };
  return { ...base, outcomes, outcomesTruncated: true };
}

/** Thrown when some record failed retryably: FC's async retry replays the event. */
export class RetryableIngestError extends CpfsIngestError {
  override readonly name = 'RetryableIngestError';
  readonly retryable = true;
  readonly code = 'RetryableFailures';
  constructor(readonly report: IngestReport) {
    const first = report.outcomes.find((o) => o.status === 'failed' && o.retryable);
    super(
      `${report.retryableFailures} record(s) failed retryably` +
        (first && first.status === 'failed' ? ` (first: ${first.code})` : '') +
        '; the event will be retried and submissions already made are not repeated',
    );
  }
}

/**
 * Thrown when a system failure (credentials, signature, permissions, endpoint, TLS, data flow; see
 * isSystemFailure in shared/nas/classify.ts) stopped records: the invocation fails so that FC retries it
 * and, when its retries run out, hands the event to the failure destination — never "success".
 */
export class SystemFailureError extends CpfsIngestError {
  override readonly name = 'SystemFailureError';
  readonly retryable = true;
  readonly code: string;
  constructor(readonly report: IngestReport) {
    const first = report.outcomes.find((o) => o.status === 'failed' && o.system === true);
    const code = first && first.status === 'failed' ? first.code : 'SystemFailure';
    super(`${report.systemFailures} record(s) stopped by a system failure (${code}); the event will be retried and then sent to the failure destination`);
    this.code = code;
  }
}

/**
 * What a handler does with a report: throws SystemFailureError or RetryableIngestError (so FC retries),
 * else returns the bounded result. The one decision shared by every handler that runs ingest.
 */
export function resultOrThrow(report: IngestReport): HandlerResult {
  if (report.systemFailures > 0) throw new SystemFailureError(report);
  if (report.retryableFailures > 0) throw new RetryableIngestError(report);
  return summaryOf(report);
}
