/**
 * AWS Signature Version 4 for OSS's S3-compatible API (docs/platform.md §6: OSS takes SigV4 signed with the
 * OSS AccessKey; STS credentials add `x-amz-security-token`, which is signed like any other header).
 *
 * Written here instead of importing the AWS SDK because the event function needs two requests only
 * (PutObject, DeleteObject of manifests) and the SDK would multiply its bundle (issue 11). Pure: the clock
 * and the credentials are passed in, one step per function (canonical request, string to sign, signing
 * key), so each step is table-tested and the whole is checked against a published known answer and the
 * SDK's signer as a test-only oracle (test/unit/oss/sigv4.test.ts).
 *
 * Scope: header authentication, one region, service `s3`, a payload hash that is the hex SHA-256 of the
 * body (we always have the whole body: a manifest part is a string). S3 does not double-encode the path.
 */
import { createHmac } from 'node:crypto';
import { sha256Hex } from '../nas/signer.js';

// The one hex SHA-256 helper (the ACS3 signer's); re-exported for the S3 writer's payload hash.
export { sha256Hex };

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

export interface S3SigningCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string | undefined;
}

export interface S3SignInput {
  readonly method: string;
  /** The object's path as it will be sent, NOT yet encoded (`/bucket/key` path style, `/key` virtual-hosted). */
  readonly path: string;
  /** Query parameters, not yet encoded. */
  readonly query?: ReadonlyArray<readonly [string, string]>;
  /** Headers to sign besides the ones added here (host, x-amz-date, x-amz-content-sha256, token). Names any case. */
  readonly headers: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the body ({@link sha256Hex}). */
  readonly payloadHash: string;
  readonly region: string;
  readonly credentials: S3SigningCredentials;
  /** Signing time, ms since epoch. */
  readonly nowMs: number;
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding of every byte but the unreserved characters (and `/` when `keepSlash`): SigV4's UriEncode. */
export function uriEncode(value: string, keepSlash: boolean): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const unreserved = (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x2e || byte === 0x5f || byte === 0x7e;
    if (unreserved || (keepSlash && byte === 0x2f)) out += String.fromCharCode(byte);
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `20130524T000000Z` */
export function amzDate(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Query pairs encoded and sorted by name, then value. */
export function canonicalQueryString(query: ReadonlyArray<readonly [string, string]>): string {
  return query
    .map(([n, v]) => [uriEncode(n, false), uriEncode(v, false)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
}

/** Lowercase names, sorted; values trimmed with inner whitespace runs collapsed. */
export function canonicalHeaders(headers: Readonly<Record<string, string>>): { canonical: string; signed: string } {
  const entries = Object.entries(headers)
    .map(([name, value]) => [name.toLowerCase(), value.trim().replace(/\s+/g, ' ')] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { canonical: entries.map(([n, v]) => `${n}:${v}\n`).join(''), signed: entries.map(([n]) => n).join(';') };
}

/** The canonical request (step 1). `headers` must already hold every header to sign. */
export function canonicalRequest(method: string, path: string, query: ReadonlyArray<readonly [string, string]>, headers: Readonly<Record<string, string>>, payloadHash: string): string {
  const { canonical, signed } = canonicalHeaders(headers);
  return [method, uriEncode(path, true), canonicalQueryString(query), canonical, signed, payloadHash].join('\n');
}

/** The credential scope `yyyymmdd/region/s3/aws4_request`. */
export function credentialScope(date: string, region: string): string {
  return `${date.slice(0, 8)}/${region}/s3/aws4_request`;
}

/** The string to sign (step 2). */
export function stringToSign(date: string, scope: string, canonical: string): string {
  return [SIGV4_ALGORITHM, date, scope, sha256Hex(canonical)].join('\n');
}

/** The signing key (step 3): HMAC chain over date, region, service, `aws4_request`. */
export function signingKey(secret: string, date: string, region: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date.slice(0, 8)), region), 's3'), 'aws4_request');
}

/**
 * Signs a request: returns every header to send (the caller's, plus `x-amz-date`, `x-amz-content-sha256`,
 * `x-amz-security-token` when the credentials have one, and `authorization`). `host` must be among
 * `input.headers` (SigV4 requires it signed).
 */
export function signS3Request(input: S3SignInput): Record<string, string> {
  const date = amzDate(input.nowMs);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers)) headers[name.toLowerCase()] = value;
  if (headers['host'] === undefined) throw new Error('signS3Request: the host header must be signed');
  headers['x-amz-date'] = date;
  headers['x-amz-content-sha256'] = input.payloadHash;
  if (input.credentials.securityToken !== undefined && input.credentials.securityToken !== '') headers['x-amz-security-token'] = input.credentials.securityToken;
  const canonical = canonicalRequest(input.method, input.path, input.query ?? [], headers, input.payloadHash);
  const scope = credentialScope(date, input.region);
  const signature = hmac(signingKey(input.credentials.accessKeySecret, date, input.region), stringToSign(date, scope, canonical)).toString('hex');
  const { signed } = canonicalHeaders(headers);
  headers['authorization'] = `${SIGV4_ALGORITHM} Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${signature}`;
  return headers;
}
