/**
 * Public API of the NAS OpenAPI client (shared/nas). Import from here rather than from the
 * individual modules.
 */
export { createNasClient, DEFAULT_USER_AGENT, RESPONSE_SCHEMAS } from './client.js';
export type { NasClient, NasClientOptions, NasRequestEvent } from './client.js';
export type { CallOptions, DataFlowApi, Filter, NasOperationName, NasOperatorApi, OperationName } from './types.js';
export type {
  CancelDataFlowSubTaskParams,
  CancelDataFlowTaskParams,
  CreateDataFlowSubTaskParams,
  CreateDataFlowTaskParams,
  DescribeDataFlowSubTasksParams,
  DescribeDataFlowTasksParams,
  DescribeDataFlowsParams,
} from './types.js';
export {
  CancelDataFlowSubTaskRequest,
  CancelDataFlowTaskRequest,
  CreateDataFlowSubTaskRequest,
  CreateDataFlowTaskRequest,
  DescribeDataFlowSubTasksRequest,
  DescribeDataFlowTasksRequest,
  DescribeDataFlowsRequest,
  EXCLUSIVE_SOURCE_PARAMETERS,
  FILTER_KEYS,
  MAX_CLIENT_TOKEN_CHARS,
  MAX_ENTRY_LIST_BYTES,
  MAX_FILTER_IDS,
  MAX_INCLUDES_CHARS,
  MAX_PATH_CHARS,
  MAX_RESULTS_RANGE,
  OPERATION_NAMES,
  REQUEST_SCHEMAS,
  clientTokenProblems,
  countCharacters,
  directoryProblems,
  entryListProblems,
  filePathProblems,
  fileSystemKind,
  findRequestIssues,
  includesProblems,
  subTaskIdProblems,
  transferFileListPathProblems,
  isValidUtf8Text,
  utf8ByteLength,
  validateRequest,
} from './schemas.js';
export type { ParamsByOperation, ValidationIssue } from './schemas.js';
export {
  CANCEL_OPERATIONS,
  CANCEL_STATE_CODES,
  NETWORK_ERROR_CODES,
  NON_RETRYABLE_CODES,
  RETRYABLE_CLIENT_CODES,
  THROTTLING_CODES,
  TIMEOUT_ERROR_CODES,
  TRANSIENT_SERVER_CODES,
  classifyHttpError,
  isCredentialProblem,
  isPermanentCode,
  isRetryableAnswer,
  isRetryableCode,
  isRetryableError,
  isRetryableStatus,
  isServerError,
  isThrottling,
  isTransientServerCode,
  toClientError,
} from './classify.js';
export { DEFAULT_RETRY, abortReason, backoffCeilingMs, defaultSleep, fullJitterDelayMs, retry } from './retry.js';
export type { RetryOptions } from './retry.js';
export {
  ADAPTIVE_RATE,
  BURST_FRACTION,
  CLIENT_QUOTA_FRACTION,
  DOCUMENTED_QUOTAS,
  RateLimiter,
  bucketParameters,
  createRateLimiter,
  defaultRateLimits,
} from './rate-limit.js';
export type { AcquireOptions, AdaptiveRate, DocumentedQuota, Quota, RateLimit, RateLimiterOptions } from './rate-limit.js';
export {
  DEFAULT_TIMEOUT_MS,
  FORM_CONTENT_TYPE,
  MAX_RESPONSE_BYTES,
  createHttpTransport,
  encodeFormBody,
  flattenParams,
  parameterPlacement,
  placeParameters,
} from './transport.js';
export type { HttpRequest, HttpResponse, HttpSend, ParamValue, ParameterPlacement, PlacedParameters } from './transport.js';
export {
  CREDENTIAL_ENV,
  REDACTED,
  chain,
  fromEnv,
  fromFcContext,
  redactSecrets,
  staticCredentials,
} from './credentials.js';
export type { CredentialsProvider } from './credentials.js';
export { parseAuthorization, percentEncode, signRequest } from './signer.js';
export type { SignedRequest, SignInput, SigningCredentials } from './signer.js';
export { NAS_API_VERSION } from './wire.js';
