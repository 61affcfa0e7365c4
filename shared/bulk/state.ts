/** The bulk part of a backfill checkpoint (shared/backfill.ts keeps it under `bulk`). */
import * as z from 'zod';

export const BulkGroupSchema = z.strictObject({
  /** manifestGroupId(dstDirectory, conflictPolicy). */
  id: z.string(),
  dstDirectory: z.string(),
  conflictPolicy: z.string(),
  /** SHA-256 of each part written, in part order (part N is `part-0000N.csv`). */
  parts: z.array(z.string()),
  rows: z.number().int().nonnegative(),
  /** The Import reading this group's manifests, once accepted. */
  taskId: z.string().optional(),
  /** Its last known status. */
  status: z.string().optional(),
  /** The manifests are deleted. */
  cleaned: z.boolean(),
});
export type BulkGroup = z.infer<typeof BulkGroupSchema>;

export const BulkCheckpointSchema = z.strictObject({
  /** Run id (manifestRunId): names the manifest directory and enters every ClientToken. */
  run: z.string(),
  /** manifest: listing → importing → waiting → done. entrylist/directory stay in listing until done. */
  phase: z.enum(['listing', 'importing', 'waiting', 'done']),
  groups: z.array(BulkGroupSchema),
  /** Import tasks accepted so far by this backfill (directory: one per prefix; entrylist: a count only). */
  tasksAccepted: z.number().int().nonnegative(),
  /** Directory imports: the task of each prefix done, in prefix order. */
  directoryTasks: z.array(z.string()).optional(),
});
export type BulkCheckpoint = z.infer<typeof BulkCheckpointSchema>;
