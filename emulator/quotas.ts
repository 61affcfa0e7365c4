/**
 * Per-account, per-API request quotas (docs/platform.md §1 "Quotas": per region, per API, per account).
 *
 * The emulator keeps its own copy of the documented figures; `shared/nas/rate-limit.ts` (written by the
 * client side) carries `DOCUMENTED_QUOTAS` for the client. They must agree — a test compares them once
 * both exist. Over quota the request is NOT executed and the answer is `Throttling.User`.
 *
 * Window kind is undocumented: the emulator counts a SLIDING window (ASSUMED; the stricter reading — a
 * client that stays inside a sliding window also stays inside any fixed one).
 */
import type { EmulatorOperationName as OperationName } from './actions.js';

export interface Quota {
  /** Requests allowed per window. */
  readonly limit: number;
  readonly windowMs: number;
}

/** The seven documented quotas (docs/platform.md §1 "Quotas", from the LINGJUN quota page). */
export const EMULATOR_DOCUMENTED_QUOTAS: Readonly<Record<OperationName, Quota | null>> = Object.freeze({
  CreateDataFlowTask: { limit: 120, windowMs: 60_000 },
  CreateDataFlowSubTask: { limit: 100, windowMs: 1_000 },
  DescribeDataFlowSubTasks: { limit: 100, windowMs: 1_000 },
  CancelDataFlowSubTask: { limit: 100, windowMs: 1_000 },
  DescribeDataFlowTasks: { limit: 120, windowMs: 60_000 },
  CancelDataFlowTask: { limit: 120, windowMs: 60_000 },
  DescribeDataFlows: { limit: 120, windowMs: 60_000 },
});

/** Quota overrides: a Quota replaces the documented one, `null` switches the quota off. */
export type QuotaOverrides = Partial<Record<OperationName, Quota | null>>;

/** Every quota switched off (tests and benchmarks that are not about quotas): one entry per documented operation. */
export const NO_QUOTAS: QuotaOverrides = Object.freeze(
  Object.fromEntries(Object.keys(EMULATOR_DOCUMENTED_QUOTAS).map((operation) => [operation, null])) as QuotaOverrides,
);

/** Sliding-window counters keyed by account and API. */
export class QuotaTracker {
  private readonly quotas: Record<OperationName, Quota | null>;
  private readonly hits = new Map<string, number[]>();

  constructor(overrides: QuotaOverrides = {}) {
    this.quotas = { ...EMULATOR_DOCUMENTED_QUOTAS, ...overrides };
  }

  /** Replaces (or with `null` removes) the quota of one API at run time. */
  set(action: OperationName, quota: Quota | null): void {
    this.quotas[action] = quota;
  }

  get(action: OperationName): Quota | null {
    return this.quotas[action];
  }

  /**
   * Admits one request when the window has room and records it; returns false (recording nothing) when
   * the quota is used up — a throttled request does not consume quota (ASSUMED).
   */
  admit(accountId: string, action: OperationName, nowMs: number): boolean {
    const quota = this.quotas[action];
    if (!quota) return true;
    const key = `${accountId}\u0000${action}`;
    const list = (this.hits.get(key) ?? []).filter((t) => nowMs - t < quota.windowMs);
    if (list.length >= quota.limit) {
      this.hits.set(key, list);
      return false;
    }
    list.push(nowMs);
    this.hits.set(key, list);
    return true;
  }

  /** Forgets all counted requests. */
  reset(): void {
    this.hits.clear();
  }
}
