/**
 * The emulator's S3-compatible OSS endpoint (emulator/s3/) driven by the real @aws-sdk/client-s3: listing
 * (prefix, delimiter, max-keys, continuation tokens, start-after), head/get/put/delete, DeleteObjects, the
 * body encodings the SDK sends (hex SHA-256, UNSIGNED-PAYLOAD with a stream, aws-chunked with a CRC32 trailer),
 * SigV4 refusals with S3's codes and XML bodies, and objects shared with the NAS side's imports.
 */
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulatorCaller } from '../../support/emulator-request.js';
import { putObjects, S3_TEST_KEY, startS3World, type S3World } from '../../support/s3-server.js';

const BUCKET = 'endpoint-bucket';
const FS = 'bmcpfs-s3ep000001';
const FLOW = 'df-s3ep00000001';
const SPECIAL = ['odd/a b.txt', 'odd/plus+sign', 'odd/100%.txt', 'odd/%2F-not-decoded', 'odd/数据/文件.bin', 'odd/😀.png', "odd/q'uote&<amp>"];
const MANY = Array.from({ length: 2_500 }, (_, i) => `many/obj-${i}.bin`);

let world: S3World;
let dir: string;
let fsDir: string;
const clients: S3Client[] = [];

function client(overrides: Partial<S3ClientConfig> = {}): S3Client {
  const c = new S3Client({
    region: 'cn-hangzhou',
    endpoint: world.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: S3_TEST_KEY.accessKeyId, secretAccessKey: S3_TEST_KEY.accessKeySecret },
    maxAttempts: 1,
    ...overrides,
  });
  clients.push(c);
  return c;
}

async function failure(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { name: string; $metadata?: { httpStatusCode?: number } },
  );
  expect(error, 'the call should have failed').toBeDefined();
  return { name: error?.name ?? '', status: error?.$metadata?.httpStatusCode };
}

beforeAll(async () => {
  fsDir = mkdtempSync(path.join(tmpdir(), 's3-endpoint-fs-'));
  world = await startS3World([BUCKET], {
    fileSystemDir: fsDir,
    fileSystems: [{ id: FS, version: '2.6.0' }],
    dataFlows: [{ id: FLOW, fileSystemId: FS, sourceStorage: `oss://${BUCKET}` }],
  });
  dir = world.bucketDirs[BUCKET] as string;
  putObjects(dir, MANY.map((key) => ({ key, body: 'm' })));
  putObjects(dir, SPECIAL.map((key) => ({ key })));
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await world?.stop();
  rmSync(fsDir, { recursive: true, force: true });
});

async function listAllKeys(c: S3Client, input: { Prefix?: string; MaxKeys?: number; StartAfter?: string; Delimiter?: string }) {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await c.send(new ListObjectsV2Command({ Bucket: BUCKET, ...input, ...(token ? { ContinuationToken: token } : {}) }));
    pages += 1;
    keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
    prefixes.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''));
    expect(page.KeyCount).toBe((page.Contents?.length ?? 0) + (page.CommonPrefixes?.length ?? 0));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (page.IsTruncated) expect(token).toBeTruthy();
  } while (token !== undefined);
  return { keys, prefixes, pages };
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('ListObjectsV2', () => {
  it('pages 2,500 keys at max-keys 1000 with opaque continuation tokens, each key once, in byte order', async () => {
    const { keys, pages } = await listAllKeys(client(), { Prefix: 'many/', MaxKeys: 1000 });
    expect(pages).toBe(3);
    expect(keys).toEqual([...MANY].sort(byteOrder));
    const first = await client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'many/', MaxKeys: 1000 }));
    // Opaque: not a key, not something a client could build from one.
    expect(first.NextContinuationToken).not.toContain('many/');
  });

  it('caps max-keys at 1000 and honours start-after', async () => {
    const page = await client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'many/', MaxKeys: 5000 }));
    expect(page.Contents).toHaveLength(1000);
    expect(page.MaxKeys).toBe(1000);
    const sorted = [...MANY].sort(byteOrder);
    const { keys } = await listAllKeys(client(), { Prefix: 'many/', StartAfter: sorted[2_399] as string, MaxKeys: 30 });
    expect(keys).toEqual(sorted.slice(2_400));
  });

  it('groups by delimiter into common prefixes, also across pages', async () => {
    const top = await listAllKeys(client(), { Delimiter: '/', MaxKeys: 1 });
    expect(top.keys).toEqual([]);
    expect(top.prefixes).toEqual(['many/', 'odd/']);
    expect(top.pages).toBe(2);
    const odd = await listAllKeys(client(), { Prefix: 'odd/', Delimiter: '/' });
    expect(odd.prefixes).toEqual(['odd/数据/']);
    expect(odd.keys).toEqual(SPECIAL.filter((k) => !k.includes('数据')).sort(byteOrder));
  });

  it('returns keys with space, +, %, CJK, emoji and XML specials byte-exact, and lists them by prefix', async () => {
    const { keys } = await listAllKeys(client(), { Prefix: 'odd/' });
    expect(keys).toEqual([...SPECIAL].sort(byteOrder));
    const plus = await client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'odd/plus+' }));
    expect(plus.Contents?.map((o) => o.Key)).toEqual(['odd/plus+sign']);
    const emoji = await client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'odd/😀' }));
    expect(emoji.Contents?.map((o) => o.Key)).toEqual(['odd/😀.png']);
  });

  it('refuses a forged continuation token and an unknown bucket', async () => {
    expect(await failure(client().send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: 'not-a-token' })))).toEqual({ name: 'InvalidArgument', status: 400 });
    expect(await failure(client().send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })))).toEqual({ name: 'NoSuchBucket', status: 404 });
  });
});

