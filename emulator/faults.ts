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
 *
 * Sub-task failures (`setSubTaskFailureRate`, `failNextSubTasks`) act on the work, not on a request: a
 * streaming sub-task that would have finished ends FAILED with an ErrorMsg instead — the "transient
 * service error" a verifier must re-drive. They draw from their own seeded PRNG, one draw per finishing
 * sub-task (and only while a rate is set), so request faults keep their sequence.
 */
import type { EmulatorOperationName as OperationName } from './actions.js';
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

const SUB_TASK_SEED_MIX = 0x5b7a5c;

const ORDER: ReadonlyArray<[FaultKind, keyof FaultRates]> = [
  ['drop-before', 'dropBeforeRate'],
  ['drop-after', 'dropAfterRate'],
  ['throttle', 'throttleRate'],
  ['internal', 'internalErrorRate'],
  ['unavailable', 'unavailableRate'],
];

/** The `handle.faults` object. */
/** ErrorMsg of an injected sub-task failure (shaped like a service-side error; ASSUMED text). */
export const INJECTED_SUB_TASK_ERROR = 'InternalError: the data flow sub-task failed (injected fault)';

export class FaultInjector {
  private random: Random;
  private subTaskRandom: Random;
  private readonly rates = new Map<FaultTarget, FaultRates>();
  private readonly queued: Array<{ target: FaultTarget; kind: FaultKind; remaining: number }> = [];
  private subTaskFailureRate = 0;
  private subTaskFailuresQueued = 0;

  constructor(seed: number) {
    this.random = createRandom(seed);
    this.subTaskRandom = createRandom(seed ^ SUB_TASK_SEED_MIX);
  }

  /** Each finishing sub-task ends FAILED with probability `rate` (0–1), drawn from the seeded PRNG. */
  setSubTaskFailureRate(rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError('subTaskFailureRate must be within 0..1');
    this.subTaskFailureRate = rate;
  }

  /** The next `count` sub-tasks that finish end FAILED, before any rate is drawn. */
  failNextSubTasks(count = 1): void {
    this.subTaskFailuresQueued += count;
  }

  /** @internal the lifecycle asks this once per finishing sub-task: an ErrorMsg, or undefined. */
  drawSubTaskFailure(): string | undefined {
    if (this.subTaskFailuresQueued > 0) {
      this.subTaskFailuresQueued -= 1;
      return INJECTED_SUB_TASK_ERROR;
    }
    if (this.subTaskFailureRate === 0) return undefined;
    return this.subTaskRandom.next() < this.subTaskFailureRate ? INJECTED_SUB_TASK_ERROR : undefined;
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
    this.subTaskRandom = createRandom(seed ^ SUB_TASK_SEED_MIX);
  }

  /** Removes every rate and queued fault (sub-task failures included). */
  clear(): void {
    this.rates.clear();
    this.queued.length = 0;
    this.subTaskFailureRate = 0;
    this.subTaskFailuresQueued = 0;
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
