/**
 * Client-side rate limiting per NAS operation, so that bursts of OSS events turn into a steady stream
 * of calls just under the account's API quotas instead of a throttling storm.
 *
 * Quotas are per region, per API, per account — shared by every function instance. This limiter only
 * sees its own process, so its rate is adaptive (AIMD, see `ADAPTIVE_RATE`): a Throttling answer cuts
 * the operation's rate, successes raise it back towards the configured limit, never above. Instances
 * sharing a quota thereby settle near their share of it without knowing of each other; giving each
 * `limit / N` (option `rateLimits`) remains the way to avoid throttling altogether.
 */
import { DeadlineExceededError, ValidationError } from '../errors.js';
import { abortReason, defaultSleep } from './retry.js';
import type { NasOperationName } from './types.js';

/** A number of calls allowed per interval. */
export interface Quota {
  readonly limit: number;
  readonly intervalMs: number;
}

/** A documented quota, with where it comes from. */
export interface DocumentedQuota extends Quota {
  /** False when the figure is our own assumption (see `note`). */
  readonly verified: boolean;
  readonly note: string;
}

/**
 * The NAS API quotas (docs/platform.md §1, "Quotas": the LINGJUN quota page, per region, per API, per
 * parent account). The ONE table of them: the client derives its defaults from it; the emulator keeps an
 * independent copy on purpose, and a test compares the two. All seven documented operations are here.
 */
export const DOCUMENTED_QUOTAS: Readonly<Record<NasOperationName, DocumentedQuota>> = Object.freeze({
  CreateDataFlowTask: { limit: 120, intervalMs: 60_000, verified: true, note: 'docs/platform.md §1: 120 per 60 s' },
  CreateDataFlowSubTask: { limit: 100, intervalMs: 1_000, verified: true, note: 'docs/platform.md §1: 100 per s' },
  DescribeDataFlowSubTasks: { limit: 100, intervalMs: 1_000, verified: true, note: 'docs/platform.md §1: 100 per s' },
  CancelDataFlowSubTask: { limit: 100, intervalMs: 1_000, verified: true, note: 'docs/platform.md §1: 100 per s' },
  DescribeDataFlowTasks: { limit: 120, intervalMs: 60_000, verified: true, note: 'docs/platform.md §1: 120 per 60 s' },
  CancelDataFlowTask: { limit: 120, intervalMs: 60_000, verified: true, note: 'docs/platform.md §1: 120 per 60 s' },
  DescribeDataFlows: { limit: 120, intervalMs: 60_000, verified: true, note: 'docs/platform.md §1: 120 per 60 s' },
});

/**
 * Share of each documented quota the client allows itself by default. 0.97 keeps 3 % head-room for
 * the emulator's/server's window boundaries while leaving CreateDataFlowSubTask ≈ 93 calls/s
 * sustained (the benchmark target is ≥ 90 % of 100/s without throttling).
 */
export const CLIENT_QUOTA_FRACTION = 0.97;

/** Share of the effective limit that may be spent at once (the bucket's capacity). */
export const BURST_FRACTION = 0.05;

/** A client-side limit: at most `limit` calls in ANY window of `intervalMs` (burst included). */
export interface RateLimit extends Quota {
  /** Bucket capacity: calls that may go out back-to-back. Default: 5 % of `limit`, at least 1. */
  readonly burst?: number;
}

/** The client's default limits: `fraction` of each documented quota, rounded down. */
export function defaultRateLimits(fraction: number = CLIENT_QUOTA_FRACTION): Record<NasOperationName, RateLimit> {
  const limits = {} as Record<NasOperationName, RateLimit>;
  for (const [op, quota] of Object.entries(DOCUMENTED_QUOTAS) as [NasOperationName, DocumentedQuota][]) {
    limits[op] = { limit: Math.max(1, Math.floor(quota.limit * fraction)), intervalMs: quota.intervalMs };
  }
  return limits;
}

/**
 * Token-bucket parameters that keep any window of `intervalMs` at or under `limit` calls: a bucket
 * of `burst` tokens refilled at (limit − burst) / intervalMs spends at most burst + (limit − burst)
 * = limit tokens in any window. (A bucket holding `limit` tokens refilled at limit/interval would
 * allow twice the quota in the worst window.)
 */
