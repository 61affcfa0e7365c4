/** What the use case is given: configuration, the data-flow port, a logger, the instance cache and time. */
import type { ManifestStore } from '../bulk/manifest-writer.js';
import type { Config } from '../config/load-config.js';
import type { Logger } from '../log.js';
import type { DataFlowApi } from '../nas/types.js';
import type { InstanceState } from './instance-state.js';

export interface IngestDeps {
  readonly config: Config;
  readonly api: DataFlowApi;
  readonly logger: Logger;
  readonly state: InstanceState;
  /** Clock in ms since the epoch, the same one the deadline is on. */
  readonly now: () => number;
  /** Waits; injected so tests can run fast. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1) (default Math.random); injected so tests pin the re-send rotation (stream/resume.ts). */
  readonly random?: () => number;
  /**
   * Writes burst manifests to the data flow's bucket (stream/burst.ts). Wired when bursts are on, the file
   * system is LINGJUN and OSS_BUCKET is set; without it a burst tail goes as EntryList Imports.
   */
  readonly manifests?: ManifestStore;
}

export interface InvocationContext {
  /** Absolute time (ms since epoch) after which no call may start. */
  readonly deadlineMs: number;
  /**
   * Whether a stream group above CPFS_BURST_THRESHOLD may send its excess as bulk Imports (stream/burst.ts).
   * Set by the event path ({@link ingest}); backfill and reconcile choose their own shape and leave it off.
   */
  readonly bursts?: boolean;
}

/** Runs `work(0..count-1)` with at most `concurrency` in flight. */
export async function runPool(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
}

export function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
