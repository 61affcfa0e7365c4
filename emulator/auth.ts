/**
 * Verifies an ACS3-HMAC-SHA256 request the way the gateway does (docs/platform.md §2), by recomputing the
 * signature with the project's own signer building blocks over what was actually received: the query
 * parameters, the headers named in `SignedHeaders`, and the SHA-256 of the raw body bytes.
 *
 * Order of checks (ASSUMED where the docs are silent; README lists it):
 * Authorization shape → AccessKeyId known → STS token → x-acs-date format and ±15 min → body hash →
 * signature → nonce not reused within 15 min.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  buildCanonicalRequest,
  buildStringToSign,
  canonicalizeHeaders,
  canonicalizeQuery,
  computeSignature,
  parseAuthorization,
  sha256Hex,
} from '../shared/nas/signer.js';
import { apiError } from './errors.js';

/** A key the emulator accepts. With `securityToken`, requests must carry it (STS credentials). */
export interface EmulatorKey {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string;
  /** Account the key belongs to: quotas and ClientTokens are per account. Default `1234567890123456`. */
  readonly accountId?: string;
}

/** Mutable per-key state the admin API changes (expiry of an STS token). */
export interface KeyRecord extends EmulatorKey {
  readonly accountId: string;
  securityTokenExpired: boolean;
}

/** The documented window: x-acs-date within ±15 min of the server; a nonce is remembered as long. */
export const SIGNATURE_WINDOW_MS = 15 * 60 * 1000;

/** The headers every ACS3 request must sign when present (the V3 doc: all public headers but Authorization). */
const REQUIRED_SIGNED = ['host', 'x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256'];

/** Remembers nonces for the signature window. */
export class NonceMemory {
  private readonly seen = new Map<string, number>();

  /** Returns false when `nonce` was already used within the window; records it otherwise. */
  remember(nonce: string, nowMs: number): boolean {
    for (const [n, at] of this.seen) {
      if (nowMs - at > SIGNATURE_WINDOW_MS) this.seen.delete(n);
      else break; // insertion order = time order
    }
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, nowMs);
    return true;
  }
}

export interface ReceivedRequest {
  readonly method: string;
  readonly pathname: string;
  /** Lowercase header names; multi-valued headers joined by `,`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Decoded query-string parameters only. */
  readonly query: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

const ACS_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Parses `yyyy-MM-ddTHH:mm:ssZ`; undefined when malformed. */
export function parseAcsDate(value: string): number | undefined {
  const m = ACS_DATE.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? undefined : ms;
}

function canonicalHeadersFor(names: readonly string[], headers: Readonly<Record<string, string>>): string {
  const picked: Record<string, string> = {};
  for (const n of names) picked[n] = headers[n] ?? '';
  const viaSigner = canonicalizeHeaders(picked);
  // The project signer only picks host, content-type and x-acs-*; a caller may sign more (the V3 doc
  // allows it), so fall back to the same format for the full list.
  if (viaSigner.signedHeaders === [...names].sort().join(';')) return viaSigner.canonicalHeaders;
  return [...names]
    .sort()
    .map((n) => `${n}:${(headers[n] ?? '').trim()}\n`)
    .join('');
}

function sameHex(a: string, b: string): boolean {
  const ba = Buffer.from(a.toLowerCase());
  const bb = Buffer.from(b.toLowerCase());
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/**
 * Verifies one request; returns the key it was signed with, or throws an EmulatorApiError with the
 * gateway's code. Never puts a secret into an error.
 */
export function verifyRequest(
  req: ReceivedRequest,
  keys: ReadonlyMap<string, KeyRecord>,
  nonces: NonceMemory,
  nowMs: number,
): KeyRecord {
  const authHeader = req.headers['authorization'];
  if (!authHeader) throw apiError('IncompleteSignature', 'The Authorization header is missing.');
  const auth = parseAuthorization(authHeader);
  if (!auth) throw apiError('IncompleteSignature', 'The Authorization header is not ACS3-HMAC-SHA256.');

  const key = keys.get(auth.accessKeyId);
  if (!key) throw apiError('InvalidAccessKeyId.NotFound');

  const token = req.headers['x-acs-security-token'];
  if (key.securityToken !== undefined) {
    if (token === undefined || token === '') throw apiError('MissingSecurityToken');
    if (token !== key.securityToken) throw apiError('InvalidSecurityToken.MismatchWithAccessKey');
    if (key.securityTokenExpired) throw apiError('InvalidSecurityToken.Expired');
  } else if (token !== undefined) {
    throw apiError('InvalidSecurityToken.MismatchWithAccessKey', 'A security token was sent with a permanent AccessKey.');
  }

  const dateHeader = req.headers['x-acs-date'];
  const dateMs = dateHeader === undefined ? undefined : parseAcsDate(dateHeader);
  if (dateMs === undefined) throw apiError('InvalidTimeStamp.Format', 'x-acs-date must be yyyy-MM-ddTHH:mm:ssZ (UTC).');
  if (Math.abs(nowMs - dateMs) > SIGNATURE_WINDOW_MS) throw apiError('InvalidTimeStamp.Expired');

  const signed = auth.signedHeaders.map((h) => h.toLowerCase());
  const mustSign = [...REQUIRED_SIGNED, ...(token !== undefined ? ['x-acs-security-token'] : [])];
  const unsigned = mustSign.filter((h) => !signed.includes(h));
  if (unsigned.length > 0) throw apiError('IncompleteSignature', `SignedHeaders must include: ${unsigned.join(', ')}.`);
  const missing = signed.filter((h) => req.headers[h] === undefined);
  if (missing.length > 0) throw apiError('IncompleteSignature', `Signed headers not sent: ${missing.join(', ')}.`);

  const hashedPayload = sha256Hex(req.body);
  if (!sameHex(req.headers['x-acs-content-sha256'] ?? '', hashedPayload)) {
    throw apiError('SignatureDoesNotMatch', 'x-acs-content-sha256 is not the SHA-256 of the body.');
  }

  const canonicalRequest = buildCanonicalRequest({
    method: req.method,
    pathname: req.pathname,
    canonicalQuery: canonicalizeQuery(req.query),
    canonicalHeaders: canonicalHeadersFor(signed, req.headers),
    signedHeaders: [...signed].sort().join(';'),
    hashedPayload,
  });
  const expected = computeSignature(key.accessKeySecret, buildStringToSign(canonicalRequest));
  if (!sameHex(auth.signature, expected)) throw apiError('SignatureDoesNotMatch');

  const nonce = req.headers['x-acs-signature-nonce'] ?? '';
  if (nonce === '') throw apiError('IncompleteSignature', 'x-acs-signature-nonce is missing.');
  if (!nonces.remember(nonce, nowMs)) throw apiError('SignatureNonceUsed');
  return key;
}
