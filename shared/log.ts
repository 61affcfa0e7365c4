/**
 * JSON-lines logger: one object per line (`{time, level, event, ...fields}`), which FC's log service
 * indexes as is.
 *
 * Secrets must never reach a log line (AccessKeySecret, SecurityToken, signatures, signed URLs), so every
 * line is redacted twice before it is written:
 * - structurally: a field whose name looks secret (`accessKeySecret`, `securityToken`, `token`,
 *   `authorization`, `signature`, `password`, `credentials`, …) is replaced by `[REDACTED]`, at any depth;
 * - textually: in every string (values, keys, error messages, stacks), each current secret string — and
 *   its URL-encoded forms — and every signed-URL/signing parameter value (`Signature=`, `OSSAccessKeyId=`,
 *   `Expires=`, `security-token=`, `x-oss-signature…=`, `X-Amz-…=`, `Credential=`, `AccessKeyId=`) becomes
 *   `[REDACTED]`.
 * Errors are serialised as `{name, code, retryable, message}` (plus `httpStatus`, `requestId`, `action`,
 * `field`, `rule` and a redacted `cause` when present); stacks are not logged.
 */

export const REDACTED = '[REDACTED]';

export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger whose lines also carry `fields` (e.g. the invocation's requestId). */
  child(fields: LogFields): Logger;
}

export interface CreateLoggerOptions {
  /** Receives each line without its newline (default: stdout, one line each). */
  readonly write?: (line: string) => void;
  /** Fields on every line (e.g. function name). Redacted like any other field. */
  readonly base?: LogFields;
  /**
   * The secret strings of the moment (AccessKeySecret, SecurityToken…), asked for at every line since STS
   * credentials rotate. Empty and missing values are skipped.
   */
  readonly secrets?: () => ReadonlyArray<string | undefined>;
  /** Clock for the `time` field (default: the system clock). */
  readonly now?: () => Date;
}

/** Normalised field names (lowercase, letters and digits only) that hold no secret despite "token". */
const NON_SECRET_TOKEN_NAMES = new Set(['clienttoken', 'nexttoken', 'continuationtoken', 'paginationtoken']);
const SECRET_NAME_PARTS = [
  'secret', 'password', 'passwd', 'authorization', 'signature', 'credential', 'privatekey', 'cookie', 'apikey',
];

/** Whether a field of this name must never be logged (checked at any depth). */
export function isSecretFieldName(name: string): boolean {
  const normalised = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (NON_SECRET_TOKEN_NAMES.has(normalised)) return false;
  return normalised.endsWith('token') || SECRET_NAME_PARTS.some((part) => normalised.includes(part));
}

// `name=value` pairs of signed URLs and signing material (OSS V1/V4, S3 SigV4, ACS RPC/V3).
const SIGNED_PARAMETER = new RegExp(
  String.raw`(?<![\w-])(Signature|OSSAccessKeyId|Expires|security-token|SecurityToken|x-oss-signature[\w-]*|` +
    String.raw`x-oss-credential|x-oss-security-token|x-acs-security-token|X-Amz-Signature|X-Amz-Credential|` +
    String.raw`X-Amz-Security-Token|Credential|AccessKeyId|AccessKeySecret)=([^&\s"'<>#,;]*)`,
  'gi',
);
// `"securityToken": "…"`-style pairs inside text (e.g. a serialised object in an error message).
const SECRET_PAIR = /(["']?)(access_?key_?secret|security_?token|x-acs-security-token|sts_?token)\1(\s*[:=]\s*)(["']?)[^"'\s,&}]+/gi;

function encodedForms(secret: string): string[] {
  const uri = encodeURIComponent(secret);
  // RFC 3986 strict form (as ACS signing uses): also escapes !'()*.
  const strict = uri.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return [...new Set([secret, uri, strict, uri.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())])];
}

