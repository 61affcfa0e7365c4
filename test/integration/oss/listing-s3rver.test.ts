/**
 * listObjects + createOssS3Client against a real S3-compatible server (s3rver on 127.0.0.1, started by
 * test/support/s3-server.ts as a child process). The client uses `forcePathStyle: true` here ONLY because
 * s3rver cannot serve virtual-hosted names like `ingest-src.127.0.0.1` without custom DNS; OSS itself
 * accepts virtual-hosted style only.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OssApiError } from '../../../shared/oss/errors.js';
import { type ListedPage, type ListObjectsOptions, listObjects } from '../../../shared/oss/listing.js';
import { createOssS3Client } from '../../../shared/oss/s3-client.js';
import {
  createBucket,
  putObjects,
  S3RVER_CREDENTIALS,
  type S3TestServer,
  startS3Server,
  type TestObject,
} from '../../support/s3-server.js';

const BUCKET = 'ingest-src';
const OLD = new Date('2020-01-01T00:00:00Z');
const NEW = new Date('2024-06-01T00:00:00Z');

// Fixed-width names: s3rver only pages correctly when its directory walk order equals key order (see s3-server.ts).
const alphaKeys = Array.from({ length: 1250 }, (_, i) => `alpha/part-${Math.floor(i / 250)}/obj-${String(i).padStart(5, '0')}.bin`);
const betaKeys = Array.from({ length: 1250 }, (_, i) => `beta/obj-${String(i).padStart(5, '0')}.bin`);
const folderMarkers = ['alpha/', 'alpha/part-1/'];
const specialKeys = ['gamma/a b.txt', 'gamma/plus+sign', 'gamma/100%.txt', 'gamma/%2F-not-decoded', 'gamma/数据/文件.bin', 'gamma/😀.png'];

let server: S3TestServer;
let client: S3Client;

beforeAll(async () => {
  server = await startS3Server();
  createBucket(server, BUCKET);
  const objects: TestObject[] = [
    ...alphaKeys.map((key) => ({ key })),
    ...folderMarkers.map((key) => ({ key, body: '' })),
    ...betaKeys.map((key, i) => ({ key, lastModified: i % 2 === 0 ? OLD : NEW })),
    ...specialKeys.map((key) => ({ key })),
  ];
  expect(putObjects(server, BUCKET, objects)).toBe(objects.length);
  client = createOssS3Client({
    region: 'cn-hangzhou',
    endpoint: server.endpoint,
    forcePathStyle: true, // local s3rver only
    credentials: S3RVER_CREDENTIALS,
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

describe('listObjects against s3rver', () => {
  it('lists ~2,500 objects under two prefixes, every key exactly once, over many pages', async () => {
    const alpha = await listAll({ prefix: 'alpha/', pageSize: 200 });
    const beta = await listAll({ prefix: 'beta/', pageSize: 300 });

    expectExactlyOnce(alpha.keys, alphaKeys);
    expectExactlyOnce(beta.keys, betaKeys);
    expect(alpha.pages.length).toBe(Math.ceil((alphaKeys.length + folderMarkers.length) / 200));
    expect(alpha.pages.reduce((n, p) => n + p.skippedFolderMarkers, 0)).toBe(folderMarkers.length);
    expect(beta.pages.at(-1)?.nextContinuationToken).toBeUndefined();
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

  it('surfaces an unknown access key at once, without the secret', async () => {
    // s3rver checks the access key id but does not verify SigV4 signatures, so a wrong key id is what it can refuse.
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
