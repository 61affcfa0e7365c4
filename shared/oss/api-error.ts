/**
 * The OSS error class and the code lists that decide which failures are worth repeating — without zod or
 * the AWS SDK, so that the event function's manifest writer (s3-object.ts) shares them at no bundle cost.
 * errors.ts (the SDK-facing classifier) re-exports everything here.
 */
import { CpfsIngestError } from '../errors.js';

/** Error codes that mean "try again later": throttling, transient server faults, a request the server
 * timed out on, a clock the SDK has just corrected. S3's documented codes plus OSS's equivalents. */
export const RETRYABLE_OSS_CODES: ReadonlySet<string> = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'Throttling',
  'ThrottlingException',
  'TooManyRequests',
  'RequestTimeTooSkewed', // the SDK updates its clock offset from the answer, so the next attempt is signed right
]);

/** HTTP statuses retried whatever the body says (an overloaded front end may answer without an XML body). */
export const RETRYABLE_HTTP_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** Node socket/DNS error codes of a connection that failed before any answer; the same request may succeed. */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/** A short, fixed explanation per well-known non-retryable code. Never echoes the server's text. */
const HINTS: Readonly<Record<string, string>> = {
  AccessDenied: 'the credentials may not do this on this bucket/prefix (the RAM policy needs oss:ListObjects on the bucket to list, oss:PutObject/oss:DeleteObject on <bucket>/.cpfs-ingest/manifests/* to write manifests)',
  NoSuchBucket: 'the bucket does not exist at this endpoint (check the bucket name and region)',
  InvalidAccessKeyId: 'OSS does not know this AccessKey ID (OSS keys are not AWS keys; check the STS credentials)',
  SignatureDoesNotMatch: 'the AccessKey secret does not match the AccessKey ID, or something altered the request',
  InvalidSecurityToken: 'the STS security token is invalid; refresh the credentials',
  SecurityTokenExpired: 'the STS security token has expired; refresh the credentials',
  ExpiredToken: 'the STS security token has expired; refresh the credentials',
  SecondLevelDomainForbidden: 'OSS accepts only virtual-hosted-style requests; keep forcePathStyle false',
  InvalidBucketName: 'the bucket name is not valid',
};

/** A failed OSS request, classified. The message names the operation, bucket and prefix; never secrets. */
export class OssApiError extends CpfsIngestError {
  override readonly name = 'OssApiError';
  constructor(
    readonly code: string,
    readonly httpStatus: number | undefined,
    readonly retryable: boolean,
    readonly operation: string,
    readonly bucket: string,
    readonly prefix: string,
    readonly attempts: number,
    readonly requestId?: string,
  ) {
    const status = httpStatus === undefined ? 'no HTTP answer' : `HTTP ${httpStatus}`;
    const hint = HINTS[code];
    const request = requestId === undefined ? '' : `, RequestId ${requestId}`;
    super(
      `${operation} of oss://${bucket}/${prefix} failed after ${attempts} attempt(s): ${code} (${status}${request})` +
        (hint === undefined ? '' : `: ${hint}`),
    );
  }
}
