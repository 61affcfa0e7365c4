/**
 * listObjects + createOssS3Client against the emulator's S3-compatible OSS endpoint (emulator/s3/, on
 * 127.0.0.1, SigV4 checked). The client uses `forcePathStyle: true` here ONLY because `ingest-src.127.0.0.1`
 * would need custom DNS; OSS itself accepts virtual-hosted style only.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OssApiError } from '../../../shared/oss/errors.js';
import { type ListedPage, type ListObjectsOptions, listObjects } from '../../../shared/oss/listing.js';
import { createOssS3Client } from '../../../shared/oss/s3-client.js';
import { putObjects, S3_TEST_KEY, startS3World, type S3World, type TestObject } from '../../support/s3-server.js';

const BUCKET = 'ingest-src';
const OLD = new Date('2020-01-01T00:00:00Z');
const NEW = new Date('2024-06-01T00:00:00Z');

// Names of varying width, and `x` beside `x-1` and `x/…`: listing order is byte order of whole keys, not a
// directory walk ('-' sorts before '/').
const alphaKeys = Array.from({ length: 1250 }, (_, i) => `alpha/part-${Math.floor(i / 250)}/obj-${i}.bin`);
const betaKeys = Array.from({ length: 1250 }, (_, i) => `beta/obj-${String(i).padStart(5, '0')}.bin`);
const orderKeys = ['delta/x-1', 'delta/x/a', 'delta/x.b', 'delta/x0'];
const specialKeys = ['gamma/a b.txt', 'gamma/plus+sign', 'gamma/100%.txt', 'gamma/%2F-not-decoded', 'gamma/数据/文件.bin', 'gamma/😀.png'];

let server: S3World;
let client: S3Client;

beforeAll(async () => {
  server = await startS3World([BUCKET]);
  const objects: TestObject[] = [
    ...alphaKeys.map((key) => ({ key })),
    ...betaKeys.map((key, i) => ({ key, lastModified: i % 2 === 0 ? OLD : NEW })),
    ...orderKeys.map((key) => ({ key })),
    ...specialKeys.map((key) => ({ key })),
  ];
  expect(putObjects(server.bucketDirs[BUCKET] as string, objects)).toBe(objects.length);
  client = createOssS3Client({
    region: 'cn-hangzhou',
    endpoint: server.endpoint,
    forcePathStyle: true, // loopback only
    credentials: S3_TEST_KEY,
  });
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

/** Any failure surfaces at once with its real code (no retries, no waiting). */
const noRetry = { maxAttempts: 1 };

async function listAll(options: Omit<ListObjectsOptions, 'client' | 'bucket'>) {
  const keys: string[] = [];
  const pages: Omit<ListedPage, 'objects'>[] = [];
  for await (const page of listObjects({ client, bucket: BUCKET, retry: noRetry, ...options })) {
    keys.push(...page.objects.map((o) => o.key));
    const { objects: _objects, ...rest } = page;
    pages.push(rest);
  }
  return { keys, pages };
}

function expectExactlyOnce(listed: string[], expected: string[]) {
  expect(new Set(listed).size).toBe(listed.length); // no repeats
  expect([...listed].sort()).toEqual([...expected].sort());
}

