/**
 * The pure half of verification: service time strings, the order of an object's attempts, what an
 * object's attempts say about it, re-drive ClientTokens, the time window and lag statistics. No I/O, no
 * clock: shared/verify/verify.ts reads the service and acts on what these functions decide.
 *
 * ## Objects and attempts
 * A stream-mode object is a (SrcFilePath, DstFilePath) pair of the data flow; each sub-task with that pair
 * is one attempt. A batch-mode object is one EntryList element of an Import task; the tasks with the same
 * (EntryList, Directory, DstDirectory, ConflictPolicy) — the original and its re-drives — are its attempts.
 *
 * ## Attempts are counted per version
 * The attempts of one version of an object are the FAILED / EXPIRED ones after its last COMPLETE (a new
 * version of the key, once imported, starts a fresh count). The latest attempt decides the state; the
 * count of trailing failures decides between re-drive and "permanently failed" ({@link MAX_ATTEMPTS}).
 *
 * ## Which attempt is the latest (UNVERIFIED)
 * The docs give no order for DescribeDataFlowSubTasks. Attempts are ordered by CreateTime (second
 * precision) and, within one second, by the order the listing returned them (the emulator lists in
 * creation order; whether the service does is UNVERIFIED). Decided here, nowhere else.
 */
import { createHash } from 'node:crypto';
import type { SubTaskStatus } from '../nas/wire.js';

/** Attempts per object version (the first submission included) before it is permanently failed. */
export const MAX_ATTEMPTS = 3;

/**
 * The largest offset of any time zone from UTC (UTC+14, Line Islands; UTC−12 the other way, 14 h bounds
 * both). Service time strings carry no zone, so a window on them is widened by this much on each side.
 */
export const MAX_ZONE_OFFSET_MS = 14 * 3_600_000;

/** The states verification reports. */
export const OBJECT_STATES = ['complete', 'in-progress', 'failed', 're-driven', 'permanent', 'gone', 'canceled'] as const;
export type ObjectState = (typeof OBJECT_STATES)[number];

/**
 * A service time (`2024-07-01 19:59:29`) in ms since the epoch, and whether the text named its zone.
 *
 * UNVERIFIED (decided here): a text without a zone is read as **UTC** (the emulator writes UTC,
 * emulator/clock.ts). Callers never trust that reading to better than ±{@link MAX_ZONE_OFFSET_MS}: a
 * window compares zone-less times against bounds widened by it ({@link inWindow}).
 * @returns undefined when the text is not a time
 */
export function parseServiceTime(text: string | undefined): { readonly ms: number; readonly zoned: boolean } | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})?$/.exec(trimmed);
  if (!match) return undefined;
  const zone = match[3];
  const ms = Date.parse(`${match[1]}T${match[2]}${zone ?? 'Z'}`);
  return Number.isNaN(ms) ? undefined : { ms, zoned: zone !== undefined };
}

/** The filter value DescribeDataFlowTasks' time filters take (the service's own format, read as UTC). */
export function formatServiceTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
}

/** The window verification looks at: [sinceMs, untilMs]. */
export interface TimeWindow {
  readonly sinceMs: number;
  readonly untilMs: number;
}

/**
 * Whether a service time lies in the window: exactly when the text named its zone, else within the
 * window widened by {@link MAX_ZONE_OFFSET_MS} on both sides (so no zone reading can drop an object: the
 * price is up to 14 h more history on each side). A time that cannot be read counts as inside.
 */
export function inWindow(text: string | undefined, window: TimeWindow): boolean {
  const time = parseServiceTime(text);
  if (time === undefined) return true;
  const slack = time.zoned ? 0 : MAX_ZONE_OFFSET_MS;
  return time.ms >= window.sinceMs - slack && time.ms <= window.untilMs + slack;
}

