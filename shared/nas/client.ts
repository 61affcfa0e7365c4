/**
 * The NAS OpenAPI adapter of the `DataFlowApi` port. One call =
 * validate (schemas.ts) → per attempt: wait for a rate-limit slot (rate-limit.ts) → read credentials →
 * sign with a fresh nonce and date (signer.ts) → POST (transport.ts) → parse JSON → 2xx: check the
 * wire shape (wire.ts), else classify the error (classify.ts) → tell the limiter whether the quota
 * accepted or throttled the attempt (its rate adapts) → retry when retryable (retry.ts), bounded by
 * the call's `deadlineMs`.
 *
 * Point it at the real service (`https://nas.cn-hangzhou.aliyuncs.com`) or at the emulator
 * (`http://127.0.0.1:PORT`): nothing else changes.
 */
import { randomUUID } from 'node:crypto';
import type * as z from 'zod/mini';
import { ConfigError, DeadlineExceededError, ResponseShapeError } from '../errors.js';
import { classifyHttpError, isRetryableError, isThrottling, toClientError } from './classify.js';
import { redactSecrets, type CredentialsProvider } from './credentials.js';
import { defaultRateLimits, RateLimiter, type RateLimit } from './rate-limit.js';
import { DEFAULT_RETRY, defaultSleep, retry } from './retry.js';
import { validateRequest, type ParamsByOperation } from './schemas.js';
import { canonicalizeQuery, signRequest, type SigningCredentials } from './signer.js';
import { createHttpTransport, DEFAULT_TIMEOUT_MS, placeParameters, type HttpSend, type ParamValue } from './transport.js';
import type { CallOptions, DataFlowApi, NasOperationName, NasOperatorApi } from './types.js';
import {
  CancelDataFlowSubTaskResponse,
  CancelDataFlowTaskResponse,
  CreateDataFlowSubTaskResponse,
  CreateDataFlowTaskResponse,
  DescribeDataFlowSubTasksResponse,
  DescribeDataFlowTasksResponse,
  DescribeDataFlowsResponse,
  NAS_API_VERSION,
} from './wire.js';

/** The wire schema of each operation's successful answer. */
export const RESPONSE_SCHEMAS = {
  CreateDataFlowTask: CreateDataFlowTaskResponse,
  CreateDataFlowSubTask: CreateDataFlowSubTaskResponse,
  DescribeDataFlowTasks: DescribeDataFlowTasksResponse,
  DescribeDataFlowSubTasks: DescribeDataFlowSubTasksResponse,
  DescribeDataFlows: DescribeDataFlowsResponse,
  CancelDataFlowTask: CancelDataFlowTaskResponse,
  CancelDataFlowSubTask: CancelDataFlowSubTaskResponse,
} as const satisfies Record<NasOperationName, z.ZodMiniType>;

type ResponseOf<Op extends NasOperationName> = z.output<(typeof RESPONSE_SCHEMAS)[Op]>;

/**
 * Told after every attempt that got a rate-limit slot — sent, or stopped before sending (no credentials,
 * the deadline passed meanwhile: then without `status`). No parameters, no secrets.
 */
export interface NasRequestEvent {
  readonly operation: NasOperationName;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** HTTP status, when an answer arrived. */
  readonly status?: number;
  /** NAS error code or our error code (NetworkError, Timeout, ResponseShape), when the attempt failed. */
  readonly code?: string;
  readonly requestId?: string;
  readonly durationMs: number;
}

