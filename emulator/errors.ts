/**
 * The error codes the emulator answers with, each with its HTTP status and message.
 *
 * Sources: the 16 codes of CreateDataFlowTask come from its reference page (shared/seed); the gateway
 * codes (signature, time stamp, nonce, throttling) from Alibaba's published error bodies; the rest are
 * ASSUMED where the docs are silent — every assumption is marked here and listed in emulator/README.md.
 * Messages never contain secrets: no AccessKeySecret, no security token, no signed URL.
 */

export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

/** CreateDataFlowTask's documented codes (seed page), verbatim status and message. */
export const SEED_ERRORS = {
  IllegalCharacters: { status: 400, message: 'The parameter contains illegal characters.' },
  MissingFileSystemId: { status: 400, message: 'FileSystemId is mandatory for this action.' },
  MissingDataFlowId: { status: 400, message: 'DataFlowId is mandatory for this action.' },
  'InvalidFilesystemVersion.NotSupport': { status: 400, message: 'This Api does not support this fileSystem version.' },
  'OperationDenied.InvalidState': { status: 403, message: 'The operation is not permitted when the status is processing.' },
  'OperationDenied.DependencyViolation': { status: 403, message: 'The operation is denied due to dependancy violation.' },
  'OperationDenied.DataFlowNotSupported': { status: 403, message: 'The operation is not supported.' },
  'InvalidParameter.InvalidFormat': { status: 404, message: 'The EntryList format is invalid.' },
  'InvalidParameter.SizeTooLarge': { status: 404, message: 'The specified EntryList size exceeds 64 KB.' },
  'InvalidDataFlow.NotFound': { status: 404, message: 'The specified data flow does not exist.' },
  'InvalidTaskAction.NotSupported': { status: 404, message: 'The task action is not supported.' },
  'InvalidTaskAction.PermissionDenied': { status: 404, message: 'The task action is not allowed.' },
  'InvalidSrcTaskId.NotFound': { status: 404, message: 'The SrcTaskId is not found.' },
  'InvalidDataType.NotSupported': { status: 404, message: 'The data type is not supported.' },
  'InvalidSrcTaskId.TaskIdInvalid': { status: 404, message: 'Source task ID is invalid.' },
  'InvalidSrcTaskId.TaskIdNotFound': { status: 404, message: 'Source task ID is not found.' },
} as const satisfies Record<string, ErrorSpec>;

export type SeedErrorCode = keyof typeof SEED_ERRORS;

/** The seed's codes as a list: every one must be reachable by some request (tested). */
export const SEED_ERROR_CODES = Object.keys(SEED_ERRORS) as SeedErrorCode[];

