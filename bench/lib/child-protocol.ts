/** What the bench's child scripts report back (as JSON in a result file). */

/** bench/children/invoke-handler.ts */
export interface HandlerRunResult {
  /** False when the handler threw (RetryableIngestError: some records failed retryably). */
  readonly ok: boolean;
  readonly mode: string;
  /** Outcome counts: submitted, ignored, duplicate, rejected, failed. */
  readonly counts: Readonly<Record<string, number>>;
  readonly retryableFailures: number;
  readonly durationMs: number;
  /** The `require` of the bundle in this fresh process (hrtime around it): the cold require before this invocation. */
  readonly requireMs?: number;
  /** `process.resourceUsage().maxRSS`: peak resident set size, KiB. */
  readonly maxRssKb: number;
  readonly error?: string;
}

/** bench/children/plan-backfill.ts */
export interface BackfillPlanResult {
  readonly keys: number;
  readonly chunkSize: number;
  readonly planned: number;
  readonly rejected: number;
  readonly streamGroups: number;
  readonly importBatches: number;
  readonly durationMs: number;
  readonly maxRssKb: number;
  /** Heap in use at the end, bytes: what the plan itself keeps. */
  readonly heapUsedBytes: number;
}

/** bench/children/rss-on-exit.ts, preloaded into the CLI */
export interface ExitMemory {
  readonly maxRssKb: number;
  readonly heapUsedBytes: number;
}

/** bench/children/memory-stages.ts */
export interface MemoryStageResult {
  readonly stage: string;
  /** What the stage produced (bytes held, messages, events, records or batches): proof it ran. */
  readonly count: number;
  readonly maxRssKb: number;
  readonly heapUsedBytes: number;
  readonly externalBytes: number;
}
