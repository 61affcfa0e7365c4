/**
 * The manifest writer's SigV4 signer (shared/oss/sigv4.ts): the two header-signed S3 examples AWS publishes
 * ("Signature Calculations for the Authorization Header", GET Object and PUT Object, key AKIAIOSFODNN7EXAMPLE,
 * 2013-05-24), then a cross-check against the AWS SDK's own signer (@smithy/signature-v4, test-only oracle)
 * on what the function sends: PutObject with an STS token and a key with spaces and non-ASCII characters.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { amzDate, canonicalQueryString, canonicalRequest, sha256Hex, signS3Request, uriEncode } from '../../../shared/oss/sigv4.js';

const EXAMPLE = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', accessKeySecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const MAY_24_2013 = Date.UTC(2013, 4, 24, 0, 0, 0);
/** The hash the SDK signer is given: node:crypto behind its Checksum interface (HMAC when constructed with a secret). */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}
function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}
const signatureOf = (authorization: string | undefined) => /Signature=([0-9a-f]{64})$/.exec(authorization ?? '')?.[1];

describe('signS3Request — AWS published examples', () => {
  it('GET Object with a Range header', () => {
    const headers = signS3Request({
      method: 'GET', path: '/test.txt', region: 'us-east-1', credentials: EXAMPLE, nowMs: MAY_24_2013,
      headers: { Host: 'examplebucket.s3.amazonaws.com', Range: 'bytes=0-9' }, payloadHash: sha256Hex(''),
    });
    expect(headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('PUT Object of "Welcome to Amazon S3." to test$file.text (the $ is encoded once)', () => {
    const body = 'Welcome to Amazon S3.';
    const headers = signS3Request({
      method: 'PUT', path: '/test$file.text', region: 'us-east-1', credentials: EXAMPLE, nowMs: MAY_24_2013,
      headers: { Host: 'examplebucket.s3.amazonaws.com', Date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
      payloadHash: sha256Hex(body),
    });
    expect(headers['x-amz-content-sha256']).toBe('44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
    expect(headers['authorization']).toContain('SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,');
    expect(signatureOf(headers['authorization'])).toBe('98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
  });
});

describe('sigv4 steps', () => {
  it.each([
    ['a b/ü.csv', true, 'a%20b/%C3%BC.csv'],
    ['a/b', false, 'a%2Fb'],
    ['A-Z_a.z~0', false, 'A-Z_a.z~0'],
    ['x+y=z&', true, 'x%2By%3Dz%26'],
  ])('uriEncode(%j, keepSlash %s) = %s', (value, keepSlash, expected) => {
    expect(uriEncode(value, keepSlash)).toBe(expected);
  });

  it('formats the date as yyyymmddThhmmssZ', () => {
    expect(amzDate(Date.UTC(2026, 10, 30, 3, 4, 5, 678))).toBe('20261130T030405Z');
  });

  it('sorts the query by encoded name then value', () => {
    expect(canonicalQueryString([['prefix', 'J'], ['max-keys', '2'], ['a', 'b c']])).toBe('a=b%20c&max-keys=2&prefix=J');
  });

  it('collapses header whitespace and lists signed headers sorted', () => {
    const text = canonicalRequest('PUT', '/k', [], { 'X-B': '  two   words ', host: 'h' }, 'hash');
    expect(text).toBe('PUT\n/k\n\nhost:h\nx-b:two words\n\nhost;x-b\nhash');
  });

  it('refuses to sign without a host header', () => {
    expect(() => signS3Request({ method: 'PUT', path: '/k', region: 'r', credentials: EXAMPLE, nowMs: 0, headers: {}, payloadHash: sha256Hex('') })).toThrow(/host/);
  });
});

describe('signS3Request agrees with the AWS SDK signer (test-only oracle)', () => {
  it.each([
    ['/ingest-bucket/.cpfs-ingest/manifests/burst-1/g-2/part-00000.csv', 'Name,Type\r\nraw/a b.bin,file\r\n'],
    ['/.cpfs-ingest/manifests/burst-x/g-y/part-00001.csv', 'Name,Type\r\n"a,b/ü é.png",file\r\n'],
  ])('PUT %s with an STS token', async (path, body) => {
    const credentials = { accessKeyId: 'STS.exampleKeyId', accessKeySecret: 'exampleSecret/+=', securityToken: 'CAIS-example-token==' };
    const nowMs = Date.UTC(2026, 10, 30, 3, 0, 0);
    const ours = signS3Request({
      method: 'PUT', path, region: 'cn-hangzhou', credentials, nowMs,
      headers: { host: 'ingest-bucket.s3.oss-cn-hangzhou-internal.aliyuncs.com', 'content-type': 'text/csv; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) },
      payloadHash: sha256Hex(body),
    });
    const oracle = new SignatureV4({
      service: 's3', region: 'cn-hangzhou', sha256: Sha256, uriEscapePath: false, applyChecksum: true,
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.accessKeySecret, sessionToken: credentials.securityToken },
    });
    const signed = await oracle.sign(
      {
        method: 'PUT', protocol: 'https:', hostname: 'ingest-bucket.s3.oss-cn-hangzhou-internal.aliyuncs.com', path: uriEncode(path, true), query: {},
        headers: { host: 'ingest-bucket.s3.oss-cn-hangzhou-internal.aliyuncs.com', 'content-type': 'text/csv; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'x-amz-content-sha256': sha256Hex(body) },
        body,
      },
      { signingDate: new Date(nowMs) },
    );
    expect(signatureOf(ours['authorization'])).toBe(signatureOf(signed.headers['authorization']));
    expect(ours['x-amz-security-token']).toBe(credentials.securityToken);
    expect(ours['authorization']).toContain('x-amz-security-token');
  });
});
