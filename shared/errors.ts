/**
 * The one error hierarchy of the project. Every error carries an explicit `retryable` flag; retry
 * decisions follow from it (see shared/nas/classify.ts for how NAS API codes map onto it).
 * Messages never contain credentials, security tokens or signed URLs.
 *
 * Every class sets `name` from a string literal, not from `new.target.name`: the bundles are minified,
 * and a deployed handler must report a configuration error as `ConfigError`, not as a mangled `F`.
 */

export abstract class CpfsIngestError extends Error {
  /** Whether repeating the same request later may succeed. */
  abstract readonly retryable: boolean;
  /** A stable machine-readable code. */
  abstract readonly code: string;
  /** The class name as a literal (survives minification); shown by FC as the error type. */
  abstract override readonly name: string;
}

/** Input broke a documented rule; names the field and the rule. Never retryable. */
export class ValidationError extends CpfsIngestError {
  override readonly name = 'ValidationError';
  readonly retryable = false;
  readonly code = 'ValidationError';
  constructor(
    readonly field: string,
    readonly rule: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${rule}`, options);
  }
}

/** Configuration problems, all of them at once. */
export class ConfigError extends CpfsIngestError {
  override readonly name = 'ConfigError';
  readonly retryable = false;
  readonly code = 'ConfigError';
  constructor(readonly problems: ReadonlyArray<{ field: string; rule: string }>) {
    super(`invalid configuration: ${problems.map((p) => `${p.field}: ${p.rule}`).join('; ')}`);
  }
}

/** An error answer of the NAS OpenAPI (`{Code, Message}` with an HTTP status). */
export class NasApiError extends CpfsIngestError {
  override readonly name = 'NasApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
    readonly retryable: boolean,
    readonly requestId?: string,
    readonly action?: string,
  ) {
    super(`${action ?? 'NAS'} failed: ${code} (HTTP ${httpStatus}): ${message}`);
  }
}

/** The connection failed or was dropped before a response arrived. */
export class NetworkError extends CpfsIngestError {
  override readonly name = 'NetworkError';
  readonly retryable = true;
  readonly code = 'NetworkError';
}

/** One attempt took longer than its timeout. */
export class TimeoutError extends CpfsIngestError {
  override readonly name = 'TimeoutError';
  readonly retryable = true;
  readonly code = 'Timeout';
}

/** The caller's deadline arrived (or would arrive) before the work could finish. Retry later. */
export class DeadlineExceededError extends CpfsIngestError {
  override readonly name = 'DeadlineExceededError';
  readonly retryable = true;
  readonly code = 'DeadlineExceeded';
}

/** A response did not have the documented shape. */
export class ResponseShapeError extends CpfsIngestError {
  override readonly name = 'ResponseShapeError';
  readonly retryable = false;
  readonly code = 'ResponseShape';
}

/** No live StreamImport task could be had in this invocation (it keeps vanishing); FC's replay tries again. */
export class StreamTaskUnavailableError extends CpfsIngestError {
  override readonly name = 'StreamTaskUnavailableError';
  readonly retryable = true;
  readonly code = 'StreamTaskUnavailable';
}
