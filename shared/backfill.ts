/**
 * Backfill: list a bucket under some prefixes and submit every object found through the same planning and
 * submission path as live events (`ingestRecords`). Shared by `cpfs-ingest backfill` and the reconcile
 * function.
 *
 * Flow, one listing page at a time (pages are never collected, so memory stays flat):
 * list a page → records (`toObjectCreated`) → `ingestRecords` → retry the records that failed retryably
 * (bounded, with backoff) → the page is *fully submitted* → save the checkpoint → next page.
 *
 * Checkpoint: `{prefixIndex, startAfter}` — the prefix being listed and the last key of its last fully
 * submitted page. We resume with `StartAfter = lastKey` rather than the continuation token: a key stays
 * meaningful forever and across listing sessions, while a continuation token is opaque, bound to the
 * listing that issued it, and may expire. A page is re-submitted at most once after a crash (the one in
 * flight); re-submission is harmless because every create carries a ClientToken derived from its content.
 *
 * Stops, each leaving the checkpoint at the last fully submitted page:
 * - `deadline`: the deadline arrived (or less than `minPageTimeMs` was left to start a page);
 * - `interrupted`: the signal aborted (the in-flight page is finished first);
 * - `retryable-failures`: some records still failed retryably after `maxRetries` rounds — the page is
 *   not skipped, the next run starts with it again;
 * - `error`: listing failed (after the listing module's own retries) or the checkpoint could not be saved.
 * Records that planning rejects, or that the service refuses for reasons of their own
 * (isRecordScopedRefusalCode, shared/nas/classify.ts), are reported (counts, and the first {@link MAX_REPORTED_RECORDS} with
 * their reasons) and the page still counts as submitted. Any other non-retryable failure (credentials,
 * permissions, a missing data flow…) stops the backfill with `error` before the page: nothing is skipped.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import type { Config } from './config/load-config.js';
import type { IngestDeps, RecordOutcome } from './ingest/index.js';
import { ingestRecords } from './ingest/index.js';
import { describeError, isBatchTaskLimitCode, isRecordScopedRefusalCode } from './nas/classify.js';
import { ConfigError, ValidationError } from './errors.js';
import type { ObjectCreated } from './events/types.js';
import { listObjects, toObjectCreated, type ListedPage, type ListObjectsOptions } from './oss/listing.js';
import { isLoopbackOrigin, ossS3Endpoint, ossSigningRegion } from './oss/endpoint.js';
import { createOssS3Client, type OssCredentials, type OssCredentialsProvider } from './oss/s3-client.js';
import type { ManifestStore } from './bulk/manifest-store.js';
import { runBulkBackfill, type BulkProgress } from './bulk/run.js';
import type { BackfillShape, DirectoryImport } from './bulk/shape.js';
import { BulkCheckpointSchema } from './bulk/state.js';

/** How many rejected / failed records a summary keeps with their reasons (the counts are always complete). */
export const MAX_REPORTED_RECORDS = 1000;

/** Counts of one run or, in a checkpoint, of every run of the same backfill so far. */
export interface BackfillTotals {
  /** Listing pages fully handled. */
  pages: number;
  /** Objects the listing returned and that were handed to planning. */
  listed: number;
  submitted: number;
  ignored: number;
  duplicate: number;
  rejected: number;
  /** Failed for good (non-retryable); reported, not retried. */
  failed: number;
  /** Retry rounds run for records that failed retryably. */
  retries: number;
  /** Folder markers (`…/`) the listing left out. */
  skippedFolderMarkers: number;
  /** Objects older than `since` the listing left out. */
  skippedNotModifiedSince: number;
  /** Objects left out by the caller's `exclude` (e.g. the reconcile state object). */
  excluded: number;
}

export const BackfillTotalsSchema = z.strictObject({
  pages: z.number().int().nonnegative(),
  listed: z.number().int().nonnegative(),
  submitted: z.number().int().nonnegative(),
  ignored: z.number().int().nonnegative(),
  duplicate: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  retries: z.number().int().nonnegative(),
  skippedFolderMarkers: z.number().int().nonnegative(),
  skippedNotModifiedSince: z.number().int().nonnegative(),
  excluded: z.number().int().nonnegative(),
});

