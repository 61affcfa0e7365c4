/**
 * Client-side rate limiting per NAS operation, so that bursts of OSS events turn into a steady stream
 * of calls just under the account's API quotas instead of a throttling storm.
 *
 * Quotas are per region, per API, per account — shared by every function instance. This limiter only
 * sees its own process: with N instances running at once, give each `limit / N` (option `rateLimits`).
 */
import { DeadlineExceededError } from '../errors.js';
import { abortReason, defaultSleep } from './retry.js';
import type { OperationName } from './types.js';

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
 * The NAS API quotas (REFERENCE §1, "Quotas"). The ONE table of them: the client derives its defaults
 * from it and the emulator enforces it.
 */
export const DOCUMENTED_QUOTAS: Readonly<Record<OperationName, DocumentedQuota>> = Object.freeze({
  CreateDataFlowTask: { limit: 120, intervalMs: 60_000, verified: true, note: 'REFERENCE §1: 120 per 60 s' },
  CreateDataFlowSubTask: { limit: 100, intervalMs: 1_000, verified: true, note: 'REFERENCE §1: 100 per s' },
  DescribeDataFlowSubTasks: { limit: 100, intervalMs: 1_000, verified: true, note: 'REFERENCE §1: 100 per s' },
  DescribeDataFlowTasks: { limit: 120, intervalMs: 60_000, verified: true, note: 'REFERENCE §1: 120 per 60 s' },
  CancelDataFlowTask: { limit: 120, intervalMs: 60_000, verified: true, note: 'REFERENCE §1: 120 per 60 s' },
  // UNVERIFIED: no published quota for DescribeDataFlows was found. It is called rarely (start-up,
  // doctor, status), so a deliberately low figure — half the other Describe calls — costs nothing and
  // cannot cause throttling if the real quota is as low as the Create* ones.
  DescribeDataFlows: {
    limit: 60,
    intervalMs: 60_000,
    verified: false,
    note: 'UNVERIFIED: no documented quota; conservative assumption of 60 per 60 s',
  },
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
export function defaultRateLimits(fraction: number = CLIENT_QUOTA_FRACTION): Record<OperationName, RateLimit> {
  const limits = {} as Record<OperationName, RateLimit>;
  for (const [op, quota] of Object.entries(DOCUMENTED_QUOTAS) as [OperationName, DocumentedQuota][]) {
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

export interface AcquireOptions {
  /** Fail at once with DeadlineExceededError if this caller's turn could not come before it. */
  readonly deadlineMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface RateLimiterOptions {
  /** Limits per operation; operations not listed are not limited. */
  readonly limits: Partial<Record<OperationName, RateLimit>>;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly detach: () => void;
}

interface Bucket {
  readonly capacity: number;
  readonly refillPerMs: number;
  tokens: number;
  refilledAtMs: number;
  readonly queue: Waiter[];
  pumping: boolean;
}

/** Token buckets per operation with a FIFO queue of waiters: first come, first served. */
export class RateLimiter {
  private readonly buckets = new Map<OperationName, Bucket>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: RateLimiterOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => defaultSleep(ms));
    const start = this.now();
    for (const [op, limit] of Object.entries(options.limits) as [OperationName, RateLimit | undefined][]) {
      if (!limit) continue;
      const { capacity, refillPerMs } = bucketParameters(limit);
      this.buckets.set(op, { capacity, refillPerMs, tokens: capacity, refilledAtMs: start, queue: [], pumping: false });
    }
  }

  /** Waits for this operation's next token, in arrival order. Resolves at once for unlimited operations. */
  acquire(operation: OperationName, options: AcquireOptions = {}): Promise<void> {
    const bucket = this.buckets.get(operation);
    if (!bucket) return Promise.resolve();
    if (options.signal?.aborted) return Promise.reject(abortReason(options.signal));
    this.refill(bucket);
    if (bucket.queue.length === 0 && bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return Promise.resolve();
    }
    // FIFO: this caller is served after everyone already queued, so its turn is predictable.
    const tokensNeeded = bucket.queue.length + 1 - bucket.tokens;
    const turnAtMs = this.now() + Math.max(0, tokensNeeded) / bucket.refillPerMs;
    if (options.deadlineMs !== undefined && turnAtMs >= options.deadlineMs) {
      return Promise.reject(
        new DeadlineExceededError(`rate limit of ${operation}: no call slot before the deadline`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const signal = options.signal;
      const onAbort = () => {
        const index = bucket.queue.indexOf(waiter);
        if (index >= 0) bucket.queue.splice(index, 1);
        reject(abortReason(signal));
      };
      const waiter: Waiter = {
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      bucket.queue.push(waiter);
      void this.pump(bucket);
    });
  }

  /** Tokens available now for an operation (Infinity when unlimited). For tests and metrics. */
  available(operation: OperationName): number {
    const bucket = this.buckets.get(operation);
    if (!bucket) return Number.POSITIVE_INFINITY;
    this.refill(bucket);
    return bucket.tokens;
  }

  private refill(bucket: Bucket): void {
    const now = this.now();
    const elapsed = Math.max(0, now - bucket.refilledAtMs);
    bucket.tokens = Math.min(bucket.capacity, bucket.tokens + elapsed * bucket.refillPerMs);
    bucket.refilledAtMs = now;
  }

  private async pump(bucket: Bucket): Promise<void> {
    if (bucket.pumping) return;
    bucket.pumping = true;
    try {
      while (bucket.queue.length > 0) {
        this.refill(bucket);
        if (bucket.tokens >= 1) {
          bucket.tokens -= 1;
          const waiter = bucket.queue.shift();
          waiter?.detach();
          waiter?.resolve();
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

/** Builds the limiter for the given per-operation limits (see `defaultRateLimits`). */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  return new RateLimiter(options);
}
