/**
 * Error classification for the NAS OpenAPI, in one place: small named predicates over documented code
 * lists (docs/platform.md §1, the CreateDataFlowTask error table, Alibaba's common error codes). Retry
 * decisions everywhere else follow from the `retryable` flag these functions set — never from string
 * matching scattered around.
 */
import {
  CpfsIngestError,
  NasApiError,
  NetworkError,
  TimeoutError,
} from '../errors.js';
import { boundText, MAX_OUTCOME_CODE_CHARS, MAX_OUTCOME_MESSAGE_CHARS } from '../text-bound.js';
import { ErrorBody } from './wire.js';

/** Over-quota answers. Alibaba sends them as HTTP 400 or 503 depending on the gateway. */
export const THROTTLING_CODES: ReadonlySet<string> = new Set(['Throttling', 'Throttling.User', 'Throttling.Api']);

/** Server-side trouble that a later attempt may not meet. */
export const TRANSIENT_SERVER_CODES: ReadonlySet<string> = new Set(['ServiceUnavailable', 'InternalError']);

/**
 * Codes that clear on their own or on the next attempt although they come with a 4xx status:
 * - `SignatureNonceUsed`: every attempt is signed again with a fresh nonce (and date), so a retry
 *   cannot hit the same nonce.
 * - `InvalidSecurityToken.Expired`: the client re-reads its credentials provider on every attempt; in FC
 *   the provider returns the invocation's current STS token, so a retry carries a fresh one. With a
 *   static provider the retry fails the same way and stops at `maxAttempts`.
 * - `OperationDenied.InvalidState` (403): tasks may be created only while the data flow is Running; the
 *   seed's message is "not permitted when the status is processing", i.e. the data flow is Starting /
 *   Updating — states that pass within seconds to minutes. A bounded retry (and, if it still fails, the
 *   event being redelivered by FC) is the useful reaction. Stopped/Misconfigured data flows also answer
 *   this code; they cost a few bounded retries before the error surfaces.
 */
export const RETRYABLE_CLIENT_CODES: ReadonlySet<string> = new Set([
  'SignatureNonceUsed',
  'InvalidSecurityToken.Expired',
  'OperationDenied.InvalidState',
]);

/**
 * Codes that repeating the same request cannot fix. The first sixteen are the CreateDataFlowTask
 * table of the seed. `OperationDenied.DependencyViolation` (e.g. cancelling a streaming task that still
 * has running sub-tasks) clears only after other work finishes: waiting for that is the use case's
 * job, not a transport retry's.
 */
export const NON_RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'IllegalCharacters',
  'MissingFileSystemId',
  'MissingDataFlowId',
  'InvalidFilesystemVersion.NotSupport',
  'OperationDenied.DependencyViolation',
  'OperationDenied.DataFlowNotSupported',
  'InvalidParameter.InvalidFormat',
  'InvalidParameter.SizeTooLarge',
  'InvalidDataFlow.NotFound',
  'InvalidTaskAction.NotSupported',
  'InvalidTaskAction.PermissionDenied',
  'InvalidSrcTaskId.NotFound',
  'InvalidDataType.NotSupported',
  'InvalidSrcTaskId.TaskIdInvalid',
  'InvalidSrcTaskId.TaskIdNotFound',
  // Common codes: our signature or credentials are wrong, or the role lacks a permission.
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId.NotFound',
  'Forbidden.RAM',
]);

/** Node/undici error codes of a connection that failed or dropped: the request may be sent again. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
  'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Error codes of a low-level timeout. */
