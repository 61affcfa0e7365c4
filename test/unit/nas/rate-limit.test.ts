import { describe, expect, it } from 'vitest';
import { DeadlineExceededError, ValidationError } from '../../../shared/errors.js';
import {
  ADAPTIVE_RATE,
  CLIENT_QUOTA_FRACTION,
  DOCUMENTED_QUOTAS,
  RateLimiter,
  bucketParameters,
  defaultRateLimits,
} from '../../../shared/nas/rate-limit.js';
import { fakeClock } from './fake-clock.js';

describe('DOCUMENTED_QUOTAS and defaults', () => {
  it('holds the seven documented quotas, DescribeDataFlows and CancelDataFlowSubTask included', () => {
    const table = Object.fromEntries(Object.entries(DOCUMENTED_QUOTAS).map(([op, q]) => [op, [q.limit, q.intervalMs, q.verified]]));
    expect(table).toEqual({
      CreateDataFlowTask: [120, 60_000, true],
      CreateDataFlowSubTask: [100, 1_000, true],
      DescribeDataFlowSubTasks: [100, 1_000, true],
      CancelDataFlowSubTask: [100, 1_000, true],
      DescribeDataFlowTasks: [120, 60_000, true],
      CancelDataFlowTask: [120, 60_000, true],
      DescribeDataFlows: [120, 60_000, true],
    });
    const limits = defaultRateLimits();
    expect(Object.keys(limits).sort()).toEqual(Object.keys(DOCUMENTED_QUOTAS).sort());
    expect(limits.DescribeDataFlows).toEqual({ limit: 116, intervalMs: 60_000 });
    expect(limits.CancelDataFlowSubTask).toEqual({ limit: 97, intervalMs: 1_000 });
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

describe('RateLimiter adaptation (AIMD, fake clock)', () => {
  const SUB = 'CreateDataFlowSubTask' as const;
  /** 97 per second, as CPFS_SUBTASK_RATE's default: burst 4, configured refill 93 per second. */
  function adaptiveLimiter(clock = fakeClock(0), adaptive?: ConstructorParameters<typeof RateLimiter>[0]['adaptive']) {
    const limiter = new RateLimiter({
      limits: { [SUB]: { limit: 97, intervalMs: 1_000 } },
      now: clock.now,
      sleep: clock.sleep,
      ...(adaptive !== undefined ? { adaptive } : {}),
    });
    return { limiter, clock };
  }

  it('starts at the configured refill rate', () => {
    const { limiter } = adaptiveLimiter();
    expect(limiter.rate(SUB)).toEqual({ current: 93, max: 93 });
    expect(limiter.rate('DescribeDataFlows').current).toBe(Number.POSITIVE_INFINITY);
  });

  it('a throttle cuts the rate by the decrease factor and drops the saved burst', () => {
    const { limiter } = adaptiveLimiter();
    expect(limiter.available(SUB)).toBe(4);
    limiter.onThrottled(SUB);
    expect(limiter.rate(SUB).current).toBeCloseTo(93 * ADAPTIVE_RATE.decreaseFactor, 9);
    expect(limiter.available(SUB)).toBe(0);
  });

  it('cuts at most once per interval: throttles of calls sent within an interval of the cut are ignored', () => {
    const { limiter, clock } = adaptiveLimiter();
    limiter.onThrottled(SUB, 0);
    const afterOneCut = limiter.rate(SUB).current;
    clock.advance(600);
    limiter.onThrottled(SUB, 500); // sent half an interval after the cut: the old rate's echo
    limiter.onThrottled(SUB); // sent now, 600 ms after the cut
    expect(limiter.rate(SUB).current).toBe(afterOneCut);
    clock.advance(400);
    limiter.onThrottled(SUB); // a full interval later: counts
    expect(limiter.rate(SUB).current).toBeCloseTo(93 * 0.7 * 0.7, 9);
  });

  it('never cuts below the floor', () => {
    const { limiter, clock } = adaptiveLimiter();
    const floor = 93 * ADAPTIVE_RATE.floorFraction;
    for (let i = 0; i < 30; i++) {
      limiter.onThrottled(SUB);
      expect(limiter.rate(SUB).current).toBeGreaterThanOrEqual(floor - 1e-9);
      clock.advance(1_000);
    }
    expect(limiter.rate(SUB).current).toBeCloseTo(floor, 9);
  });

  it('successes raise the rate by increaseFraction of the limit per interval of calls, back to the limit and never above', () => {
    const { limiter } = adaptiveLimiter();
    limiter.onThrottled(SUB);
    const cut = limiter.rate(SUB).current; // 65.1
    // One interval's worth of successes at the current rate, in the interval after the cut.
    for (let i = 0; i < Math.round(cut); i++) limiter.onSucceeded(SUB);
    const gained = limiter.rate(SUB).current - cut;
    expect(gained).toBeGreaterThan(0.9 * ADAPTIVE_RATE.increaseFraction * 93);
    expect(gained).toBeLessThanOrEqual(ADAPTIVE_RATE.increaseFraction * 93 + 1e-9);
    for (let i = 0; i < 5_000; i++) {
      limiter.onSucceeded(SUB);
      expect(limiter.rate(SUB).current).toBeLessThanOrEqual(93);
    }
    expect(limiter.rate(SUB)).toEqual({ current: 93, max: 93 });
  });

  it('climbs faster the longer no throttle came, up to maxClimbMultiplier', () => {
    const steps: number[] = [];
    for (const quietMs of [0, 1_999, 3_000, 60_000]) {
      const { limiter, clock } = adaptiveLimiter();
      limiter.onThrottled(SUB);
      const cut = limiter.rate(SUB).current;
      clock.advance(quietMs);
      limiter.onSucceeded(SUB);
      steps.push(limiter.rate(SUB).current - cut);
    }
    const [first, second, third, capped] = steps as [number, number, number, number];
    expect(first).toBeCloseTo((ADAPTIVE_RATE.increaseFraction * 93) / (93 * 0.7), 9);
    expect(second).toBeCloseTo(first, 9);
    expect(third).toBeCloseTo(3 * first, 9);
    expect(capped).toBeCloseTo(Math.min(93 * 0.3, ADAPTIVE_RATE.maxClimbMultiplier * first), 9);
  });

  it('keeps every window of the interval at or under the limit while the rate moves', async () => {
    const { limiter, clock } = adaptiveLimiter();
    const times: number[] = [];
    const rates: number[] = [];
    for (let i = 0; i < 1_500; i++) {
      await limiter.acquire(SUB);
      times.push(clock.now());
      // Throttled every 150th call, accepted otherwise: the rate falls and climbs back repeatedly.
      if (i % 150 === 149) limiter.onThrottled(SUB);
      else limiter.onSucceeded(SUB);
      rates.push(limiter.rate(SUB).current);
      expect(limiter.rate(SUB).current).toBeLessThanOrEqual(93);
    }
    for (let lo = 0, hi = 0; hi < times.length; hi++) {
      while ((times[hi] as number) - (times[lo] as number) >= 1_000) lo++;
      expect(hi - lo + 1).toBeLessThanOrEqual(97);
    }
    // The rate did move: cut by the first throttle, climbed back before the second.
    expect(rates[149]).toBeCloseTo(93 * 0.7, 9);
    expect(rates[298]).toBeGreaterThan(rates[149] as number);
    expect(clock.now()).toBeGreaterThan((1_500 / 93) * 1_000);
  });

  it('a cut fails queued callers whose turn now comes after their deadline, and keeps FIFO for the rest', async () => {
    const clock = fakeClock(0);
    const pending: (() => void)[] = [];
    const limiter = new RateLimiter({
      // 1 token per second after a burst of 1.
      limits: { CreateDataFlowTask: { limit: 11, intervalMs: 10_000, burst: 1 } },
      now: clock.now,
      sleep: (ms) =>
        new Promise<void>((resolve) =>
          pending.push(() => {
            clock.advance(ms);
            resolve();
          }),
        ),
    });
    await limiter.acquire('CreateDataFlowTask'); // spends the burst
    const order: string[] = [];
    const a = limiter.acquire('CreateDataFlowTask', { deadlineMs: 5_000 }).then(() => order.push('a'));
    const b = limiter.acquire('CreateDataFlowTask', { deadlineMs: 2_500 }).then(() => order.push('b'));
    const c = limiter.acquire('CreateDataFlowTask').then(() => order.push('c'));
    // Turns at 1 s, 2 s, 3 s; after a cut to 0.7/s, b's would be at ~2.86 s: past its deadline.
    limiter.onThrottled('CreateDataFlowTask');
    await expect(b).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(clock.now()).toBe(0);
    while (order.length < 2) {
      await Promise.resolve();
      pending.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([a, c]);
    expect(order).toEqual(['a', 'c']);
    expect(clock.now()).toBeGreaterThanOrEqual(2_857);
  });

  it('with adaptation off, answers do not move the rate', () => {
    const { limiter, clock } = adaptiveLimiter(fakeClock(0), false);
    limiter.onThrottled(SUB);
    clock.advance(5_000);
    limiter.onThrottled(SUB);
    limiter.onSucceeded(SUB);
    expect(limiter.rate(SUB)).toEqual({ current: 93, max: 93 });
    expect(limiter.available(SUB)).toBe(4);
  });

  it('refuses bad adaptation settings, naming the field', () => {
    expect(() => adaptiveLimiter(fakeClock(0), { decreaseFactor: 1 })).toThrow(ValidationError);
    expect(() => adaptiveLimiter(fakeClock(0), { floorFraction: 0 })).toThrow('adaptive.floorFraction');
    expect(() => adaptiveLimiter(fakeClock(0), { increaseFraction: Number.NaN })).toThrow('adaptive.increaseFraction');
    expect(() => adaptiveLimiter(fakeClock(0), { maxClimbMultiplier: 0.5 })).toThrow('adaptive.maxClimbMultiplier');
  });
});