/** Where a backfill stands: enough to resume it, and to refuse resuming a different one. */
export const BackfillCheckpointSchema = z.strictObject({
  version: z.literal(1),
  bucket: z.string(),
  prefixes: z.array(z.string()),
  /** ISO time: only objects modified since then are submitted. */
  since: z.string().optional(),
  /** Index in `prefixes` of the prefix being listed; `prefixes.length` once every prefix is done. */
  prefixIndex: z.number().int().nonnegative(),
  /** Last key of the last fully submitted page of `prefixes[prefixIndex]`; absent at its start. */
  startAfter: z.string().optional(),
  /** Totals over every run of this backfill. */
  totals: BackfillTotalsSchema,
  /** How objects are submitted (shared/bulk/shape.ts); absent = `objects` (checkpoints written before shapes). */
  shape: z.enum(['objects', 'entrylist', 'manifest', 'directory']).optional(),
  /** Where a bulk shape stands (manifest parts written, Import tasks); absent for `objects`. */
  bulk: BulkCheckpointSchema.optional(),
  /** ISO time of the save. */
  updatedAt: z.string(),
});
export type BackfillCheckpoint = z.infer<typeof BackfillCheckpointSchema>;

/** Where checkpoints are kept (a local file for the CLI, an OSS object for reconcile, memory in tests). */
export interface CheckpointStore {
  load(): Promise<BackfillCheckpoint | undefined>;
  /** Must replace the previous checkpoint atomically: a crash leaves either the old one or the new one. */
  save(checkpoint: BackfillCheckpoint): Promise<void>;
}

/** What the backfill asks a lister for: one prefix, from `startAfter` (exclusive) on. */
export interface PageRequest {
  readonly prefix: string;
  readonly startAfter?: string;
  /** Leave out objects modified before this (the backfill's `since`). */
  readonly modifiedSince?: Date;
  readonly signal?: AbortSignal;
}

/** Lists one prefix as pages; {@link ossPageLister} adapts `shared/oss/listing.ts`. */
export type PageLister = (request: PageRequest) => AsyncIterable<ListedPage>;

/** A PageLister over `listObjects` (ListObjectsV2 through OSS's S3 API) for one bucket. */
export function ossPageLister(base: Pick<ListObjectsOptions, 'client' | 'bucket' | 'pageSize' | 'retry'>): PageLister {
  return (request) =>
    listObjects({
      ...base,
      prefix: request.prefix,
      ...(request.startAfter !== undefined ? { startAfter: request.startAfter } : {}),
      ...(request.modifiedSince !== undefined ? { modifiedSince: request.modifiedSince } : {}),
      ...(request.signal !== undefined ? { signal: request.signal } : {}),
    });
}

export type BackfillStatus = 'complete' | 'deadline' | 'interrupted' | 'retryable-failures' | 'error';

/** A record refused by planning or failed for good, for reports. */
export type ReportedRecord =
  | { readonly status: 'rejected'; readonly key: string; readonly kind: string; readonly reason: string }
  | { readonly status: 'failed'; readonly key: string; readonly code: string; readonly message: string; readonly retryable: boolean };

export type BackfillProgress =
  | {
      readonly type: 'page';
      readonly prefix: string;
      /** Outcome counts of this page alone. */
      readonly page: BackfillTotals;
      /** Totals of this backfill so far (every run). */
      readonly overall: BackfillTotals;
      /** Rejected / failed records of this page, with reasons. */
      readonly reported: readonly ReportedRecord[];
      /** Where a resume would start now. */
      readonly startAfter?: string;
    }
  | { readonly type: 'retry'; readonly prefix: string; readonly round: number; readonly records: number; readonly delayMs: number; readonly firstCode: string }
  | { readonly type: 'prefix-done'; readonly prefix: string; readonly overall: BackfillTotals }
  | BulkProgress;