export function bucketParameters(rateLimit: RateLimit): { capacity: number; refillPerMs: number } {
  const { limit, intervalMs } = rateLimit;
  if (!(limit >= 1) || !(intervalMs > 0)) throw new RangeError('rate limit needs limit ≥ 1 and intervalMs > 0');
  const defaultBurst = limit >= 2 ? Math.min(limit - 1, Math.max(1, Math.floor(limit * BURST_FRACTION))) : 1;
  const capacity = Math.max(1, Math.min(limit, Math.floor(rateLimit.burst ?? defaultBurst)));
  // With limit 1 the refill cannot be 0; the worst window then holds 2 calls.
  return { capacity, refillPerMs: Math.max(1, limit - capacity) / intervalMs };
}

/**
 * How a bucket's refill rate adapts to the server's answers: additive increase, multiplicative decrease
 * (AIMD) — the scheme TCP uses so that senders who cannot see each other share a link fairly.
 */
export interface AdaptiveRate {
  /** Multiplies the rate on a Throttling answer (0 < factor < 1). */
  readonly decreaseFactor: number;
  /** Lowest rate, as a share of the configured refill rate (0 < floor ≤ 1). */
  readonly floorFraction: number;
  /**
   * Share of the configured refill rate regained per interval of successful calls at the current rate:
   * each success adds `increaseFraction · max / current` calls per interval (times the climb multiplier).
   */
  readonly increaseFraction: number;
  /**
   * Cap of the climb multiplier: the increase is multiplied by the number of whole intervals since the
   * latest cut (at least 1, at most this). 1 makes the climb strictly linear.
   */
  readonly maxClimbMultiplier: number;
}

/**
 * The default adaptation, tuned with `npm run bench` (3 instances sharing the 100/s quota).
 * - **Decrease ×0.7, at most once per interval.** A throttle means the account-wide quota is full right
 *   now; the other instances are throttled and cut too, so a moderate cut each is enough (3 instances at
 *   93/s are under 100/s after three; ×0.5 halved the bench's throttles but cost ~10 % of the quota). The
 *   quota counts calls over one interval, so a cut shows in the server's count only an interval later:
 *   throttles of calls sent within one interval of the latest cut echo the old rate and are ignored.
 *   Counting them (one cut per throttle of a call sent after the latest cut) took every instance of the
 *   bench to ~5–8/s within its first second; the climb back cost ~20 % of the quota.
 * - **Floor 5 % of the configured rate** (≈ 4.7/s for CreateDataFlowSubTask): low enough for ~20
 *   instances to share a quota, high enough that a lone survivor is back at full rate within seconds.
 * - **Increase per success, not per clock second:** each success adds `0.05 · max / current`, so a
 *   bucket that spends its rate regains 5 % of the configured rate per interval (≈ +4.7/s per second)
 *   whatever its current rate — a linear climb, like TCP's congestion avoidance. A fixed step per success
 *   (e.g. +1 % of the limit) grows in proportion to the rate (exponentially: +93/s per second at full
 *   rate), so instances near their shares overrun the quota again within a fraction of a second; a step
 *   per clock second also raises the rate of an instance that is not using it.
 * - **The climb speeds up the longer no throttle came** (×2 after two quiet intervals, ×3 after three, …,
 *   ×10 at most): near the fair share, where throttles come every few seconds, the climb stays gentle;
 *   an instance whose neighbours have finished is back at its limit in ~3–5 s instead of ~13 s (FC
 *   instances rarely finish together; in the bench, that tail decides most of the aggregate rate).
 */
export const ADAPTIVE_RATE: AdaptiveRate = Object.freeze({
  decreaseFactor: 0.7,
  floorFraction: 0.05,
  increaseFraction: 0.05,
  maxClimbMultiplier: 10,
});

