/**
 * Error answers of the emulator's S3-compatible endpoint: S3's codes and HTTP statuses (OSS's S3 API answers
 * with the same codes, docs/platform.md §6), as the XML body S3 sends. Messages never hold a secret.
 */

/** S3 error codes the endpoint answers with, and their HTTP status. */
export const S3_ERROR_STATUS = {
  AccessDenied: 403,
  InvalidAccessKeyId: 403,
  SignatureDoesNotMatch: 403,
  RequestTimeTooSkewed: 403,
  AuthorizationHeaderMalformed: 400,
  InvalidToken: 400,
  ExpiredToken: 400,
  InvalidRequest: 400,
  InvalidArgument: 400,
  InvalidURI: 400,
  IncompleteBody: 400,
  MalformedXML: 400,
  XAmzContentSHA256Mismatch: 400,
  BadDigest: 400,
  KeyTooLongError: 400,
  EntityTooLarge: 400,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  MethodNotAllowed: 405,
  InternalError: 500,
  NotImplemented: 501,
} as const;

export type S3ErrorCode = keyof typeof S3_ERROR_STATUS;

export class S3Error extends Error {
  readonly status: number;
  constructor(
    readonly code: S3ErrorCode,
    message: string,
    /** Extra elements of the error body (`Key`, `BucketName`). */
    readonly extra: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'S3Error';
    this.status = S3_ERROR_STATUS[code];
  }
}

/** XML text escaping (element content). */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** `<?xml…?><Error><Code>…</Code><Message>…</Message>…<RequestId>…</RequestId><HostId>…</HostId></Error>` */
export function errorXml(error: S3Error, requestId: string, hostId: string): string {
  const extra = Object.entries(error.extra)
    .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message>${extra}` +
    `<RequestId>${requestId}</RequestId><HostId>${xmlEscape(hostId)}</HostId></Error>`
  );
}