export interface NasClientOptions {
  /** `https://nas.<region>.aliyuncs.com`, `https://nas-vpc.<region>.aliyuncs.com` or `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  /** Read again for every attempt. */
  readonly credentials: CredentialsProvider;
  /** Per-attempt timeout (default 10 s); shortened so an attempt never outlives the call's deadline. */
  readonly timeoutMs?: number;
  /** Attempts per call, first included (default 5). */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /**
   * Client-side limits per operation, replacing the defaults (97 % of DOCUMENTED_QUOTAS) for the
   * operations given; `false` turns limiting off.
   */
  readonly rateLimits?: Partial<Record<NasOperationName, RateLimit>> | false;
  /**
   * Whether each limit adapts to the server's answers (default true): a Throttling answer cuts the
   * operation's rate, successes raise it back to the limit (rate-limit.ts `ADAPTIVE_RATE`). `false`
   * keeps the rates fixed.
   */
  readonly adaptiveRateLimits?: boolean;
  /** Clock in ms since the epoch (default Date.now); deadlines are on this clock. */
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  /** `x-acs-signature-nonce` generator (default randomUUID). */
  readonly nonce?: () => string;
  readonly userAgent?: string;
  readonly onRequest?: (event: NasRequestEvent) => void;
  /** HTTP sender (default: keep-alive transport built once for this client). */
  readonly send?: HttpSend;
}

/**
 * The adapter, the operator-only calls (CancelDataFlowSubTask, for `cpfs-ingest cancel`), plus `close()`
 * to release its keep-alive sockets. The functions hold it as a `DataFlowApi`, which has no such call.
 */
export interface NasClient extends DataFlowApi, NasOperatorApi {
  close(): void;
}

export const DEFAULT_USER_AGENT = 'cpfs-ingest/0.1 (Node.js)';

function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError([{ field: 'endpoint', rule: 'must be an absolute http(s) URL, e.g. https://nas.cn-hangzhou.aliyuncs.com' }]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError([{ field: 'endpoint', rule: 'must use http or https' }]);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError([{ field: 'endpoint', rule: 'must not carry a query, fragment or user info' }]);
  }
  return url;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Describes where an answer deviates from its schema without quoting values (they may hold signed URLs). */
