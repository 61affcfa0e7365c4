/**
 * The reconcile use case: on each timer tick, sweep the configured prefixes for objects modified since the
 * last complete sweep (minus a safety margin) and submit them through the backfill core — which submits them
 * exactly as events are submitted, so an object whose event did arrive is a ClientToken replay, not a second
 * import. A sweep that meets the function's deadline is resumed by the next tick from its checkpoint.
 *
 * Prefixes: CPFS_RECONCILE_PREFIXES, else every route prefix, else the SourceStoragePath prefix — narrowed to
 * SourceStoragePath (a route prefix `""` under SourceStoragePath `/data/` lists `data/` only) and without
 * prefixes that another one already covers.
 *
 * Every tick then runs verification with re-drive (shared/verify) over the last {@link VERIFY_WINDOW_MS}:
 * FAILED / EXPIRED sub-tasks (and Failed Import tasks) are re-driven exactly once each, objects deleted
 * from OSS are "gone", and each permanent failure is logged ONCE as a JSON line whose `event` is the
 * stable `permanent-failure` (key, destination, errorMsg) for an SLS alert (deploy/DEPLOY.md). The tick
 * also logs the lag to COMPLETE (p50 / p95 / max).
 */
import {
  backfill,
  checkpointMatches,
  initialCheckpoint,
  type BackfillSummary,
  type PageLister,
  type ReportedRecord,
} from '../../shared/backfill.js';
import { CONFIG_DEFAULTS, type Config } from '../../shared/config/load-config.js';
import { ConfigError } from '../../shared/errors.js';
import type { IngestDeps } from '../../shared/ingest/index.js';
import { sourceKeyPrefix } from '../../shared/planning/index.js';
import { verify, type ObjectReader, type VerifyReport } from '../../shared/verify/index.js';
import { STATE_PREFIX, type ReconcileState, type ReconcileStateStore } from './state.js';

export interface ReconcileDeps {
  readonly ingest: IngestDeps;
  readonly list: PageLister;
  readonly store: ReconcileStateStore;
  /** HeadObject on the bucket, for verification's changed / deleted check. */
  readonly objects?: ObjectReader | undefined;
}

/** What the tick's verification found (counts of objects in the verify window). */
export interface ReconcileVerification {
  readonly complete: number;
  readonly inProgress: number;
  readonly reDriven: number;
  readonly permanent: number;
  readonly gone: number;
  readonly failed: number;
  readonly canceled: number;
  /** Permanent failures logged for the first time by this tick. */
  readonly newlyPermanent: number;
  readonly lag?: VerifyReport['lag'];
  readonly ossCheck: VerifyReport['ossCheck'];
  readonly trouble?: VerifyReport['trouble'];
}

export interface ReconcileReport {
  readonly status: BackfillSummary['status'];
  readonly bucket: string;
  readonly prefixes: readonly string[];
  /** The sweep this run worked on. */
  readonly sweep: { readonly startedAt: string; readonly since: string; readonly resumed: boolean; readonly complete: boolean };
  /** The watermark after this run. */
  readonly watermark?: string;
  readonly run: BackfillSummary['run'];
  readonly overall: BackfillSummary['overall'];
  readonly pendingRetryable: number;
  /** The first rejected / failed records of this run. */
  readonly reported: readonly ReportedRecord[];
  readonly error?: BackfillSummary['error'];
  readonly verify: ReconcileVerification;
}

/** The window each tick verifies: the last 24 hours (as `cpfs-ingest verify` by default). */
export const VERIFY_WINDOW_MS = 24 * 3_600_000;
/** How many reported permanent failures the state remembers (each id ~40 bytes). */
export const MAX_ALERTED = 5_000;

/** How many rejected / failed records the report (the FC result, which has a size limit) carries. */
const REPORTED_IN_RESULT = 100;
/** Save the sweep's checkpoint at most this often (each save is a PutObject); the end state is always saved. */
const CHECKPOINT_INTERVAL_MS = 30_000;

/** The prefixes a sweep lists (see the module comment). */
export function reconcilePrefixes(config: Pick<Config, 'reconcilePrefixes' | 'routes' | 'sourceStoragePath'>): string[] {
  const root = sourceKeyPrefix(config.sourceStoragePath);
  const wanted = config.reconcilePrefixes ?? (config.routes.length > 0 ? config.routes.map((r) => r.prefix) : [root]);
  // A prefix that SourceStoragePath lies under (e.g. "") would list keys the data flow cannot see.
  const narrowed = [...new Set(wanted.map((prefix) => (root.startsWith(prefix) ? root : prefix)))].sort();
  return narrowed.filter((prefix, i) => !narrowed.some((other, j) => j !== i && other !== prefix && prefix.startsWith(other)));
}

/**
 * Runs one reconcile invocation: loads the state, resumes or starts a sweep, runs the backfill core until
 * done or the deadline, saves the state. Throws only when the state cannot be loaded or the configuration
 * lacks the bucket; everything else is in the report.
 */
