/**
 * HTTP(S) transport of the NAS client: where each parameter goes (query or form body), how nested
 * parameters are flattened and encoded, and one POST over a keep-alive connection with a per-attempt
 * timeout and AbortSignal support. No signing and no retries here.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { NetworkError, TimeoutError } from '../errors.js';
import { toClientError } from './classify.js';
import { abortReason } from './retry.js';
import { percentEncode } from './signer.js';
import type { NasOperationName } from './types.js';

/** Content type of a form body (signed as the `content-type` header). */
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** Default time one attempt may take, connection included. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Largest answer we read (Describe* pages with reports are well below it). */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Parameters: flattening, placement, encoding.
// ---------------------------------------------------------------------------------------------

/** A parameter value before flattening. */
export type ParamValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | readonly ParamValue[]
  | { readonly [key: string]: ParamValue };

function formatScalar(value: string | number | bigint | boolean): string {
  if (typeof value === 'number') {
    // Integers (ns timestamps exceed 2^53) are written in full, never in exponent notation.
    return Number.isInteger(value) ? BigInt(value).toString() : String(value);
  }
  return String(value);
}

/**
 * Flattens nested parameters the RPC way: objects as `Parent.Child` (`Condition.Size`), arrays as
 * 1-based `Parent.N` (`Filters.1.Key`, `Filters.1.Value`); booleans as `true`/`false`; `undefined`
 * and `null` are left out.
 */
export function flattenParams(params: { readonly [key: string]: ParamValue }, prefix = ''): Record<string, string> {
  const flat: Record<string, string> = {};
  const visit = (value: ParamValue, key: string): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      (value as readonly ParamValue[]).forEach((item, index) => visit(item, `${key}.${index + 1}`));
    } else if (typeof value === 'object') {
      for (const [child, childValue] of Object.entries(value as { readonly [key: string]: ParamValue })) {
        visit(childValue, `${key}.${child}`);
      }
    } else {
      flat[key] = formatScalar(value as string | number | bigint | boolean);
    }
  };
  for (const [key, value] of Object.entries(params)) visit(value, prefix ? `${prefix}.${key}` : key);
  return flat;
}

/**
 * Encodes flattened parameters as an `application/x-www-form-urlencoded` body with the same
 * percent-encoding as the signer's canonical query (`percentEncode`: space → %20, `+` → %2B, `*` → %2A),
 * names sorted so equal requests give equal bytes (and equal `x-acs-content-sha256`).
 */
export function encodeFormBody(flat: Readonly<Record<string, string>>): string {
  return Object.keys(flat)
    .sort()
    .map((name) => `${percentEncode(name)}=${percentEncode(flat[name] ?? '')}`)
    .join('&');
}

/** Where an operation's parameters travel. */
export type ParameterPlacement = 'query' | 'body';

/**
 * THE one place that decides parameter placement: every operation sends its parameters in a form
 * body. Why: a 60 KB EntryList becomes an ~82 KB URL and Alibaba's gateway has answered such long
 * queries with 414 Request-URI Too Large (docs/platform.md §1). Alibaba's V3 signature doc states RPC
 * parameters may travel as an `application/x-www-form-urlencoded` body, hashed into
 * `x-acs-content-sha256`, and the official SDK core does the same for RPC bodies. One placement for
 * all operations keeps the emulator and the signer's inputs uniform.
 */
export function parameterPlacement(_operation: NasOperationName): ParameterPlacement {
  return 'body';
}

/** What to put on the wire for one request's parameters. */
export interface PlacedParameters {
  /** Parameters for the query string (and the canonical query). */
  readonly query: Record<string, string>;
  /** The exact body text ('' when none). */
  readonly body: string;
  /** `content-type` to send and sign, when there is a body. */
  readonly contentType?: string;
}

/** Flattens `params` and places them per `parameterPlacement`. */
export function placeParameters(operation: NasOperationName, params: { readonly [key: string]: ParamValue }): PlacedParameters {
  const flat = flattenParams(params);
  if (parameterPlacement(operation) === 'query') return { query: flat, body: '' };
  return { query: {}, body: encodeFormBody(flat), contentType: FORM_CONTENT_TYPE };
}

// ---------------------------------------------------------------------------------------------
// Sending.
// ---------------------------------------------------------------------------------------------

export interface HttpRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

export interface HttpResponse {
  readonly status: number;
  /** Lowercase names; repeated headers joined by ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Sends one request; rejects with NetworkError / TimeoutError / the abort reason. */
export type HttpSend = (request: HttpRequest) => Promise<HttpResponse>;

export interface TransportOptions {
  /** Keep-alive sockets per host. */
  readonly maxSockets?: number;
}

/**
 * Creates a sender with its own keep-alive agents, built once here and reused by every request so warm
 * invocations skip TCP/TLS handshakes. Call once per process (module scope) and pass it around.
 */
export function createHttpTransport(options: TransportOptions = {}): HttpSend & { destroy(): void } {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  const send: HttpSend = (request) => sendOnce(request, request.url.protocol === 'https:' ? httpsAgent : httpAgent);
  return Object.assign(send, {
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  });
}

function sendOnce(request: HttpRequest, agent: http.Agent): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    const { url, signal } = request;
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    let settled = false;
    const body = Buffer.from(request.body, 'utf8');
    const requester = url.protocol === 'https:' ? https.request : http.request;
    const req = requester(url, {
      method: request.method,
      agent,
      headers: { ...request.headers, 'content-length': String(body.length) },
    });
    const finish = (error: Error | undefined, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) {
        req.destroy();
        reject(error);
      } else if (response) {
        resolve(response);
      }
    };
    const onAbort = () => finish(abortReason(signal));
    const timer = setTimeout(
      () => finish(new TimeoutError(`no complete answer within ${request.timeoutMs} ms`)),
      request.timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });

    req.on('error', (error) => finish(toClientError(error)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          finish(new NetworkError(`answer larger than ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (error) => finish(toClientError(error)));
      res.on('aborted', () => finish(new NetworkError('connection closed before the answer was complete')));
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        finish(undefined, { status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.end(body);
  });
}
