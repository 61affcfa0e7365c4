/** s3ManifestStore: PutObject / DeleteObject through the S3 client, only under .cpfs-ingest/manifests/. */
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { manifestPartKey } from '../../../shared/bulk/manifest-names.js';
import { s3ManifestStore } from '../../../shared/bulk/manifest-store.js';

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

describe('s3ManifestStore', () => {
  it('puts and deletes parts in the bucket', async () => {
    s3.on(PutObjectCommand).resolves({});
    s3.on(DeleteObjectCommand).resolves({});
    const client = new S3Client({ region: 'cn-hangzhou', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
    const store = s3ManifestStore(client, 'bkt');
    const key = manifestPartKey('run-1', 'g-1', 0);
    await store.put(key, 'Name,Type\r\na,file\r\n');
    await store.delete(key);
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({ Bucket: 'bkt', Key: key, Body: 'Name,Type\r\na,file\r\n' });
    expect(s3.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'bkt', Key: key });
    client.destroy();
  });

  it('refuses any key outside the manifest prefix (the RAM grant covers only that prefix)', async () => {
    const client = new S3Client({ region: 'cn-hangzhou', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
    const store = s3ManifestStore(client, 'bkt');
    await expect(store.put('.cpfs-ingest/reconcile-state.json', 'x')).rejects.toThrow(/outside \.cpfs-ingest\/manifests\//);
    await expect(store.delete('data/a.bin')).rejects.toThrow(/outside/);
    expect(s3.calls()).toHaveLength(0);
    client.destroy();
  });
});
