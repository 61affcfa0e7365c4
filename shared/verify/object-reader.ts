/**
 * The OSS side of verification (docs/platform.md §6): tells a changed object (re-drive with its current
 * size) from a deleted one ("gone").
 *
 * Why ListObjectsV2 and not HeadObject: the reconcile function's RAM grant (deploy/ram-policy.json) lets it
 * list the bucket but read only its own state object; HeadObject on an arbitrary key needs `oss:GetObject`
 * on `<bucket>/*`, which that policy deliberately withholds. A listing with `Prefix = key` and `MaxKeys = 1`
 * answers the same question under `oss:ListObjects`: keys are listed in UTF-8 binary order and a key sorts
 * before every longer key it prefixes, so the first entry is the key itself exactly when it exists.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { describeOssFailure, OssApiError } from '../oss/errors.js';
import type { ObjectReader } from './verify.js';

/** An {@link ObjectReader} over an S3 client of the data flow's bucket. */
export function s3ObjectReader(client: S3Client, bucket: string): ObjectReader {
  return {
    async head(key) {
      try {
        const answer = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
        const first = answer.Contents?.[0];
        return first?.Key === key ? { size: first.Size ?? 0 } : undefined;
      } catch (error) {
        const failure = describeOssFailure(error);
        throw new OssApiError(failure.code, failure.httpStatus, failure.retryable, 'ListObjectsV2', bucket, key, 1, failure.requestId);
      }
    },
    async hasManifests(dir) {
      // The manifests are the `*.csv` objects directly in the directory (docs/platform.md §1): one
      // delimited listing page; more pages only when it held no CSV yet.
      const prefix = dir.replace(/^\//, '');
      let token: string | undefined;
      try {
        do {
          const answer = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ...(token !== undefined ? { ContinuationToken: token } : {}) }));
          if ((answer.Contents ?? []).some((o) => o.Key !== undefined && o.Key.endsWith('.csv'))) return true;
          token = answer.IsTruncated ? answer.NextContinuationToken : undefined;
        } while (token !== undefined);
        return false;
      } catch (error) {
        const failure = describeOssFailure(error);
        throw new OssApiError(failure.code, failure.httpStatus, failure.retryable, 'ListObjectsV2', bucket, prefix, 1, failure.requestId);
      }
    },
  };
}