export interface AcquireOptions {
  /** Fail with DeadlineExceededError as soon as this caller's turn could not come before it. */
  readonly deadlineMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface RateLimiterOptions {
  /** Limits per operation; operations not listed are not limited. */
  readonly limits: Partial<Record<NasOperationName, RateLimit>>;
  /** Rate adaptation to Throttling answers (default `ADAPTIVE_RATE`); `false` keeps every rate fixed. */
  readonly adaptive?: Partial<AdaptiveRate> | false;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Waiter {
  readonly deadlineMs: number | undefined;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly detach: () => void;
}

interface Bucket {
  readonly capacity: number;
  /** The configured refill rate; the adaptive rate never exceeds it, so no window exceeds the limit. */
  readonly maxRefillPerMs: number;
  readonly floorRefillPerMs: number;
  readonly intervalMs: number;
  /** The current refill rate: floorRefillPerMs ≤ refillPerMs ≤ maxRefillPerMs. */
  refillPerMs: number;
  /** When the rate was last cut (−∞: never). */
  decreasedAtMs: number;
  tokens: number;
  refilledAtMs: number;
  readonly queue: Waiter[];
  pumping: boolean;
}

/**
 * Token buckets per operation with a FIFO queue of waiters: first come, first served. With adaptation
 * on (the default), `onThrottled` / `onSucceeded` move each bucket's refill rate between a floor and
 * the configured rate; the capacity stays fixed, so any window of the interval still holds at most
 * `limit` calls.
 */
export class RateLimiter {
  private readonly buckets = new Map<NasOperationName, Bucket>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly adaptive: AdaptiveRate | undefined;

  constructor(options: RateLimiterOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => defaultSleep(ms));
    this.adaptive = options.adaptive === false ? undefined : validAdaptiveRate({ ...ADAPTIVE_RATE, ...options.adaptive });
    const floorFraction = this.adaptive?.floorFraction ?? 1;
    const start = this.now();
    for (const [op, limit] of Object.entries(options.limits) as [NasOperationName, RateLimit | undefined][]) {
      if (!limit) continue;
      const { capacity, refillPerMs } = bucketParameters(limit);
      this.buckets.set(op, {
        capacity,
        maxRefillPerMs: refillPerMs,
        floorRefillPerMs: refillPerMs * floorFraction,
        intervalMs: limit.intervalMs,
        refillPerMs,
        decreasedAtMs: Number.NEGATIVE_INFINITY,
        tokens: capacity,
        refilledAtMs: start,
        queue: [],
        pumping: false,
      });
    }
  }

  /** Waits for this operation's next token, in arrival order. Resolves at once for unlimited operations. */
  acquire(operation: NasOperationName, options: AcquireOptions = {}): Promise<void> {
    const bucket = this.buckets.get(operation);
    if (!bucket) return Promise.resolve();
    if (options.signal?.aborted) return Promise.reject(abortReason(options.signal));
    this.refill(bucket);
    if (bucket.queue.length === 0 && bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return Promise.resolve();
    }
    // FIFO: this caller is served after everyone already queued, so its turn is predictable (until a
    // throttle cuts the rate: `expireLateWaiters` then checks again).
    if (options.deadlineMs !== undefined && this.turnAtMs(bucket, bucket.queue.length) >= options.deadlineMs) {
      return Promise.reject(noSlotError(operation));
    }
    return new Promise<void>((resolve, reject) => {
      const signal = options.signal;
      const onAbort = () => {
        const index = bucket.queue.indexOf(waiter);
        if (index >= 0) bucket.queue.splice(index, 1);
        reject(abortReason(signal));
      };
      const waiter: Waiter = {
        deadlineMs: options.deadlineMs,
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      bucket.queue.push(waiter);
      void this.pump(bucket, operation);
    });
  }

  /**
   * Tells the limiter that a call of `operation`, sent at `sentAtMs` (default: now), was answered with
   * a Throttling code. Unless the call went out within one interval of the latest cut (see
   * `ADAPTIVE_RATE`), the rate is multiplied by `decreaseFactor` (not below the floor), the saved burst
   * is dropped — the quota is full right now, spending it would only meet more throttles — and queued
   * callers whose turn now comes too late for their deadline fail with DeadlineExceededError.
   */
  onThrottled(operation: NasOperationName, sentAtMs: number = this.now()): void {
    const bucket = this.buckets.get(operation);
    if (!bucket || !this.adaptive || sentAtMs < bucket.decreasedAtMs + bucket.intervalMs) return;
    this.refill(bucket); // tokens earned until now were earned at the old rate
    bucket.refillPerMs = Math.max(bucket.floorRefillPerMs, bucket.refillPerMs * this.adaptive.decreaseFactor);
    bucket.tokens = Math.min(bucket.tokens, 0);
    bucket.decreasedAtMs = this.now();
    this.expireLateWaiters(bucket, operation);
  }

  /** Tells the limiter that the quota admitted a call of `operation`: its rate climbs towards the limit. */
  onSucceeded(operation: NasOperationName): void {
    const bucket = this.buckets.get(operation);
    if (!bucket || !this.adaptive || bucket.refillPerMs >= bucket.maxRefillPerMs) return;
    this.refill(bucket); // tokens earned until now were earned at the old rate
    const { increaseFraction, maxClimbMultiplier } = this.adaptive;
    const current = bucket.refillPerMs * bucket.intervalMs; // calls per interval
    const quietIntervals = Math.floor((this.now() - bucket.decreasedAtMs) / bucket.intervalMs);
    const multiplier = Math.min(maxClimbMultiplier, Math.max(1, quietIntervals));
    // + increaseFraction · max / current calls per interval: `current` successes add increaseFraction · max.
    const step = ((increaseFraction * bucket.maxRefillPerMs) / current) * multiplier;
    bucket.refillPerMs = Math.min(bucket.maxRefillPerMs, bucket.refillPerMs + step);
  }

  /**
   * An operation's current refill rate and its configured one, in calls per its interval (both
   * Infinity when unlimited). For tests and metrics.
   */
  rate(operation: NasOperationName): { current: number; max: number } {
    const bucket = this.buckets.get(operation);
    if (!bucket) return { current: Number.POSITIVE_INFINITY, max: Number.POSITIVE_INFINITY };
    return { current: bucket.refillPerMs * bucket.intervalMs, max: bucket.maxRefillPerMs * bucket.intervalMs };
  }

  /** Tokens available now for an operation (Infinity when unlimited). For tests and metrics. */
  available(operation: NasOperationName): number {
    const bucket = this.buckets.get(operation);
    if (!bucket) return Number.POSITIVE_INFINITY;
    this.refill(bucket);
    return bucket.tokens;
  }

  /** When the caller at queue position `position` (0: first) gets its token at the current rate. */
  private turnAtMs(bucket: Bucket, position: number): number {
    const tokensNeeded = position + 1 - bucket.tokens;
    return this.now() + Math.max(0, tokensNeeded) / bucket.refillPerMs;
  }

  /** Fails the queued callers whose turn, at the current rate, comes at or after their deadline. */
  private expireLateWaiters(bucket: Bucket, operation: NasOperationName): void {
    let position = 0;
    for (const waiter of [...bucket.queue]) {
      if (waiter.deadlineMs === undefined || this.turnAtMs(bucket, position) < waiter.deadlineMs) {
        position++;
        continue;
      }
      bucket.queue.splice(position, 1);
      waiter.detach();
      waiter.reject(noSlotError(operation));
    }
  }

  private refill(bucket: Bucket): void {
    const now = this.now();
    const elapsed = Math.max(0, now - bucket.refilledAtMs);
    bucket.tokens = Math.min(bucket.capacity, bucket.tokens + elapsed * bucket.refillPerMs);
    bucket.refilledAtMs = now;
  }

  private async pump(bucket: Bucket, operation: NasOperationName): Promise<void> {
    if (bucket.pumping) return;
    bucket.pumping = true;
    try {
      while (bucket.queue.length > 0) {
        this.refill(bucket);
        if (bucket.tokens >= 1) {
          const waiter = bucket.queue.shift();
          if (!waiter) continue;
          waiter.detach();
          // Its turn came too late after all (whole-millisecond sleeps): no token spent on a call
          // that could not start before its deadline.
          if (waiter.deadlineMs !== undefined && this.now() >= waiter.deadlineMs) {
            waiter.reject(noSlotError(operation));
            continue;
          }
          bucket.tokens -= 1;
          waiter.resolve();
          continue;
        }
        // Whole milliseconds, at least 1, so the loop never spins on a fraction of a token.
        const waitMs = Math.max(1, Math.ceil((1 - bucket.tokens) / bucket.refillPerMs));
        await this.sleep(waitMs);
      }
    } finally {
      bucket.pumping = false;
    }
  }
}

function noSlotError(operation: NasOperationName): DeadlineExceededError {
  return new DeadlineExceededError(`rate limit of ${operation}: no call slot before the deadline`);
}

function validAdaptiveRate(rate: AdaptiveRate): AdaptiveRate {
  const { decreaseFactor, floorFraction, increaseFraction, maxClimbMultiplier } = rate;
  if (!(decreaseFactor > 0 && decreaseFactor < 1)) throw new ValidationError('adaptive.decreaseFactor', 'must be > 0 and < 1');
  if (!(floorFraction > 0 && floorFraction <= 1)) throw new ValidationError('adaptive.floorFraction', 'must be > 0 and ≤ 1');
  if (!(increaseFraction > 0 && Number.isFinite(increaseFraction))) {
    throw new ValidationError('adaptive.increaseFraction', 'must be a finite number > 0');
  }
  if (!(maxClimbMultiplier >= 1 && Number.isFinite(maxClimbMultiplier))) {
    throw new ValidationError('adaptive.maxClimbMultiplier', 'must be a finite number ≥ 1');
  }
  return rate;
}

/** Builds the limiter for the given per-operation limits (see `defaultRateLimits`). */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  return new RateLimiter(options);
}