export interface BackfillOptions {
  readonly bucket: string;
  /** Region put on the records (informational). */
  readonly region?: string;
  /** Key prefixes to list, in order. */
  readonly prefixes: readonly string[];
  /** Only objects with LastModified ≥ since are submitted (the listing still reads every key). */
  readonly since?: Date;
  readonly list: PageLister;
  /** The ingest dependencies (config, NAS api, logger, instance state, clock). */
  readonly deps: IngestDeps;
  /** Absolute time (deps.now clock) after which no page is started and no call made. Default: none. */
  readonly deadlineMs?: number;
  /** Without `deadlineMs`: the deadline given to the submission of one page. Default 10 minutes. */
  readonly pageBudgetMs?: number;
  /** A page is not started with less than this left before `deadlineMs`. Default 5 s. */
  readonly minPageTimeMs?: number;
  readonly checkpoint?: CheckpointStore;
  /** Save at most this often (the final state is always saved). Default 0: after every page. */
  readonly checkpointIntervalMs?: number;
  /** Stops after the in-flight page. */
  readonly signal?: AbortSignal;
  /** Retry rounds for records that failed retryably, per page. Default 3. */
  readonly maxRetries?: number;
  /** First retry wait; doubles per round. Default 1000 ms. */
  readonly retryBaseDelayMs?: number;
  /** Objects to leave out (counted as `excluded`). */
  readonly exclude?: (key: string) => boolean;
  readonly onProgress?: (event: BackfillProgress) => void;
  /**
   * How objects are submitted (default `objects`: today's path, below). The bulk shapes run in
   * shared/bulk/run.ts; resolve `auto` with `chooseShape` (shared/bulk/shape.ts) before calling.
   */
  readonly shape?: BackfillShape;
  /** For `directory`: the Imports, one per prefix in `prefixes` order (from `chooseShape`). */
  readonly directoryImports?: readonly DirectoryImport[];
  /** For `manifest`: where the CSV parts are written and removed. */
  readonly manifests?: ManifestStore;
  /** manifest: rows per part (default 100,000). */
  readonly manifestPartRows?: number;
  /** Bulk shapes: how often to look at running Import tasks (default 5 s; DescribeDataFlowTasks is 120/60 s). */
  readonly pollMs?: number;
}

export interface BackfillSummary {
  readonly status: BackfillStatus;
  /** Counts of this run. */
  readonly run: BackfillTotals;
  /** Counts of every run of this backfill (from the checkpoint on). */
  readonly overall: BackfillTotals;
  /** The last checkpoint (saved when a store was given). */
  readonly checkpoint: BackfillCheckpoint;
  /** Whether the checkpoint was already complete when the run started (nothing was done). */
  readonly alreadyComplete: boolean;
  /** Rejected and failed records of this run (the first MAX_REPORTED_RECORDS). */
  readonly reported: readonly ReportedRecord[];
  /**
   * Records still failing retryably when the run stopped (status retryable-failures or deadline). Their page
   * is not counted in the totals and is submitted again by the next run.
   */
  readonly pendingRetryable: number;
  /** Why the run stopped, for status `error` and `retryable-failures`. */
  readonly error?: { readonly code: string; readonly message: string; readonly retryable: boolean };
  /** Bulk shapes: NAS Import tasks accepted by this run, and the tasks' final states when waited for. */
  readonly bulk?: { readonly shape: BackfillShape; readonly tasksAccepted: number; readonly tasks: ReadonlyArray<{ readonly taskId: string; readonly label: string; readonly status: string; readonly filesDone?: number; readonly filesTotal?: number }> };
}

/** What a run has at its end, whatever its shape: the state every {@link BackfillSummary} is built from. */
export interface BackfillRunState {
  readonly run: BackfillTotals;
  readonly overall: BackfillTotals;
  readonly checkpoint: BackfillCheckpoint;
  readonly alreadyComplete: boolean;
  readonly reported: readonly ReportedRecord[];
}

/** The one builder of a run's summary (objects shape here, bulk shapes in bulk/run.ts). */
export function backfillSummary(
  state: BackfillRunState,
  status: BackfillStatus,
  extra: { readonly pendingRetryable?: number; readonly error?: BackfillSummary['error'] | undefined; readonly bulk?: BackfillSummary['bulk'] } = {},
): BackfillSummary {
  return {
    status,
    run: state.run,
    overall: { ...state.overall },
    checkpoint: state.checkpoint,
    alreadyComplete: state.alreadyComplete,
    reported: state.reported,
    pendingRetryable: extra.pendingRetryable ?? 0,
    ...(extra.error !== undefined ? { error: extra.error } : {}),
    ...(extra.bulk !== undefined ? { bulk: extra.bulk } : {}),
  };
}

