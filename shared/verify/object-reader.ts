/**
 * The OSS side of verification: HeadObject through OSS's S3-compatible API (docs/platform.md §6), to tell a
 * changed object (re-drive with its current size) from a deleted one ("gone").
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describeOssFailure, OssApiError } from '../oss/errors.js';
import type { ObjectReader } from './verify.js';

/** A HeadObject answer of 404 / NotFound / NoSuchKey means the object no longer exists. */
const GONE_CODES: ReadonlySet<string> = new Set(['NotFound', 'NoSuchKey']);

/** An {@link ObjectReader} over an S3 client of the data flow's bucket. */
export function s3ObjectReader(client: S3Client, bucket: string): ObjectReader {
  return {
    async head(key) {
      try {
        const answer = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { size: answer.ContentLength ?? 0 };
      } catch (error) {
        const failure = describeOssFailure(error);
        if (failure.httpStatus === 404 || GONE_CODES.has(failure.code)) return undefined;
        throw new OssApiError(failure.code, failure.httpStatus, failure.retryable, 'HeadObject', bucket, key, 1, failure.requestId);
      }
    },
  };
}
