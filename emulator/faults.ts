/**
 * Fault injection, settable at run time on the emulator handle. Rates draw from a seeded PRNG so a test
 * that sets the same seed and sends the same requests sees the same faults.
 *
 * Kinds:
 * - `throttle`: 400 Throttling.User, request not executed (as if the quota were used up);
 * - `internal`: 500 InternalError, request not executed;
 * - `unavailable`: 503 ServiceUnavailable, request not executed;
 * - `drop-before`: the socket is destroyed without a response; the request is NOT executed;
 * - `drop-after`: the request IS executed, then the socket is destroyed without a response — the case a
 *   client must survive with ClientToken idempotency.
 * Latency (`latencyMs`) delays the response after execution (real time, not the emulator clock: it is
 * meant to trip the client's HTTP timeouts).
 */
import type { OperationName } from '../shared/nas/types.js';
import { createRandom, type Random } from './random.js';

export type FaultKind = 'throttle' | 'internal' | 'unavailable' | 'drop-before' | 'drop-after';

/** Probabilities (0–1) per request and a fixed added latency, for one API or all (`'*'`). */
export interface FaultRates {
  readonly throttleRate?: number;
  readonly internalErrorRate?: number;
  readonly unavailableRate?: number;
  readonly dropBeforeRate?: number;
  readonly dropAfterRate?: number;
  /** Added delay before the response is written, in real milliseconds. */
  readonly latencyMs?: number;
}

export type FaultTarget = OperationName | '*';

/** What to do with one request. */
export interface FaultDecision {
  readonly kind?: FaultKind;
  readonly latencyMs: number;
}

const ORDER: ReadonlyArray<[FaultKind, keyof FaultRates]> = [
  ['drop-before', 'dropBeforeRate'],
  ['drop-after', 'dropAfterRate'],
  ['throttle', 'throttleRate'],
  ['internal', 'internalErrorRate'],
  ['unavailable', 'unavailableRate'],
];

/** The `handle.faults` object. */
export class FaultInjector {
  private random: Random;
  private readonly rates = new Map<FaultTarget, FaultRates>();
  private readonly queued: Array<{ target: FaultTarget; kind: FaultKind; remaining: number }> = [];

  constructor(seed: number) {
    this.random = createRandom(seed);
  }

  /** Sets (replaces) the rates for one API or for all (`'*'`); an API's own rates win over `'*'`. */
  set(target: FaultTarget, rates: FaultRates): void {
    for (const [, field] of ORDER) {
      const r = rates[field];
      if (r !== undefined && !(r >= 0 && r <= 1)) throw new RangeError(`${field} must be within 0..1`);
    }
    if (rates.latencyMs !== undefined && !(rates.latencyMs >= 0)) throw new RangeError('latencyMs must be >= 0');
    this.rates.set(target, rates);
  }

  /** Makes the next `count` requests to `target` fail with `kind`, before any rate is drawn. */
  injectNext(target: FaultTarget, kind: FaultKind, count = 1): void {
    this.queued.push({ target, kind, remaining: count });
  }

  /** Restarts the PRNG: the same seed gives the same sequence of decisions. */
  reseed(seed: number): void {
    this.random = createRandom(seed);
  }

  /** Removes every rate and queued fault. */
  clear(): void {
    this.rates.clear();
    this.queued.length = 0;
  }

  /** Decides the fate of one request to `action` (`undefined` when the action is unknown). */
  decide(action: OperationName | undefined): FaultDecision {
    const rates = (action && this.rates.get(action)) || this.rates.get('*') || {};
    const latencyMs = rates.latencyMs ?? 0;
    const queuedIndex = this.queued.findIndex((q) => q.target === '*' || q.target === action);
    const queued = this.queued[queuedIndex];
    if (queued) {
      queued.remaining -= 1;
      if (queued.remaining <= 0) this.queued.splice(queuedIndex, 1);
      return { kind: queued.kind, latencyMs };
    }
    const total = ORDER.reduce((sum, [, field]) => sum + ((rates[field] as number | undefined) ?? 0), 0);
    if (total === 0) return { latencyMs };
    // One draw per request, so the sequence depends only on the seed and the number of requests.
    let u = this.random.next();
    for (const [kind, field] of ORDER) {
      const r = (rates[field] as number | undefined) ?? 0;
      if (u < r) return { kind, latencyMs };
      u -= r;
    }
    return { latencyMs };
  }
}
