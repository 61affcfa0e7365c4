import { ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OssApiError } from '../../../shared/oss/errors.js';
import { s3ObjectReader } from '../../../shared/verify/object-reader.js';

const s3 = mockClient(S3Client);
let client: S3Client;
beforeEach(() => {
  s3.reset();
  client = new S3Client({ region: 'cn-hangzhou', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
});
afterEach(() => client.destroy());

describe('s3ObjectReader', () => {
  it('finds the key itself (not a longer key it prefixes) with one listing of MaxKeys 1', async () => {
    s3.on(ListObjectsV2Command, { Bucket: 'b', Prefix: 'a/x.bin', MaxKeys: 1 }).resolves({ Contents: [{ Key: 'a/x.bin', Size: 42 }] });
    s3.on(ListObjectsV2Command, { Bucket: 'b', Prefix: 'a/y', MaxKeys: 1 }).resolves({ Contents: [{ Key: 'a/y.bin', Size: 1 }] });
    s3.on(ListObjectsV2Command, { Bucket: 'b', Prefix: 'a/z', MaxKeys: 1 }).resolves({});
    const reader = s3ObjectReader(client, 'b');
    expect(await reader.head('a/x.bin')).toEqual({ size: 42 });
    expect(await reader.head('a/y')).toBeUndefined();
    expect(await reader.head('a/z')).toBeUndefined();
  });

  it('turns a failed listing into an OssApiError with its retryability', async () => {
    s3.on(ListObjectsV2Command).rejects(new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 } }));
    const error = await s3ObjectReader(client, 'b').head('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OssApiError);
    expect(error).toMatchObject({ retryable: true });
  });
});