describe('listObjects against the emulator\'s S3 endpoint', () => {
  it('lists ~2,500 objects under two prefixes, every key exactly once, over many pages', async () => {
    const alpha = await listAll({ prefix: 'alpha/', pageSize: 200 });
    const beta = await listAll({ prefix: 'beta/', pageSize: 300 });

    expectExactlyOnce(alpha.keys, alphaKeys);
    expectExactlyOnce(beta.keys, betaKeys);
    expect(alpha.pages.length).toBe(Math.ceil(alphaKeys.length / 200));
    expect(beta.pages.at(-1)?.nextContinuationToken).toBeUndefined();
  });

  it('lists the whole bucket at 1,000 keys a page (the default) past the first page, in byte order', async () => {
    const all = await listAll({ prefix: '' });
    const expected = [...alphaKeys, ...betaKeys, ...orderKeys, ...specialKeys];
    expectExactlyOnce(all.keys, expected);
    expect(all.pages.length).toBe(Math.ceil(expected.length / 1000));
    expect(all.keys).toEqual([...expected].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(all.keys.filter((k) => k.startsWith('delta/'))).toEqual(['delta/x-1', 'delta/x.b', 'delta/x/a', 'delta/x0']);
  });

  it('reports size, a bare ETag and LastModified of each object', async () => {
    const first = await listObjects({ client, bucket: BUCKET, prefix: 'beta/obj-00001', retry: noRetry }).next();
    const object = first.value?.objects[0];
    expect(object).toEqual({
      key: 'beta/obj-00001.bin',
      size: Buffer.byteLength('beta/obj-00001.bin'),
      eTag: expect.stringMatching(/^[0-9a-f]{32}$/),
      lastModified: NEW,
      storageClass: 'STANDARD',
    });
  });

  it('resumes from a continuation token mid-listing and yields the rest without repeats', async () => {
    const before: string[] = [];
    let checkpoint: string | undefined;
    for await (const page of listObjects({ client, bucket: BUCKET, prefix: 'alpha/', pageSize: 150, retry: noRetry })) {
      before.push(...page.objects.map((o) => o.key));
      checkpoint = page.nextContinuationToken;
      if (before.length >= 450) break; // the "function" stops here and saves its checkpoint
    }
    expect(checkpoint).toBeDefined();

    const after = await listAll({ prefix: 'alpha/', pageSize: 150, continuationToken: checkpoint! });

    expect(before.length).toBeGreaterThan(0);
    expect(after.keys.length).toBeGreaterThan(0);
    expectExactlyOnce([...before, ...after.keys], alphaKeys);
  });

  it('resumes from a last key (startAfter) just as well', async () => {
    const first = await listObjects({ client, bucket: BUCKET, prefix: 'beta/', pageSize: 500, retry: noRetry }).next();
    const page = first.value!;
    const after = await listAll({ prefix: 'beta/', pageSize: 500, startAfter: page.lastKey! });
    expectExactlyOnce([...page.objects.map((o) => o.key), ...after.keys], betaKeys);
  });

  it('filters by modifiedSince on the client side', async () => {
    const { keys, pages } = await listAll({ prefix: 'beta/', pageSize: 1000, modifiedSince: new Date('2024-01-01T00:00:00Z') });
    expectExactlyOnce(keys, betaKeys.filter((_, i) => i % 2 === 1));
    expect(pages.reduce((n, p) => n + p.skippedNotModifiedSince, 0)).toBe(betaKeys.length / 2);
  });

  it('returns keys with space, +, %, CJK and emoji byte-exact', async () => {
    const { keys } = await listAll({ prefix: 'gamma/' });
    expectExactlyOnce(keys, specialKeys);
  });

  it('names bucket and prefix when the bucket does not exist', async () => {
    const error = await listObjects({ client, bucket: 'no-such-bucket', prefix: 'x/', retry: noRetry })
      .next()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OssApiError);
    expect(error).toMatchObject({ code: 'NoSuchBucket', httpStatus: 404, retryable: false });
    expect((error as Error).message).toContain('oss://no-such-bucket/x/');
  });

  it('refuses a wrong secret (SignatureDoesNotMatch, 403) without retrying', async () => {
    const wrong = createOssS3Client({
      region: 'cn-hangzhou',
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: S3_TEST_KEY.accessKeyId, accessKeySecret: 'not-the-secret' },
    });
    const error = await listObjects({ client: wrong, bucket: BUCKET, prefix: 'alpha/', retry: noRetry })
      .next()
      .catch((e: unknown) => e);
    wrong.destroy();
    expect(error).toBeInstanceOf(OssApiError);
    expect(error).toMatchObject({ code: 'SignatureDoesNotMatch', httpStatus: 403, retryable: false, attempts: 1 });
    expect((error as Error).message).not.toContain('not-the-secret');
  });

  it('surfaces an unknown access key at once, without the secret', async () => {
    const secret = 'some-secret-0123456789-abcdefghij';
    const wrong = createOssS3Client({
      region: 'cn-hangzhou',
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'UNKNOWNKEY', accessKeySecret: secret, securityToken: 'token-0123456789' },
    });
    const error = await listObjects({ client: wrong, bucket: BUCKET, prefix: 'alpha/', retry: noRetry })
      .next()
      .catch((e: unknown) => e);
    wrong.destroy();
    expect(error).toBeInstanceOf(OssApiError);
    expect(error).toMatchObject({ code: 'InvalidAccessKeyId', httpStatus: 403, retryable: false, attempts: 1 });
    const text = `${(error as Error).message} ${JSON.stringify(error)}`;
    expect(text).toContain(`oss://${BUCKET}/alpha/`);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('token-0123456789');
  });
});
