/**
 * Which OSS event names mean "a complete object now exists under this key" (docs/platform.md §3, event names).
 *
 * - PutObject, PostObject, CopyObject, CompleteMultipartUpload: the object is complete.
 * - PutSymlink: a symlink is an object of its own under the key; a data-flow import reads it through OSS
 *   like any other object, so it is imported (the trigger decides whether anyone subscribes to it).
 * - AppendObject: fires once per append. It is accepted because each append leaves a readable object;
 *   de-duplication by (bucket, key, eTag) collapses repeated notifications of the same content, while a
 *   later append changes the eTag and so is imported again — the file in CPFS converges on the latest
 *   content (with KEEP_LATEST / OVERWRITE_EXISTING). Subscribe to it only if appendable objects must land.
 * - InitiateMultipartUpload, UploadPart, UploadPartCopy: an upload in progress; the object does not exist
 *   yet (CompleteMultipartUpload follows), so they are ignored.
 * - ObjectRemoved:*, ObjectModified:* and anything unknown (GetObject, ObjectReplication:*, …) are ignored.
 */

/** Event names (without the `oss:` prefix) that produce an import. */
export const ACCEPTED_EVENT_NAMES = [
  'ObjectCreated:PutObject',
  'ObjectCreated:PostObject',
  'ObjectCreated:CopyObject',
  'ObjectCreated:CompleteMultipartUpload',
  'ObjectCreated:AppendObject',
  'ObjectCreated:PutSymlink',
] as const;
export type AcceptedEventName = (typeof ACCEPTED_EVENT_NAMES)[number];

/** ObjectCreated names that describe an unfinished multipart upload. */
const MULTIPART_STEP_NAMES: ReadonlySet<string> = new Set([
  'ObjectCreated:InitiateMultipartUpload',
  'ObjectCreated:UploadPart',
  'ObjectCreated:UploadPartCopy',
]);
const ACCEPTED: ReadonlySet<string> = new Set(ACCEPTED_EVENT_NAMES);

/** Why an event was ignored (a stable code, counted and logged by the use case). */
export type IgnoreReason =
  /** ObjectRemoved:* — deletions are not propagated. */
  | 'object-removed'
  /** ObjectModified:* — metadata changes do not change content. */
  | 'object-modified'
  /** InitiateMultipartUpload / UploadPart / UploadPartCopy — CompleteMultipartUpload will follow. */
  | 'multipart-in-progress'
  /** Any other name. */
  | 'unsupported-event'
  /** An accepted name but no `oss.object`: a trigger test/validation event (see parse-events.ts). */
  | 'no-object'
  /** The key ends with `/`: a zero-byte "folder" placeholder created by consoles and tools. */
  | 'folder-marker';

/** Removes the `oss:` prefix that trigger configurations and CloudEvent `type`s carry. */
export function stripOssPrefix(eventName: string): string {
  return eventName.startsWith('oss:') ? eventName.slice('oss:'.length) : eventName;
}

/**
 * Classifies an event name (with or without `oss:`).
 * @returns `undefined` when the event should be imported, otherwise the reason to ignore it.
 */
export function classifyEventName(eventName: string): Exclude<IgnoreReason, 'no-object' | 'folder-marker'> | undefined {
  const name = stripOssPrefix(eventName);
  if (ACCEPTED.has(name)) return undefined;
  if (MULTIPART_STEP_NAMES.has(name)) return 'multipart-in-progress';
  if (name.startsWith('ObjectRemoved:')) return 'object-removed';
  if (name.startsWith('ObjectModified:')) return 'object-modified';
  return 'unsupported-event';
}
