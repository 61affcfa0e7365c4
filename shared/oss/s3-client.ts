/**
 * An `S3Client` configured for Alibaba Cloud OSS's S3-compatible API.
 *
 * Facts followed (Alibaba Cloud, "Access OSS using AWS SDKs", developer-reference/use-amazon-s3-sdks-to-access-oss,
 * and "Compatibility with Amazon S3", developer-reference/compatibility-with-amazon-s3, read 2026):
 * - endpoint `https://s3.oss-<region>.aliyuncs.com`, internal (VPC) `https://s3.oss-<region>-internal.aliyuncs.com`;
 *   the SDK's `region` is the plain region id (`cn-hangzhou`), as in Alibaba's own Node.js v3 sample.
 *   (One stored copy of the Chinese page prints the internal host as `s3.oss-<region>.aliyuncs-internal.com`;
 *   the English and Traditional-Chinese pages and OSS's regular `oss-<region>-internal` naming agree on
 *   `-internal.aliyuncs.com`, which is what we use.)
 * - OSS accepts virtual-hosted-style requests only (path style is answered `SecondLevelDomainForbidden`),
 *   so `forcePathStyle` stays false in production; it exists solely for local S3 test servers.
 * - ListObjectsV2 (GetBucketV2) is among the supported operations; STS credentials travel as the session token.
 * - Since 2025-03-20 new accounts may not use the default public endpoints of mainland-China regions for data
 *   operations; the internal endpoint is unaffected, which is why it is the default here (this client runs in
 *   Function Compute, inside Alibaba Cloud). Callers outside Alibaba Cloud (the CLI on a laptop) pass
 *   `internal: false` or an explicit `endpoint` (e.g. a bucket's custom domain).
 *
 * Only the client is imported here; each caller imports the one command it sends (`ListObjectsV2Command`),
 * so a bundle carries no other command.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { ValidationError } from '../errors.js';

/** OSS credentials in Alibaba's vocabulary (as FC's `context.credentials` carries them). */
export interface OssCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  /** STS security token; present for the temporary credentials of an FC function's role. */
  readonly securityToken?: string;
  /** When temporary credentials stop working; lets the SDK ask the provider again before then. */
  readonly expiration?: Date;
}

/** Returns current credentials; called by the SDK when it has none or they are about to expire. */
export type OssCredentialsProvider = () => Promise<OssCredentials>;

export interface OssS3ClientOptions {
  /** Plain region id, e.g. `cn-hangzhou` (not `oss-cn-hangzhou`). */
  readonly region: string;
  /** Overrides the endpoint derived from `region` (custom domain, local test server). */
  readonly endpoint?: string;
  /** Use the VPC-internal endpoint. Default true: production code runs inside Function Compute. */
  readonly internal?: boolean;
  readonly credentials: OssCredentials | OssCredentialsProvider;
  /**
   * Path-style addressing. ONLY for local S3-compatible servers (the emulator's) that cannot serve `<bucket>.127.0.0.1`;
   * OSS itself rejects path-style requests. Default false.
   */
  readonly forcePathStyle?: boolean;
  /**
   * Attempts the SDK itself makes per request. Default 1: `listObjects` owns retries (bounded, classified,
   * with an injectable clock), and two retry layers would multiply attempts. Raise it when using the client
   * for calls that have no retry of their own.
   */
  readonly maxAttempts?: number;
  /** Per-request socket timeout. Default 30 000 ms, so a stuck connection surfaces as a retryable error. */
  readonly requestTimeoutMs?: number;
}

/** `cn-hangzhou`, `ap-southeast-1`, `cn-beijing-finance-1` … lowercase id segments joined by `-`. */
const REGION_PATTERN = /^[a-z]{2,}(?:-[a-z0-9]+)+$/;

const optionsSchema = z.object({
  region: z
    .string()
    .refine((r) => !r.startsWith('oss-'), 'must be the plain region id (cn-hangzhou), not the OSS host label oss-cn-hangzhou')
    .refine((r) => REGION_PATTERN.test(r), 'must be a region id such as cn-hangzhou'),
  endpoint: z
    .string()
    .refine((e) => /^https?:\/\/[^/?#\s]+\/?$/.test(e), 'must be an http(s) URL with a host and no path')
    .optional(),
  internal: z.boolean().optional(),
  forcePathStyle: z.boolean().optional(),
  maxAttempts: z.number().int('must be an integer').min(1, 'must be ≥ 1').max(10, 'must be ≤ 10').optional(),
  requestTimeoutMs: z.number().int('must be an integer').positive('must be > 0').optional(),
});

// The rule texts never include the value: these are secrets.
const staticCredentialsSchema = z.object({
  accessKeyId: z.string().min(1, 'must be a non-empty string'),
  accessKeySecret: z.string().min(1, 'must be a non-empty string'),
  securityToken: z.string().min(1, 'must be a non-empty string when present').optional(),
  expiration: z.date().optional(),
});

export { ossS3Endpoint } from './endpoint.js';
import { ossS3Endpoint } from './endpoint.js';

/** First zod issue → ValidationError(field, rule); the rule is our message, never the offending value. */
function toValidationError(error: z.ZodError, prefix = ''): ValidationError {
  const issue = error.issues[0];
  const field = prefix + (issue?.path.join('.') ?? '');
  return new ValidationError(field || 'options', issue?.message ?? 'invalid');
}

function toAwsIdentity(credentials: OssCredentials) {
  return {
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.accessKeySecret,
    ...(credentials.securityToken === undefined ? {} : { sessionToken: credentials.securityToken }),
    ...(credentials.expiration === undefined ? {} : { expiration: credentials.expiration }),
  };
}

/**
 * Builds an `S3Client` for OSS. Build it once per instance (module scope) and pass it in; it keeps its
 * connections alive between invocations.
 * @throws ValidationError naming the option and the rule it breaks (never the credential values).
 */
export function createOssS3Client(options: OssS3ClientOptions): S3Client {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw toValidationError(parsed.error);
  const o = parsed.data;
  // The SDK is pinned to a version that supports Node 20 (FC's nodejs20 runtime); its notice that later
  // versions will need Node 22 would print on every CLI run and reconcile invocation. An explicit setting wins.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

  let credentials: S3ClientConfig['credentials'];
  if (typeof options.credentials === 'function') {
    const provider = options.credentials;
    credentials = async () => {
      const fresh = staticCredentialsSchema.safeParse(await provider());
      if (!fresh.success) throw toValidationError(fresh.error, 'credentials().');
      return toAwsIdentity(fresh.data);
    };
  } else {
    const fixed = staticCredentialsSchema.safeParse(options.credentials);
    if (!fixed.success) throw toValidationError(fixed.error, 'credentials.');
    credentials = toAwsIdentity(fixed.data);
  }

  return new S3Client({
    region: o.region,
    endpoint: o.endpoint ?? ossS3Endpoint(o.region, o.internal ?? true),
    forcePathStyle: o.forcePathStyle ?? false,
    credentials,
    maxAttempts: o.maxAttempts ?? 1,
    // OSS does not take the SDK's newer default request checksums (x-amz-checksum-* / aws-chunked bodies;
    // Alibaba's boto3 sample notes OSS rejects chunked encoding): only send/validate them when an API requires it.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A 301 from OSS means a wrong region/endpoint in our config; surfacing it beats silently re-routing.
    followRegionRedirects: false,
    requestHandler: { requestTimeout: o.requestTimeoutMs ?? 30_000 },
  });
}
