import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/errors.js';
import { createOssS3Client, type OssS3ClientOptions, ossS3Endpoint } from '../../../shared/oss/s3-client.js';

const SECRET = 'SeCrEtAccessKeySecret0123456789abcdefXYZ';
const TOKEN = 'STS.SecurityTokenValue.Zm9vYmFyYmF6cXV4';

/** The fields of the SDK's HttpRequest these tests read. */
interface SignedRequest {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
}

/** Signs a ListObjectsV2 request and captures it just before it would go on the wire (nothing is sent). */
async function signedListRequest(client: S3Client): Promise<SignedRequest> {
  let captured: SignedRequest | undefined;
  const stop = new Error('captured');
  client.middlewareStack.addRelativeTo(
    () => async (args: { request: unknown }) => {
      captured = args.request as SignedRequest;
      throw stop;
    },
    { name: 'captureSignedRequest', relation: 'after', toMiddleware: 'httpSigningMiddleware' },
  );
  await expect(client.send(new ListObjectsV2Command({ Bucket: 'ingest-src', Prefix: 'in/', MaxKeys: 5 }))).rejects.toBe(stop);
  client.destroy();
  if (captured === undefined) throw new Error('request not captured');
  return captured;
}

const base: OssS3ClientOptions = {
  region: 'cn-hangzhou',
  credentials: { accessKeyId: 'STS.AKID', accessKeySecret: SECRET, securityToken: TOKEN },
};

describe('ossS3Endpoint', () => {
  it('derives the documented public and internal endpoints', () => {
    expect(ossS3Endpoint('cn-hangzhou', false)).toBe('https://s3.oss-cn-hangzhou.aliyuncs.com');
    expect(ossS3Endpoint('cn-hangzhou', true)).toBe('https://s3.oss-cn-hangzhou-internal.aliyuncs.com');
    expect(ossS3Endpoint('ap-southeast-1')).toBe('https://s3.oss-ap-southeast-1-internal.aliyuncs.com');
  });
});

describe('createOssS3Client', () => {
  it('sends virtual-hosted-style, SigV4-signed requests to the internal endpoint by default, with the STS token', async () => {
    const request = await signedListRequest(createOssS3Client(base));

    expect(request.protocol).toBe('https:');
    expect(request.hostname).toBe('ingest-src.s3.oss-cn-hangzhou-internal.aliyuncs.com');
    expect(request.path).toBe('/');
    expect(request.query).toMatchObject({ 'list-type': '2', prefix: 'in/', 'max-keys': '5' });
    expect(request.headers['x-amz-security-token']).toBe(TOKEN);
    expect(request.headers['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=STS\.AKID\/\d{8}\/cn-hangzhou\/s3\/aws4_request, SignedHeaders=.*host.*, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.stringify(request.headers)).not.toContain(SECRET);
  });

  it('uses the public endpoint when internal is false', async () => {
    const request = await signedListRequest(createOssS3Client({ ...base, internal: false }));
    expect(request.hostname).toBe('ingest-src.s3.oss-cn-hangzhou.aliyuncs.com');
  });

  it('path style and a custom endpoint exist for local test servers only', async () => {
    const request = await signedListRequest(createOssS3Client({ ...base, endpoint: 'http://127.0.0.1:4568', forcePathStyle: true }));
    expect(request.hostname).toBe('127.0.0.1');
    expect(request.port).toBe(4568);
    expect(request.path).toBe('/ingest-src/');
  });

  it('calls a credentials provider and maps Alibaba names onto the SDK identity', async () => {
    let calls = 0;
    const client = createOssS3Client({
      ...base,
      credentials: async () => {
        calls++;
        return { accessKeyId: 'STS.FROMPROVIDER', accessKeySecret: SECRET, securityToken: TOKEN };
      },
    });
    const request = await signedListRequest(client);
    expect(calls).toBe(1);
    expect(request.headers['authorization']).toContain('Credential=STS.FROMPROVIDER/');
    expect(request.headers['x-amz-security-token']).toBe(TOKEN);
  });

  it('leaves retries to the caller (one SDK attempt) unless told otherwise', async () => {
    expect(await createOssS3Client(base).config.maxAttempts()).toBe(1);
    expect(await createOssS3Client({ ...base, maxAttempts: 3 }).config.maxAttempts()).toBe(3);
    expect(createOssS3Client(base).config.forcePathStyle).toBe(false);
  });

  it.each([
    [{ region: 'oss-cn-hangzhou' }, 'region', /plain region id/],
    [{ region: 'Hangzhou' }, 'region', /region id/],
    [{ endpoint: 'oss-cn-hangzhou.aliyuncs.com' }, 'endpoint', /http\(s\) URL/],
    [{ maxAttempts: 0 }, 'maxAttempts', /≥ 1/],
    [{ credentials: { accessKeyId: 'AKID', accessKeySecret: '' } }, 'credentials.accessKeySecret', /non-empty/],
  ])('rejects %j naming the field', (override, field, rule) => {
    let error: unknown;
    try {
      createOssS3Client({ ...base, ...override } as OssS3ClientOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect((error as ValidationError).rule).toMatch(rule);
  });

  it('never puts a credential value into a validation error', () => {
    let error: unknown;
    try {
      createOssS3Client({ ...base, credentials: { accessKeyId: '', accessKeySecret: SECRET, securityToken: TOKEN } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(String((error as Error).message)).not.toContain(SECRET);
    expect(String((error as Error).message)).not.toContain(TOKEN);
  });
});
