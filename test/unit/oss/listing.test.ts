import {
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type ListObjectsV2Request,
  S3Client,
  S3ServiceException,
  type _Object,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResponseShapeError, ValidationError } from '../../../shared/errors.js';
import { OssApiError } from '../../../shared/oss/errors.js';
import {
  BACKFILL_EVENT_NAME,
  backoffDelayMs,
  type ListedPage,
  type ListObjectsOptions,
  listObjects,
  type ListObjectsV2Sender,
  toObjectCreated,
} from '../../../shared/oss/listing.js';

const BUCKET = 'ingest-src';
const PREFIX = 'incoming/2024/';
const SECRET = 'SeCrEtAccessKeySecret0123456789abcdefXYZ';
const TOKEN = 'STS.SecurityTokenValue.Zm9vYmFyYmF6cXV4';

const s3 = mockClient(S3Client);
let client: S3Client;

beforeEach(() => {
  s3.reset();
  client = new S3Client({
    region: 'cn-hangzhou',
    credentials: { accessKeyId: 'AKID', secretAccessKey: SECRET, sessionToken: TOKEN },
  });
});
afterEach(() => client.destroy());

/** OSS spells its storage classes Standard / IA / Archive, outside the SDK's S3 enum; the SDK passes them through. */
const OSS_STANDARD = 'Standard' as string as _Object['StorageClass'];
const LAST_MODIFIED = new Date('2024-05-01T00:00:00Z');

/** A listed object as the SDK returns it. */
function wireObject(key: string, extra: Partial<_Object> = {}): _Object {
  return {
    Key: key,
    Size: 10,
    ETag: '"5D41402ABC4B2A76B9719D911017C592"',
    LastModified: LAST_MODIFIED,
    StorageClass: OSS_STANDARD,
    ...extra,
  };
}

function page(keys: string[], next?: string): ListObjectsV2CommandOutput {
  return {
    $metadata: {},
    Contents: keys.map((k) => wireObject(k)),
    KeyCount: keys.length,
    IsTruncated: next !== undefined,
    ...(next === undefined ? {} : { NextContinuationToken: next }),
  };
}

function s3Error(name: string, httpStatusCode: number, extra: Record<string, unknown> = {}): S3ServiceException {
  const error = new S3ServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, requestId: 'REQ-1' },
    message: `${name} from server`,
  });
  return Object.assign(error, extra);
}

/** Sleep that records the requested waits and returns at once (no real time passes). */
function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

async function collect(options: ListObjectsOptions): Promise<ListedPage[]> {
  const pages: ListedPage[] = [];
  for await (const p of listObjects(options)) pages.push(p);
  return pages;
}

const inputs = (): ListObjectsV2Request[] => s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);

describe('listObjects pagination', () => {
  it('follows continuation tokens over several pages and stops when not truncated', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce(page([`${PREFIX}a`, `${PREFIX}b`], 'tok-1'))
      .resolvesOnce(page([`${PREFIX}c`, `${PREFIX}d`], 'tok-2'))
      .resolvesOnce(page([`${PREFIX}e`]));

    const pages = await collect({ client, bucket: BUCKET, prefix: PREFIX, pageSize: 2 });

    expect(pages.map((p) => p.objects.map((o) => o.key.slice(PREFIX.length)))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(pages.map((p) => p.nextContinuationToken)).toEqual(['tok-1', 'tok-2', undefined]);
    expect(pages.map((p) => p.lastKey)).toEqual([`${PREFIX}b`, `${PREFIX}d`, `${PREFIX}e`]);
    expect(inputs()).toEqual([
      { Bucket: BUCKET, Prefix: PREFIX, MaxKeys: 2 },
      { Bucket: BUCKET, Prefix: PREFIX, MaxKeys: 2, ContinuationToken: 'tok-1' },
      { Bucket: BUCKET, Prefix: PREFIX, MaxKeys: 2, ContinuationToken: 'tok-2' },
    ]);
  });

  it('asks for 1000 keys per page by default', async () => {
    s3.on(ListObjectsV2Command).resolves(page([]));
    await collect({ client, bucket: BUCKET, prefix: PREFIX });
    expect(inputs()[0]?.MaxKeys).toBe(1000);
  });

  it('yields empty truncated pages and carries on with their token', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce({ $metadata: {}, IsTruncated: true, KeyCount: 0, NextContinuationToken: 'tok-empty' })
      .resolvesOnce({ $metadata: {}, Contents: [], IsTruncated: true, KeyCount: 0, NextContinuationToken: 'tok-empty-2' })
      .resolvesOnce(page([`${PREFIX}z`]));

    const pages = await collect({ client, bucket: BUCKET, prefix: PREFIX });

    expect(pages).toHaveLength(3);
    expect(pages[0]).toEqual({ objects: [], nextContinuationToken: 'tok-empty', skippedFolderMarkers: 0, skippedNotModifiedSince: 0 });
    expect(pages[1]?.objects).toEqual([]);
    expect(pages[2]?.objects.map((o) => o.key)).toEqual([`${PREFIX}z`]);
    expect(inputs().map((i) => i.ContinuationToken)).toEqual([undefined, 'tok-empty', 'tok-empty-2']);
  });

  it('an empty prefix yields one empty page', async () => {
    s3.on(ListObjectsV2Command).resolves({ $metadata: {}, IsTruncated: false, KeyCount: 0 });
    const pages = await collect({ client, bucket: BUCKET, prefix: PREFIX });
    expect(pages).toEqual([{ objects: [], skippedFolderMarkers: 0, skippedNotModifiedSince: 0 }]);
  });
});

