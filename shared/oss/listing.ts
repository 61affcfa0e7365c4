/**
 * Lists the objects under an OSS prefix, page by page, through the S3-compatible ListObjectsV2 call.
 *
 * The listing is an async generator of pages: the caller handles (and checkpoints) one page before the next
 * is requested, so memory stays flat whether the prefix holds a thousand keys or a hundred million. Nothing
 * here accumulates keys.
 *
 * Resuming: after handling a page, save `nextContinuationToken` (or `lastKey`) and pass it back as
 * `continuationToken` (or `startAfter`) to carry on where the page ended. `lastKey` is the last key the
 * server returned in the page, including keys this module then skipped, so a `startAfter` resume never
 * re-reads them.
 *
 * Keys arrive exactly as stored: the listing does not ask for `encoding-type=url`, so the only decoding is
 * the XML parser's entity decoding, and nothing must decode them again.
 */
import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type _Object } from '@aws-sdk/client-s3';
import { setTimeout as sleepTimer } from 'node:timers/promises';
import * as z from 'zod';
import { MAX_OSS_KEY_BYTES, OSS_BUCKET_PATTERN, OSS_BUCKET_RULE } from '../cpfs/limits.js';
import { ResponseShapeError, ValidationError } from '../errors.js';
import type { ObjectCreated } from '../events/types.js';
import { describeOssFailure, OssApiError } from './errors.js';

/** ListObjectsV2 returns at most 1000 keys per call (S3 and OSS `max-keys` limit). */
export const MAX_PAGE_SIZE = 1000;

/**
 * `eventName` of records made from a listing rather than an event. It stays in the `ObjectCreated:` family
 * so that planning treats backfilled objects exactly like notified ones, yet names no real OSS event, so
 * reports and ledgers can tell a backfill from a notification.
 */
export const BACKFILL_EVENT_NAME = 'ObjectCreated:Backfill';

/** The capability listing needs; an `S3Client` satisfies it, and tests may hand in a plain fake. */
export interface ListObjectsV2Sender {
  send(command: ListObjectsV2Command, options?: { abortSignal?: AbortSignal }): Promise<ListObjectsV2CommandOutput>;
}

/** One listed object. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  /** Without the surrounding double quotes the XML carries (`"5D41…"` → `5D41…`); case as OSS returns it. */
  readonly eTag: string;
  readonly lastModified: Date;
  readonly storageClass?: string;
}

/** One page of a listing. */
export interface ListedPage {
  /** Objects kept (folder markers and objects older than `modifiedSince` are left out). */
  readonly objects: ListedObject[];
  /** Present while more pages follow; resume with it as `continuationToken`. */
  readonly nextContinuationToken?: string;
  /** Last key the server returned in this page (kept or skipped); resume with it as `startAfter`. Absent for an empty page. */
  readonly lastKey?: string;
  /** Keys ending in `/` (the "folder" objects consoles create; no file can bear such a name), left out. */
  readonly skippedFolderMarkers: number;
  /** Objects whose LastModified is before `modifiedSince`, left out. */
  readonly skippedNotModifiedSince: number;
}

/** Bounded retries with exponential backoff and jitter; `sleep` and `random` are injectable for tests. */
export interface ListRetryOptions {
  /** Total attempts per page request, first included. Default 5. */
  readonly maxAttempts?: number;
  /** Backoff ceiling of the first retry. Default 200 ms; doubles per retry. */
  readonly baseDelayMs?: number;
  /** Upper bound of any single wait. Default 10 000 ms. */
  readonly maxDelayMs?: number;
  /** Waits `ms`; must reject when `signal` aborts. Default: `node:timers/promises` setTimeout. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** Told about each retry before its wait (for logging/metrics). Receives only safe fields. */
  readonly onRetry?: (info: { attempt: number; delayMs: number; code: string; httpStatus?: number }) => void;
}

export interface ListObjectsOptions {
  readonly client: ListObjectsV2Sender;
  readonly bucket: string;
  /** Key prefix to list; `''` lists the whole bucket. */
  readonly prefix: string;
  /** List keys strictly after this one (a checkpoint's `lastKey`). Ignored when `continuationToken` is set. */
  readonly startAfter?: string;
  /** Resume with a page's `nextContinuationToken`. Takes precedence over `startAfter`. */
  readonly continuationToken?: string;
  /**
   * Keep only objects with LastModified ≥ this instant. S3/OSS listing cannot filter by time on the server,
   * so every key under the prefix is still read (and paid for); this only spares the caller the old ones.
   * OSS reports LastModified to the second.
   */
  readonly modifiedSince?: Date;
  /** Keys requested per call, 1–1000. Default 1000. */
  readonly pageSize?: number;
  readonly signal?: AbortSignal;
  readonly retry?: ListRetryOptions;
}

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