function shapeProblems(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.code}`)
    .join('; ');
}

/** Builds the NAS OpenAPI adapter. Build it once per process and reuse it. */
export function createNasClient(options: NasClientOptions): NasClient {
  const baseUrl = parseEndpoint(options.endpoint);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const nonce = options.nonce ?? randomUUID;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const transport = options.send ? undefined : createHttpTransport();
  const send: HttpSend = options.send ?? (transport as HttpSend);
  const limiter =
    options.rateLimits === false
      ? undefined
      : new RateLimiter({
          limits: { ...defaultRateLimits(), ...options.rateLimits },
          ...(options.adaptiveRateLimits === false ? { adaptive: false as const } : {}),
          now,
          sleep: (ms) => sleep(ms),
        });
  const retryPolicy = {
    maxAttempts: options.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
    baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
  };

  async function attemptOnce<Op extends NasOperationName>(
    operation: Op,
    placed: ReturnType<typeof placeParameters>,
    attempt: number,
    call: CallOptions,
  ): Promise<ResponseOf<Op>> {
    await limiter?.acquire(operation, { deadlineMs: call.deadlineMs, signal: call.signal });
    const startedMs = now();
    let status: number | undefined;
    let code: string | undefined;
    let requestId: string | undefined;
    let credentials: SigningCredentials | undefined;
    try {
      credentials = await options.credentials();
      const signed = signRequest({
        method: 'POST',
        host: baseUrl.host,
        pathname: baseUrl.pathname || '/',
        query: placed.query,
        headers: placed.contentType ? { 'content-type': placed.contentType } : {},
        body: placed.body,
        action: operation,
        version: NAS_API_VERSION,
        date: new Date(startedMs),
        nonce: nonce(),
        credentials,
      });
      const url = new URL(baseUrl);
      const query = canonicalizeQuery(placed.query);
      url.search = query ? `?${query}` : '';
      // Measured right before sending (credentials and the limiter may have awaited since startedMs):
      // no attempt starts at or past the deadline, and none may outlive it.
      const sendAtMs = now();
      if (call.deadlineMs !== undefined && sendAtMs >= call.deadlineMs) {
        throw new DeadlineExceededError('the deadline passed before the request could be sent');
      }
      const remainingMs = call.deadlineMs === undefined ? timeoutMs : call.deadlineMs - sendAtMs;
      const response = await send({
        url,
        method: 'POST',
        headers: { ...signed.headers, accept: 'application/json', 'user-agent': userAgent },
        body: placed.body,
        timeoutMs: Math.min(timeoutMs, remainingMs),
        signal: call.signal,
      });
      status = response.status;
      const json = parseJson(response.body);
      const bodyRequestId = (json as { RequestId?: unknown } | undefined)?.RequestId;
      requestId = typeof bodyRequestId === 'string' ? bodyRequestId : response.headers['x-acs-request-id'];
      if (status >= 200 && status < 300) {
        const parsed = RESPONSE_SCHEMAS[operation].safeParse(json);
        if (!parsed.success) {
          throw new ResponseShapeError(
            json === undefined
              ? `${operation}: the answer (HTTP ${status}) is not JSON`
              : `${operation}: unexpected answer shape (${shapeProblems(parsed.error)})`,
          );
        }
        return parsed.data as ResponseOf<Op>;
      }
      const creds = credentials;
      throw classifyHttpError(status, json, operation, requestId, (text) => redactSecrets(text, creds));
    } catch (error) {
      const mapped = toClientError(error);
      const mappedCode = (mapped as { code?: unknown }).code;
      code = typeof mappedCode === 'string' ? mappedCode : mapped.name;
      if (credentials) mapped.message = redactSecrets(mapped.message, credentials);
      throw mapped;
    } finally {
      // Any 2xx means the quota admitted the call (even if its body then fails the shape check).
      if (status !== undefined && status >= 200 && status < 300) limiter?.onSucceeded(operation);
      else if (isThrottling(code)) limiter?.onThrottled(operation, startedMs);
      options.onRequest?.({
        operation,
        attempt,
        durationMs: now() - startedMs,
        ...(status !== undefined ? { status } : {}),
        ...(code !== undefined ? { code } : {}),
        ...(requestId !== undefined ? { requestId } : {}),
      });
    }
  }

  async function call<Op extends NasOperationName>(
    operation: Op,
    params: ParamsByOperation[Op],
    callOptions: CallOptions = {},
  ): Promise<ResponseOf<Op>> {
    validateRequest(operation, params);
    // Placed once: every attempt sends the same bytes (same ClientToken), only signed anew.
    const placed = placeParameters(operation, params as unknown as { readonly [key: string]: ParamValue });
    return retry((attempt) => attemptOnce(operation, placed, attempt, callOptions), {
      ...retryPolicy,
      deadlineMs: callOptions.deadlineMs,
      signal: callOptions.signal,
      now,
      sleep,
      random,
      // The limiter already proved no slot exists before the deadline: another attempt cannot help.
      isRetryable: (error) => isRetryableError(error) && !(error instanceof DeadlineExceededError),
    });
  }

  return {
    createDataFlowTask: (params, opts) => call('CreateDataFlowTask', params, opts),
    createDataFlowSubTask: (params, opts) => call('CreateDataFlowSubTask', params, opts),
    // WithReports defaults to true on LINGJUN and slows the query (docs/platform.md §1, newer API texts):
    // every lookup sends false unless its caller asks for the reports explicitly (status shows their names).
    describeDataFlowTasks: (params, opts) => call('DescribeDataFlowTasks', { WithReports: false, ...params }, opts),
    describeDataFlowSubTasks: (params, opts) => call('DescribeDataFlowSubTasks', params, opts),
    describeDataFlows: (params, opts) => call('DescribeDataFlows', params, opts),
    cancelDataFlowTask: (params, opts) => call('CancelDataFlowTask', params, opts),
    cancelDataFlowSubTask: (params, opts) => call('CancelDataFlowSubTask', params, opts),
    close: () => transport?.destroy(),
  };
}