describe('listObjects resume from a checkpoint', () => {
  it('starts from a saved continuation token', async () => {
    s3.on(ListObjectsV2Command).resolvesOnce(page([`${PREFIX}m`], 'tok-9')).resolvesOnce(page([`${PREFIX}n`]));

    const pages = await collect({ client, bucket: BUCKET, prefix: PREFIX, continuationToken: 'tok-8' });

    expect(pages.flatMap((p) => p.objects.map((o) => o.key))).toEqual([`${PREFIX}m`, `${PREFIX}n`]);
    expect(inputs().map((i) => i.ContinuationToken)).toEqual(['tok-8', 'tok-9']);
  });

  it('starts after a saved last key, then pages by token only', async () => {
    s3.on(ListObjectsV2Command).resolvesOnce(page([`${PREFIX}m`], 'tok-1')).resolvesOnce(page([`${PREFIX}n`]));

    await collect({ client, bucket: BUCKET, prefix: PREFIX, startAfter: `${PREFIX}l` });

    expect(inputs()).toEqual([
      { Bucket: BUCKET, Prefix: PREFIX, MaxKeys: 1000, StartAfter: `${PREFIX}l` },
      { Bucket: BUCKET, Prefix: PREFIX, MaxKeys: 1000, ContinuationToken: 'tok-1' },
    ]);
  });

  it('prefers the continuation token when both checkpoints are given', async () => {
    s3.on(ListObjectsV2Command).resolves(page([]));
    await collect({ client, bucket: BUCKET, prefix: PREFIX, startAfter: `${PREFIX}l`, continuationToken: 'tok-3' });
    expect(inputs()).toEqual([{ Bucket: BUCKET, Prefix: PREFIX, MaxKeys: 1000, ContinuationToken: 'tok-3' }]);
  });

  it('lastKey counts skipped keys, so a startAfter resume does not re-read them', async () => {
    s3.on(ListObjectsV2Command).resolves(page([`${PREFIX}a`, `${PREFIX}dir/`]));
    const [only] = await collect({ client, bucket: BUCKET, prefix: PREFIX });
    expect(only?.lastKey).toBe(`${PREFIX}dir/`);
  });
});

