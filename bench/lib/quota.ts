/**
 * Calls per second each NAS operation's documented quota allows, derived from the client's one quota table
 * (shared/nas/rate-limit.ts DOCUMENTED_QUOTAS, docs/platform.md §1 Quotas): 120 per 60 s is 2/s. The bench's
 * quota-seconds (calls ÷ this) use it; an action without a documented quota never binds (Infinity).
 */
import { DOCUMENTED_QUOTAS } from '../../shared/nas/rate-limit.js';

export function documentedPerSecond(action: string): number {
  const quota = (DOCUMENTED_QUOTAS as Readonly<Record<string, { readonly limit: number; readonly intervalMs: number }>>)[action];
  return quota === undefined ? Number.POSITIVE_INFINITY : (quota.limit * 1000) / quota.intervalMs;
}