export function emptyTotals(): BackfillTotals {
  return { pages: 0, listed: 0, submitted: 0, ignored: 0, duplicate: 0, rejected: 0, failed: 0, retries: 0, skippedFolderMarkers: 0, skippedNotModifiedSince: 0, excluded: 0 };
}

export function addTotals(into: BackfillTotals, add: BackfillTotals): void {
  for (const key of Object.keys(into) as (keyof BackfillTotals)[]) into[key] += add[key];
}

/** The checkpoint of a backfill that has not started. */
export function initialCheckpoint(bucket: string, prefixes: readonly string[], since: Date | undefined, now: Date, shape: BackfillShape = 'objects'): BackfillCheckpoint {
  return {
    ...(shape !== 'objects' ? { shape } : {}),
    version: 1,
    bucket,
    prefixes: [...prefixes],
    ...(since !== undefined ? { since: since.toISOString() } : {}),
    prefixIndex: 0,
    totals: emptyTotals(),
    updatedAt: now.toISOString(),
  };
}

/** Whether `checkpoint` belongs to a backfill of this bucket, these prefixes and this `since`. */
export function checkpointMatches(checkpoint: BackfillCheckpoint, bucket: string, prefixes: readonly string[], since: Date | undefined, shape: BackfillShape = 'objects'): boolean {
  return (
    (checkpoint.shape ?? 'objects') === shape &&
    checkpoint.bucket === bucket &&
    checkpoint.prefixes.length === prefixes.length &&
    checkpoint.prefixes.every((prefix, i) => prefix === prefixes[i]) &&
    checkpoint.since === since?.toISOString()
  );
}

/** Whether every prefix of the checkpoint has been listed to its end. */
export function checkpointComplete(checkpoint: BackfillCheckpoint): boolean {
  return checkpoint.prefixIndex >= checkpoint.prefixes.length;
}

/**
 * Runs (or resumes) a backfill. Never throws for a failed record or a listing error: the summary's
 * `status` says how it ended. Throws ValidationError for bad options or a checkpoint of another backfill.
 */