const optionsSchema = z.object({
  bucket: z.string().regex(OSS_BUCKET_PATTERN, `must be an OSS bucket name: ${OSS_BUCKET_RULE}`),
  prefix: z.string().refine((p) => utf8Bytes(p) <= MAX_OSS_KEY_BYTES, `must be at most ${MAX_OSS_KEY_BYTES} bytes of UTF-8`),
  startAfter: z
    .string()
    .refine((k) => utf8Bytes(k) <= MAX_OSS_KEY_BYTES, `must be at most ${MAX_OSS_KEY_BYTES} bytes of UTF-8`)
    .optional(),
  continuationToken: z.string().min(1, 'must be a non-empty string when present').optional(),
  modifiedSince: z.date('must be a valid Date').optional(),
  pageSize: z
    .number()
    .int('must be an integer')
    .min(1, 'must be ≥ 1')
    .max(MAX_PAGE_SIZE, `must be ≤ ${MAX_PAGE_SIZE} (the ListObjectsV2 limit)`)
    .optional(),
  retry: z
    .object({
      maxAttempts: z.number().int('must be an integer').min(1, 'must be ≥ 1').max(20, 'must be ≤ 20').optional(),
      baseDelayMs: z.number().nonnegative('must be ≥ 0').optional(),
      maxDelayMs: z.number().nonnegative('must be ≥ 0').optional(),
    })
    .optional(),
});

/**
 * What OSS must send for each listed object; a missing field is a broken answer, not a default.
 * Checked by hand rather than with zod: this runs once per key, over millions of keys, and the SDK's
 * deserializer has already produced the types (zod cost ~6× more CPU per key here); only presence and
 * sanity are left to check.
 */
function checkWireObject(item: _Object, index: number, where: string): asserts item is _Object & {
  Key: string;
  Size: number;
  ETag: string;
  LastModified: Date;
} {
  const broken = (field: string, rule: string) =>
    new ResponseShapeError(`ListObjectsV2 of ${where}: Contents.${index}.${field} ${rule}`);
  if (typeof item.Key !== 'string' || item.Key === '') throw broken('Key', 'must be a non-empty string');
  if (typeof item.Size !== 'number' || !Number.isSafeInteger(item.Size) || item.Size < 0) {
    throw broken('Size', 'must be a non-negative integer');
  }
  if (typeof item.ETag !== 'string') throw broken('ETag', 'must be a string');
  if (!(item.LastModified instanceof Date) || Number.isNaN(item.LastModified.getTime())) {
    throw broken('LastModified', 'must be a valid date');
  }
}

/** `"abc"` → `abc`. S3/OSS wrap the ETag in double quotes in listings; events carry it bare. */
export function stripETagQuotes(eTag: string): string {
  return eTag.length >= 2 && eTag.startsWith('"') && eTag.endsWith('"') ? eTag.slice(1, -1) : eTag;
}

/**
 * Wait before retry number `retry` (1-based): half of the exponential ceiling fixed, half jittered, so
 * concurrent listers spread out yet each still backs off.
 */