/** What classification needs of one sub-task (a subset of the wire's DataFlowSubTask). */
export interface SubTaskAttempt {
  readonly DataFlowSubTaskId: string;
  readonly DataFlowTaskId?: string | undefined;
  readonly SrcFilePath?: string | undefined;
  readonly DstFilePath?: string | undefined;
  readonly Status: string;
  readonly ErrorMsg?: string | undefined;
  readonly CreateTime?: string | undefined;
  readonly EndTime?: string | undefined;
  readonly FileDetail?: { readonly ModifyTime?: number | undefined; readonly Size?: number | undefined } | undefined;
}

const FAILED_STATUSES: ReadonlySet<string> = new Set<SubTaskStatus>(['FAILED', 'EXPIRED']);
const CANCELED_STATUSES: ReadonlySet<string> = new Set<SubTaskStatus>(['CANCELING', 'CANCELED']);

/** Statuses whose latest attempt makes `status --key` exit non-zero. */
export const UNSUCCESSFUL_SUB_TASK_STATUSES: ReadonlySet<string> = new Set<SubTaskStatus>(['FAILED', 'EXPIRED', 'CANCELED']);

/** Groups sub-tasks by object (SrcFilePath, DstFilePath), each group in attempt order (see the module comment). */
export function groupAttempts<T extends SubTaskAttempt>(subTasks: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, Array<{ sub: T; order: number }>>();
  subTasks.forEach((sub, order) => {
    const key = JSON.stringify([sub.SrcFilePath ?? '', sub.DstFilePath ?? '']);
    const list = groups.get(key) ?? [];
    list.push({ sub, order });
    groups.set(key, list);
  });
  const out = new Map<string, T[]>();
  for (const [key, list] of groups) out.set(key, sortAttempts(list));
  return out;
}

function sortAttempts<T extends SubTaskAttempt>(list: Array<{ sub: T; order: number }>): T[] {
  return list
    .slice()
    .sort((a, b) => {
      const ta = parseServiceTime(a.sub.CreateTime)?.ms ?? Number.NEGATIVE_INFINITY;
      const tb = parseServiceTime(b.sub.CreateTime)?.ms ?? Number.NEGATIVE_INFINITY;
      return ta !== tb ? ta - tb : a.order - b.order;
    })
    .map((x) => x.sub);
}

/** The latest of an object's attempts (listing order breaks CreateTime ties). */
export function latestAttempt<T extends SubTaskAttempt>(attempts: readonly T[]): T | undefined {
  return sortAttempts(attempts.map((sub, order) => ({ sub, order }))).at(-1);
}

/** What an object's attempts say, before any re-drive or OSS look-up. */
export type AttemptVerdict =
  | { readonly kind: 'complete'; readonly attempt: number }
  | { readonly kind: 'in-progress'; readonly attempt: number }
  | { readonly kind: 'canceled'; readonly attempt: number }
  /** Latest attempt FAILED/EXPIRED and fewer than MAX_ATTEMPTS failures for this version: re-drive it. */
  | { readonly kind: 'redrive'; readonly attempt: number }
  /** MAX_ATTEMPTS failures for this version. */
  | { readonly kind: 'permanent'; readonly attempt: number };

/**
 * Classifies an object from its attempts' statuses, oldest first. `attempt` is the number of the latest
 * attempt within the current version (1 = the first submission).
 */
export function classifyAttempts(statuses: readonly string[]): AttemptVerdict {
  const lastComplete = statuses.lastIndexOf('COMPLETE');
  const latest = statuses.at(-1);
  // The attempts of the current version: after the last COMPLETE, or the COMPLETE itself when it is latest.
  const sinceVersion = lastComplete === statuses.length - 1 ? 1 : statuses.length - 1 - lastComplete;
  if (latest === undefined) return { kind: 'in-progress', attempt: 0 };
  if (latest === 'COMPLETE') return { kind: 'complete', attempt: countSinceBoundary(statuses.slice(0, -1)) + 1 };
  if (CANCELED_STATUSES.has(latest)) return { kind: 'canceled', attempt: sinceVersion };
  if (FAILED_STATUSES.has(latest)) {
    let failures = 0;
    for (let i = statuses.length - 1; i > lastComplete && FAILED_STATUSES.has(statuses[i] as string); i -= 1) failures += 1;
    return failures >= MAX_ATTEMPTS ? { kind: 'permanent', attempt: failures } : { kind: 'redrive', attempt: failures };
  }
  // CREATED / RUNNING, or a status this code does not know: still on its way.
  return { kind: 'in-progress', attempt: sinceVersion };
}