export async function backfill(options: BackfillOptions): Promise<BackfillSummary> {
  const { deps, bucket, prefixes } = options;
  if (prefixes.length === 0) throw new ValidationError('prefixes', 'must name at least one prefix');
  if (options.shape !== undefined && options.shape !== 'objects') return runBulkBackfill(options, options.shape);
  const maxRetries = options.maxRetries ?? 3;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 20) throw new ValidationError('maxRetries', 'must be a whole number from 0 to 20');
  const minPageTimeMs = options.minPageTimeMs ?? 5_000;
  const pageBudgetMs = options.pageBudgetMs ?? 10 * 60_000;
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 1_000;
  const intervalMs = options.checkpointIntervalMs ?? 0;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  const loaded = await options.checkpoint?.load();
  if (loaded !== undefined && !checkpointMatches(loaded, bucket, prefixes, options.since)) {
    throw new ValidationError(
      'checkpoint',
      `was written for another backfill (bucket ${loaded.bucket}, prefixes ${JSON.stringify(loaded.prefixes)}, since ${loaded.since ?? 'the beginning'}); ` +
        'use the same --prefix/--since values, or another checkpoint file',
    );
  }
  let checkpoint: BackfillCheckpoint = loaded ?? initialCheckpoint(bucket, prefixes, options.since, new Date(deps.now()));
  const overall: BackfillTotals = { ...checkpoint.totals };
  const run = emptyTotals();
  const reported: ReportedRecord[] = [];
  const report = (record: ReportedRecord) => {
    if (reported.length < MAX_REPORTED_RECORDS) reported.push(record);
  };

  const alreadyComplete = checkpointComplete(checkpoint);
  let lastSavedMs = Number.NEGATIVE_INFINITY;
  let unsaved = false;
  const save = async (force: boolean): Promise<void> => {
    checkpoint = { ...checkpoint, totals: { ...overall }, updatedAt: new Date(deps.now()).toISOString() };
    unsaved = true;
    if (options.checkpoint === undefined) return;
    if (!force && deps.now() - lastSavedMs < intervalMs) return;
    await options.checkpoint.save(checkpoint);
    lastSavedMs = deps.now();
    unsaved = false;
  };
  const finish = async (status: BackfillStatus, extra: { pendingRetryable?: number; error?: BackfillSummary['error'] } = {}): Promise<BackfillSummary> => {
    let error = extra.error;
    if (unsaved && options.checkpoint !== undefined) {
      try {
        await options.checkpoint.save(checkpoint);
      } catch (saveError) {
        status = 'error';
        error = describeBackfillError(saveError);
      }
    }
    return backfillSummary({ run, overall, checkpoint, alreadyComplete, reported }, status, { ...extra, error });
  };

  const deadlinePassed = (marginMs: number) => options.deadlineMs !== undefined && deps.now() + marginMs >= options.deadlineMs;

  while (!checkpointComplete(checkpoint)) {
    const prefix = checkpoint.prefixes[checkpoint.prefixIndex] as string;
    try {
      const pages = options.list({
        prefix,
        ...(checkpoint.startAfter !== undefined ? { startAfter: checkpoint.startAfter } : {}),
        ...(options.since !== undefined ? { modifiedSince: options.since } : {}),
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
      });
      for await (const page of pages) {
        if (deadlinePassed(minPageTimeMs)) return await finish('deadline');
        const outcome = await submitPage(page, prefix);
        if (outcome.stop !== undefined) return await finish('error', { error: outcome.stop });
        if (outcome.pendingRetryable > 0) {
          const status = outcome.deadline ? 'deadline' : 'retryable-failures';
          return await finish(status, { pendingRetryable: outcome.pendingRetryable, ...(outcome.error ? { error: outcome.error } : {}) });
        }
        if (page.lastKey !== undefined) checkpoint = { ...checkpoint, startAfter: page.lastKey };
        await save(false);
        options.onProgress?.({
          type: 'page',
          prefix,
          page: outcome.counts,
          overall: { ...overall },
          reported: outcome.reported,
          ...(checkpoint.startAfter !== undefined ? { startAfter: checkpoint.startAfter } : {}),
        });
        if (options.signal?.aborted) return await finish('interrupted');
      }
    } catch (error) {
      if (options.signal?.aborted) return await finish('interrupted');
      return await finish('error', { error: describeBackfillError(error) });
    }
    const { startAfter: _done, ...rest } = checkpoint;
    checkpoint = { ...rest, prefixIndex: checkpoint.prefixIndex + 1 };
    try {
      await save(true);
    } catch (error) {
      return await finish('error', { error: describeBackfillError(error) });
    }
    options.onProgress?.({ type: 'prefix-done', prefix, overall: { ...overall } });
  }
  return finish('complete');

  /** Submits one page with bounded retries; counts into `run`/`overall` only what is final. */
  async function submitPage(page: ListedPage, prefix: string): Promise<{
    counts: BackfillTotals;
    reported: ReportedRecord[];
    pendingRetryable: number;
    deadline: boolean;
    error?: BackfillSummary['error'];
    /** A failure that is not the record's own: stop before this page. */
    stop?: BackfillSummary['error'];
  }> {
    const counts = emptyTotals();
    counts.skippedFolderMarkers = page.skippedFolderMarkers;
    counts.skippedNotModifiedSince = page.skippedNotModifiedSince;
    const pageReported: ReportedRecord[] = [];
    const byKey = new Map<string, ObjectCreated>();
    for (const object of page.objects) {
      if (options.exclude?.(object.key)) {
        counts.excluded += 1;
        continue;
      }
      byKey.set(object.key, toObjectCreated(object, bucket, options.region));
    }
    counts.listed = byKey.size;

    let pending = [...byKey.values()];
    let lastRetryable: RecordOutcome[] = [];
    for (let round = 0; pending.length > 0; round += 1) {
      if (round > 0) {
        const delayMs = retryBaseDelayMs * 2 ** (round - 1);
        const first = lastRetryable[0];
        options.onProgress?.({ type: 'retry', prefix, round, records: pending.length, delayMs, firstCode: first?.status === 'failed' ? first.code : 'unknown' });
        if (deadlinePassed(delayMs + minPageTimeMs) || options.signal?.aborted) break;
        await sleep(delayMs);
        counts.retries += 1;
      }
      const deadlineMs = options.deadlineMs ?? deps.now() + pageBudgetMs;
      const result = await ingestRecords(pending, deps, { deadlineMs });
      const retry: ObjectCreated[] = [];
      lastRetryable = [];
      for (const outcome of result.outcomes) {
        if (outcome.status === 'failed' && (outcome.retryable || isBatchTaskLimitCode(outcome.code))) {
          const record = byKey.get(outcome.key);
          if (record !== undefined) retry.push(record);
          lastRetryable.push(outcome);
          continue;
        }
        counts[outcome.status] += 1;
        if (outcome.status === 'rejected') pageReported.push({ status: 'rejected', key: outcome.key ?? '', kind: outcome.kind, reason: outcome.reason });
        if (outcome.status === 'failed') pageReported.push({ status: 'failed', key: outcome.key, code: outcome.code, message: outcome.message, retryable: false });
      }
      pending = retry;
      const systemic = result.outcomes.find((o) => o.status === 'failed' && !o.retryable && !isBatchTaskLimitCode(o.code) && !isRecordScopedRefusalCode(o.code));
      if (systemic?.status === 'failed') {
        return { counts, reported: pageReported, pendingRetryable: 0, deadline: false, stop: { code: systemic.code, message: systemic.message, retryable: false } };
      }
      if (round >= maxRetries) break;
      // Past the deadline a retry cannot start: leave the page for the next run.
      if (pending.length > 0 && deadlinePassed(minPageTimeMs)) break;
    }

    for (const record of pageReported) report(record);
    if (pending.length > 0) {
      // The page is not fully submitted: nothing of it is counted (the next run lists and submits it again,
      // its ClientTokens making the repeats replays) and the checkpoint stays before it.
      const first = lastRetryable[0];
      const deadline = deadlinePassed(0) || lastRetryable.every((o) => o.status === 'failed' && o.code === 'DeadlineExceeded');
      return {
        counts,
        reported: pageReported,
        pendingRetryable: pending.length,
        deadline,
        ...(first?.status === 'failed' ? { error: { code: first.code, message: first.message, retryable: true } } : {}),
      };
    }
    counts.pages = 1;
    addTotals(run, counts);
    addTotals(overall, counts);
    return { counts, reported: pageReported, pendingRetryable: 0, deadline: false };
  }
}

