/**
 * AWS Signature Version 4 verification for the emulator's S3-compatible endpoint (docs/platform.md §6: OSS's
 * S3 API takes SigV4 with the OSS AccessKey). Header authentication only (`Authorization: AWS4-HMAC-SHA256 …`);
 * the payload hash in `x-amz-content-sha256` may be the hex SHA-256 of the body, `UNSIGNED-PAYLOAD`, or one of
 * the `STREAMING-…` values of an `aws-chunked` body (decoded by {@link decodeAwsChunked}, chunk signatures
 * checked for the signed variants).
 *
 * The signature is recomputed from what was received: the path decoded and re-encoded (RFC 3986 unreserved
 * characters kept, `/` kept, S3 does not double-encode), the query decoded and re-encoded and sorted, the
 * headers named in SignedHeaders with whitespace collapsed, and the payload hash as sent.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { KeyRecord } from '../auth.js';
import { S3Error } from './errors.js';

/** S3's window: x-amz-date within 15 minutes of the server clock. */
export const S3_SKEW_LIMIT_MS = 15 * 60 * 1000;

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

/** What a request's payload hash says about its body. */
export type PayloadMode =
  | { readonly kind: 'hash'; readonly sha256: string }
  | { readonly kind: 'unsigned' }
  | { readonly kind: 'chunked'; readonly signedChunks: boolean; readonly trailer: boolean };

/** The parts of a verified request the body decoding needs. */
export interface VerifiedAuth {
  readonly key: KeyRecord;
  readonly payload: PayloadMode;
  /** For signed chunks: the seed signature, the `x-amz-date`, the scope and the signing key. */
  readonly seedSignature: string;
  readonly amzDate: string;
  readonly scope: string;
  readonly signingKey: Buffer;
}

export interface SignedRequestView {
  readonly method: string;
  /** The raw path as received (still percent-encoded). */
  readonly rawPath: string;
  /** The raw query string (without `?`). */
  readonly rawQuery: string;
  /** Header name (lowercase) → values in arrival order. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** RFC 3986 encoding of everything but unreserved characters (what SigV4 canonical forms use). */
export function uriEncode(value: string, keepSlash: boolean): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Decodes percent escapes (not `+`); undefined when an escape is malformed or not UTF-8. */
export function percentDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** `a=1&b` → [['a','1'],['b','']], decoded; undefined when an escape is malformed. */
export function parseQuery(rawQuery: string): Array<[string, string]> | undefined {
  const out: Array<[string, string]> = [];
  if (rawQuery === '') return out;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = percentDecode(eq === -1 ? part : part.slice(0, eq));
    const value = percentDecode(eq === -1 ? '' : part.slice(eq + 1));
    if (name === undefined || value === undefined) return undefined;
    out.push([name, value]);
  }
  return out;
}

function canonicalQuery(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs
    .map(([n, v]) => [uriEncode(n, false), uriEncode(v, false)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
}

function canonicalHeaderValue(values: readonly string[]): string {
  return values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',');
}

function sameHex(a: string, b: string): boolean {
  const ba = Buffer.from(a.toLowerCase());
  const bb = Buffer.from(b.toLowerCase());
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

const AUTH_PATTERN = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]{64})\s*$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function parseAmzDate(value: string): number | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? undefined : ms;
}