export async function runReconcile(deps: ReconcileDeps, invocation: { readonly deadlineMs: number }): Promise<ReconcileReport> {
  const { config, now, logger } = deps.ingest;
  const bucket = config.bucket;
  if (bucket === undefined) throw new ConfigError([{ field: 'OSS_BUCKET', rule: 'is required by the reconcile function' }]);
  const prefixes = reconcilePrefixes(config);
  const marginMs = (config.reconcileSafetyMarginSeconds ?? CONFIG_DEFAULTS.reconcileSafetyMarginSeconds) * 1000;

  let state: ReconcileState = (await deps.store.load()) ?? { version: 1, bucket };
  if (state.bucket !== bucket) {
    logger.warn('reconcile.state.other-bucket', { stateBucket: state.bucket, bucket });
    state = { version: 1, bucket };
  }
  let sweep = state.sweep;
  if (sweep !== undefined && !checkpointMatches(sweep.checkpoint, bucket, prefixes, new Date(sweep.since))) {
    // The prefixes changed since the sweep began: start a new one (with the same `since`, so nothing is missed).
    logger.warn('reconcile.sweep.restarted', { reason: 'prefixes changed', previous: sweep.checkpoint.prefixes, prefixes });
    sweep = { startedAt: sweep.startedAt, since: sweep.since, checkpoint: initialCheckpoint(bucket, prefixes, new Date(sweep.since), new Date(now())) };
  }
  const resumed = sweep !== undefined;
  if (sweep === undefined) {
    const startedMs = now();
    // First run: no watermark yet. Look back one margin; older history is `cpfs-ingest backfill`'s job.
    const baseMs = state.watermark !== undefined ? Date.parse(state.watermark) : startedMs;
    const since = new Date(baseMs - marginMs);
    sweep = { startedAt: new Date(startedMs).toISOString(), since: since.toISOString(), checkpoint: initialCheckpoint(bucket, prefixes, since, new Date(startedMs)) };
  }
  const current = sweep;
  logger.info('reconcile.sweep', { resumed, startedAt: current.startedAt, since: current.since, prefixes });

  const summary = await backfill({
    bucket,
    ...(config.region !== undefined ? { region: config.region } : {}),
    prefixes,
    since: new Date(current.since),
    list: deps.list,
    deps: deps.ingest,
    deadlineMs: invocation.deadlineMs,
    checkpoint: {
      load: async () => current.checkpoint,
      save: async (checkpoint) => {
        current.checkpoint = checkpoint;
        await deps.store.save({ ...state, sweep: current });
      },
    },
    checkpointIntervalMs: CHECKPOINT_INTERVAL_MS,
    maxRetries: 2,
    exclude: (key) => key.startsWith(STATE_PREFIX),
  });

  const complete = summary.status === 'complete';
  const lastRun = {
    at: new Date(now()).toISOString(),
    status: summary.status,
    listed: summary.run.listed,
    submitted: summary.run.submitted,
    rejected: summary.run.rejected,
    failed: summary.run.failed,
  };
  const verification = await verifyTick(deps, invocation.deadlineMs, state.alerted ?? []);
  const { sweep: _previous, ...rest } = state;
  const withAlerts = { ...rest, alerted: verification.alerted };
  const next: ReconcileState = complete
    ? { ...withAlerts, watermark: current.startedAt, lastRun }
    : { ...withAlerts, sweep: { ...current, checkpoint: summary.checkpoint }, lastRun };
  await deps.store.save(next);

  const report: ReconcileReport = {
    status: summary.status,
    bucket,
    prefixes,
    sweep: { startedAt: current.startedAt, since: current.since, resumed, complete },
    ...(next.watermark !== undefined ? { watermark: next.watermark } : {}),
    run: summary.run,
    overall: summary.overall,
    pendingRetryable: summary.pendingRetryable,
    reported: summary.reported.slice(0, REPORTED_IN_RESULT),
    ...(summary.error !== undefined ? { error: summary.error } : {}),
    verify: verification.summary,
  };
  logger.info('reconcile.summary', { status: report.status, complete, ...report.run, pendingRetryable: report.pendingRetryable });
  return report;
}

/**
 * Runs verification with re-drive, logs each new permanent failure once and the tick's counts and lag.
 * Never throws: trouble is logged and reported (the next tick tries again).
 */
async function verifyTick(
  deps: ReconcileDeps,
  deadlineMs: number,
  alreadyAlerted: readonly string[],
): Promise<{ summary: ReconcileVerification; alerted: string[] }> {
  const { logger, now } = deps.ingest;
  const nowMs = now();
  const report = await verify({ ingest: deps.ingest, objects: deps.objects }, { window: { sinceMs: nowMs - VERIFY_WINDOW_MS, untilMs: nowMs }, redrive: true, deadlineMs });
  const seen = new Set(alreadyAlerted);
  const alerted = [...alreadyAlerted];
  let newlyPermanent = 0;
  for (const o of report.objects) {
    if (o.state !== 'permanent' || seen.has(o.id)) continue;
    // The stable line an SLS alert matches (deploy/DEPLOY.md): event "permanent-failure".
    logger.error('permanent-failure', { key: o.key, destination: o.destination, errorMsg: o.errorMsg ?? '', status: o.status, attempts: o.attempt, id: o.id, mode: o.mode });
    seen.add(o.id);
    alerted.push(o.id);
    newlyPermanent += 1;
  }
  const c = report.counts;
  const summary: ReconcileVerification = {
    complete: c.complete,
    inProgress: c['in-progress'],
    reDriven: c['re-driven'],
    permanent: c.permanent,
    gone: c.gone,
    failed: c.failed,
    canceled: c.canceled,
    newlyPermanent,
    ...(report.lag !== undefined ? { lag: report.lag } : {}),
    ossCheck: report.ossCheck,
    ...(report.trouble !== undefined ? { trouble: report.trouble } : {}),
  };
  if (report.trouble !== undefined) logger.warn('reconcile.verify.trouble', { code: report.trouble.code, message: report.trouble.message, retryable: report.trouble.retryable });
  logger.info('reconcile.verify', { ...summary, calls: report.calls });
  return { summary, alerted: alerted.slice(-MAX_ALERTED) };
}