describe('objects', () => {
  it('puts, heads, gets (also a range) and deletes objects with awkward keys', async () => {
    const c = client();
    for (const key of ['put/a b+c%d.txt', 'put/数据/😀.bin']) {
      const body = `body of ${key}`;
      const put = await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
      expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
      // Same bucket directory as the NAS side: the object is a file there.
      expect(readFileSync(path.join(dir, ...key.split('/')), 'utf8')).toBe(body);

      const head = await c.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(head).toMatchObject({ ContentLength: Buffer.byteLength(body), ETag: put.ETag });
      expect(head.LastModified).toBeInstanceOf(Date);

      const got = await c.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(await got.Body?.transformToString()).toBe(body);
      const part = await c.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: 'bytes=0-3' }));
      expect(await part.Body?.transformToString()).toBe('body');

      await c.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(await failure(c.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })))).toEqual({ name: 'NotFound', status: 404 });
      expect(await failure(c.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })))).toEqual({ name: 'NoSuchKey', status: 404 });
    }
    expect(existsSync(path.join(dir, 'put'))).toBe(false); // emptied folders go with their last object
    // Deleting what is not there succeeds, as in S3.
    await c.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'put/never' }));
  });

  it('takes the bodies the SDK sends: a stream (UNSIGNED-PAYLOAD) and aws-chunked with a CRC32 trailer', async () => {
    // createOssS3Client's settings (checksums only when required): a stream goes as UNSIGNED-PAYLOAD.
    const plain = client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
    await plain.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'enc/stream.bin', Body: Readable.from([Buffer.from('stream-'), Buffer.from('body')]) }));
    expect(readFileSync(path.join(dir, 'enc', 'stream.bin'), 'utf8')).toBe('stream-body');
    // The SDK's defaults: a stream of known length goes aws-chunked (STREAMING-UNSIGNED-PAYLOAD-TRAILER) with a CRC32 trailer.
    const defaults = client();
    await defaults.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'enc/chunked.bin', Body: Readable.from([Buffer.from('chunked-'), Buffer.from('body')]), ContentLength: 12 }));
    expect(readFileSync(path.join(dir, 'enc', 'chunked.bin'), 'utf8')).toBe('chunked-body');
    // And a string body with the default CRC32 header.
    await defaults.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'enc/crc.bin', Body: 'crc' }));
    expect(readFileSync(path.join(dir, 'enc', 'crc.bin'), 'utf8')).toBe('crc');
  });

  it('deletes many objects with DeleteObjects', async () => {
    putObjects(dir, ['bulk/1', 'bulk/2', 'bulk/3'].map((key) => ({ key })));
    const answer = await client().send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'bulk/1' }, { Key: 'bulk/2' }, { Key: 'bulk/none' }] } }));
    expect(answer.Deleted?.map((d) => d.Key).sort()).toEqual(['bulk/1', 'bulk/2', 'bulk/none']);
    expect((await listAllKeys(client(), { Prefix: 'bulk/' })).keys).toEqual(['bulk/3']);
  });

  it('keeps LastModified from the file (to the second), so objects put on disk list like uploaded ones', async () => {
    const when = new Date('2023-05-06T07:08:09Z');
    putObjects(dir, [{ key: 'time/old.bin', lastModified: when }]);
    const head = await client().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'time/old.bin' }));
    expect(head.LastModified?.toISOString()).toBe(when.toISOString());
    expect(statSync(path.join(dir, 'time', 'old.bin')).mtime.toISOString()).toBe(when.toISOString());
  });
});