describe('listObjects retries', () => {
  it('absorbs SlowDown twice, backing off, then returns the page', async () => {
    s3.on(ListObjectsV2Command)
      .rejectsOnce(s3Error('SlowDown', 503))
      .rejectsOnce(s3Error('SlowDown', 503))
      .resolvesOnce(page([`${PREFIX}a`]));
    const { waits, sleep } = recordingSleep();
    const retries: unknown[] = [];

    const pages = await collect({
      client,
      bucket: BUCKET,
      prefix: PREFIX,
      retry: { sleep, random: () => 0.5, baseDelayMs: 100, onRetry: (info) => retries.push(info) },
    });

    expect(pages.flatMap((p) => p.objects.map((o) => o.key))).toEqual([`${PREFIX}a`]);
    expect(inputs()).toHaveLength(3);
    expect(waits).toEqual([75, 150]); // ceilings 100, 200: half fixed + half × random 0.5
    expect(retries).toEqual([
      { attempt: 1, delayMs: 75, code: 'SlowDown', httpStatus: 503 },
      { attempt: 2, delayMs: 150, code: 'SlowDown', httpStatus: 503 },
    ]);
  });

  it.each([
    ['ServiceUnavailable', 503],
    ['InternalError', 500],
    ['RequestTimeout', 400],
    ['Unknown', 503], // an error answer without an XML body
    ['Unknown', 502],
  ])('retries %s (HTTP %i)', async (name, status) => {
    s3.on(ListObjectsV2Command).rejectsOnce(s3Error(name, status)).resolvesOnce(page([`${PREFIX}a`]));
    const { waits, sleep } = recordingSleep();
    const pages = await collect({ client, bucket: BUCKET, prefix: PREFIX, retry: { sleep } });
    expect(pages).toHaveLength(1);
    expect(waits).toHaveLength(1);
  });

  it('retries a dropped connection', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    s3.on(ListObjectsV2Command).rejectsOnce(reset).resolvesOnce(page([`${PREFIX}a`]));
    const { sleep } = recordingSleep();
    expect(await collect({ client, bucket: BUCKET, prefix: PREFIX, retry: { sleep } })).toHaveLength(1);
  });

  it('gives up after maxAttempts with a retryable OssApiError', async () => {
    s3.on(ListObjectsV2Command).rejects(s3Error('SlowDown', 503));
    const { waits, sleep } = recordingSleep();

    const error = await collect({ client, bucket: BUCKET, prefix: PREFIX, retry: { sleep, maxAttempts: 4, random: () => 1 } }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(OssApiError);
    expect(error).toMatchObject({ code: 'SlowDown', httpStatus: 503, retryable: true, attempts: 4, requestId: 'REQ-1' });
    expect(inputs()).toHaveLength(4);
    expect(waits).toEqual([200, 400, 800]);
  });

  it('caps each wait at maxDelayMs', () => {
    expect(backoffDelayMs(20, 200, 10_000, () => 1)).toBe(10_000);
    expect(backoffDelayMs(20, 200, 10_000, () => 0)).toBe(5_000);
  });

  it('stops waiting and rethrows the abort reason when the signal aborts during a backoff', async () => {
    s3.on(ListObjectsV2Command).rejects(s3Error('SlowDown', 503));
    const controller = new AbortController();
    const reason = new Error('deadline');
    const sleep = async () => controller.abort(reason);

    const error = await collect({ client, bucket: BUCKET, prefix: PREFIX, signal: controller.signal, retry: { sleep } }).catch(
      (e: unknown) => e,
    );

    expect(error).toBe(reason);
    expect(inputs()).toHaveLength(1);
  });
});

describe('listObjects non-retryable errors', () => {
  it.each([
    ['AccessDenied', 403],
    ['NoSuchBucket', 404],
    ['InvalidAccessKeyId', 403],
    ['SignatureDoesNotMatch', 403],
    ['SecondLevelDomainForbidden', 403],
  ])('%s surfaces at once, names bucket and prefix, and leaks no secret', async (name, status) => {
    // An S3-style error answer may echo the signed request; the SDK copies such fields onto the error.
    const leaky = s3Error(name, status, {
      message: `denied for ${SECRET}`,
      StringToSign: `AWS4-HMAC-SHA256 ... ${TOKEN}`,
      CanonicalRequest: `GET / x-amz-security-token:${TOKEN}`,
    });
    s3.on(ListObjectsV2Command).rejects(leaky);
    const { waits, sleep } = recordingSleep();

    const error = await collect({ client, bucket: BUCKET, prefix: PREFIX, retry: { sleep } }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OssApiError);
    const e = error as OssApiError;
    expect(e).toMatchObject({ code: name, httpStatus: status, retryable: false, attempts: 1 });
    expect(e.message).toContain(`oss://${BUCKET}/${PREFIX}`);
    expect(e.message).toContain(name);
    const everything = `${e.message} ${e.stack} ${JSON.stringify(e)} ${String(e.cause)}`;
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(TOKEN);
    expect(e.cause).toBeUndefined();
    expect(inputs()).toHaveLength(1);
    expect(waits).toEqual([]);
  });
});

