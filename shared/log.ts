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
 *
 * Cost: a line is redacted with `includes` scans for the current secrets and the two pair patterns run only
 * on strings that contain `=` (signed parameters) or "secret"/"token" (pairs), so most strings cost a few
 * linear scans; the secrets' encoded forms are computed once per secret set, not per string. The aim is a few
 * × `JSON.stringify` of the same line.
 *
 * Bounds: every string of a line (values, field names, error messages) longer than `MAX_LOG_STRING` (1,024)
 * characters is written as its first `LOG_STRING_PREFIX` (256) characters, then
 * `…[<length> chars, sha256:<first 16 hex digits of the SHA-256 of the redacted string>]`, so a 10 MB key
 * makes a line of about 300 characters, and two long values can still be told apart or matched against
 * the object (hash the key yourself). Redaction happens before the cut, so no cut can expose half a secret.
 * Arrays keep their first `MAX_ARRAY_ITEMS` items.
 *
 * Levels: `debug` < `info` < `warn` < `error`; lines below the logger's level are dropped before any work
 * (the functions take the level from CPFS_LOG_LEVEL, default `info`).
 */
import { createHash } from 'node:crypto';

export const REDACTED = '[REDACTED]';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** `debug`/`info`/`warn`/`error` (any case, trimmed) → the level; anything else → undefined. */
export function parseLogLevel(text: string | undefined): LogLevel | undefined {
  const value = text?.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(value ?? '') ? (value as LogLevel) : undefined;
}

/** Longest string written as is in a log line; longer ones are cut (see the header). */
export const MAX_LOG_STRING = 1024;
/** Characters kept from a cut string. */
export const LOG_STRING_PREFIX = 256;

/**
 * A string bounded for logs and reports: itself when at most `max` characters, else its first `prefix`
 * characters + `…[<length> chars, sha256:<16 hex>]`. Redact before bounding.
 */
export function boundText(text: string, max = MAX_LOG_STRING, prefix = LOG_STRING_PREFIX): string {
  if (text.length <= max) return text;
  let head = text.slice(0, prefix);
  // Never end on half a surrogate pair (it would be written as a lone \ud8xx escape).
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return `${head}…[${text.length} chars, sha256:${hash}]`;
}
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
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
  /** Lowest level written (default `info`). */
  readonly level?: LogLevel;
}

/** Normalised field names (lowercase, letters and digits only) that hold no secret despite "token". */
const NON_SECRET_TOKEN_NAMES = new Set(['clienttoken', 'nexttoken', 'continuationtoken', 'paginationtoken']);
const SECRET_NAME_PARTS = [
  'secret', 'password', 'passwd', 'authorization', 'signature', 'credential', 'privatekey', 'cookie', 'apikey',
];

/** Whether a field of this name must never be logged (checked at any depth). */
export function isSecretFieldName(name: string): boolean {
  const known = secretNameCache.get(name);
  if (known !== undefined) return known;
  const result = computeIsSecretFieldName(name);
  // Field names repeat on every line; remember a bounded number of short ones.
  if (name.length <= 64 && secretNameCache.size < 4096) secretNameCache.set(name, result);
  return result;
}

const secretNameCache = new Map<string, boolean>();

function computeIsSecretFieldName(name: string): boolean {
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
const SECRET_PAIR = /(["']?)(access_?key_?secret|security_?token|x-acs-security-token|sts_?token)\1(\s*[:=]\s*)(["']?)([^"'\s,&}]+)/gi;

function encodedForms(secret: string): string[] {
  const uri = encodeURIComponent(secret);
  // RFC 3986 strict form (as ACS signing uses): also escapes !'()*.
  const strict = uri.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return [...new Set([secret, uri, strict, uri.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())])];
}

/** The literal forms to replace for a set of secrets, longest first (computed once per set). */
function secretForms(secrets: readonly string[]): string[] {
  return [...new Set(secrets.filter((s) => s.length > 0).flatMap(encodedForms))].sort((a, b) => b.length - a.length);
}

const MIGHT_HOLD_PAIR = /secret|token/i;

/**
 * A prose word after `NAME:` is not a value: "ALIBABA_CLOUD_ACCESS_KEY_SECRET: must be set" keeps its
 * "must". A value is redacted when it is quoted, follows `=`, or does not look like a lowercase word
 * (secrets and tokens carry digits, capitals or symbols).
 */
function isProseWord(sep: string, open: string, value: string): boolean {
  return open === '' && !sep.includes('=') && /^[a-z]{1,16}$/.test(value);
}

function replaceForms(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  return out;
}

function redactWithForms(text: string, forms: readonly string[]): string {
  let out = replaceForms(text, forms);
  if (out.includes('=')) out = out.replace(SIGNED_PARAMETER, (_m, name: string) => `${name}=${REDACTED}`);
  if (MIGHT_HOLD_PAIR.test(out)) {
    out = out.replace(SECRET_PAIR, (match: string, quote: string, name: string, sep: string, open: string, value: string) =>
      isProseWord(sep, open, value) ? match : `${quote}${name}${quote}${sep}${open}${REDACTED}`);
  }
  return out;
}

/**
 * Replaces every occurrence of the given secrets (and their URL-encoded forms) and every signed-URL or
 * signing parameter value in `text` with `[REDACTED]`.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  return redactWithForms(text, secretForms(secrets));
}

/** Deepest nesting {@link withoutSecretStrings} walks (handler results are a few levels deep). */
const MAX_SECRET_WALK_DEPTH = 16;

/**
 * `value` with every given secret (and its URL-encoded forms) replaced by `[REDACTED]` in every string it
 * holds, for outputs that are not log lines — a handler's result, which echoes object keys from the payload.
 * Only the literal secrets: the signed-parameter and `name=value` patterns of log lines are not applied, so
 * keys and paths read as they are unless they contain a secret. Returns `value` itself when nothing held one.
 */
