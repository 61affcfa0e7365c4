/**
 * The one manifest writer interface (PutObject a part, DeleteObject it after its Import), and its
 * implementation over the SDK-free S3 writer (shared/oss/s3-object.ts) that the event function bundles.
 * Every key must lie under `.cpfs-ingest/manifests/`: the only place the RAM policy lets the role write
 * (deploy/ram-policy.json), and a prefix the function never imports (shared/planning/plan.ts OWN_STATE_PREFIX).
 */
import type { Config } from '../config/load-config.js';
import { ossS3Endpoint, ossSigningRegion } from '../oss/endpoint.js';
import { createS3ObjectWriter, type S3ObjectWriter } from '../oss/s3-object.js';
import type { S3SigningCredentials } from '../oss/sigv4.js';
import { MANIFEST_KEY_PREFIX } from './manifest-names.js';

export interface ManifestStore {
  put(key: string, body: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Throws for a key outside `.cpfs-ingest/manifests/`. */
export function checkManifestKey(key: string): void {
  if (!key.startsWith(MANIFEST_KEY_PREFIX)) throw new Error(`manifest key ${JSON.stringify(key)} is outside ${MANIFEST_KEY_PREFIX}`);
}

/** A ManifestStore over the SDK-free S3 writer for the data flow's bucket. */
export function objectWriterManifestStore(writer: S3ObjectWriter): ManifestStore {
  return {
    async put(key, body) {
      checkManifestKey(key);
      await writer.put(key, body, 'text/csv; charset=utf-8');
    },
    async delete(key) {
      checkManifestKey(key);
      await writer.delete(key);
    },
  };
}

/**
 * The event function's manifest writer, when bursts can use manifests: bursts on (CPFS_BURST_THRESHOLD),
 * CPFS for LINGJUN, OSS_BUCKET set, not a dry run. Endpoint OSS_S3_ENDPOINT, else the region's internal one
 * (FC runs inside Alibaba Cloud); path style only for a loopback endpoint. Region: as the listing client
 * signs (shared/oss/endpoint.ts ossSigningRegion). Undefined otherwise: bursts then use EntryList Imports.
 */
export function manifestStoreFor(
  config: Pick<Config, 'burstThreshold' | 'fileSystemKind' | 'bucket' | 'dryRun' | 'region' | 'ossS3Endpoint'>,
  credentials: () => S3SigningCredentials | Promise<S3SigningCredentials>,
  now?: () => number,
): ManifestStore | undefined {
  if (config.burstThreshold === undefined || config.fileSystemKind !== 'lingjun' || config.bucket === undefined || config.dryRun) return undefined;
  const region = ossSigningRegion(config);
  if (region === undefined) return undefined;
  const endpoint = config.ossS3Endpoint ?? ossS3Endpoint(region, true);
  return objectWriterManifestStore(createS3ObjectWriter({ endpoint, region, bucket: config.bucket, credentials, ...(now !== undefined ? { now } : {}) }));
}