describe('listObjects filtering and normalisation', () => {
  it('keeps only objects modified at or after modifiedSince, counting the rest', async () => {
    const since = new Date('2024-06-01T00:00:00Z');
    s3.on(ListObjectsV2Command).resolves({
      $metadata: {},
      IsTruncated: false,
      Contents: [
        wireObject(`${PREFIX}old`, { LastModified: new Date('2024-05-31T23:59:59Z') }),
        wireObject(`${PREFIX}exact`, { LastModified: since }),
        wireObject(`${PREFIX}new`, { LastModified: new Date('2024-06-02T00:00:00Z') }),
      ],
    });

    const [only] = await collect({ client, bucket: BUCKET, prefix: PREFIX, modifiedSince: since });

    expect(only?.objects.map((o) => o.key)).toEqual([`${PREFIX}exact`, `${PREFIX}new`]);
    expect(only?.skippedNotModifiedSince).toBe(1);
    expect(only?.lastKey).toBe(`${PREFIX}new`);
  });

  it('skips and counts folder markers', async () => {
    s3.on(ListObjectsV2Command).resolves(page([PREFIX, `${PREFIX}a`, `${PREFIX}sub/`, `${PREFIX}sub/b`]));
    const [only] = await collect({ client, bucket: BUCKET, prefix: PREFIX });
    expect(only?.objects.map((o) => o.key)).toEqual([`${PREFIX}a`, `${PREFIX}sub/b`]);
    expect(only?.skippedFolderMarkers).toBe(2);
  });

  it('strips the quotes of ETags and keeps size, time and storage class', async () => {
    s3.on(ListObjectsV2Command).resolves({
      $metadata: {},
      IsTruncated: false,
      Contents: [
        wireObject(`${PREFIX}quoted`, { Size: 122539, ETag: '"688A7BF4F233DC9C88A80BF985AB1234"' }),
        wireObject(`${PREFIX}multipart`, { ETag: '"3858F62230AC3C915F300C664312C11F-9"' }),
        wireObject(`${PREFIX}bare`, { ETag: 'ABC' }),
      ],
    });

    const [only] = await collect({ client, bucket: BUCKET, prefix: PREFIX });

    expect(only?.objects).toEqual([
      { key: `${PREFIX}quoted`, size: 122539, eTag: '688A7BF4F233DC9C88A80BF985AB1234', lastModified: new Date('2024-05-01T00:00:00Z'), storageClass: 'Standard' },
      { key: `${PREFIX}multipart`, size: 10, eTag: '3858F62230AC3C915F300C664312C11F-9', lastModified: new Date('2024-05-01T00:00:00Z'), storageClass: 'Standard' },
      { key: `${PREFIX}bare`, size: 10, eTag: 'ABC', lastModified: new Date('2024-05-01T00:00:00Z'), storageClass: 'Standard' },
    ]);
  });

  it('passes keys through untouched (no URL decoding)', async () => {
    const keys = [`${PREFIX}a b+c%20d.txt`, `${PREFIX}数据/😀.bin`];
    s3.on(ListObjectsV2Command).resolves(page(keys));
    const [only] = await collect({ client, bucket: BUCKET, prefix: PREFIX });
    expect(only?.objects.map((o) => o.key)).toEqual(keys);
  });
});

