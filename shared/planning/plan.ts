/**
 * Planning: ObjectCreated records → what to submit, and what was refused and why.
 *
 * Each record goes through, in order: event name (only events that leave a readable object), bucket
 * (when the settings name the data flow's bucket), routing (routing.ts), folder placeholders, the CPFS
 * path rules on both SrcFilePath and DstFilePath (path-rules.ts), and finally de-duplication by
 * destination (dedupe.ts). Paths are built by path-base.ts, the one place that decides what they are
 * relative to:
 *
 * - SrcFilePath = `/` + key relative to SourceStoragePath
 * - DstFilePath = route.dstDirectory + key relative to the route prefix
 *
 * | SourceStoragePath | route prefix → dstDirectory      | key                  | SrcFilePath          | DstFilePath               |
 * |-------------------|----------------------------------|----------------------|----------------------|---------------------------|
 * | `/`               | `raw/images/` → `/datasets/images/` | `raw/images/a/b.png` | `/raw/images/a/b.png` | `/datasets/images/a/b.png` |
 * | `/data/`          | (no routes)                      | `data/x/y.bin`       | `/x/y.bin`           | `/x/y.bin`                |
 * | `/data/`          | `data/in/` → `/in/`              | `data/in/z.txt`      | `/in/z.txt`          | `/in/z.txt`               |
 *
 * Pure: no clock, no environment, no I/O. Every input record ends up in exactly one of `items` or
 * `rejected`.
 */
import type { ObjectCreated } from '../events/types.js';
import type { ConflictPolicy } from '../nas/wire.js';
import { objectId, streamTaskClientToken, subTaskClientToken } from './client-token.js';
import { dedupeByDestination } from './dedupe.js';
import { STREAM_TASK_DIRECTORY, STREAM_TASK_DST_DIRECTORY, subTaskDstFilePath, subTaskSrcFilePath } from './path-base.js';
import { checkCpfsPath, describePathProblem } from '../cpfs/path-rules.js';
import { routeKey } from './routing.js';
import type { Plan, PlannedObject, PlanningSettings, Rejection, RejectedRecord } from './types.js';

/**
 * Object-created events that do not leave a complete, readable object behind: the object appears only
 * with CompleteMultipartUpload. They fire if a trigger subscribes to `oss:ObjectCreated:*`.
 */
export const NON_OBJECT_EVENT_NAMES: ReadonlySet<string> = new Set([
  'ObjectCreated:InitiateMultipartUpload',
  'ObjectCreated:UploadPart',
  'ObjectCreated:UploadPartCopy',
]);

/**
 * Keys under this prefix hold cpfs-ingest's own state in the bucket (the reconcile function's watermark,
 * functions/reconcile/state.ts): never imported, whatever the trigger's filter lets through.
 */
export const OWN_STATE_PREFIX = '.cpfs-ingest/';

/** Everything one streaming task (and its sub-tasks) needs. */
export interface StreamTaskGroup {
  readonly groupKey: string;
  readonly fileSystemId: string;
  readonly dataFlowId: string;
  readonly conflictPolicy: ConflictPolicy;
  /** Always {@link STREAM_TASK_DIRECTORY}; see path-base.ts. */
  readonly directory: string;
  /** Always {@link STREAM_TASK_DST_DIRECTORY}; see path-base.ts. */
  readonly dstDirectory: string;
  readonly items: PlannedObject[];
}

/**
 * Plans the submission of a batch of records.
 *
 * @returns `items` (valid, routed, one per destination file, in input order) and `rejected` (each with a
 *          stable `kind` and a one-line `reason`, e.g. `DstFilePath: longer than 1023 characters (1100)`)
 */
export function planSubmissions(records: readonly ObjectCreated[], settings: PlanningSettings): Plan {
  const candidates: PlannedObject[] = [];
  const rejected: RejectedRecord[] = [];

  // One group key string per ConflictPolicy, not one per item.
  const groupKeys = new Map<ConflictPolicy, string>();
  for (const record of records) {
    const outcome = planOne(record, settings, groupKeys);
    if (outcome.ok) candidates.push(outcome.item);
    else rejected.push({ record, kind: outcome.kind, reason: outcome.reason });
  }

  const { kept, superseded } = dedupeByDestination(candidates);
  for (const { item, by } of superseded) {
    const reason = item.record.key === by.record.key
      ? 'superseded by a later event for the same key'
      : `DstFilePath "${item.dstFilePath}" is also the destination of key "${by.record.key}", whose later event is kept`;
    rejected.push({ record: item.record, kind: 'duplicate', reason, supersededBy: by.record });
  }
  return { items: kept, rejected };
}

/** The group key of the streaming task an object goes through. */
export function streamTaskGroupKey(fileSystemId: string, dataFlowId: string, conflictPolicy: ConflictPolicy): string {
  return `${fileSystemId}/${dataFlowId}/${conflictPolicy}`;
}

/**
 * Groups planned objects by streaming task — (file system, data flow, ConflictPolicy), because the
 * ConflictPolicy belongs to the streaming task. Groups and the items in them keep input order.
 */
