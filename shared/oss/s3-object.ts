/**
 * PutObject and DeleteObject through OSS's S3-compatible API (docs/platform.md §6), signed with SigV4
 * (sigv4.ts) over node:https — the two calls the event function makes to write and remove its manifests,
 * without the AWS SDK in its bundle (issue 11).
 *
 * Addressing: virtual-hosted style (`<bucket>.<endpoint host>`), the only one OSS accepts; path style
 * (`<endpoint>/<bucket>/<key>`) only for loopback endpoints (the emulator), which cannot serve
 * `<bucket>.127.0.0.1`. One attempt per call: the callers own retries (an FC replay re-puts the same bytes
 * under the same key — PutObject of identical content is harmless). Errors become {@link OssApiError} with
 * the code of the XML answer (S3 `<Error><Code>`), the HTTP status and the request id; retryable by the
 * same lists as the listing client (api-error.ts). The credentials never reach an error or a log.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { isLoopbackOrigin } from './endpoint.js';
import { OssApiError, RETRYABLE_HTTP_STATUSES, RETRYABLE_NETWORK_CODES, RETRYABLE_OSS_CODES } from './api-error.js';
import { sha256Hex, signS3Request, uriEncode, type S3SigningCredentials } from './sigv4.js';

export interface S3ObjectWriterOptions {
  /** Origin of the S3-compatible endpoint, e.g. `https://s3.oss-cn-hangzhou-internal.aliyuncs.com`. */
  readonly endpoint: string;
  /** Plain region id (`cn-hangzhou`): the SigV4 scope. */
  readonly region: string;
  readonly bucket: string;
  /** Current credentials (the function role's STS ones rotate: asked for on every call). */
  readonly credentials: () => S3SigningCredentials | Promise<S3SigningCredentials>;
  /** Path-style addressing; default: only for loopback endpoints. */
  readonly pathStyle?: boolean;
  readonly now?: () => number;
  /** Per-request socket timeout; default 30 000 ms. */
  readonly timeoutMs?: number;
}

export interface S3ObjectWriter {
  put(key: string, body: string, contentType: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The writer, built once per instance (keep-alive agents). */
export function createS3ObjectWriter(options: S3ObjectWriterOptions): S3ObjectWriter {
  const origin = new URL(options.endpoint);
  if ((origin.protocol !== 'https:' && origin.protocol !== 'http:') || (origin.pathname !== '/' && origin.pathname !== '')) {
    throw new Error('S3 endpoint: must be an http(s) origin without a path');
  }
  const secure = origin.protocol === 'https:';
  const pathStyle = options.pathStyle ?? isLoopbackOrigin(options.endpoint);
  const host = pathStyle ? origin.host : `${options.bucket}.${origin.host}`;
  const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 30_000;

  const s3ObjectCall = async (operation: 'PutObject' | 'DeleteObject', key: string, body: string | undefined, contentType?: string): Promise<void> => {
    const payload = Buffer.from(body ?? '', 'utf8');
    const path = pathStyle ? `/${options.bucket}/${key}` : `/${key}`;
    const headers = signS3Request({
      method: operation === 'PutObject' ? 'PUT' : 'DELETE',
      path,
      headers: {
        host,
        ...(operation === 'PutObject' ? { 'content-type': contentType ?? 'application/octet-stream', 'content-length': String(payload.length) } : {}),
      },
      payloadHash: sha256Hex(payload),
      region: options.region,
      credentials: await options.credentials(),
      nowMs: now(),
    });
    const fail = (code: string, status: number | undefined, requestId?: string) =>
      new OssApiError(code, status, RETRYABLE_OSS_CODES.has(code) || (status !== undefined && RETRYABLE_HTTP_STATUSES.has(status)) || RETRYABLE_NETWORK_CODES.has(code), operation, options.bucket, key, 1, requestId);
    await new Promise<void>((resolve, reject) => {
      const request = (secure ? https : http).request(
        {
          protocol: origin.protocol,
          hostname: origin.hostname,
          port: origin.port === '' ? undefined : Number(origin.port),
          method: operation === 'PutObject' ? 'PUT' : 'DELETE',
          // The path on the wire is the same encoding the signature covers (S3 does not double-encode).
          path: uriEncode(path, true),
          headers,
          agent,
          timeout: timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => {
            // Error answers are small XML; bound what is kept.
            if (chunks.length < 64) chunks.push(chunk);
          });
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve();
            const text = Buffer.concat(chunks).toString('utf8');
            const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1] ?? `HTTP${status}`;
            const requestId = /<RequestId>([^<]{1,100})<\/RequestId>/.exec(text)?.[1] ?? headerText(response.headers['x-oss-request-id'] ?? response.headers['x-amz-request-id']);
            reject(fail(code, status, requestId));
          });
          response.on('error', (error: NodeJS.ErrnoException) => reject(fail(error.code ?? 'ECONNRESET', undefined)));
        },
      );
      request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      request.on('error', (error: NodeJS.ErrnoException) => reject(fail(error.code ?? 'ECONNRESET', undefined)));
      request.end(operation === 'PutObject' ? payload : undefined);
    });
  };

  return {
    // Named `s3ObjectCall('<Operation>'`: test/support/s-yaml-checks.ts reads these calls to check the RAM grants.
    put: (key, body, contentType) => s3ObjectCall('PutObject', key, body, contentType),
    delete: (key) => s3ObjectCall('DeleteObject', key, undefined),
  };
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
