/**
 * Where manifests are written: the data flow's bucket, under `.cpfs-ingest/manifests/<run>/…`, through OSS's
 * S3-compatible API (docs/platform.md §6) — PutObject to write a part, DeleteObject once the Import that read
 * it has completed. Whoever runs it needs oss:PutObject and oss:DeleteObject on `<bucket>/.cpfs-ingest/manifests/*` only (the CLI runs
 * with the operator's credentials). The event function writes its burst manifests with the SDK-free writer of
 * manifest-writer.ts (same interface, same key check) to keep the AWS SDK out of its bundle.
 */
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { objectWriterManifestStore, type ManifestStore } from './manifest-writer.js';

export type { ManifestStore } from './manifest-writer.js';

/** A ManifestStore over an S3 client (shared/oss/s3-client.ts) for one bucket: the writer's key check, the SDK's calls. */
export function s3ManifestStore(client: S3Client, bucket: string): ManifestStore {
  return objectWriterManifestStore({
    async put(key, body, contentType) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  });
}
