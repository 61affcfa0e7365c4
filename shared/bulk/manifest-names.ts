/**
 * Names of the manifest objects and the ClientTokens of bulk Imports: pure (no S3 client), so that code
 * bundled into the functions (shared/backfill.ts → shared/bulk/run.ts) carries no PutObject/DeleteObject —
 * the S3 side is in manifest-store.ts (AWS SDK, the CLI) and manifest-writer.ts (SDK-free, the functions).
 */
import { createHash } from 'node:crypto';
import { OWN_STATE_PREFIX } from '../planning/plan.js';

/** Key prefix of every manifest (the only place PutObject/DeleteObject may write; see manifest-writer.ts). */
export const MANIFEST_KEY_PREFIX = `${OWN_STATE_PREFIX}manifests/`;

/**
 * The run id: derived from what the backfill is (bucket, prefixes, since), not from the time, so that a re-run
 * of the same backfill writes the same manifest keys and — when the listing is unchanged — sends the same
 * content-derived ClientToken (a replay, not a second import).
 */
export function manifestRunId(bucket: string, prefixes: readonly string[], since: string | undefined): string {
  return `run-${createHash('sha256').update(JSON.stringify(['v1', bucket, prefixes, since ?? null])).digest('hex').slice(0, 16)}`;
}

/** Stable id of a (DstDirectory, ConflictPolicy) group: its manifest sub-directory. */
export function manifestGroupId(dstDirectory: string, conflictPolicy: string): string {
  return `g-${createHash('sha256').update(JSON.stringify([dstDirectory, conflictPolicy])).digest('hex').slice(0, 12)}`;
}

/** `.cpfs-ingest/manifests/<run>/<group>/`: the directory one Import reads. */
export function manifestGroupPrefix(run: string, group: string): string {
  return `${MANIFEST_KEY_PREFIX}${run}/${group}/`;
}

/** `…/part-NNNNN.csv`, numbered from 0. */
export function manifestPartKey(run: string, group: string, index: number): string {
  return `${manifestGroupPrefix(run, group)}part-${String(index).padStart(5, '0')}.csv`;
}

/** ClientToken of a manifest Import: run id + every part's content hash, in order (`cpfs-mf-…`, ≤ 64 chars). */
export function manifestImportClientToken(input: {
  readonly fileSystemId: string;
  readonly dataFlowId: string;
  readonly conflictPolicy: string;
  readonly dstDirectory: string;
  readonly run: string;
  readonly partHashes: readonly string[];
}): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(['v1', 'manifest', input.fileSystemId, input.dataFlowId, input.conflictPolicy, input.dstDirectory, input.run, input.partHashes]))
    .digest('hex');
  return `cpfs-mf-${digest.slice(0, 48)}`;
}

/** ClientToken of a Directory Import (`cpfs-dir-…`): same backfill, same directory → same token. */
export function directoryImportClientToken(input: {
  readonly fileSystemId: string;
  readonly dataFlowId: string;
  readonly conflictPolicy: string;
  readonly directory: string;
  readonly dstDirectory: string;
  readonly run: string;
}): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(['v1', 'directory', input.fileSystemId, input.dataFlowId, input.conflictPolicy, input.directory, input.dstDirectory, input.run]))
    .digest('hex');
  return `cpfs-dir-${digest.slice(0, 48)}`;
}