function payloadModeOf(value: string | undefined): PayloadMode {
  if (value === undefined) {
    // S3 requires the header on every SigV4 request.
    throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  if (/^[0-9a-f]{64}$/i.test(value)) return { kind: 'hash', sha256: value.toLowerCase() };
  switch (value) {
    case UNSIGNED_PAYLOAD:
      return { kind: 'unsigned' };
    case STREAMING_SIGNED:
      return { kind: 'chunked', signedChunks: true, trailer: false };
    case STREAMING_SIGNED_TRAILER:
      return { kind: 'chunked', signedChunks: true, trailer: true };
    case STREAMING_UNSIGNED_TRAILER:
      return { kind: 'chunked', signedChunks: false, trailer: true };
    default:
      // Includes the SigV4a (ECDSA) streaming variants, which the emulator does not verify.
      throw new S3Error('InvalidArgument', 'x-amz-content-sha256 must be a SHA-256 hex digest, UNSIGNED-PAYLOAD or a STREAMING-AWS4-HMAC-SHA256 / STREAMING-UNSIGNED value');
  }
}

/**
 * Verifies the header signature of a request; returns the key and what the body must be checked against.
 * Order: Authorization shape → key known → security token → date format, scope and skew → payload-hash
 * header → signature. Errors never carry the secret.
 */
export function verifySigV4(req: SignedRequestView, keys: ReadonlyMap<string, KeyRecord>, nowMs: number): VerifiedAuth {
  const header = (name: string): string | undefined => req.headers.get(name)?.join(',');
  const authorization = header('authorization');
  if (authorization === undefined) {
    const query = parseQuery(req.rawQuery) ?? [];
    if (query.some(([n]) => n === 'X-Amz-Signature')) throw new S3Error('AccessDenied', 'Presigned URLs are not supported by the emulator; sign with the Authorization header.');
    throw new S3Error('AccessDenied', 'Anonymous access is not allowed; sign the request (AWS Signature Version 4).');
  }
  const m = AUTH_PATTERN.exec(authorization);
  if (!m) throw new S3Error('AuthorizationHeaderMalformed', 'The authorization header is malformed; expected AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=….');
  const [, credential = '', signedHeadersText = '', signature = ''] = m;
  const credentialParts = credential.split('/');
  if (credentialParts.length !== 5 || credentialParts[4] !== 'aws4_request' || credentialParts[3] !== 's3') {
    throw new S3Error('AuthorizationHeaderMalformed', 'The Credential must be <AccessKeyId>/<yyyymmdd>/<region>/s3/aws4_request.');
  }
  const [accessKeyId = '', scopeDate = '', region = ''] = credentialParts;
  const key = keys.get(accessKeyId);
  if (!key) throw new S3Error('InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.');

  const token = header('x-amz-security-token');
  if (key.securityToken !== undefined) {
    // ASSUMED codes (docs/platform.md §6 does not list them): S3's InvalidToken / ExpiredToken, 400.
    if (token === undefined || token === '') throw new S3Error('InvalidAccessKeyId', 'Temporary credentials need their security token (x-amz-security-token).');
    if (token !== key.securityToken) throw new S3Error('InvalidToken', 'The provided token is malformed or otherwise invalid.');
    if (key.securityTokenExpired) throw new S3Error('ExpiredToken', 'The provided token has expired.');
  } else if (token !== undefined) {
    throw new S3Error('InvalidToken', 'A security token was sent with a permanent AccessKey.');
  }

  const amzDate = header('x-amz-date');
  const dateMs = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || dateMs === undefined) throw new S3Error('AccessDenied', 'AWS authentication requires a valid x-amz-date header (yyyymmddThhmmssZ).');
  if (amzDate.slice(0, 8) !== scopeDate) throw new S3Error('AuthorizationHeaderMalformed', 'The credential date does not match the date of x-amz-date.');
  if (Math.abs(nowMs - dateMs) > S3_SKEW_LIMIT_MS) {
    throw new S3Error('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  }

  const signedHeaders = signedHeadersText.split(';');
  if (!signedHeaders.includes('host')) throw new S3Error('AccessDenied', 'SignedHeaders must include host.');
  if (signedHeaders.some((h) => h !== h.toLowerCase()) || [...signedHeaders].sort().join(';') !== signedHeadersText) {
    throw new S3Error('AuthorizationHeaderMalformed', 'SignedHeaders must be lowercase and sorted.');
  }
  for (const h of ['x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token']) {
    if (header(h) !== undefined && !signedHeaders.includes(h)) throw new S3Error('AccessDenied', `Header ${h} must be signed.`);
  }
  const missing = signedHeaders.filter((h) => !req.headers.has(h));
  if (missing.length > 0) throw new S3Error('AccessDenied', `Signed headers not sent: ${missing.join(', ')}.`);

  const payloadHash = header('x-amz-content-sha256');
  const payload = payloadModeOf(payloadHash);

  const path = percentDecode(req.rawPath);
  const query = parseQuery(req.rawQuery);
  if (path === undefined || query === undefined) throw new S3Error('InvalidURI', 'Could not parse the specified URI.');
  const canonicalRequest = [
    req.method,
    uriEncode(path, true),
    canonicalQuery(query),
    signedHeaders.map((h) => `${h}:${canonicalHeaderValue(req.headers.get(h) ?? [])}\n`).join(''),
    signedHeadersText,
    payloadHash ?? '',
  ].join('\n');
  const scope = `${scopeDate}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${key.accessKeySecret}`, scopeDate), region), 's3'), 'aws4_request');
  const expected = hmac(signingKey, stringToSign).toString('hex');
  if (!sameHex(signature, expected)) {
    throw new S3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
  return { key, payload, seedSignature: signature.toLowerCase(), amzDate, scope, signingKey };
}

