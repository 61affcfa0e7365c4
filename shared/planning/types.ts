import type { ConflictPolicy } from '../nas/wire.js';

/** One routing rule: keys under `prefix` land under `dstDirectory` with `conflictPolicy`. */
export interface Route {
  /** OSS key prefix ('' matches every key). */
  readonly prefix: string;
  /** Destination directory in the file system, relative to the data flow's FileSystemPath; starts and ends with `/`. */
  readonly dstDirectory: string;
  readonly conflictPolicy: ConflictPolicy;
}

/** What planning needs to know about the target; a subset of the instance Config. */
export interface PlanningSettings {
  readonly fileSystemId: string;
  readonly dataFlowId: string;
  /** The data flow's SourceStoragePath, `/` or `/prefix/`. Keys outside it are rejected. */
  readonly sourceStoragePath: string;
  /** Empty means: every key under SourceStoragePath goes to the same relative path. */
  readonly routes: readonly Route[];
  readonly defaultConflictPolicy: ConflictPolicy;
}
