import type { ConflictPolicy } from '../nas/wire.js';
import type { ObjectCreated } from '../events/types.js';

/** One routing rule: keys under `prefix` land under `dstDirectory` with `conflictPolicy`. */
export interface Route {
  /**
   * OSS key prefix from the bucket root, exactly as the key appears in OSS (no leading `/`), matched as a
   * plain string prefix ('' matches every key). See shared/planning/routing.ts.
   */
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
  /**
   * The data flow's bucket (SourceStorage without `oss://`). When set, records from any other bucket are
   * rejected: importing them would copy the same-named object of the data flow's bucket instead.
   */
  readonly bucket?: string;
}

/**
 * Why planning refused a record, as a stable code (the `reason` next to it is the human sentence).
 * `duplicate` is not a failure: another record covers the same destination file.
 */
export type RejectionKind =
  | 'ignored-event'
  | 'other-bucket'
  | 'outside-source-path'
  | 'no-route'
  | 'directory-marker'
  | 'invalid-path'
  | 'duplicate'
  | 'not-batchable'
  | 'entry-too-large';

/** A refusal: a stable kind and a one-line reason naming the rule in plain words. */
export interface Rejection {
  readonly ok: false;
  readonly kind: RejectionKind;
  readonly reason: string;
}

/** One object that passed routing, path rules and de-duplication: what one sub-task or EntryList entry carries. */
export interface PlannedObject {
  readonly record: ObjectCreated;
  readonly route: Route;
  /** Index of the route in `PlanningSettings.routes`; -1 for the implicit route (no routes configured). */
  readonly routeIndex: number;
  readonly fileSystemId: string;
  readonly dataFlowId: string;
  /** SrcFilePath: the key relative to SourceStoragePath, leading `/` (see path-base.ts). */
  readonly srcFilePath: string;
  /** DstFilePath: relative to FileSystemPath, leading `/` (see path-base.ts). */
  readonly dstFilePath: string;
  readonly conflictPolicy: ConflictPolicy;
  /** Which streaming task the object goes through: one per (file system, data flow, ConflictPolicy). */
  readonly groupKey: string;
  /**
   * Task-independent id of this object version → this file (`cpfs-obj-…`); not a ClientToken. The sub-task
   * ClientToken also needs the streaming task id: `subTaskClientTokenFor(item, streamTaskId)`.
   * Derived on first read (a shared getter; plan.ts), since the invocation path does not need it.
   */
  readonly objectId: string;
}

/** A record planning refused, with the stable kind and the human reason. */
export interface RejectedRecord {
  readonly record: ObjectCreated;
  readonly kind: RejectionKind;
  readonly reason: string;
  /** For `duplicate`: the record that is planned instead. */
  readonly supersededBy?: ObjectCreated;
}

/** The outcome of planning: every input record is in exactly one of the two lists. */
export interface Plan {
  readonly items: PlannedObject[];
  readonly rejected: RejectedRecord[];
}