/** Failed attempts at the end of `statuses` (those before a COMPLETE of the same version). */
function countSinceBoundary(statuses: readonly string[]): number {
  let n = 0;
  for (let i = statuses.length - 1; i >= 0 && FAILED_STATUSES.has(statuses[i] as string); i -= 1) n += 1;
  return n;
}

/**
 * ClientToken of the sub-task that re-drives failed sub-task `failedSubTaskId` (`cpfs-rd-…`). Derived
 * from the failed sub-task's id alone, so every verify run — repeated or concurrent, whatever streaming
 * task it found — sends the same token for the same failure and the service creates at most one re-drive
 * (a second run with other parameters gets IdempotentParameterMismatch, which means "already re-driven").
 */
export function redriveSubTaskToken(fileSystemId: string, dataFlowId: string, failedSubTaskId: string): string {
  return deriveToken('cpfs-rd-', ['redrive-sub', fileSystemId, dataFlowId, failedSubTaskId]);
}

/** ClientToken of the Import task that re-drives failed Import task `failedTaskId` (`cpfs-rdi-…`). */
export function redriveImportToken(fileSystemId: string, dataFlowId: string, failedTaskId: string): string {
  return deriveToken('cpfs-rdi-', ['redrive-import', fileSystemId, dataFlowId, failedTaskId]);
}

function deriveToken(prefix: string, fields: readonly string[]): string {
  return `${prefix}${createHash('sha256').update(JSON.stringify(['v1', ...fields]), 'utf8').digest('hex').slice(0, 48)}`;
}

/** p50 / p95 / max of a list of durations (nearest-rank percentiles); undefined when empty. */
export interface LagStats {
  readonly count: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

export function lagStats(durationsMs: readonly number[]): LagStats | undefined {
  if (durationsMs.length === 0) return undefined;
  const sorted = durationsMs.slice().sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
  return { count: sorted.length, p50Ms: rank(0.5), p95Ms: rank(0.95), maxMs: sorted[sorted.length - 1] as number };
}

/**
 * Lag of one completed object: from its version's modification time (FileDetail.ModifyTime, ns — the
 * object's LastModified as the service saw it) or, when the answer has none, from its first attempt's
 * CreateTime, to the COMPLETE attempt's EndTime. Undefined when the end time is missing.
 *
 * Service time strings are read as UTC (see {@link parseServiceTime}); if the service writes local
 * time, lags measured from ModifyTime are off by the zone offset — a result more than 1 s negative (EndTime
 * has whole seconds) is therefore not trusted and the CreateTime basis (same clock as EndTime) is used instead.
 */
export function objectLag(
  attempts: readonly SubTaskAttempt[],
): { readonly ms: number; readonly basis: 'modify-time' | 'create-time' } | undefined {
  const done = attempts.at(-1);
  if (done === undefined || done.Status !== 'COMPLETE') return undefined;
  const end = parseServiceTime(done.EndTime);
  if (end === undefined) return undefined;
  const modifyNs = done.FileDetail?.ModifyTime;
  if (modifyNs !== undefined && modifyNs > 0) {
    const ms = end.ms - Math.floor(modifyNs / 1e6);
    // EndTime is whole seconds: up to 1 s below the modification time is rounding, not a zone error.
    if (ms >= -1000) return { ms: Math.max(0, ms), basis: 'modify-time' };
  }
  // The first attempt of this version: after the previous COMPLETE.
  const statuses = attempts.map((a) => a.Status);
  const previousComplete = statuses.slice(0, -1).lastIndexOf('COMPLETE');
  const first = attempts[previousComplete + 1];
  const start = parseServiceTime(first?.CreateTime);
  if (start === undefined) return undefined;
  return { ms: Math.max(0, end.ms - start.ms), basis: 'create-time' };
}
