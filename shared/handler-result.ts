/** What a handler returns, and the error it throws to have FC retry the event. */
import type { IngestReport, RecordOutcome } from './ingest.js';

/**
 * Most outcomes a handler returns. A 10,000-record queue batch would otherwise return megabytes to FC's
 * async destination (whose size limit is not documented here); the log lines carry every rejection and
 * failure anyway.
 */
export const MAX_RETURNED_OUTCOMES = 1000;

/**
 * The handler's return value: counts and per-record outcomes (no secrets, no signed URLs). Past
 * {@link MAX_RETURNED_OUTCOMES}, the outcomes that are not `submitted` come first and the list is cut.
 */
export function summaryOf(report: IngestReport): {
  mode: IngestReport['mode'];
  dryRun: boolean;
  counts: IngestReport['counts'];
  outcomes: RecordOutcome[];
  outcomesTruncated?: true;
} {
  const base = { mode: report.mode, dryRun: report.dryRun, counts: report.counts };
  if (report.outcomes.length <= MAX_RETURNED_OUTCOMES) return { ...base, outcomes: report.outcomes };
  const notSubmitted = report.outcomes.filter((o) => o.status !== 'submitted');
  const submitted = report.outcomes.filter((o) => o.status === 'submitted');
  return { ...base, outcomes: [...notSubmitted, ...submitted].slice(0, MAX_RETURNED_OUTCOMES), outcomesTruncated: true };
}

/** Thrown when some record failed retryably: FC's async retry replays the event. */
export class RetryableIngestError extends Error {
  readonly retryable = true;
  constructor(readonly report: IngestReport) {
    const first = report.outcomes.find((o) => o.status === 'failed' && o.retryable);
    super(
      `${report.retryableFailures} record(s) failed retryably` +
        (first && first.status === 'failed' ? ` (first: ${first.code})` : '') +
        '; the event will be retried and submissions already made are not repeated',
    );
    this.name = 'RetryableIngestError';
  }
}