const EMPTY_SHA256 = sha256Hex('');

/**
 * Decodes an `aws-chunked` body (`<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n … 0…\r\n[trailers]\r\n`),
 * checking each chunk signature when the payload mode says the chunks are signed. Returns the data and the
 * trailing headers (e.g. `x-amz-checksum-crc32`).
 */
export function decodeAwsChunked(body: Buffer, auth: VerifiedAuth): { data: Buffer; trailers: Map<string, string> } {
  if (auth.payload.kind !== 'chunked') throw new Error('decodeAwsChunked on a body that is not aws-chunked');
  const signed = auth.payload.signedChunks;
  const parts: Buffer[] = [];
  let previous = auth.seedSignature;
  let offset = 0;
  const bad = (why: string): S3Error => new S3Error('IncompleteBody', `The aws-chunked body is malformed: ${why}.`);
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd === -1) throw bad('a chunk header has no CRLF');
    const headerLine = body.subarray(offset, lineEnd).toString('latin1');
    const hm = /^([0-9a-fA-F]+)(?:;chunk-signature=([0-9a-f]{64}))?$/.exec(headerLine);
    if (!hm) throw bad('a chunk header is not <hex size>[;chunk-signature=…]');
    const size = Number.parseInt(hm[1] ?? '', 16);
    const dataStart = lineEnd + 2;
    if (dataStart + size > body.length) throw bad('a chunk is shorter than its size');
    const data = body.subarray(dataStart, dataStart + size);
    if (signed) {
      const chunkSignature = hm[2];
      if (chunkSignature === undefined) throw new S3Error('SignatureDoesNotMatch', 'A chunk of a signed aws-chunked body has no chunk-signature.');
      const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', auth.amzDate, auth.scope, previous, EMPTY_SHA256, sha256Hex(data)].join('\n');
      const expected = hmac(auth.signingKey, toSign).toString('hex');
      if (!sameHex(chunkSignature, expected)) throw new S3Error('SignatureDoesNotMatch', 'A chunk signature does not match.');
      previous = expected;
    }
    offset = dataStart + size;
    if (size === 0) break;
    parts.push(data);
    if (body.subarray(offset, offset + 2).toString('latin1') !== '\r\n') throw bad('a chunk is not followed by CRLF');
    offset += 2;
  }
  // After the last (empty) chunk: either CRLF (no trailers) or trailer lines, then an empty line.
  const trailers = new Map<string, string>();
  const rest = body.subarray(offset).toString('utf8');
  const lines = rest.split('\r\n');
  let trailerSignature: string | undefined;
  const trailerLines: string[] = [];
  for (const line of lines) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon === -1) throw bad('a trailer line has no colon');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') trailerSignature = value;
    else {
      trailers.set(name, value);
      trailerLines.push(`${name}:${value}\n`);
    }
  }
  if (signed && auth.payload.trailer && trailers.size > 0) {
    if (trailerSignature === undefined) throw new S3Error('SignatureDoesNotMatch', 'The trailer of a signed aws-chunked body has no x-amz-trailer-signature.');
    const toSign = ['AWS4-HMAC-SHA256-TRAILER', auth.amzDate, auth.scope, previous, sha256Hex(trailerLines.join(''))].join('\n');
    if (!sameHex(trailerSignature, hmac(auth.signingKey, toSign).toString('hex'))) throw new S3Error('SignatureDoesNotMatch', 'The trailer signature does not match.');
  }
  return { data: Buffer.concat(parts), trailers };
}