/** What a summary keeps of the error that stopped a run: describeError (shared/nas/classify.ts) without `system`. */
export function describeBackfillError(error: unknown): { code: string; message: string; retryable: boolean } {
  const { code, message, retryable } = describeError(error);
  return { code, message, retryable };
}

// ---------------------------------------------------------------------------------------------------
// The listing client, configured the same way for the CLI and the reconcile function.

/** The region the listing signs with (shared/oss/endpoint.ts ossSigningRegion); a ConfigError when there is none. */
export function listingRegion(config: Pick<Config, 'region' | 'ossS3Endpoint'>): string {
  const region = ossSigningRegion(config);
  if (region !== undefined) return region;
  throw new ConfigError([{ field: 'FC_REGION', rule: 'is required (or ALIBABA_CLOUD_REGION_ID) to list OSS unless OSS_S3_ENDPOINT names the region' }]);
}

/**
 * The S3 client that lists the bucket. Endpoint: OSS_S3_ENDPOINT, else OSS's S3 endpoint of the region —
 * internal (VPC) when `internal` (the reconcile function, inside Alibaba Cloud), public otherwise (the CLI on
 * an operator's machine). Path-style addressing only for loopback endpoints (local S3 servers); OSS accepts
 * virtual-hosted style only.
 */
export function createListingClient(
  config: Pick<Config, 'region' | 'ossS3Endpoint'>,
  credentials: OssCredentials | OssCredentialsProvider,
  options: { readonly internal: boolean },
): S3Client {
  const region = listingRegion(config);
  const endpoint = config.ossS3Endpoint ?? ossS3Endpoint(region, options.internal);
  return createOssS3Client({ region, endpoint, credentials, forcePathStyle: isLoopbackOrigin(endpoint) });
}