/** Codes outside the seed page. */
export const OTHER_ERRORS = {
  // Gateway codes seen in Alibaba's published error bodies (status and message as observed).
  SignatureDoesNotMatch: { status: 400, message: 'Specified signature is not matched with our calculation.' },
  SignatureNonceUsed: { status: 400, message: 'Specified signature nonce was used already.' },
  'InvalidTimeStamp.Expired': { status: 400, message: 'Specified time stamp or date value is expired.' },
  // KMS's common-code table gives 404 for this gateway code.
  'InvalidAccessKeyId.NotFound': { status: 404, message: 'Specified access key is not found.' },
  // NAS error-code page: InternalError 500, ServiceUnavailable 503.
  InternalError: { status: 500, message: 'The request processing has failed due to some unknown error.' },
  ServiceUnavailable: { status: 503, message: 'The request has failed due to a temporary failure of the server.' },
  // NAS documents this code (404) on its other APIs (e.g. CancelLifecycleRetrieveJob).
  'InvalidFileSystem.NotFound': { status: 404, message: 'The specified file system does not exist.' },
  // Alibaba's idempotency guide names the code; the HTTP status is ASSUMED (400).
  IdempotentParameterMismatch: {
    status: 400,
    message: 'The request uses the same client token as a previous, but non-identical request.',
  },
  // ASSUMED status 400: the reference says throttling answers "usually HTTP 400 or 503"; the gateway's
  // per-user flow control is the 400 one in published bodies. See THROTTLING in README.
  'Throttling.User': { status: 400, message: 'Request was denied due to user flow control.' },
  // ASSUMED codes/statuses below (documented in README "assumed").
  'InvalidTimeStamp.Format': { status: 400, message: 'Specified time stamp or date value is not well formatted.' },
  IncompleteSignature: { status: 400, message: 'The request signature does not conform to Aliyun standards.' },
  'InvalidSecurityToken.Expired': { status: 400, message: 'Specified SecurityToken is expired.' },
  'InvalidSecurityToken.Malformed': { status: 400, message: 'Specified SecurityToken is malformed.' },
  'InvalidSecurityToken.MismatchWithAccessKey': {
    status: 400,
    message: 'Specified SecurityToken mismatch with the AccessKey.',
  },
  MissingSecurityToken: { status: 400, message: 'SecurityToken is mandatory for this AccessKey.' },
  InvalidVersion: { status: 400, message: 'Specified parameter Version is not valid.' },
  MissingAction: { status: 400, message: 'Action is mandatory for this request.' },
  'InvalidAction.NotFound': { status: 404, message: 'Specified api is not found, please check your url and method.' },
  UnsupportedContentType: { status: 400, message: 'Parameters in a body must be application/x-www-form-urlencoded.' },
  MissingDataFlowTaskId: { status: 400, message: 'DataFlowTaskId is mandatory for this action.' },
  MissingTaskId: { status: 400, message: 'TaskId is mandatory for this action.' },
  MissingSrcFilePath: { status: 400, message: 'SrcFilePath is mandatory for this action.' },
  MissingDstFilePath: { status: 400, message: 'DstFilePath is mandatory for this action.' },
  MissingConflictPolicy: { status: 400, message: 'ConflictPolicy is mandatory for CPFS for LINGJUN file systems.' },
  'InvalidTaskId.NotFound': { status: 404, message: 'The specified data flow task does not exist.' },
  // ASSUMED (the newer API texts make Directory, EntryList and TransferFileListPath mutually exclusive but
  // name no code): 400, shaped like the seed's `InvalidParameter.*` family.
  'InvalidParameter.Conflict': {
    status: 400,
    message: 'Directory, EntryList and TransferFileListPath are mutually exclusive; send at most one of them.',
  },
  // ASSUMED: CancelDataFlowSubTask's codes follow the seed's Missing<Param> / Invalid<Thing>.NotFound shapes.
  MissingDataFlowSubTaskId: { status: 400, message: 'DataFlowSubTaskId is mandatory for this action.' },
  'InvalidSubTaskId.NotFound': { status: 404, message: 'The specified data flow sub-task does not exist.' },
} as const satisfies Record<string, ErrorSpec>;

export type OtherErrorCode = keyof typeof OTHER_ERRORS;
export type EmulatorErrorCode = SeedErrorCode | OtherErrorCode;

const ALL_ERRORS: Record<EmulatorErrorCode, ErrorSpec> = { ...SEED_ERRORS, ...OTHER_ERRORS };

/** An API error the emulator answers with; `detail` (never secret) is appended to the message. */
export class EmulatorApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: EmulatorErrorCode,
    readonly detail?: string,
  ) {
    const spec = ALL_ERRORS[code];
    super(detail ? `${spec.message} ${detail}` : spec.message);
    this.name = 'EmulatorApiError';
    this.status = spec.status;
  }
}

/** Shorthand for a throw site: `throw apiError('MissingDataFlowId')`. */
export function apiError(code: EmulatorErrorCode, detail?: string): EmulatorApiError {
  return new EmulatorApiError(code, detail);
}

/** The `{Code, Message}` part of an error body; the HTTP layer adds RequestId, HostId and Recommend. */
export function errorSpecOf(code: EmulatorErrorCode): ErrorSpec {
  return ALL_ERRORS[code];
}