describe('authentication', () => {
  it('refuses a wrong secret (SignatureDoesNotMatch), an unknown key (InvalidAccessKeyId), both 403', async () => {
    const wrongSecret = client({ credentials: { accessKeyId: S3_TEST_KEY.accessKeyId, secretAccessKey: 'wrong-secret' } });
    expect(await failure(wrongSecret.send(new ListObjectsV2Command({ Bucket: BUCKET })))).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
    expect(await failure(wrongSecret.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'auth/x', Body: 'x' })))).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
    expect(existsSync(path.join(dir, 'auth'))).toBe(false);
    const unknown = client({ credentials: { accessKeyId: 'LTAI-nobody', secretAccessKey: 'x' } });
    expect(await failure(unknown.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'odd/plus+sign' })))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
  });

  it('takes STS keys with their token, and refuses a wrong or expired token', async () => {
    world.emulator.addKey({ accessKeyId: 'STS.s3-test', accessKeySecret: 'sts-secret', securityToken: 'sts-token-1' });
    const sts = (sessionToken?: string) =>
      client({ credentials: { accessKeyId: 'STS.s3-test', secretAccessKey: 'sts-secret', ...(sessionToken !== undefined ? { sessionToken } : {}) } });
    const ok = await sts('sts-token-1').send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'odd/plus' }));
    expect(ok.Contents?.map((o) => o.Key)).toEqual(['odd/plus+sign']);
    expect(await failure(sts('other-token').send(new ListObjectsV2Command({ Bucket: BUCKET })))).toEqual({ name: 'InvalidToken', status: 400 });
    expect(await failure(sts().send(new ListObjectsV2Command({ Bucket: BUCKET })))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
    world.emulator.expireSecurityToken('STS.s3-test');
    expect(await failure(sts('sts-token-1').send(new ListObjectsV2Command({ Bucket: BUCKET })))).toEqual({ name: 'ExpiredToken', status: 400 });
  });

  it('answers unsigned requests 403 AccessDenied with an S3 XML error body', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get(`${world.endpoint}/${BUCKET}/odd/plus%2Bsign`, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        })
        .on('error', reject);
    });
    expect(status).toBe(403);
    expect(body).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error><Code>AccessDenied<\/Code><Message>[^<]+<\/Message>.*<RequestId>[0-9A-F]+<\/RequestId>/);
  });

  it('checks the payload hash of a signed body', async () => {
    const c = client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
    // A middleware that swaps the body after signing: the signature still matches, the content hash does not.
    c.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body?: unknown };
        request.body = 'tampered';
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'tamper' },
    );
    const result = await failure(c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'hash/x', Body: 'original' })));
    expect(result.status).toBe(400);
    expect(['XAmzContentSHA256Mismatch', 'SignatureDoesNotMatch']).toContain(result.name);
    expect(existsSync(path.join(dir, 'hash'))).toBe(false);
  });

  it('accepts virtual-hosted style (Host: <bucket>.…) as OSS uses it', async () => {
    // `<bucket>.localhost` is resolved to the emulator by a custom lookup: no DNS needed.
    const lookup: typeof import('node:dns').lookup = ((_host: string, options: unknown, callback: (...args: unknown[]) => void) => {
      const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
      if (all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
    }) as typeof import('node:dns').lookup;
    const { NodeHttpHandler } = await import('@smithy/node-http-handler');
    const virtual = client({
      endpoint: world.endpoint.replace('127.0.0.1', 'localhost'),
      forcePathStyle: false,
      requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ lookup }) }),
    });
    const page = await virtual.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'odd/plus' }));
    expect(page.Contents?.map((o) => o.Key)).toEqual(['odd/plus+sign']);
    const got = await virtual.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'odd/a b.txt' }));
    expect(await got.Body?.transformToString()).toBe('odd/a b.txt');
  });
});

describe('shared with the NAS side', () => {
  it('an object put through the endpoint is imported by a data-flow task of the same bucket', async () => {
    await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'share/from-s3.txt', Body: 'via S3' }));
    const call = createEmulatorCaller(world.emulator, S3_TEST_KEY);
    const created = await call('CreateDataFlowTask', {
      FileSystemId: FS,
      DataFlowId: FLOW,
      TaskAction: 'Import',
      DataType: 'MetaAndData',
      ConflictPolicy: 'OVERWRITE_EXISTING',
      EntryList: JSON.stringify(['/share/from-s3.txt']),
    });
    expect(created.status).toBe(200);
    world.emulator.settle();
    expect(readFileSync(path.join(fsDir, 'share', 'from-s3.txt'), 'utf8')).toBe('via S3');
  });
});
