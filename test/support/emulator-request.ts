/**
 * A minimal signed-request helper for the emulator's own tests: signs with shared/nas/signer.ts and sends
 * parameters in a form body (default), the query string, or split across both. Deliberately not the
 * project's NAS client, so the emulator is tested against the wire contract alone.
 */
import * as http from 'node:http';
import { randomUUID } from 'node:crypto';
import { percentEncode, signRequest, type SigningCredentials } from '../../shared/nas/signer.js';
import { NAS_API_VERSION } from '../../shared/nas/wire.js';

/** Nested parameters: arrays become `.1`, `.2`…; objects `.Name` (Alibaba's flattening). */
export type ParamInput = string | number | boolean | bigint | undefined | readonly ParamInput[] | { readonly [k: string]: ParamInput };

/** `{Filters: [{Key: 'a', Value: 'b'}], Condition: {Size: 1}}` → `Filters.1.Key=a`, `Condition.Size=1`… */
export function flattenParams(params: Readonly<Record<string, ParamInput>>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (prefix: string, value: ParamInput): void => {
    if (value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((v: ParamInput, i: number) => walk(`${prefix}.${i + 1}`, v));
    } else if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, ParamInput>)) walk(`${prefix}.${k}`, v);
    } else {
      out[prefix] = String(value);
    }
  };
  for (const [k, v] of Object.entries(params)) walk(k, v);
  return out;
}

/** Form/query encoding with the ACS3 percent-encoding (space → %20). */
export function encodeParams(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
}

export interface EmulatorRequestOptions {
  /** Where parameters travel: `body` (form, default), `query`, or `both` (alternating names). */
  readonly via?: 'body' | 'query' | 'both';
  readonly credentials?: SigningCredentials;
  /** Signing time; default the target's clock (or the wall clock). */
  readonly date?: Date;
  readonly nonce?: string;
  readonly version?: string;
  /** Replaces the body bytes (e.g. invalid UTF-8); signed as sent. */
  readonly rawBody?: Buffer;
  /** Changes headers after signing (to break a signature on purpose). */
  readonly tamper?: (headers: Record<string, string>) => void;
  /** Request timeout in real ms (default 5000). */
  readonly timeoutMs?: number;
}

export interface EmulatorResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** Signs and sends one request to `url` (the emulator's base URL). Rejects on a dropped connection. */
export async function sendEmulatorRequest(
  url: string,
  action: string,
  params: Readonly<Record<string, ParamInput>>,
  options: EmulatorRequestOptions & { credentials: SigningCredentials; date: Date },
): Promise<EmulatorResponse> {
  const flat = flattenParams(params);
  const via = options.via ?? 'body';
  const query: Record<string, string> = {};
  const bodyParams: Record<string, string> = {};
  Object.keys(flat).forEach((k, i) => {
    const toQuery = via === 'query' || (via === 'both' && i % 2 === 0);
    (toQuery ? query : bodyParams)[k] = flat[k] ?? '';
  });
  const body = options.rawBody ?? Buffer.from(encodeParams(bodyParams), 'utf8');
  const target = new URL(url);
  const extraHeaders: Record<string, string> = body.length > 0 ? { 'content-type': 'application/x-www-form-urlencoded' } : {};
  const signed = signRequest({
    method: 'POST',
    host: target.host,
    pathname: '/',
    query,
    headers: extraHeaders,
    body,
    action,
    version: options.version ?? NAS_API_VERSION,
    date: options.date,
    nonce: options.nonce ?? randomUUID(),
    credentials: options.credentials,
  });
  const headers = { ...signed.headers };
  options.tamper?.(headers);
  const search = Object.keys(query).length > 0 ? `?${encodeParams(query)}` : '';

  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: 'POST',
        path: `/${search}`,
        headers: { ...headers, 'content-length': String(body.length) },
        agent: false,
        timeout: options.timeoutMs ?? 5_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = {};
          }
          resolve({ status: res.statusCode ?? 0, body: (parsed ?? {}) as Record<string, unknown>, text, headers: res.headers });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Something with a URL and (optionally) the emulator clock: an EmulatorHandle fits. */
export interface CallTarget {
  readonly url: string;
  readonly clock?: { now(): number };
}

export type EmulatorCall = (
  action: string,
  params?: Readonly<Record<string, ParamInput>>,
  options?: EmulatorRequestOptions,
) => Promise<EmulatorResponse>;

/** A caller bound to one emulator and key, signing at the emulator's clock time by default. */
export function createEmulatorCaller(target: CallTarget, credentials: SigningCredentials): EmulatorCall {
  return (action, params = {}, options = {}) =>
    sendEmulatorRequest(target.url, action, params, {
      ...options,
      credentials: options.credentials ?? credentials,
      date: options.date ?? new Date(target.clock?.now() ?? Date.now()),
    });
}
