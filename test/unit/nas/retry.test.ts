import { describe, expect, it } from 'vitest';
import { DeadlineExceededError, NasApiError, NetworkError, ValidationError } from '../../../shared/errors.js';
import { backoffCeilingMs, retry, type RetryOptions } from '../../../shared/nas/retry.js';
import { fakeClock } from './fake-clock.js';

const throttled = () => new NasApiError('Throttling', 'slow down', 400, true, 'r', 'CreateDataFlowSubTask');

function options(over: Partial<RetryOptions> = {}) {
  const clock = fakeClock();
  const opts: RetryOptions = {
    maxAttempts: 5,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    ...over,
  };
  return { clock, opts };
}

describe('retry', () => {
  it('retries retryable errors until success, with full-jitter delays', async () => {
    const { clock, opts } = options();
    let calls = 0;
    const result = await retry(async (attempt) => {
      calls++;
      if (attempt < 4) throw throttled();
      return 'done';
    }, opts);
    expect(result).toBe('done');
    expect(calls).toBe(4);
    // random 0.5 × ceilings 100, 200, 400
    expect(clock.sleeps).toEqual([50, 100, 200]);
  });

  it('does not retry non-retryable errors', async () => {
    const { clock, opts } = options();
    let calls = 0;
    const error = new ValidationError('Directory', 'must start and end with "/"');
    await expect(
      retry(async () => {
        calls++;
        throw error;
      }, opts),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('does not retry errors without a retryable flag (programming errors)', async () => {
    const { opts } = options();
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw new TypeError('bug');
      }, opts),
    ).rejects.toBeInstanceOf(TypeError);
    expect(calls).toBe(1);
  });

  it('stops after maxAttempts and throws the last error', async () => {
    const { opts } = options({ maxAttempts: 3 });
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw new NetworkError(`reset ${calls}`);
      }, opts),
    ).rejects.toThrow('reset 3');
    expect(calls).toBe(3);
  });

  it('never sleeps past the deadline: gives up with the last error when the next attempt could not start in time', async () => {
    const { clock, opts } = options({ random: () => 0.999 });
    const deadlineMs = clock.now() + 250;
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        clock.advance(10); // each attempt takes 10 ms
        throw throttled();
      }, { ...opts, deadlineMs }),
    ).rejects.toBeInstanceOf(NasApiError);
    // attempt 1 (t=10) sleeps 99 → attempt 2 (t=119) would sleep 199 → 318 ≥ 250: stop.
    expect(calls).toBe(2);
    expect(clock.sleeps).toEqual([99]);
    expect(clock.now()).toBeLessThan(deadlineMs);
  });

  it('throws DeadlineExceededError when no attempt was possible', async () => {
    const { clock, opts } = options();
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        return 1;
      }, { ...opts, deadlineMs: clock.now() }),
    ).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(calls).toBe(0);
  });

  it('jitter stays within [0, min(maxDelayMs, base·2^(n-1))]', async () => {
    for (const r of [0, 0.25, 0.999999]) {
      const { clock, opts } = options({ maxAttempts: 8, random: () => r });
      await expect(retry(async () => Promise.reject(throttled()), opts)).rejects.toBeInstanceOf(NasApiError);
      expect(clock.sleeps).toHaveLength(7);
      clock.sleeps.forEach((delay, i) => {
        const ceiling = backoffCeilingMs(i + 1, 100, 1_000);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(ceiling);
      });
    }
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffCeilingMs(n, 100, 1_000))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('stops at once when the signal is aborted', async () => {
    const { opts } = options();
    const controller = new AbortController();
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        controller.abort(new Error('shutting down'));
        throw throttled();
      }, { ...opts, signal: controller.signal }),
    ).rejects.toThrow('shutting down');
    expect(calls).toBe(1);
  });

  it('honours a custom isRetryable predicate', async () => {
    const { opts } = options();
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw throttled();
      }, { ...opts, isRetryable: () => false }),
    ).rejects.toBeInstanceOf(NasApiError);
    expect(calls).toBe(1);
  });
});
