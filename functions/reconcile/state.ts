/**
 * What the reconcile function remembers between runs (FC instances are ephemeral), and the port it is kept
 * behind. Production keeps it as one small JSON object in the bucket (oss-state-store.ts); tests use
 * {@link memoryStateStore}.
 *
 * - `watermark`: start time of the last sweep that listed every prefix to its end. The next sweep submits
 *   objects modified since `watermark − safety margin`.
 * - `sweep`: a sweep in progress (it met the function's deadline): its start, the `since` it uses, and the
 *   backfill checkpoint — the next run resumes it instead of starting over.
 * - `alerted`: the permanent failures already logged (see below).
 */
import * as z from 'zod';
import { BackfillCheckpointSchema } from '../../shared/backfill.js';
import { OWN_STATE_PREFIX } from '../../shared/planning/plan.js';

/**
 * Where the state lives in the bucket. Under a dedicated prefix so that it is easy to leave out of the event
 * trigger's filter and of the RAM grant; the sweep itself skips every key under {@link STATE_PREFIX}.
 */
export const STATE_PREFIX = OWN_STATE_PREFIX;
export const STATE_KEY = `${STATE_PREFIX}reconcile-state.json`;

export const ReconcileStateSchema = z.strictObject({
  version: z.literal(1),
  bucket: z.string(),
  watermark: z.string().optional(),
  sweep: z
    .strictObject({
      startedAt: z.string(),
      since: z.string(),
      checkpoint: BackfillCheckpointSchema,
    })
    .optional(),
  /**
   * Ids of the latest attempts already reported as `permanent-failure` (newest last, at most
   * MAX_ALERTED): each permanent failure is logged once, not on every tick of the verify window.
   */
  alerted: z.array(z.string()).optional(),
  lastRun: z
    .strictObject({
      at: z.string(),
      status: z.string(),
      listed: z.number(),
      submitted: z.number(),
      rejected: z.number(),
      failed: z.number(),
    })
    .optional(),
});
export type ReconcileState = z.infer<typeof ReconcileStateSchema>;

/** Keeps the reconcile state between runs. `save` must replace the previous state atomically. */
export interface ReconcileStateStore {
  load(): Promise<ReconcileState | undefined>;
  save(state: ReconcileState): Promise<void>;
}

/** An in-memory store (tests, local runs). */
export function memoryStateStore(initial?: ReconcileState): ReconcileStateStore & { readonly current: ReconcileState | undefined; readonly saves: number } {
  let current = initial === undefined ? undefined : structuredClone(initial);
  let saves = 0;
  return {
    get current() {
      return current;
    },
    get saves() {
      return saves;
    },
    async load() {
      return current === undefined ? undefined : structuredClone(current);
    },
    async save(state) {
      current = structuredClone(ReconcileStateSchema.parse(state));
      saves += 1;
    },
  };
}