export function groupByStreamTask(items: readonly PlannedObject[]): StreamTaskGroup[] {
  const groups = new Map<string, StreamTaskGroup>();
  for (const item of items) {
    let group = groups.get(item.groupKey);
    if (group === undefined) {
      group = {
        groupKey: item.groupKey,
        fileSystemId: item.fileSystemId,
        dataFlowId: item.dataFlowId,
        conflictPolicy: item.conflictPolicy,
        directory: STREAM_TASK_DIRECTORY,
        dstDirectory: STREAM_TASK_DST_DIRECTORY,
        items: [],
      };
      groups.set(item.groupKey, group);
    }
    group.items.push(item);
  }
  return [...groups.values()];
}

/** ClientToken for the streaming task of `group`; `generation` as documented in client-token.ts. */
export function streamTaskClientTokenFor(group: StreamTaskGroup, generation: string | number): string {
  return streamTaskClientToken({
    fileSystemId: group.fileSystemId,
    dataFlowId: group.dataFlowId,
    conflictPolicy: group.conflictPolicy,
    directory: group.directory,
    dstDirectory: group.dstDirectory,
    generation,
  });
}

/** ClientToken for the sub-task that imports `item` through streaming task `streamTaskId`. */
export function subTaskClientTokenFor(item: PlannedObject, streamTaskId: string): string {
  return subTaskClientToken({
    fileSystemId: item.fileSystemId,
    dataFlowId: item.dataFlowId,
    streamTaskId,
    srcFilePath: item.srcFilePath,
    dstFilePath: item.dstFilePath,
    size: item.record.size,
    eTag: item.record.eTag,
  });
}

/**
 * objectId is a SHA-256 per object and nothing on the invocation path reads it (issue 11: it was 0.45× the
 * decoding floor): each item carries it as an enumerable own accessor, derived on first read and then kept,
 * so every reader (spread and JSON included) still sees one stable value. One shared getter and descriptor
 * for all items — a getter written in the item's literal made every item a dictionary-mode object
 * (~890 instead of ~185 bytes, issue 11: peak memory) and slower to read.
 */
const objectIds = new WeakMap<PlannedObject, string>();
function readObjectId(this: PlannedObject): string {
  let id = objectIds.get(this);
  if (id === undefined) {
    id = objectId({
      fileSystemId: this.fileSystemId,
      dataFlowId: this.dataFlowId,
      srcFilePath: this.srcFilePath,
      dstFilePath: this.dstFilePath,
      size: this.record.size,
      eTag: this.record.eTag,
    });
    objectIds.set(this, id);
  }
  return id;
}
const OBJECT_ID_PROPERTY: PropertyDescriptor = Object.freeze({ get: readObjectId, enumerable: true, configurable: false });

function planOne(
  record: ObjectCreated,
  settings: PlanningSettings,
  groupKeys: Map<ConflictPolicy, string>,
): { ok: true; item: PlannedObject } | Rejection {
  if (!record.eventName.startsWith('ObjectCreated:')) {
    return { ok: false, kind: 'ignored-event', reason: `event ${record.eventName} is not an object-created event` };
  }
  if (NON_OBJECT_EVENT_NAMES.has(record.eventName)) {
    return { ok: false, kind: 'ignored-event', reason: `event ${record.eventName} does not create a readable object` };
  }
  if (record.key.startsWith(OWN_STATE_PREFIX)) {
    return { ok: false, kind: 'ignored-event', reason: `key under "${OWN_STATE_PREFIX}": cpfs-ingest's own state (reconcile watermark), not data` };
  }
  if (settings.bucket !== undefined && record.bucket !== settings.bucket) {
    return { ok: false, kind: 'other-bucket', reason: `object is in bucket "${record.bucket}", the data flow reads bucket "${settings.bucket}"` };
  }

  const match = routeKey(record.key, settings);
  if (!match.ok) return match;
  if (record.key.endsWith('/')) {
    // The OSS console's "create folder" writes such a zero-byte key; it is not a file to import.
    return { ok: false, kind: 'directory-marker', reason: 'key ends with "/": a folder placeholder, not a file' };
  }

  const srcFilePath = subTaskSrcFilePath(match.pathInSource);
  const dstFilePath = subTaskDstFilePath(match.route, match.pathInRoute);
  // SrcFilePath first: the first broken rule is the one reported.
  const srcCheck = checkCpfsPath(srcFilePath, 'SrcFilePath');
  if (!srcCheck.ok) return { ok: false, kind: 'invalid-path', reason: describePathProblem(srcCheck) };
  const dstCheck = checkCpfsPath(dstFilePath, 'DstFilePath');
  if (!dstCheck.ok) return { ok: false, kind: 'invalid-path', reason: describePathProblem(dstCheck) };

  const { fileSystemId, dataFlowId } = settings;
  const conflictPolicy = match.route.conflictPolicy;
  let groupKey = groupKeys.get(conflictPolicy);
  if (groupKey === undefined) groupKeys.set(conflictPolicy, (groupKey = streamTaskGroupKey(fileSystemId, dataFlowId, conflictPolicy)));
  const item = {
    record,
    route: match.route,
    routeIndex: match.routeIndex,
    fileSystemId,
    dataFlowId,
    srcFilePath,
    dstFilePath,
    conflictPolicy,
    groupKey,
  };
  return { ok: true, item: Object.defineProperty(item, 'objectId', OBJECT_ID_PROPERTY) as typeof item & { readonly objectId: string } };
}
