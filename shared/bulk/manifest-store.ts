/**
 * Where manifests are written: the data flow's bucket, under `.cpfs-ingest/manifests/<run>/…`, through OSS's
 * S3-compatible API (docs/platform.md §6) — PutObject to write a part, DeleteObject once the Import that read
 * it has completed. Whoever runs it needs oss:PutObject and oss:DeleteObject on `<bucket>/.cpfs-ingest/manifests/*` only (the CLI runs
 * with the operator's credentials; the function role gets the grant when the burst path uses manifests).
 */
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MANIFEST_KEY_PREFIX } from './manifest-names.js';

export interface ManifestStore {
  put(key: string, body: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** A ManifestStore over an S3 client (shared/oss/s3-client.ts) for one bucket. Refuses keys outside the prefix. */
export function s3ManifestStore(client: S3Client, bucket: string): ManifestStore {
  const check = (key: string) => {
    if (!key.startsWith(MANIFEST_KEY_PREFIX)) throw new Error(`manifest key ${JSON.stringify(key)} is outside ${MANIFEST_KEY_PREFIX}`);
  };
  return {
    async put(key, body) {
      check(key);
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'text/csv; charset=utf-8' }));
    },
    async delete(key) {
      check(key);
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}

