/**
 * Bounded retries with exponential backoff and full jitter (each delay is uniform in
 * [0, min(maxDelayMs, baseDelayMs · 2^(attempt-1))]), so that many function instances throttled at the
 * same moment do not come back in lock-step. Only errors flagged `retryable` are retried. A deadline
 * bounds everything: no sleep ever ends past it, and no attempt starts at or after it.
 * Clock, sleep and randomness are injected so tests pin time exactly.
 */
import { DeadlineExceededError } from '../errors.js';
import { isRetryableError } from './classify.js';

export interface RetryOptions {
  /** Attempts in total, first one included (≥ 1). */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Absolute deadline on the `now()` clock; no attempt starts at or after it. */
  readonly deadlineMs?: number | undefined;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1). */
  readonly random: () => number;
  readonly signal?: AbortSignal | undefined;
  /** Which errors are worth another attempt (default: `retryable === true`). */
  readonly isRetryable?: ((error: unknown) => boolean) | undefined;
  /** Told before each backoff sleep (for logs/metrics). */
  readonly onRetry?: ((info: { attempt: number; delayMs: number; error: unknown }) => void) | undefined;
}

/** Defaults used by the NAS client. Five attempts span ≈ 0.2 + 0.4 + 0.8 + 1.6 s of backoff at most. */
export const DEFAULT_RETRY = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 10_000 } as const;

/** The ceiling of the backoff before attempt `attempt + 1` (attempt counts from 1). */
export function backoffCeilingMs(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

/** A full-jitter delay: uniform in [0, ceiling]. */
export function fullJitterDelayMs(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  return Math.floor(random() * backoffCeilingMs(attempt, baseDelayMs, maxDelayMs));
}

/** `setTimeout`-based sleep that rejects with the signal's reason when aborted. */
export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error to throw for an aborted signal (its reason when that is an Error). */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('the operation was aborted');
}

/**
 * Runs `fn` until it succeeds, throws a non-retryable error, runs out of attempts, or the next attempt
 * could not start before the deadline — then the last error is thrown (or `DeadlineExceededError`
 * when the deadline left room for no attempt at all). An aborted signal stops at once.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { maxAttempts, baseDelayMs, maxDelayMs, deadlineMs, now, sleep, random, signal } = options;
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortReason(signal);
    if (deadlineMs !== undefined && now() >= deadlineMs) {
      if (attempt === 1) throw new DeadlineExceededError('the deadline passed before the first attempt could start');
      throw lastError;
    }
    try {
      return await fn(attempt);
    } catch (error) {
      lastError = error;
      if (signal?.aborted) throw abortReason(signal);
      const isRetryable = options.isRetryable ?? isRetryableError;
      if (!isRetryable(error) || attempt >= maxAttempts) throw error;
      const delayMs = fullJitterDelayMs(attempt, baseDelayMs, maxDelayMs, random);
      // Never sleep past the deadline: if the next attempt could not start before it, give up now.
      if (deadlineMs !== undefined && now() + delayMs >= deadlineMs) throw error;
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, signal);
    }
  }
}
