/**
 * ACS3-HMAC-SHA256 request signing (Alibaba Cloud OpenAPI signature V3), as a pure function:
 * clock, nonce and credentials are passed in, nothing is read from the environment.
 *
 * Rules followed (docs/platform.md §2, Alibaba "V3 request structure and signature"):
 * - CanonicalQueryString: names sorted by code unit, name and value percent-encoded (RFC 3986 unreserved
 *   kept, space → %20, `*` → %2A, `~` kept, uppercase hex), joined with `&`.
 * - CanonicalHeaders: `host`, `content-type` and every `x-acs-*` header, lowercased names, trimmed values,
 *   sorted, each `name:value\n`; SignedHeaders are the same names joined by `;`.
 * - HashedPayload: hex SHA-256 of the exact body bytes (empty body → SHA-256 of "").
 */
import { createHash, createHmac } from 'node:crypto';

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';

/** Credentials used to sign; `securityToken` is present for STS credentials. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string | undefined;
}

export interface SignInput {
  readonly method: string;
  /** The host header value, e.g. `nas.cn-hangzhou.aliyuncs.com` or `127.0.0.1:4567`. */
  readonly host: string;
  /** Canonical URI: the request path, `/` for RPC-style APIs. */
  readonly pathname: string;
  /** Parameters sent in the query string (not those sent in a form body). */
  readonly query: Readonly<Record<string, string>>;
  /** Extra headers to sign (e.g. `content-type`); names in any case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact body bytes (or a UTF-8 string). */
  readonly body: string | Uint8Array;
  readonly action: string;
  readonly version: string;
  /** Time of signing; rendered as `yyyy-MM-ddTHH:mm:ssZ`. */
  readonly date: Date;
  /** Unique per request (`x-acs-signature-nonce`). */
  readonly nonce: string;
  readonly credentials: SigningCredentials;
}

/** Percent-encodes one query name or value the way ACS3 canonicalisation requires. */
export function percentEncode(value: string): string {
  // encodeURIComponent keeps A-Z a-z 0-9 - _ . ! ~ * ' ( ); ACS3 keeps only - _ . ~ of those.
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

/** Builds the canonical query string from decoded parameter names and values. */
export function canonicalizeQuery(query: Readonly<Record<string, string>>): string {
  return Object.keys(query)
    .sort()
    .map((name) => `${percentEncode(name)}=${percentEncode(query[name] ?? '')}`)
    .join('&');
}

/** Picks the signed headers (host, content-type, x-acs-*) and returns their canonical form and names. */
export function canonicalizeHeaders(headers: Readonly<Record<string, string>>): {
  canonicalHeaders: string;
  signedHeaders: string;
} {
  const picked = new Map<string, string>();
  for (const [rawName, rawValue] of Object.entries(headers)) {
    const name = rawName.toLowerCase().trim();
    if (name === 'host' || name === 'content-type' || name.startsWith('x-acs-')) {
      picked.set(name, String(rawValue).trim());
    }
  }
  const names = [...picked.keys()].sort();
  return {
    canonicalHeaders: names.map((n) => `${n}:${picked.get(n)}\n`).join(''),
    signedHeaders: names.join(';'),
  };
}

/**
 * Like `canonicalizeHeaders`, for a header LIST in which one name may repeat in different cases
 * (e.g. raw headers received by a server, or a record holding both `x-acs-test` and `x-acs-TEST`).
 * Repeated names are merged the way the official SDK does: values trimmed, sorted, joined with `,`.
 * (`canonicalizeHeaders` keeps only the last value of such a name; `signRequest` lowercases names
 * before signing, so what it signs and sends never has repeats.)
 */
export function canonicalizeHeaderEntries(entries: Iterable<readonly [string, string]>): {
  canonicalHeaders: string;
  signedHeaders: string;
} {
  const picked = new Map<string, string[]>();
  for (const [rawName, rawValue] of entries) {
    const name = rawName.toLowerCase().trim();
    if (name === 'host' || name === 'content-type' || name.startsWith('x-acs-')) {
      const values = picked.get(name) ?? [];
      values.push(String(rawValue).trim());
      picked.set(name, values);
    }
  }
  const names = [...picked.keys()].sort();
  return {
    canonicalHeaders: names.map((n) => `${n}:${(picked.get(n) ?? []).sort().join(',')}\n`).join(''),
    signedHeaders: names.join(';'),
  };
}

/** Hex SHA-256 of a string (UTF-8) or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Renders a date as the `x-acs-date` value: `yyyy-MM-ddTHH:mm:ssZ` in UTC, no milliseconds. */
export function formatAcsDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Builds the canonical request text. */
export function buildCanonicalRequest(parts: {
  method: string;
  pathname: string;
  canonicalQuery: string;
  canonicalHeaders: string;
  signedHeaders: string;
  hashedPayload: string;
}): string {
  return [
    parts.method.toUpperCase(),
    parts.pathname,
    parts.canonicalQuery,
    parts.canonicalHeaders,
    parts.signedHeaders,
    parts.hashedPayload,
  ].join('\n');
}

/** StringToSign = algorithm + "\n" + hex(SHA-256(canonical request)). */
export function buildStringToSign(canonicalRequest: string): string {
  return `${ACS3_ALGORITHM}\n${sha256Hex(canonicalRequest)}`;
}

/** Hex HMAC-SHA256 of the string to sign with the AccessKeySecret. */
export function computeSignature(accessKeySecret: string, stringToSign: string): string {
  return createHmac('sha256', accessKeySecret).update(stringToSign).digest('hex');
}

export interface SignedRequest {
  /** Every header to send, including `authorization` and the x-acs-* headers (lowercase names). */
  readonly headers: Record<string, string>;
  readonly signature: string;
  readonly signedHeaders: string;
}

/**
 * Signs one request. Returns the full header set to send (host, x-acs-action, x-acs-version,
 * x-acs-date, x-acs-signature-nonce, x-acs-content-sha256, x-acs-security-token when STS,
 * the caller's headers and `authorization`).
 */
export function signRequest(input: SignInput): SignedRequest {
  const hashedPayload = sha256Hex(input.body);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers)) headers[k.toLowerCase()] = v;
  headers['host'] = input.host;
  headers['x-acs-action'] = input.action;
  headers['x-acs-version'] = input.version;
  headers['x-acs-date'] = formatAcsDate(input.date);
  headers['x-acs-signature-nonce'] = input.nonce;
  headers['x-acs-content-sha256'] = hashedPayload;
  if (input.credentials.securityToken) {
    headers['x-acs-security-token'] = input.credentials.securityToken;
  }
  const { canonicalHeaders, signedHeaders } = canonicalizeHeaders(headers);
  const canonicalRequest = buildCanonicalRequest({
    method: input.method,
    pathname: input.pathname,
    canonicalQuery: canonicalizeQuery(input.query),
    canonicalHeaders,
    signedHeaders,
    hashedPayload,
  });
  const signature = computeSignature(input.credentials.accessKeySecret, buildStringToSign(canonicalRequest));
  headers['authorization'] =
    `${ACS3_ALGORITHM} Credential=${input.credentials.accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`;
  return { headers, signature, signedHeaders };
}

/** Parses an `Authorization: ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…` header. */
export function parseAuthorization(
  value: string,
): { accessKeyId: string; signedHeaders: string[]; signature: string } | undefined {
  const prefix = `${ACS3_ALGORITHM} `;
  if (!value.startsWith(prefix)) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(prefix.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId || signedHeaders === undefined || !signature) return undefined;
  return { accessKeyId, signedHeaders: signedHeaders.split(';').filter(Boolean), signature };
}
