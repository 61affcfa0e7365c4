/**
 * The function's manifest writer (shared/oss/s3-object.ts: our SigV4 signer over node:http) against the
 * emulator's S3-compatible endpoint, which verifies every signature: PutObject / DeleteObject path style and
 * virtual-hosted style, with STS credentials (x-amz-security-token), keys with spaces and non-ASCII
 * characters; refusals become OssApiError with S3's code and the right retryable flag, without secrets.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OssApiError } from '../../../shared/oss/api-error.js';
import { createS3ObjectWriter } from '../../../shared/oss/s3-object.js';
import { startS3World, type S3World } from '../../support/s3-server.js';

const BUCKET = 'manifest-bucket';
const STS = { accessKeyId: 'STS.manifestWriterKey', accessKeySecret: 'mw-secret/+=0123456789', securityToken: 'CAIS-mw-token-0123456789==' };

let world: S3World;
let dir: string;

beforeAll(async () => {
  world = await startS3World([BUCKET], { keys: [STS] });
  dir = world.bucketDirs[BUCKET] as string;
});
afterAll(async () => {
  await world?.stop();
});

const writer = (overrides: Partial<Parameters<typeof createS3ObjectWriter>[0]> = {}) =>
  createS3ObjectWriter({ endpoint: world.endpoint, region: 'cn-hangzhou', bucket: BUCKET, credentials: () => STS, ...overrides });

describe('createS3ObjectWriter against the emulator S3 endpoint', () => {
  it.each([
    ['path style', true],
    ['virtual-hosted style', false],
  ])('puts and deletes an object (%s, STS token)', async (_label, pathStyle) => {
    const key = `.cpfs-ingest/manifests/burst-${pathStyle ? 'p' : 'v'}/g-1/part 00000 ü.csv`;
    const body = 'Name,Type\r\n"a,b/é.bin",file\r\n';
    await writer({ pathStyle }).put(key, body, 'text/csv; charset=utf-8');
    expect(readFileSync(path.join(dir, key), 'utf8')).toBe(body);
    await writer({ pathStyle }).delete(key);
    expect(existsSync(path.join(dir, key))).toBe(false);
  });

  it('re-putting identical bytes under the same key is harmless (what an FC replay does)', async () => {
    const key = '.cpfs-ingest/manifests/burst-r/g-1/part-00000.csv';
    await writer().put(key, 'Name,Type\r\nx,file\r\n', 'text/csv');
    await writer().put(key, 'Name,Type\r\nx,file\r\n', 'text/csv');
    expect(readFileSync(path.join(dir, key), 'utf8')).toBe('Name,Type\r\nx,file\r\n');
  });

  it('a wrong secret is refused with SignatureDoesNotMatch, not retryable, and the error holds no secret', async () => {
    const error = await writer({ credentials: () => ({ ...STS, accessKeySecret: 'wrong-secret-000' }) })
      .put('.cpfs-ingest/manifests/x/g/part-00000.csv', 'Name,Type\r\n', 'text/csv')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OssApiError);
    expect(error).toMatchObject({ code: 'SignatureDoesNotMatch', httpStatus: 403, retryable: false, operation: 'PutObject' });
    const text = `${String(error)} ${JSON.stringify(error)}`;
    for (const secret of [STS.accessKeySecret, STS.securityToken, 'wrong-secret-000']) expect(text).not.toContain(secret);
  });

  it('a missing security token is refused (the emulator checks STS tokens)', async () => {
    const error = await writer({ credentials: () => ({ accessKeyId: STS.accessKeyId, accessKeySecret: STS.accessKeySecret }) })
      .put('.cpfs-ingest/manifests/x/g/part-00000.csv', 'Name,Type\r\n', 'text/csv')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OssApiError);
    expect((error as OssApiError).retryable).toBe(false);
  });

  it('a refused connection and a 503 are retryable', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await writer({ endpoint: `http://127.0.0.1:${port}` }).put('.cpfs-ingest/manifests/k.csv', 'x', 'text/csv').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'ECONNREFUSED', retryable: true });

    const busy = http.createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0"?><Error><Code>SlowDown</Code><RequestId>rid-1</RequestId></Error>');
    });
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const slow = await writer({ endpoint: `http://127.0.0.1:${(busy.address() as AddressInfo).port}` }).put('.cpfs-ingest/manifests/k.csv', 'x', 'text/csv').catch((e: unknown) => e);
      expect(slow).toMatchObject({ code: 'SlowDown', httpStatus: 503, retryable: true, requestId: 'rid-1' });
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });
});
