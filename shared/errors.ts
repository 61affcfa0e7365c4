/**
 * The one error hierarchy of the project. Every error carries an explicit `retryable` flag; retry
 * decisions follow from it (see shared/nas/classify.ts for how NAS API codes map onto it).
 * Messages never contain credentials, security tokens or signed URLs.
 */

export abstract class CpfsIngestError extends Error {
  /** Whether repeating the same request later may succeed. */
  abstract readonly retryable: boolean;
  /** A stable machine-readable code. */
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input broke a documented rule; names the field and the rule. Never retryable. */
export class ValidationError extends CpfsIngestError {
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
  readonly retryable = false;
  readonly code = 'ConfigError';
  constructor(readonly problems: ReadonlyArray<{ field: string; rule: string }>) {
    super(`invalid configuration: ${problems.map((p) => `${p.field}: ${p.rule}`).join('; ')}`);
  }
}

/** An error answer of the NAS OpenAPI (`{Code, Message}` with an HTTP status). */
export class NasApiError extends CpfsIngestError {
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
  readonly retryable = true;
  readonly code = 'NetworkError';
}

/** One attempt took longer than its timeout. */
export class TimeoutError extends CpfsIngestError {
  readonly retryable = true;
  readonly code = 'Timeout';
}

/** The caller's deadline arrived (or would arrive) before the work could finish. Retry later. */
export class DeadlineExceededError extends CpfsIngestError {
  readonly retryable = true;
  readonly code = 'DeadlineExceeded';
}

/** A response did not have the documented shape. */
export class ResponseShapeError extends CpfsIngestError {
  readonly retryable = false;
  readonly code = 'ResponseShape';
}

/** No live StreamImport task could be had in this invocation (it keeps vanishing); FC's replay tries again. */
export class StreamTaskUnavailableError extends CpfsIngestError {
  readonly retryable = true;
  readonly code = 'StreamTaskUnavailable';
}