export const TIMEOUT_ERROR_CODES: ReadonlySet<string> = new Set([
  'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);

/** Longest server message kept in an error (messages may quote request parameters). */
export const MAX_ERROR_MESSAGE_CHARS = 512;

/** `Throttling`, `Throttling.User`, `Throttling.Api` or any other `Throttling.*` variant. */
export function isThrottling(code: string | undefined): boolean {
  return code !== undefined && (THROTTLING_CODES.has(code) || code.startsWith('Throttling.'));
}

/** HTTP 5xx. */
export function isServerError(status: number): boolean {
  return status >= 500 && status <= 599;
}

/** Statuses worth another attempt whatever the code: 5xx, 429 Too Many Requests, 408 Request Timeout. */
export function isRetryableStatus(status: number): boolean {
  return isServerError(status) || status === 429 || status === 408;
}

/** `InternalError` / `ServiceUnavailable`. */
export function isTransientServerCode(code: string | undefined): boolean {
  return code !== undefined && TRANSIENT_SERVER_CODES.has(code);
}

/** A code whose request can never succeed as is (see NON_RETRYABLE_CODES). */
export function isPermanentCode(code: string | undefined): boolean {
  return code !== undefined && NON_RETRYABLE_CODES.has(code);
}

/**
 * Credentials rejected or out of date: `InvalidAccessKeyId.*`, `InvalidSecurityToken.*`, `InvalidTimeStamp.*`
 * (a clock off by more than the allowed skew), a missing token, or the signature.
 */
export function isCredentialProblem(code: string | undefined): boolean {
  return (
    code !== undefined &&
    (code.startsWith('InvalidAccessKeyId') ||
      code.startsWith('InvalidSecurityToken') ||
      code.startsWith('InvalidTimeStamp') ||
      code === 'MissingSecurityToken' ||
      code === 'SignatureDoesNotMatch' ||
      code === 'IncompleteSignature')
  );
}

/**
 * Whether an error answer is worth another attempt. Order matters: a documented permanent code stays
 * permanent even if a gateway wrapped it in a 5xx; throttling, transient server codes, the
 * RETRYABLE_CLIENT_CODES and retryable statuses are retried; any other 4xx is not.
 */
export function isRetryableCode(code: string | undefined, status: number): boolean {
  if (isPermanentCode(code)) return false;
  if (isThrottling(code) || isTransientServerCode(code)) return true;
  if (code !== undefined && RETRYABLE_CLIENT_CODES.has(code)) return true;
  return isRetryableStatus(status);
}

/** Operations that end work: only an operator's tool sends them (`cpfs-ingest cancel`); the functions never do. */
export const CANCEL_OPERATIONS: ReadonlySet<string> = new Set(['CancelDataFlowTask', 'CancelDataFlowSubTask']);

/**
 * Answers that, for a cancel, mean "the task or sub-task is not in a state that can be cancelled":
 * a terminal one (COMPLETE, FAILED, CANCELED…) is refused, and a streaming task with running sub-tasks
 * cannot be cancelled (docs/platform.md §1). Repeating the same cancel a few hundred milliseconds later
 * does not change that, so — unlike for a create, where `OperationDenied.InvalidState` means a data flow
 * that is still starting — a cancel is not retried on them; the operator sees the answer at once.
 */
export const CANCEL_STATE_CODES: ReadonlySet<string> = new Set(['OperationDenied.InvalidState', 'OperationDenied.DependencyViolation']);

/** {@link isRetryableCode}, with the cancel operations' reading of the state codes (see CANCEL_STATE_CODES). */
export function isRetryableAnswer(action: string, code: string | undefined, status: number): boolean {
  if (CANCEL_OPERATIONS.has(action) && code !== undefined && CANCEL_STATE_CODES.has(code)) return false;
  return isRetryableCode(code, status);
}

function shorten(text: string): string {
  return text.length > MAX_ERROR_MESSAGE_CHARS ? `${text.slice(0, MAX_ERROR_MESSAGE_CHARS)}…` : text;
}

/**
 * Turns one non-2xx answer into a `NasApiError`. `body` is the parsed JSON (or raw text) of the
 * answer; the documented shape is `{RequestId, HostId, Code, Message, Recommend?}`. A body without a
 * `Code` (a proxy's HTML page, an empty 502) gets the code `HTTP<status>`. `redact` is applied to the
 * server's message so that no credential echoed by a gateway reaches an error message.
 */
export function classifyHttpError(
  status: number,
  body: unknown,
  action: string,
  requestId?: string,
  redact: (text: string) => string = (t) => t,
): NasApiError {
  const parsed = ErrorBody.safeParse(body);
  if (parsed.success) {
    const { Code: code, Message: message, RequestId } = parsed.data;
    return new NasApiError(
      code,
      shorten(redact(message ?? '(no message)')),
      status,
      isRetryableAnswer(action, code, status),
      RequestId ?? requestId,
      action,
    );
  }
  // Never quote an unknown body: it may be a proxy page echoing our request.
  return new NasApiError(
    `HTTP${status}`,
    'the answer carried no NAS error code',
    status,
    isRetryableStatus(status),
    requestId,
    action,
  );
}

function stringProperty(value: unknown, name: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const property: unknown = (value as Record<string, unknown>)[name];
  return typeof property === 'string' ? property : undefined;
}

/**
 * Maps a low-level failure to our hierarchy: connection errors (ECONNRESET, ECONNREFUSED, EPIPE,
 * "socket hang up", …) become `NetworkError`, timeouts `TimeoutError` — both retryable. Errors of our
 * own hierarchy pass through; anything else (a programming error) is returned unchanged and, having
 * no `retryable` flag, is never retried.
 */
export function toClientError(error: unknown): Error {
  if (error instanceof CpfsIngestError) return error;
  const code = stringProperty(error, 'code');
  const message = stringProperty(error, 'message') ?? '';
  const name = stringProperty(error, 'name');
  if ((code !== undefined && TIMEOUT_ERROR_CODES.has(code)) || name === 'TimeoutError') {
    return new TimeoutError(`request timed out (${code ?? name})`, { cause: error });
  }
  if ((code !== undefined && NETWORK_ERROR_CODES.has(code)) || /socket hang up/i.test(message)) {
    return new NetworkError(`connection failed (${code ?? 'socket hang up'})`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Whether an error says it may succeed on another attempt (`retryable === true`). */
export function isRetryableError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === true;
}

// ---------------------------------------------------------------------------------------------------
// System failures versus record-scoped refusals — THE one place that splits them.
//
// A **system failure** says nothing about the record being submitted: the same call for any other record
// would fail the same way (our credentials, signature, permissions, endpoint, TLS, the data flow or file
// system itself). The invocation must FAIL for those — the handler throws — so that FC retries the event
// and, when its retries run out, delivers it to the failure destination instead of the event being
// reported "done" with every record failed. A **record-scoped refusal** (an illegal character, a path or
// size rule, a client-side ValidationError) concerns one record only: it is reported in that record's
// outcome and the rest of the batch goes on.
// Codes the docs do not list (e.g. `InvalidSecurityToken.MismatchWithAccessKey`, `IncompleteSignature`,
// `InvalidTimeStamp.*`) are recognised by their documented family prefix; that a gateway uses exactly these
// spellings is UNVERIFIED (docs/platform.md §1 lists only the common codes), which is why whole families
// count. Unknown NAS codes stay record-scoped: a wrongly thrown invocation costs FC replays, but every
// listed system failure would otherwise lose events silently.
// ---------------------------------------------------------------------------------------------------

/** Exact codes that are system failures (credentials, permissions, configuration, the data flow). */
export const SYSTEM_FAILURE_CODES: ReadonlySet<string> = new Set([
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingFileSystemId',
  'MissingDataFlowId',
  'InvalidFilesystemVersion.NotSupport',
  'OperationDenied.DataFlowNotSupported',
  'InvalidTaskAction.NotSupported',
  'InvalidTaskAction.PermissionDenied',
  'InvalidDataType.NotSupported',
  // OSS answers through its S3-compatible API (docs/platform.md §6) to the function's manifest writes: the
  // role lacks the grant on <bucket>/.cpfs-ingest/manifests/*, or OSS_BUCKET names no bucket at that
  // endpoint. Every other object's write would fail alike, so the invocation fails (FC retries, then the
  // failure destination) instead of reporting each bulk object as refused.
  'AccessDenied',
  'NoSuchBucket',
  // Our own codes: credentials missing (the provider throws ConfigError), an answer that is not the
  // NAS API's (a wrong endpoint), no live streaming task.
  'ConfigError',
  'ResponseShape',
]);

/** Code families that are system failures: `InvalidAccessKeyId.NotFound`, `Forbidden.RAM`, `InvalidDataFlow.NotFound`, … */
export const SYSTEM_FAILURE_CODE_PREFIXES: readonly string[] = [
  'InvalidAccessKeyId',
  'InvalidSecurityToken',
  'InvalidTimeStamp',
  'Forbidden',
  'InvalidDataFlow.',
  'InvalidFileSystem',
  'InvalidFilesystem',
];

/** Node error codes of TLS / DNS / endpoint problems (the cause of a NetworkError, or passed through as is). */
export const SYSTEM_FAILURE_NODE_CODE_PREFIXES: readonly string[] = [
  'CERT_', 'ERR_TLS_', 'ERR_SSL_', 'UNABLE_TO_', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'EPROTO', 'ENOTFOUND', 'EAI_AGAIN', 'ERR_INVALID_URL', 'HOSTNAME_MISMATCH',
];

function codeProperty(value: unknown): string | undefined {
  return stringProperty(value, 'code');
}

/**
 * Whether `error` is a system failure (see the block comment above): the invocation must fail so FC
 * retries it and then delivers it to the failure destination. Looks at the error's `code`, and at the
 * codes of its `cause` chain (a NetworkError wrapping ENOTFOUND, a TLS error) — at most 4 levels.
 */
export function isSystemFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const code = codeProperty(current);
    if (code !== undefined && isSystemFailureCode(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The code-level half of {@link isSystemFailure}. */
export function isSystemFailureCode(code: string): boolean {
  if (SYSTEM_FAILURE_CODES.has(code)) return true;
  if (SYSTEM_FAILURE_CODE_PREFIXES.some((prefix) => code.startsWith(prefix))) return true;
  if (SYSTEM_FAILURE_NODE_CODE_PREFIXES.some((prefix) => code.startsWith(prefix))) return true;
  // An error answer without a NAS code (a proxy page, a wrong path on the endpoint) — except the
  // request-size statuses, which one oversized request earns on its own.
  const http = /^HTTP(4\d\d)$/.exec(code);
  return http !== null && http[1] !== '413' && http[1] !== '414' && http[1] !== '408' && http[1] !== '429';
}

// ---------------------------------------------------------------------------------------------------
// Readings of answers for the use case (ingest, backfill, reconcile, verify, the CLI) — each decided here
// once and named; nowhere else holds a code list for them.
// ---------------------------------------------------------------------------------------------------

/** The NAS code of an error answered by the service (NasApiError), else undefined. */
export function nasCodeOf(error: unknown): string | undefined {
  return error instanceof NasApiError ? error.code : undefined;
}

/** Codes meaning "this streaming task cannot take sub-tasks (any more)". */
const STREAM_TASK_GONE_CODES: ReadonlySet<string> = new Set(['OperationDenied.InvalidState', 'InvalidTaskId.NotFound', 'InvalidDataFlowTask.NotFound']);

/** The StreamImport task a sub-task was sent to is gone or stopped: resolve the task again. */
export function isStreamTaskGone(error: unknown): boolean {
  const code = nasCodeOf(error);
  return code !== undefined && STREAM_TASK_GONE_CODES.has(code);
}

/** Code of "this file system does not do StreamImport" (LINGJUN older than 2.6, docs/platform.md §1). */
const OLDER_THAN_2_6_CODE = 'InvalidFilesystemVersion.NotSupport';

/** The file system does not do StreamImport (LINGJUN older than 2.6): `auto` falls back to batch. */
export function isStreamImportUnsupported(error: unknown): boolean {
  return nasCodeOf(error) === OLDER_THAN_2_6_CODE;
}

/**
 * CreateDirIfNotExist was refused. UNVERIFIED: the docs give no code of its own for it; a LINGJUN older
 * than 2.6 (where it does not exist) is taken to answer with the same version code as for StreamImport.
 */
export function isCreateDirUnsupported(error: unknown): boolean {
  return nasCodeOf(error) === OLDER_THAN_2_6_CODE;
}

/**
 * The answer of CreateDataFlowTask (Import) on LINGJUN when the data flow already has its batch tasks (at
 * most 4 per data flow, docs/platform.md §1). Not retried by the client — the request cannot succeed as
 * such right now — but it clears when one of those tasks ends: ingest leaves it to FC's replay (retryable
 * outcome), a backfill waits and retries it.
 */
export function isBatchTaskLimitCode(code: string | undefined): boolean {
  return code === 'OperationDenied.DependencyViolation';
}

/**
 * Answers that refuse a whole Import because of what some entry holds (a character, a format, the size
 * as the service counts it) without saying which entry: the batch is halved and re-sent.
 */
const ENTRY_REFUSAL_CODES: ReadonlySet<string> = new Set(['IllegalCharacters', 'InvalidParameter.InvalidFormat', 'InvalidParameter.SizeTooLarge']);

export function isEntryRefusalCode(code: string | undefined): boolean {
  return code !== undefined && ENTRY_REFUSAL_CODES.has(code);
}

/** Code of the failure of an object whose route batch Import cannot express (auto fell back to batch). */
export const NOT_BATCHABLE_CODE = 'NotBatchable';

/**
 * A non-retryable failure code that belongs to one record — the service (or the client's validation)
 * refused that object's request — so a backfill reports the record and moves on. Any other non-retryable
 * failure would fail every record the same way.
 */
export function isRecordScopedRefusalCode(code: string): boolean {
  return isEntryRefusalCode(code) || code === 'ValidationError' || code === NOT_BATCHABLE_CODE;
}

/**
 * The same ClientToken came with other parameters: an earlier run already sent this request in another
 * form (e.g. without CreateDirIfNotExist, or a re-drive by another run). Docs: §1 (idempotency).
 */
export function isTokenReusedWithOtherParameters(error: unknown): boolean {
  return nasCodeOf(error) === 'IdempotentParameterMismatch';
}

/**
 * THE description of a failure, used by every reader (ingest outcomes, backfill and reconcile summaries,
 * the CLI): code, bounded message, and flags. An error of the hierarchy (shared/errors.ts) gives its own
 * code and `retryable`; anything else is `Unexpected`, retryable only if it says so. `system` is
 * isSystemFailure, nowhere else decided.
 */
export function describeError(error: unknown): { code: string; message: string; retryable: boolean; system: boolean } {
  const system = isSystemFailure(error);
  if (error instanceof Error && 'retryable' in error && 'code' in error) {
    const e = error as CpfsIngestError;
    return { code: boundText(String(e.code), MAX_OUTCOME_CODE_CHARS), message: boundText(e.message, MAX_OUTCOME_MESSAGE_CHARS), retryable: e.retryable, system };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'Unexpected', message: boundText(message, MAX_OUTCOME_MESSAGE_CHARS), retryable: isRetryableError(error), system };
}