/**
 * Replaces every occurrence of the given secrets (and their URL-encoded forms) and every signed-URL or
 * signing parameter value in `text` with `[REDACTED]`.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  const forms = secrets.filter((s) => s.length > 0).flatMap(encodedForms).sort((a, b) => b.length - a.length);
  for (const form of forms) out = out.split(form).join(REDACTED);
  out = out.replace(SIGNED_PARAMETER, (_m, name: string) => `${name}=${REDACTED}`);
  out = out.replace(SECRET_PAIR, (_m, quote: string, name: string, sep: string, open: string) => `${quote}${name}${quote}${sep}${open}${REDACTED}`);
  return out;
}

export interface SerializedError {
  readonly name: string;
  readonly code?: string;
  readonly retryable?: boolean;
  readonly message: string;
  readonly httpStatus?: number;
  readonly requestId?: string;
  readonly action?: string;
  readonly field?: string;
  readonly rule?: string;
  readonly cause?: SerializedError | string;
}

const ERROR_EXTRA_FIELDS = ['httpStatus', 'requestId', 'action', 'field', 'rule'] as const;
const MAX_CAUSE_DEPTH = 3;

/** An error as a log field: name, code, retryable, message (redacted), known extras, and its cause. */
export function serializeError(error: Error, secrets: readonly string[] = [], depth = 0): SerializedError {
  const record = error as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { name: redactText(String(error.name), secrets) };
  if (record['code'] !== undefined && record['code'] !== null) out['code'] = redactText(String(record['code']), secrets);
  if (typeof record['retryable'] === 'boolean') out['retryable'] = record['retryable'];
  out['message'] = redactText(String(error.message), secrets);
  for (const key of ERROR_EXTRA_FIELDS) {
    const value = record[key];
    if (typeof value === 'string') out[key] = redactText(value, secrets);
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = value;
  }
  const cause = error.cause;
  if (cause !== undefined && depth < MAX_CAUSE_DEPTH) {
    out['cause'] = cause instanceof Error ? serializeError(cause, secrets, depth + 1) : redactText(describe(cause), secrets);
  }
  return out as unknown as SerializedError;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

const MAX_DEPTH = 8;
const MAX_ARRAY_ITEMS = 1000;

/** A JSON-safe, redacted copy of `value`. */
function sanitise(value: unknown, secrets: readonly string[], depth: number, seen: WeakSet<object>): unknown {
  switch (typeof value) {
    case 'string': return redactText(value, secrets);
    case 'number': case 'boolean': return value;
    case 'bigint': return value.toString();
    case 'undefined': case 'function': case 'symbol': return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (object instanceof Error) return serializeError(object, secrets);
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
  if (object instanceof Uint8Array) return `[${object.byteLength} bytes]`;
  if (object instanceof URL) return redactText(object.href, secrets);
  if (seen.has(object)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(object);
  try {
    if (Array.isArray(object) || object instanceof Set) {
      const items = [...(object as Iterable<unknown>)];
      const out = items.slice(0, MAX_ARRAY_ITEMS).map((item) => sanitise(item, secrets, depth + 1, seen) ?? null);
      if (items.length > MAX_ARRAY_ITEMS) out.push(`[${items.length - MAX_ARRAY_ITEMS} more]`);
      return out;
    }
    const entries = object instanceof Map ? [...object.entries()].map(([k, v]) => [String(k), v] as const) : Object.entries(object);
    const out: Record<string, unknown> = {};
    for (const [key, child] of entries) {
      const safeKey = redactText(key, secrets);
      if (isSecretFieldName(key)) {
        if (child !== undefined) out[safeKey] = REDACTED;
      } else {
        const clean = sanitise(child, secrets, depth + 1, seen);
        if (clean !== undefined) out[safeKey] = clean;
      }
    }
    return out;
  } finally {
    seen.delete(object);
  }
}

const RESERVED = new Set(['time', 'level', 'event']);

/**
 * Creates a logger that writes one redacted JSON object per line.
 * Logging never throws: a line that cannot be built is replaced by a minimal one.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const currentSecrets = (): string[] => {
    try {
      return (options.secrets?.() ?? []).filter((s): s is string => typeof s === 'string' && s.length > 0);
    } catch {
      return [];
    }
  };

  const emit = (level: LogLevel, base: LogFields, event: string, fields: LogFields | undefined): void => {
    const secrets = currentSecrets();
    let time: string;
    try {
      time = now().toISOString();
    } catch {
      time = new Date().toISOString();
    }
    let line: string;
    try {
      const out: Record<string, unknown> = { time, level, event: redactText(String(event), secrets) };
      const extra = sanitise({ ...base, ...fields }, secrets, 0, new WeakSet()) as Record<string, unknown>;
      // A field may not overwrite time/level/event; it is kept under a prefixed name instead.
      for (const [key, value] of Object.entries(extra)) out[RESERVED.has(key) ? `field.${key}` : key] = value;
      line = JSON.stringify(out);
    } catch {
      line = JSON.stringify({ time, level, event: 'log-line-unserialisable' });
    }
    try {
      write(line);
    } catch {
      // Nowhere left to report a failing sink; the invocation must go on.
    }
  };

  const make = (base: LogFields): Logger => ({
    info: (event, fields) => emit('info', base, event, fields),
    warn: (event, fields) => emit('warn', base, event, fields),
    error: (event, fields) => emit('error', base, event, fields),
    child: (fields) => make({ ...base, ...fields }),
  });
  return make(options.base ?? {});
}
