/**
 * Errors of OSS calls made through the S3-compatible API, and the one place that decides which of them
 * are worth repeating. The rest of the project sees only {@link OssApiError} (part of the project's one
 * error hierarchy); the AWS SDK's own error objects never leave this module.
 *
 * Why the SDK error is never kept as `cause`: an S3-style `SignatureDoesNotMatch` answer carries the
 * `StringToSign` and `CanonicalRequest`, and the SDK copies such fields onto the error object. With STS
 * credentials the canonical request holds `x-amz-security-token`, so logging `err.cause` could leak the
 * token. We keep only the code, HTTP status and request id, which are safe to log.
 */
import * as z from 'zod';
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
  AccessDenied: 'the credentials may not list this bucket/prefix (the RAM policy needs oss:ListObjects on the bucket)',
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

/** The parts of an SDK / Node error we look at; everything else on the object is ignored. */
const sdkErrorShape = z.looseObject({
  name: z.string().optional(),
  Code: z.string().optional(),
  code: z.string().optional(),
  $retryable: z.looseObject({ throttling: z.boolean().optional() }).optional(),
  $metadata: z
    .looseObject({
      httpStatusCode: z.number().optional(),
      requestId: z.string().optional(),
    })
    .optional(),
});

/** What {@link describeOssFailure} extracts from anything thrown by `client.send`. */
export interface OssFailure {
  readonly code: string;
  readonly httpStatus: number | undefined;
  readonly requestId: string | undefined;
  readonly retryable: boolean;
}

/** Codes the SDK uses for a body-less error answer or a failure without an answer: not meaningful on their own. */
const GENERIC_SDK_NAMES: ReadonlySet<string> = new Set(['Error', 'S3ServiceException', 'Unknown', 'UnknownError']);

/**
 * Classifies a thrown value from an S3 call. Retryable: {@link RETRYABLE_OSS_CODES},
 * {@link RETRYABLE_HTTP_STATUSES}, {@link RETRYABLE_NETWORK_CODES}, the SDK's own `TimeoutError`
 * (request timeout of its HTTP handler), and anything the SDK flagged `$retryable`.
 */
export function describeOssFailure(error: unknown): OssFailure {
  const parsed = sdkErrorShape.safeParse(error);
  const shape = parsed.success ? parsed.data : {};
  const httpStatus = shape.$metadata?.httpStatusCode;
  const requestId = shape.$metadata?.requestId;
  const name = shape.Code ?? shape.name;
  const code =
    name !== undefined && !GENERIC_SDK_NAMES.has(name)
      ? name
      : (shape.code ?? (httpStatus === undefined ? 'UnknownError' : `HTTP${httpStatus}`));
  const retryable =
    RETRYABLE_OSS_CODES.has(code) ||
    (httpStatus !== undefined && RETRYABLE_HTTP_STATUSES.has(httpStatus)) ||
    (shape.code !== undefined && RETRYABLE_NETWORK_CODES.has(shape.code)) ||
    code === 'TimeoutError' ||
    shape.$retryable !== undefined;
  return { code, httpStatus, requestId, retryable };
}