describe('listObjects contract checks', () => {
  it.each([
    [{ bucket: 'Bad_Bucket' }, 'bucket'],
    [{ bucket: 'ab' }, 'bucket'],
    [{ pageSize: 0 }, 'pageSize'],
    [{ pageSize: 1001 }, 'pageSize'],
    [{ pageSize: 2.5 }, 'pageSize'],
    [{ prefix: 'x'.repeat(1024) }, 'prefix'],
    [{ modifiedSince: new Date('not a date') }, 'modifiedSince'],
    [{ continuationToken: '' }, 'continuationToken'],
    [{ retry: { maxAttempts: 0 } }, 'retry.maxAttempts'],
  ])('rejects %j before any request, naming %s', async (override, field) => {
    const error = await collect({ client, bucket: BUCKET, prefix: PREFIX, ...override }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect(inputs()).toHaveLength(0);
  });

  it('rejects a truncated answer without a next token instead of looping', async () => {
    s3.on(ListObjectsV2Command).resolves({ $metadata: {}, IsTruncated: true, Contents: [wireObject(`${PREFIX}a`)] });
    await expect(collect({ client, bucket: BUCKET, prefix: PREFIX })).rejects.toThrow(ResponseShapeError);
  });

  it('rejects a token that does not advance', async () => {
    s3.on(ListObjectsV2Command).resolves(page([`${PREFIX}a`], 'same'));
    const error = await collect({ client, bucket: BUCKET, prefix: PREFIX, continuationToken: 'same' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseShapeError);
    expect(inputs()).toHaveLength(1);
  });

  it('rejects an object without Size', async () => {
    s3.on(ListObjectsV2Command).resolves({ $metadata: {}, IsTruncated: false, Contents: [{ Key: 'k', ETag: '"e"', LastModified: new Date() }] });
    await expect(collect({ client, bucket: BUCKET, prefix: PREFIX })).rejects.toThrow(/Size/);
  });
});

describe('toObjectCreated', () => {
  it('produces the record events produce, marked as a backfill', () => {
    const record = toObjectCreated(
      { key: 'source/a.png', size: 122539, eTag: '688A7BF4F233DC9C88A80BF985AB1234', lastModified: new Date('2022-08-13T06:45:43Z') },
      'testbucket',
      'cn-hangzhou',
    );
    expect(record).toEqual({
      bucket: 'testbucket',
      key: 'source/a.png',
      size: 122539,
      eTag: '688A7BF4F233DC9C88A80BF985AB1234',
      eventName: BACKFILL_EVENT_NAME,
      eventTime: '2022-08-13T06:45:43.000Z',
      region: 'cn-hangzhou',
    });
    expect(record.eventName.startsWith('ObjectCreated:')).toBe(true);
  });

  it('omits region when not known', () => {
    const record = toObjectCreated({ key: 'k', size: 0, eTag: 'e', lastModified: new Date(0) }, 'b');
    expect('region' in record).toBe(false);
  });
});

describe('listObjects memory', () => {
  /**
   * 200 pages × 1000 keys through a hand-written sender (aws-sdk-client-mock's sinon stub records every
   * return value, which would itself retain the pages). The test keeps only counters and one WeakRef.
   */
  it('streams 200 pages of 1000 keys without reading ahead or retaining consumed pages', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const PAGES = 200;
    const PER_PAGE = 1000;
    let requested = 0;
    let consumed = 0;
    let maxAhead = 0;
    const sender: ListObjectsV2Sender = {
      async send(command) {
        const n = command.input.ContinuationToken === undefined ? 0 : Number(command.input.ContinuationToken);
        requested++;
        maxAhead = Math.max(maxAhead, requested - consumed);
        const Contents: _Object[] = [];
        for (let i = 0; i < PER_PAGE; i++) {
          const Key = `${PREFIX}${String(n * PER_PAGE + i).padStart(9, '0')}`;
          Contents.push({ Key, Size: 1, ETag: '"e"', LastModified: LAST_MODIFIED });
        }
        const last = n === PAGES - 1;
        return { $metadata: {}, Contents, IsTruncated: !last, ...(last ? {} : { NextContinuationToken: String(n + 1) }) };
      },
    };

    let keys = 0;
    let previousLastKey = '';
    let firstPage: WeakRef<ListedPage> | undefined;
    let firstPageCollected = false;
    for await (const p of listObjects({ client: sender, bucket: BUCKET, prefix: PREFIX })) {
      consumed++;
      keys += p.objects.length;
      expect(p.lastKey! > previousLastKey).toBe(true);
      previousLastKey = p.lastKey!;
      if (consumed === 1) firstPage = new WeakRef(p);
      if (consumed === 100) {
        await new Promise((resolve) => setImmediate(resolve)); // WeakRef targets are kept alive until the job ends
        gc();
        firstPageCollected = firstPage?.deref() === undefined;
      }
    }

    expect(keys).toBe(PAGES * PER_PAGE);
    expect(consumed).toBe(PAGES);
    expect(maxAhead).toBe(1); // page n+1 is requested only after page n was handed over and taken
    expect(firstPageCollected).toBe(true);
  });
});
