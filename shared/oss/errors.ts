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

export { OssApiError, RETRYABLE_HTTP_STATUSES, RETRYABLE_NETWORK_CODES, RETRYABLE_OSS_CODES } from './api-error.js';
import { RETRYABLE_HTTP_STATUSES, RETRYABLE_NETWORK_CODES, RETRYABLE_OSS_CODES } from './api-error.js';

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
