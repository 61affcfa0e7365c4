/**
 * Content-derived ClientTokens: the same request always carries the same token, so a retry (by our
 * retry loop, by FC's async retries, or by a duplicate OSS event delivery) is recognised by the service
 * as the request it already has — "same token ⇒ same request" (CreateDataFlowTask, ClientToken). Without
 * a token the service uses the RequestId, which changes on every attempt.
 *
 * Format: a readable prefix naming the request kind plus 48 hex characters (192 bits) of SHA-256 over an
 * unambiguous encoding (a JSON array with a version tag) of every parameter that makes the request what
 * it is. ASCII, at most 57 characters (limit: ASCII, ≤ 64). Hex rather than base64 so that the token
 * survives any case folding or character filtering on the service side. Bump the version tag if the
 * meaning of a field changes, so old tokens are never reused for different requests.
 *
 * ## Does a sub-task token include the streaming task id? Yes.
 * - With it: retries and duplicate events while the streaming task lives map to one sub-task. After the
 *   streaming task has stopped Executing and a new one was created, a replayed event makes a *new*
 *   sub-task, i.e. the object is imported a second time. The ConflictPolicy of the streaming task makes
 *   that harmless for the file's content (SKIP_THE_FILE skips it, KEEP_LATEST compares times,
 *   OVERWRITE_EXISTING rewrites identical bytes); the price is one duplicate transfer.
 * - Without it: the replay would reuse a token already spent on the dead streaming task. The service
 *   would answer with the old sub-task (failed, cancelled or expired along with its task) or refuse the
 *   changed parameters — either way the object would silently never be imported.
 * At-least-once delivery means we prefer a rare duplicate import to a silent loss, so the id is included.
 * The consequence: a sub-task token is known only once the streaming task id is, so planning gives each
 * object a task-independent `objectId` and the submitter derives the token with
 * {@link subTaskClientToken} when it submits.
 *
 * The object's size and eTag are included so that a new version of the same key (an overwrite) is a
 * new request, not a replay of the old one. eTags are normalised (quotes stripped, upper case) because
 * OSS events carry them bare while ListObjects returns them quoted.
 *
 * How long the service remembers a token is UNVERIFIED; nothing here depends on it being forever.
 */
import { createHash } from 'node:crypto';
import type { ConflictPolicy } from '../nas/wire.js';

/** Longest ClientToken the API accepts. */
export const MAX_CLIENT_TOKEN_LENGTH = 64;
const HASH_HEX_CHARS = 48;
const ENCODING_VERSION = 'v1';

export const CLIENT_TOKEN_PREFIXES = {
  streamTask: 'cpfs-st-',
  subTask: 'cpfs-sub-',
  importTask: 'cpfs-imp-',
  object: 'cpfs-obj-',
} as const;

export interface SubTaskTokenInput {
  readonly fileSystemId: string;
  readonly dataFlowId: string;
  /** The streaming task (DataFlowTaskId) the sub-task is created in. */
  readonly streamTaskId: string;
  readonly srcFilePath: string;
  readonly dstFilePath: string;
  readonly size?: number;
  readonly eTag?: string;
}

export interface StreamTaskTokenInput {
  readonly fileSystemId: string;
  readonly dataFlowId: string;
  readonly conflictPolicy: ConflictPolicy;
  readonly directory: string;
  readonly dstDirectory: string;
  /**
   * Distinguishes successive streaming tasks for the same (data flow, policy, directories). With a
   * constant token, re-creating the task after the previous one stopped Executing (Failed, Completed,
   * Canceled) would be answered with the dead task. Use a value every instance derives alike from what
   * it observes — best the TaskId of the streaming task being replaced ('' or 0 for the first) — so that
   * instances racing to replace the same dead task send the same token and get the same new task.
   */
  readonly generation: string | number;
}

export interface ImportTaskTokenInput {
  readonly fileSystemId: string;
  readonly dataFlowId: string;
  readonly conflictPolicy: ConflictPolicy;
  /** No Directory: an Import with an EntryList carries none (docs/platform.md §1). */
  readonly dstDirectory: string;
  /** The EntryList exactly as sent (the JSON string). */
  readonly entryList: string;
}

/** Task-independent identity of one object version headed for one destination file. */
export interface ObjectIdInput {
  readonly fileSystemId: string;
  readonly dataFlowId: string;
  readonly srcFilePath: string;
  readonly dstFilePath: string;
  readonly size?: number;
  readonly eTag?: string;
}

/** ClientToken of CreateDataFlowSubTask (`cpfs-sub-…`). See the module comment for what it includes. */
export function subTaskClientToken(input: SubTaskTokenInput): string {
  return deriveToken(CLIENT_TOKEN_PREFIXES.subTask, [
    'sub', input.fileSystemId, input.dataFlowId, input.streamTaskId,
    input.srcFilePath, input.dstFilePath, input.size ?? null, normalizeETag(input.eTag),
  ]);
}

/** ClientToken of CreateDataFlowTask with TaskAction=StreamImport (`cpfs-st-…`). */
export function streamTaskClientToken(input: StreamTaskTokenInput): string {
  return deriveToken(CLIENT_TOKEN_PREFIXES.streamTask, [
    'stream', input.fileSystemId, input.dataFlowId, input.conflictPolicy,
    input.directory, input.dstDirectory, String(input.generation),
  ]);
}

/**
 * ClientToken of CreateDataFlowTask with TaskAction=Import (`cpfs-imp-…`). A replay of the same batch
 * does not start a second task (which would also count against the 4-batch-task limit). A batch packed
 * differently (other records in the same invocation) is a different request and gets its own task;
 * overlapping entries are then imported twice, harmless under the ConflictPolicy.
 */
export function importTaskClientToken(input: ImportTaskTokenInput): string {
  return deriveToken(CLIENT_TOKEN_PREFIXES.importTask, [
    'import', input.fileSystemId, input.dataFlowId, input.conflictPolicy,
    input.dstDirectory, input.entryList,
  ]);
}

/**
 * Stable id of "this version of this object, to this file" (`cpfs-obj-…`), independent of any task:
 * for records, logs and ledgers. Not a ClientToken.
 */
export function objectId(input: ObjectIdInput): string {
  return deriveToken(CLIENT_TOKEN_PREFIXES.object, [
    'object', input.fileSystemId, input.dataFlowId,
    input.srcFilePath, input.dstFilePath, input.size ?? null, normalizeETag(input.eTag),
  ]);
}

/** OSS eTags arrive bare in events and quoted from ListObjects, in either case; compare them as one. */
export function normalizeETag(eTag: string | undefined): string | null {
  if (eTag === undefined) return null;
  const bare = eTag.trim().replace(/^"(.*)"$/, '$1');
  return bare === '' ? null : bare.toUpperCase();
}

function deriveToken(prefix: string, fields: ReadonlyArray<string | number | null>): string {
  // JSON of an array is an injective encoding: no two field lists share a byte string.
  const digest = createHash('sha256').update(JSON.stringify([ENCODING_VERSION, ...fields]), 'utf8').digest('hex');
  return `${prefix}${digest.slice(0, HASH_HEX_CHARS)}`;
}
