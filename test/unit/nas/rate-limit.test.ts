import { describe, expect, it } from 'vitest';
import { DeadlineExceededError } from '../../../shared/errors.js';
import {
  CLIENT_QUOTA_FRACTION,
  DOCUMENTED_QUOTAS,
  RateLimiter,
  bucketParameters,
  defaultRateLimits,
} from '../../../shared/nas/rate-limit.js';
import { fakeClock } from './fake-clock.js';

describe('DOCUMENTED_QUOTAS and defaults', () => {
  it('holds the documented quotas and marks DescribeDataFlows unverified', () => {
    expect(DOCUMENTED_QUOTAS.CreateDataFlowTask).toMatchObject({ limit: 120, intervalMs: 60_000, verified: true });
    expect(DOCUMENTED_QUOTAS.CreateDataFlowSubTask).toMatchObject({ limit: 100, intervalMs: 1_000, verified: true });
    expect(DOCUMENTED_QUOTAS.DescribeDataFlowSubTasks).toMatchObject({ limit: 100, intervalMs: 1_000 });
    expect(DOCUMENTED_QUOTAS.DescribeDataFlowTasks).toMatchObject({ limit: 120, intervalMs: 60_000 });
    expect(DOCUMENTED_QUOTAS.CancelDataFlowTask).toMatchObject({ limit: 120, intervalMs: 60_000 });
    expect(DOCUMENTED_QUOTAS.DescribeDataFlows.verified).toBe(false);
    expect(DOCUMENTED_QUOTAS.DescribeDataFlows.note).toContain('UNVERIFIED');
  });

  it('client defaults sit just under each quota', () => {
    const limits = defaultRateLimits();
    for (const [op, quota] of Object.entries(DOCUMENTED_QUOTAS)) {
      const limit = limits[op as keyof typeof limits];
      expect(limit.limit).toBeLessThan(quota.limit);
      expect(limit.limit).toBeGreaterThanOrEqual(Math.floor(quota.limit * CLIENT_QUOTA_FRACTION));
      expect(limit.intervalMs).toBe(quota.intervalMs);
    }
  });

  it('bucket parameters keep any window at or under the limit and sustain ≥ 90 % of 100/s', () => {
    const { capacity, refillPerMs } = bucketParameters(defaultRateLimits().CreateDataFlowSubTask);
    expect(capacity + refillPerMs * 1_000).toBeLessThanOrEqual(100);
    expect(refillPerMs * 1_000).toBeGreaterThanOrEqual(90);
  });
});

/** Acquires `count` tokens one after another; returns the clock time at which each was granted. */
async function grantTimes(limiter: RateLimiter, now: () => number, count: number): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: count }, () => limiter.acquire('CreateDataFlowSubTask').then(() => times.push(now()))),
  );
  return times;
}

describe('RateLimiter (fake clock)', () => {
  it('never grants more than the limit in any window of the interval', async () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter({ limits: { CreateDataFlowSubTask: { limit: 97, intervalMs: 1_000 } }, now: clock.now, sleep: clock.sleep });
    const times = await grantTimes(limiter, clock.now, 500);
    expect(times).toHaveLength(500);
    // Sliding window check over every grant.
    for (let i = 0; i < times.length; i++) {
      const start = times[i] ?? 0;
      const inWindow = times.filter((t) => t >= start && t < start + 1_000).length;
      expect(inWindow).toBeLessThanOrEqual(97);
    }
    // Sustained rate stays above 90/s.
    const last = times[times.length - 1] ?? 0;
    expect(500 / (last / 1_000)).toBeGreaterThanOrEqual(90);
  });

  it('serves waiters first come, first served', async () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter({ limits: { CreateDataFlowTask: { limit: 2, intervalMs: 1_000, burst: 1 } }, now: clock.now, sleep: clock.sleep });
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((n) => limiter.acquire('CreateDataFlowTask').then(() => order.push(n))));
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('rejects at once with DeadlineExceededError when the turn would come too late', async () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter({ limits: { CreateDataFlowTask: { limit: 11, intervalMs: 10_000, burst: 1 } }, now: clock.now, sleep: clock.sleep });
    await limiter.acquire('CreateDataFlowTask'); // spends the burst
    // Next token in 1000 ms (10 per 10 s refill).
    await expect(limiter.acquire('CreateDataFlowTask', { deadlineMs: 500 })).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(clock.sleeps).toEqual([]);
    await limiter.acquire('CreateDataFlowTask', { deadlineMs: 1_500 });
    expect(clock.now()).toBe(1_000);
  });

  it('an aborted waiter leaves the queue without a token', async () => {
    const clock = fakeClock(0);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    // A sleep that waits for the test, so the waiter can be aborted while queued.
    const limiter = new RateLimiter({
      limits: { CancelDataFlowTask: { limit: 2, intervalMs: 1_000, burst: 1 } },
      now: clock.now,
      sleep: async (ms) => {
        await gate;
        clock.advance(ms);
      },
    });
    await limiter.acquire('CancelDataFlowTask');
    const controller = new AbortController();
    const aborted = limiter.acquire('CancelDataFlowTask', { signal: controller.signal });
    const next = limiter.acquire('CancelDataFlowTask');
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    release();
    await next;
    expect(clock.now()).toBe(1_000);
  });

  it('operations without a limit are never delayed', async () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter({ limits: {}, now: clock.now, sleep: clock.sleep });
    await grantTimes(limiter, clock.now, 1_000);
    expect(clock.now()).toBe(0);
  });

  it('refills over time up to the burst capacity', async () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter({ limits: { DescribeDataFlows: { limit: 60, intervalMs: 60_000, burst: 3 } }, now: clock.now, sleep: clock.sleep });
    expect(limiter.available('DescribeDataFlows')).toBe(3);
    await limiter.acquire('DescribeDataFlows');
    expect(limiter.available('DescribeDataFlows')).toBe(2);
    clock.advance(3_600_000);
    expect(limiter.available('DescribeDataFlows')).toBe(3);
  });
});