export function backoffDelayMs(retry: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

/**
 * Turns a listed object into the same record an OSS notification produces, so backfill goes through the
 * planning path events take. `eventName` is {@link BACKFILL_EVENT_NAME}; `eventTime` is the object's
 * LastModified (the moment its creation event would have carried, to the second).
 */
export function toObjectCreated(object: ListedObject, bucket: string, region?: string): ObjectCreated {
  return {
    bucket,
    key: object.key,
    size: object.size,
    eTag: object.eTag,
    eventName: BACKFILL_EVENT_NAME,
    eventTime: object.lastModified.toISOString(),
    ...(region === undefined ? {} : { region }),
  };
}

/**
 * Lists `bucket`/`prefix` as an async generator of pages (see the module comment for checkpoints).
 * Every page is yielded, including empty ones (OSS may answer IsTruncated with no keys).
 *
 * @throws ValidationError for bad options (before any request).
 * @throws OssApiError naming bucket and prefix when OSS refuses (AccessDenied, NoSuchBucket, …) or retries
 *   run out on throttling / server faults (SlowDown, ServiceUnavailable, InternalError, 5xx, RequestTimeout).
 * @throws ResponseShapeError when an answer breaks the ListObjectsV2 contract (e.g. truncated without a token).
 * @throws the signal's reason when `signal` aborts.
 */
export async function* listObjects(options: ListObjectsOptions): AsyncGenerator<ListedPage, void, undefined> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(issue?.path.join('.') || 'options', issue?.message ?? 'invalid');
  }
  const { bucket, prefix, modifiedSince } = parsed.data;
  const { client, signal } = options;
  const pageSize = parsed.data.pageSize ?? MAX_PAGE_SIZE;
  const since = modifiedSince?.getTime();

  let continuationToken = parsed.data.continuationToken;
  let startAfter = continuationToken === undefined ? parsed.data.startAfter : undefined;

  for (;;) {
    const input = {
      Bucket: bucket,
      Prefix: prefix,
      MaxKeys: pageSize,
      ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken }),
      ...(startAfter === undefined ? {} : { StartAfter: startAfter }),
    };
    // A fresh command per attempt: an SDK command object gathers middleware on each send.
    const output = await sendWithRetries(client, () => new ListObjectsV2Command(input), {
      bucket,
      prefix,
      signal,
      retry: options.retry,
    });

    const contents = output.Contents ?? [];
    if (!Array.isArray(contents)) throw new ResponseShapeError(`ListObjectsV2 of oss://${bucket}/${prefix}: Contents must be a list`);

    const objects: ListedObject[] = [];
    let skippedFolderMarkers = 0;
    let skippedNotModifiedSince = 0;
    let lastKey: string | undefined;
    for (let index = 0; index < contents.length; index++) {
      const item = contents[index]!;
      checkWireObject(item, index, `oss://${bucket}/${prefix}`);
      lastKey = item.Key;
      if (item.Key.endsWith('/')) {
        skippedFolderMarkers++;
        continue;
      }
      if (since !== undefined && item.LastModified.getTime() < since) {
        skippedNotModifiedSince++;
        continue;
      }
      objects.push({
        key: item.Key,
        size: item.Size,
        eTag: stripETagQuotes(item.ETag),
        lastModified: item.LastModified,
        ...(item.StorageClass === undefined ? {} : { storageClass: item.StorageClass }),
      });
    }

    const next = output.IsTruncated === true ? output.NextContinuationToken : undefined;
    if (output.IsTruncated === true) {
      // Without a fresh token the next call would repeat this one forever.
      if (next === undefined || next === '') {
        throw new ResponseShapeError(`ListObjectsV2 of oss://${bucket}/${prefix}: IsTruncated without NextContinuationToken`);
      }
      if (next === continuationToken) {
        throw new ResponseShapeError(`ListObjectsV2 of oss://${bucket}/${prefix}: NextContinuationToken did not advance`);
      }
    }

    yield {
      objects,
      ...(next === undefined ? {} : { nextContinuationToken: next }),
      ...(lastKey === undefined ? {} : { lastKey }),
      skippedFolderMarkers,
      skippedNotModifiedSince,
    };

    if (next === undefined) return;
    continuationToken = next;
    startAfter = undefined;
  }
}

async function sendWithRetries(
  client: ListObjectsV2Sender,
  makeCommand: () => ListObjectsV2Command,
  ctx: { bucket: string; prefix: string; signal: AbortSignal | undefined; retry: ListRetryOptions | undefined },
): Promise<ListObjectsV2CommandOutput> {
  const { signal } = ctx;
  const maxAttempts = ctx.retry?.maxAttempts ?? 5;
  const baseDelayMs = ctx.retry?.baseDelayMs ?? 200;
  const maxDelayMs = ctx.retry?.maxDelayMs ?? 10_000;
  const random = ctx.retry?.random ?? Math.random;
  const sleep = ctx.retry?.sleep ?? ((ms: number, s?: AbortSignal) => sleepTimer(ms, undefined, s ? { signal: s } : {}));

  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortReason(signal);
    try {
      return await client.send(makeCommand(), signal ? { abortSignal: signal } : {});
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      const failure = describeOssFailure(error);
      if (!failure.retryable || attempt >= maxAttempts) {
        // Only classified, safe fields go into our error; the SDK error (which may echo the signed request) is dropped.
        throw new OssApiError(
          failure.code,
          failure.httpStatus,
          failure.retryable,
          'ListObjectsV2',
          ctx.bucket,
          ctx.prefix,
          attempt,
          failure.requestId,
        );
      }
      const delayMs = backoffDelayMs(attempt, baseDelayMs, maxDelayMs, random);
      ctx.retry?.onRetry?.({
        attempt,
        delayMs,
        code: failure.code,
        ...(failure.httpStatus === undefined ? {} : { httpStatus: failure.httpStatus }),
      });
      await sleep(delayMs, signal);
    }
  }
}
