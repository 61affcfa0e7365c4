/**
 * Which shape a backfill submits in, and when the cheapest one is allowed.
 *
 * Shapes, cheapest first (NAS calls for n objects):
 * - `directory`: one Import per backfill prefix with `Directory` (docs/platform.md §1) — 1 call, but the
 *   service imports *everything* under the directory: it cannot leave out objects older than `--since`,
 *   our own state objects (`.cpfs-ingest/`), keys another route owns, or keys a caller excludes;
 * - `manifest` (LINGJUN only, needs OSS_BUCKET to write the CSVs): one Import per (DstDirectory, policy)
 *   reading `TransferFileListPath` — a handful of calls for any number of objects;
 * - `entrylist`: Imports of ≤ 65,535-byte EntryLists, ~1,000 objects per call;
 * - `objects`: one CreateDataFlowSubTask (or EntryList entry in batch mode) per object — today's path.
 */
import { directoryPathProblems } from '../config/routes.js';
import type { ConflictPolicy } from '../nas/wire.js';
import { OWN_STATE_PREFIX } from '../planning/plan.js';
import type { FileSystemKind } from '../cpfs/file-system.js';
import { isKeyInsideSource, sourceKeyPrefix } from '../cpfs/source-path.js';
import { routeKey } from '../planning/routing.js';
import type { PlanningSettings } from '../planning/types.js';

export const BACKFILL_SHAPES = ['auto', 'objects', 'entrylist', 'manifest', 'directory'] as const;
export type BackfillShapeChoice = (typeof BACKFILL_SHAPES)[number];
export type BackfillShape = Exclude<BackfillShapeChoice, 'auto'>;

/** One whole-directory Import: what the `directory` shape sends for one backfill prefix. */
export interface DirectoryImport {
  readonly prefix: string;
  /** Relative to SourceStoragePath; starts and ends with `/`. */
  readonly directory: string;
  /** Relative to FileSystemPath; starts and ends with `/`. */
  readonly dstDirectory: string;
  readonly conflictPolicy: ConflictPolicy;
}

/**
 * The Directory Import standing for backfill prefix `prefix`, or why there is none. Allowed only when the
 * service importing *every* object under the directory is exactly what the backfill would submit: the prefix
 * is a directory (ends with `/`) inside SourceStoragePath, does not hold (or sit under) our `.cpfs-ingest/`
 * state, and every key under it goes to one route that keeps the rest of the key (no other route nested inside).
 */
export function directoryImportFor(prefix: string, planning: PlanningSettings): DirectoryImport | { readonly refused: string } {
  if (prefix.startsWith(OWN_STATE_PREFIX) || OWN_STATE_PREFIX.startsWith(prefix)) {
    return { refused: `prefix ${JSON.stringify(prefix)} covers ${OWN_STATE_PREFIX}, which must not be imported` };
  }
  if (!prefix.endsWith('/')) return { refused: `prefix ${JSON.stringify(prefix)} is not a directory (it must end with /)` };
  const sourcePrefix = sourceKeyPrefix(planning.sourceStoragePath);
  if (!isKeyInsideSource(prefix, planning.sourceStoragePath)) return { refused: `prefix ${JSON.stringify(prefix)} is outside SourceStoragePath ${planning.sourceStoragePath}` };
  // A key just under the prefix decides the route; any longer route prefix inside would claim some keys.
  const match = routeKey(`${prefix}x`, planning);
  if (!match.ok) return { refused: `prefix ${JSON.stringify(prefix)}: ${match.reason}` };
  const nested = planning.routes.find((route) => route !== match.route && route.prefix.startsWith(prefix));
  if (nested !== undefined) return { refused: `route ${JSON.stringify(nested.prefix)} lies inside prefix ${JSON.stringify(prefix)}; a Directory import cannot leave its keys out` };
  const directory = `/${prefix.slice(sourcePrefix.length)}`;
  const dstDirectory = `${match.route.dstDirectory}${prefix.slice(match.route.prefix.length)}`;
  const problems = [...directoryPathProblems(directory), ...directoryPathProblems(dstDirectory)];
  if (problems.length > 0) return { refused: `prefix ${JSON.stringify(prefix)} gives Directory ${directory} → ${dstDirectory}, which ${problems.join('; ')}` };
  return { prefix, directory, dstDirectory, conflictPolicy: match.route.conflictPolicy };
}

export interface ShapeInput {
  readonly requested: BackfillShapeChoice;
  readonly prefixes: readonly string[];
  readonly since?: Date;
  /** The caller leaves some keys out (e.g. reconcile's state object). */
  readonly hasExclude: boolean;
  readonly planning: PlanningSettings;
  readonly fileSystemKind: FileSystemKind;
  /** OSS_BUCKET is set (the manifests are written there). */
  readonly bucketConfigured: boolean;
}

export interface ShapeDecision {
  readonly shape: BackfillShape;
  /** Why this shape (printed at start). */
  readonly reason: string;
  /** For `directory`: one Import per prefix, in order. */
  readonly directoryImports?: readonly DirectoryImport[];
}

/** Why the directory shape is not allowed here, or the Imports it would send. */
export function directoryShapeFor(input: ShapeInput): { imports: DirectoryImport[] } | { refused: string } {
  if (input.since !== undefined) return { refused: '--since is set and a Directory import cannot leave out older objects' };
  if (input.hasExclude) return { refused: 'some keys must be excluded and a Directory import cannot leave them out' };
  const imports: DirectoryImport[] = [];
  for (const prefix of input.prefixes) {
    const found = directoryImportFor(prefix, input.planning);
    if ('refused' in found) return found;
    imports.push(found);
  }
  return { imports };
}

/**
 * Resolves `--shape`. An explicit shape the situation does not allow is an error naming why (throws with the
 * reason as message); `auto` takes directory if allowed, else manifest on LINGJUN with OSS_BUCKET, else
 * entrylist, else objects (entrylist is always possible, so objects is only ever chosen explicitly).
 */
export function chooseShape(input: ShapeInput): ShapeDecision {
  const directory = directoryShapeFor(input);
  const manifestRefused = input.fileSystemKind !== 'lingjun'
    ? 'TransferFileListPath exists on CPFS for LINGJUN only'
    : !input.bucketConfigured ? 'OSS_BUCKET is not set (the manifests are written to the bucket)' : undefined;
  switch (input.requested) {
    case 'directory':
      if ('refused' in directory) throw new Error(`--shape directory: ${directory.refused}`);
      return { shape: 'directory', reason: 'requested', directoryImports: directory.imports };
    case 'manifest':
      if (manifestRefused !== undefined) throw new Error(`--shape manifest: ${manifestRefused}`);
      return { shape: 'manifest', reason: 'requested' };
    case 'entrylist':
      return { shape: 'entrylist', reason: 'requested' };
    case 'objects':
      return { shape: 'objects', reason: 'requested' };
    case 'auto':
      if (!('refused' in directory)) return { shape: 'directory', reason: 'auto: nothing under the prefixes needs leaving out', directoryImports: directory.imports };
      if (manifestRefused === undefined) return { shape: 'manifest', reason: `auto: no directory import (${directory.refused}); LINGJUN with OSS_BUCKET` };
      return { shape: 'entrylist', reason: `auto: no directory import (${directory.refused}); no manifest (${manifestRefused})` };
  }
}
