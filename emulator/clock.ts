/**
 * The emulator's notion of time. Every lifecycle (task Pending → Executing → Completed, sub-task
 * CREATED → RUNNING → COMPLETE), the ±15 min x-acs-date window, nonce memory, ClientToken memory and quota
 * windows read this clock, so tests pin it and run hours of lifecycle in microseconds.
 */

/** Anything that tells the time in ms since the epoch. */
export interface TimeSource {
  now(): number;
}

/** The clock on the emulator handle: a time source plus a manual offset that tests move forward. */
export interface EmulatorClock extends TimeSource {
  /** Moves the emulator's time forward by `ms` (never backwards). */
  advance(ms: number): void;
}

/** A clock that only moves when told to: `now()` is `startMs` plus everything advanced so far. */
export function createManualClock(startMs = Date.UTC(2024, 6, 1, 12, 0, 0)): TimeSource & { set(ms: number): void } {
  let current = startMs;
  return {
    now: () => current,
    set: (ms: number) => {
      current = ms;
    },
  };
}

/**
 * Real time sped up by `timeScale` (2 = twice as fast) from the moment of creation. With timeScale 1 this
 * is the wall clock. Used by `npm run emulator` so that a demo sees lifecycles in seconds.
 */
export function createScaledClock(timeScale: number, base: TimeSource = { now: () => Date.now() }): TimeSource {
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new RangeError('timeScale must be a positive number');
  const origin = base.now();
  return { now: () => origin + (base.now() - origin) * timeScale };
}

/** Wraps a time source with a forward-only manual offset. */
export function createEmulatorClock(source: TimeSource): EmulatorClock {
  let offsetMs = 0;
  return {
    now: () => source.now() + offsetMs,
    advance: (ms: number) => {
      if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError('advance(ms) needs a finite ms >= 0');
      offsetMs += ms;
    },
  };
}

/** Formats a time the way the NAS API documents it: `2024-07-01 19:59:29` (UTC — ASSUMED, see README). */
export function formatApiTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
}