export function withoutSecretStrings<T>(value: T, secrets: ReadonlyArray<string | undefined>): T {
  const forms = secretForms(secrets.filter((s): s is string => typeof s === 'string' && s.length > 0));
  return forms.length === 0 ? value : (replaceDeep(value, forms, 0) as T);
}

function replaceDeep(value: unknown, forms: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return replaceForms(value, forms);
  if (typeof value !== 'object' || value === null || depth >= MAX_SECRET_WALK_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index += 1) {
      const item: unknown = value[index];
      const next = replaceDeep(item, forms, depth + 1);
      if (next !== item) (copy ??= [...value])[index] = next;
    }
    return copy ?? value;
  }
  // for…in over own properties: no entry arrays per object (a 10,000-outcome result is walked on every invocation).
  let copy: Record<string, unknown> | undefined;
  const record = value as Record<string, unknown>;
  for (const name in record) {
    if (!Object.prototype.hasOwnProperty.call(record, name)) continue;
    const item = record[name];
    const next = replaceDeep(item, forms, depth + 1);
    const nextName = replaceForms(name, forms);
    if (next === item && nextName === name) continue;
    copy ??= Object.assign(Object.create(Object.getPrototypeOf(value) as object | null) as object, value) as Record<string, unknown>;
    if (nextName !== name) delete copy[name];
    copy[nextName] = next;
  }
  return copy ?? value;
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

/** Redacted, then bounded: what every string of a line becomes. */
function clean(text: string, forms: readonly string[]): string {
  return boundText(redactWithForms(text, forms));
}

/** An error as a log field: name, code, retryable, message (redacted, bounded), known extras, and its cause. */
export function serializeError(error: Error, secrets: readonly string[] = []): SerializedError {
  return serializeWithForms(error, secretForms(secrets), 0);
}

function serializeWithForms(error: Error, forms: readonly string[], depth: number): SerializedError {
  const record = error as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { name: clean(String(error.name), forms) };
  if (record['code'] !== undefined && record['code'] !== null) out['code'] = clean(String(record['code']), forms);
  if (typeof record['retryable'] === 'boolean') out['retryable'] = record['retryable'];
  out['message'] = clean(String(error.message), forms);
  for (const key of ERROR_EXTRA_FIELDS) {
    const value = record[key];
    if (typeof value === 'string') out[key] = clean(value, forms);
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = value;
  }
  const cause = error.cause;
  if (cause !== undefined && depth < MAX_CAUSE_DEPTH) {
    out['cause'] = cause instanceof Error ? serializeWithForms(cause, forms, depth + 1) : clean(describe(cause), forms);
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
function sanitise(value: unknown, forms: readonly string[], depth: number, seen: WeakSet<object>): unknown {
  switch (typeof value) {
    case 'string': return clean(value, forms);
    case 'number': case 'boolean': return value;
    case 'bigint': return value.toString();
    case 'undefined': case 'function': case 'symbol': return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (object instanceof Error) return serializeWithForms(object, forms, 0);
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
  if (object instanceof Uint8Array) return `[${object.byteLength} bytes]`;
  if (object instanceof URL) return clean(object.href, forms);
  if (seen.has(object)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(object);
  try {
    if (Array.isArray(object) || object instanceof Set) {
      const items = [...(object as Iterable<unknown>)];
      const out = items.slice(0, MAX_ARRAY_ITEMS).map((item) => sanitise(item, forms, depth + 1, seen) ?? null);
      if (items.length > MAX_ARRAY_ITEMS) out.push(`[${items.length - MAX_ARRAY_ITEMS} more]`);
      return out;
    }
    const entries = object instanceof Map ? [...object.entries()].map(([k, v]) => [String(k), v] as const) : Object.entries(object);
    const out: Record<string, unknown> = {};
    for (const [key, child] of entries) {
      const safeKey = clean(key, forms);
      if (isSecretFieldName(key)) {
        if (child !== undefined) out[safeKey] = REDACTED;
      } else {
        const safe = sanitise(child, forms, depth + 1, seen);
        if (safe !== undefined) out[safeKey] = safe;
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
  const threshold = LEVEL_RANK[options.level ?? 'info'];
  // The encoded forms are recomputed only when the secrets change (STS rotation), not per line.
  let formsKey: string | undefined;
  let forms: readonly string[] = [];
  const currentForms = (): readonly string[] => {
    let secrets: string[];
    try {
      secrets = (options.secrets?.() ?? []).filter((s): s is string => typeof s === 'string' && s.length > 0);
    } catch {
      secrets = [];
    }
    const key = secrets.join('\u0000');
    if (key !== formsKey) {
      formsKey = key;
      forms = secretForms(secrets);
    }
    return forms;
  };

  const emit = (level: LogLevel, base: LogFields, event: string, fields: LogFields | undefined): void => {
    if (LEVEL_RANK[level] < threshold) return;
    const forms = currentForms();
    let time: string;
    try {
      time = now().toISOString();
    } catch {
      time = new Date().toISOString();
    }
    let line: string;
    try {
      const out: Record<string, unknown> = { time, level, event: clean(String(event), forms) };
      const extra = sanitise({ ...base, ...fields }, forms, 0, new WeakSet()) as Record<string, unknown>;
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
    debug: (event, fields) => emit('debug', base, event, fields),
    info: (event, fields) => emit('info', base, event, fields),
    warn: (event, fields) => emit('warn', base, event, fields),
    error: (event, fields) => emit('error', base, event, fields),
    child: (fields) => make({ ...base, ...fields }),
  });
  return make(options.base ?? {});
}
