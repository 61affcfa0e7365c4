/** A manual clock for tests: `sleep` advances time instantly and records each requested delay. */
export interface FakeClock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  advance: (ms: number) => void;
  readonly sleeps: number[];
}

export function fakeClock(startMs = 1_700_000_000_000): FakeClock {
  let time = startMs;
  const sleeps: number[] = [];
  return {
    now: () => time,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      time += ms;
    },
    advance: (ms: number) => {
      time += ms;
    },
    sleeps,
  };
}
