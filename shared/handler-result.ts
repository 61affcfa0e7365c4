/** What a handler returns, and the error it throws to have FC retry the event. */
import type { IngestReport } from './ingest.js';

/** The handler's return value: counts and per-record outcomes (no secrets, no signed URLs). */
export function summaryOf(report: IngestReport) {
  return { mode: report.mode, dryRun: report.dryRun, counts: report.counts, outcomes: report.outcomes };
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
