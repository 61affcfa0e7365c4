/**
 * Every envelope Function Compute can deliver an OSS notification in (docs/platform.md §3) → de-duplicated
 * `ObjectCreated` records, plus an account of everything that was not turned into a record.
 *
 * Accepted envelopes, recognised by shape rather than by trigger configuration, so that one function
 * works behind any of them:
 * - native OSS trigger: `{"events":[element, …]}`;
 * - EventBridge OSS trigger: one CloudEvent whose `data` is one element (`type: "oss:ObjectCreated:…"`);
 * - event-streaming batches: a JSON array of CloudEvents (older samples: a single CloudEvent object);
 * - MNS queue CloudEvents (`source` `MNS-<function>-<trigger>` or `acs:mns`) whose `data.messageBody`
 *   holds the notification as an object, a JSON string, base64 of it (at most two layers), or wrapped in
 *   an MNS topic envelope (JSON `{TopicOwner, Message, …}` or XML `<Notification>…<Message>…`);
 * - the plain `mns_topic` trigger body: the raw message text (STREAM) or the JSON topic envelope.
 *
 * Nothing here throws on bad input: a part that cannot be understood becomes a `malformed` entry naming
 * where it was (e.g. `$[3].data.messageBody(base64)(json).events[0]`) and the rest is still processed.
 * Decoding is bounded: at most {@link MAX_ENVELOPE_DEPTH} nested layers and {@link MAX_BASE64_LAYERS}
 * base64 layers.
 *
 * Test/validation events: neither OSS nor FC documents a special event sent to test a trigger (the FC
 * console's "test" simply invokes the function with a user-edited sample of the native shape). An
 * element with an accepted name but no `oss.object` is therefore ignored with reason `no-object` rather
 * than reported as malformed, and a non-OSS payload (e.g. the console's default `{"key":"value"}`) is one
 * malformed entry.
 *
 * Pure: no environment, clock or logging.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import * as z from 'zod/mini';
import { ValidationError } from '../errors.js';
import { classifyEventName, stripOssPrefix, type IgnoreReason } from './event-names.js';
import { decodeObjectKey, type KeyEncoding } from './key-encoding.js';
import { bytesToText, decodeBase64Text, extractXmlMessage } from './payload-text.js';
import type { ObjectCreated } from './types.js';

/** Envelopes nested deeper than this are reported as malformed (guards against hostile recursion). */
export const MAX_ENVELOPE_DEPTH = 8;
/** OSS base64-encodes once; a queue fed by a topic may add one more layer. */
export const MAX_BASE64_LAYERS = 2;

export interface ParseEventsOptions {
  /** How `oss.object.key` is encoded (config `CPFS_KEY_ENCODING`; see key-encoding.ts). */
  readonly keyEncoding: KeyEncoding;
}

/** An event that was understood and deliberately not imported. */
export interface IgnoredEvent {
  readonly reason: IgnoreReason;
  /** Without the `oss:` prefix, when the event had one. */
  readonly eventName?: string;
  /** The decoded key when it could be decoded, else the key as delivered; absent if the event had none. */
  readonly key?: string;
  /** Where in the payload the event was. */
  readonly path: string;
}

/** A record that repeated an earlier one of the same payload (at-least-once delivery, AppendObject…). */
export interface DuplicateEvent {
  readonly bucket: string;
  readonly key: string;
  readonly eTag?: string;
  /** Where in the payload the repeat was. */
  readonly path: string;
}

/** A part of the payload that could not be understood. */
export interface MalformedEntry {
  /** Where in the payload: `$` is the whole payload; `(base64)`, `(json)`, `(xml Message)` mark decoded layers. */
  readonly path: string;
  /** Which rule it broke; never echoes object content. */
  readonly reason: string;
  /**
   * The record's key (decoded when it could be, else as delivered) and bucket, when the element had
   * readable ones although another field broke a rule (`eTag: null`, `size: -1`): the outcome names them.
   */
  readonly key?: string;
  readonly bucket?: string;
}

/** An envelope that held a list of events with nothing in it (`data: []`, an MNS body `[]`, `events: []`). */
export interface EmptyBatch {
  /** Where in the payload the empty list was. */
  readonly path: string;
}

export interface ParsedEvents {
  /** One record per distinct object version, in first-seen order. */
  readonly records: readonly ObjectCreated[];
  readonly ignored: readonly IgnoredEvent[];
  readonly duplicates: readonly DuplicateEvent[];
  readonly malformed: readonly MalformedEntry[];
  /** Empty lists of events: reported, never silence (an invocation always accounts for what it got). */
  readonly empty: readonly EmptyBatch[];
}

/**
 * Parses whatever the FC handler received into object-created records.
 *
 * De-duplication: two records are the same when (bucket, key, eTag) match — the eTag identifies the
 * content, so redeliveries and repeated notifications collapse while a real overwrite (new eTag) is kept.
 * Records without an eTag are compared on (bucket, key, size) instead; a record with an eTag never
 * matches one without.
 *
 * @param payload - the handler's event (Buffer), its text, or an already-parsed value.
 * @param options - the key encoding to apply to every `oss.object.key`.
 * @returns records, ignored events, duplicates and malformed parts; never throws.
 */
export function parseEvents(payload: Buffer | string | unknown, options: ParseEventsOptions): ParsedEvents {
  const parser = new PayloadParser(options.keyEncoding);
  try {
    parser.visit(payload, { path: '$', depth: 0, base64Layers: 0 });
  } catch (error) {
    // Only reachable through a bug here; the records found so far are still returned.
    parser.malformed.push({ path: '$', reason: `internal parser error (${error instanceof Error ? error.name : typeof error})` });
  }
  return {
    records: parser.records,
    ignored: parser.ignored,
    duplicates: parser.duplicates,
    malformed: parser.malformed,
    empty: parser.empty,
  };
}

/** Defaults a CloudEvent lends to the element in its `data` (the element's own fields win). */
interface ElementDefaults {
  readonly eventName?: string;
  readonly eventTime?: string;
  readonly region?: string;
}

interface VisitContext {
  readonly path: string;
  readonly depth: number;
  readonly base64Layers: number;
  readonly defaults?: ElementDefaults;
}

type JsonObject = Record<string, unknown>;

// Only what a record needs is validated; everything else the service adds is tolerated.
const SIZE_RULE = 'must be a non-negative integer';
const DIGITS = /^\d{1,15}$/;
/**
 * The rule of `oss.object.size`: a safe non-negative integer, or its decimal digits as text (1–15 of them,
 * read as that number by {@link acceptOss}). One predicate in a refinement rather than a union of a number
 * and a piped, transformed string: the same verdict and message with ~2.9 KB less of zod in the bundle
 * (issue 11). zod/mini registers no locale: the issue carries its own message.
 */
function isObjectSize(value: unknown): boolean {
  return typeof value === 'number' ? Number.isSafeInteger(value) && value >= 0 : typeof value === 'string' && DIGITS.test(value);
}

/**
 * The rule for `oss`. Asked only when {@link acceptOss} declines an element, so it is built then, on first
 * use (`z.lazy`), not when the bundle is loaded (issue 11, cold start).
 */
export const ElementOss = z.lazy(() => z.looseObject({
  bucket: z.looseObject({ name: z.string({ error: 'must be a non-empty string' }).check(z.minLength(1, 'must be a non-empty string')) }, { error: 'must be an object' }),
  object: z.looseObject({
    key: z.string({ error: 'must be a non-empty string' }).check(z.minLength(1, 'must be a non-empty string')),
    size: z.optional(z.unknown().check(z.superRefine((value, ctx) => {
      if (!isObjectSize(value)) ctx.addIssue({ code: 'custom', message: SIZE_RULE });
    }))),
    eTag: z.optional(z.string({ error: 'must be a string' })),
  }, { error: 'must be an object' }),
}));

/** What a record takes from `oss` once it is accepted. */
interface AcceptedOss {
  readonly bucket: string;
  readonly key: string;
  readonly size?: number;
  readonly eTag?: string;
}

/**
 * The common case of {@link ElementOss}, checked by hand (issue 11: zod per element was 0.4× the decoding
 * floor): returns what the schema's data would hold (a size given as digits read as its number) when `oss`
 * certainly passes it, `undefined` otherwise
 * — then the schema decides and names the broken rule, so rules and messages stay the schema's. It must
 * never accept what the schema rejects (test/unit/events/fast-acceptance.test.ts compares the two);
 * exported for that test only.
 */
export function acceptOss(oss: unknown): AcceptedOss | undefined {
  if (!isPlainObject(oss)) return undefined;
  const bucket = oss['bucket'];
  const object = oss['object'];
  if (!isPlainObject(bucket) || !isPlainObject(object)) return undefined;
  const name = bucket['name'];
  const key = object['key'];
  if (typeof name !== 'string' || name === '' || typeof key !== 'string' || key === '') return undefined;
  const rawSize = object['size'];
  let size: number | undefined;
  if (typeof rawSize === 'number') {
    if (!Number.isSafeInteger(rawSize) || rawSize < 0) return undefined;
    size = rawSize;
  } else if (typeof rawSize === 'string') {
    if (!DIGITS.test(rawSize)) return undefined;
    size = Number(rawSize);
  } else if (rawSize !== undefined) {
    return undefined;
  }
  const eTag = object['eTag'];
  if (eTag !== undefined && typeof eTag !== 'string') return undefined;
  return { bucket: name, key, size, eTag };
}

/** What zod's object schemas look into: a non-null object that is not an array. */
function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Keys that mark the JSON format of an MNS topic notification (besides `Message`). */
const MNS_TOPIC_KEYS = ['TopicOwner', 'TopicName', 'Subscriber', 'SubscriptionName', 'MessageId', 'MessageMD5', 'PublishTime'];

class PayloadParser {
  readonly records: ObjectCreated[] = [];
  readonly ignored: IgnoredEvent[] = [];
  readonly duplicates: DuplicateEvent[] = [];
  readonly malformed: MalformedEntry[] = [];
  readonly empty: EmptyBatch[] = [];
  /**
   * The records so far by key (one, or a list when versions of one key differ): the de-duplication index.
   * Keyed by the key string the record already holds rather than by a built identity string per record
   * (issue 11: fewer long-lived strings while a batch is parsed, and no hashing of a new string each).
   */
  private readonly seen = new Map<string, ObjectCreated | ObjectCreated[]>();

  constructor(private readonly keyEncoding: KeyEncoding) {}

  visit(value: unknown, ctx: VisitContext): void {
    if (ctx.depth > MAX_ENVELOPE_DEPTH) {
      this.fail(ctx.path, `envelopes nested more than ${MAX_ENVELOPE_DEPTH} deep`);
    } else if (value instanceof Uint8Array && ctx.depth === 0 && this.visitArrayBytes(value, ctx)) {
      // Done element by element (the usual MNS / event-streaming batch).
    } else if (value instanceof Uint8Array) {
      const text = bytesToText(value);
      if (text === undefined) this.fail(ctx.path, 'is not UTF-8 text');
      else this.visitText(text, ctx);
    } else if (typeof value === 'string') {
      this.visitText(value, ctx);
    } else if (Array.isArray(value)) {
      if (value.length === 0) this.empty.push({ path: ctx.path });
      const depth = ctx.depth + 1;
      for (let i = 0; i < value.length; i += 1) {
        this.visit(value[i], { path: `${ctx.path}[${i}]`, depth, base64Layers: ctx.base64Layers, defaults: ctx.defaults });
      }
    } else if (isObject(value)) {
      this.visitObject(value, ctx);
    } else {
      this.fail(ctx.path, `expected an event envelope (object, array or text), got ${value === null ? 'null' : typeof value}`);
    }
  }

  /**
   * A payload that is a plain top-level JSON array, one element at a time (issue 11: peak memory). The
   * whole payload text and the whole parsed array are never held at once, only one element's text and
   * value; and one element that is not UTF-8 or not JSON is one malformed entry (`$[i]`) instead of
   * sinking the payload. Paths and depths are those the whole-payload path gives (`$` → `$[i]`, the
   * array one layer below the text). Returns false, having visited nothing, when the bytes are not an
   * array this scanner follows — the caller then takes the whole-payload path, which decides as before.
   */
  private visitArrayBytes(bytes: Uint8Array, ctx: VisitContext): boolean {
    const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const ranges = arrayElementRanges(buffer);
    if (ranges === undefined) return false;
    if (ranges.length === 0) this.empty.push({ path: ctx.path });
    const depth = ctx.depth + 2;
    // One check of the whole Buffer instead of one per element (issue 11, outer decoding): every element
    // starts after and ends before an ASCII byte, so a valid whole is valid in every slice, and an ASCII
    // whole (base64 bodies: the usual batch) decodes as Latin-1 to the same text, faster. Otherwise each
    // element is checked on its own, as before, so one bad element stays one malformed entry.
    const layout: ElementText = isAscii(buffer) ? 'ascii' : isUtf8(buffer) ? 'utf8' : 'check-each';
    for (let i = 0; i < ranges.length; i += 2) {
      const path = `${ctx.path}[${i / 2}]`;
      const text = elementText(buffer, ranges[i]!, ranges[i + 1]!, layout);
      if (text === undefined) {
        this.fail(path, 'is not UTF-8 text');
        continue;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        // The parser's message quotes the input, which could be anything: keep it out.
        this.fail(path, 'is not valid JSON');
        continue;
      }
      this.visit(parsed, { path, depth, base64Layers: ctx.base64Layers });
    }
    return true;
  }

  private visitText(raw: string, ctx: VisitContext): void {
    const text = raw.replace(/^\uFEFF/, '').trim();
    // The whole payload being JSON is the normal case and not worth a path step.
    const mark = (step: string) => (ctx.depth === 0 && step === 'json' ? ctx.path : `${ctx.path}(${step})`);
    const depth = ctx.depth + 1;
    if (text === '') {
      this.fail(ctx.path, 'is empty');
      return;
    }
    const first = text[0];
    if (first === '{' || first === '[' || first === '"') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        // The parser's message quotes the input, which could be anything: keep it out.
        this.fail(ctx.path, 'is not valid JSON');
        return;
      }
      this.visit(parsed, { path: mark('json'), depth, base64Layers: ctx.base64Layers });
      return;
    }
    if (first === '<') {
      const message = extractXmlMessage(text);
      if (message === undefined) this.fail(ctx.path, 'is XML without a <Message> element (expected an MNS topic notification)');
      else this.visit(message, { path: mark('xml Message'), depth, base64Layers: ctx.base64Layers });
      return;
    }
    const decoded = decodeBase64Text(text);
    if (decoded === undefined) {
      this.fail(ctx.path, 'is neither JSON, an MNS XML envelope, nor base64 of them');
    } else if (ctx.base64Layers >= MAX_BASE64_LAYERS) {
      this.fail(ctx.path, `more than ${MAX_BASE64_LAYERS} layers of base64`);
    } else {
      this.visit(decoded, { path: mark('base64'), depth, base64Layers: ctx.base64Layers + 1 });
    }
  }

  private visitObject(value: JsonObject, ctx: VisitContext): void {
    const inner = (key: string, defaults?: ElementDefaults): VisitContext => ({
      path: `${ctx.path}.${key}`, depth: ctx.depth + 1, base64Layers: ctx.base64Layers, defaults,
    });
    if ('events' in value) {
      // Native OSS envelope; its elements are events, not further envelopes.
      const events = value['events'];
      if (!Array.isArray(events)) this.fail(`${ctx.path}.events`, 'must be an array');
      else if (events.length === 0) this.empty.push({ path: `${ctx.path}.events` });
      else events.forEach((element, i) => this.acceptElement(element, `${ctx.path}.events[${i}]`, ctx.defaults));
    } else if (isCloudEvent(value)) {
      const data = value['data'];
      if (data === undefined || data === null) {
        this.fail(`${ctx.path}.data`, 'a CloudEvent must carry data');
      } else if (isObject(data) && 'messageBody' in data) {
        this.visit(data['messageBody'], inner('data.messageBody'));
      } else {
        this.visit(data, inner('data', cloudEventDefaults(value)));
      }
    } else if ('Message' in value && MNS_TOPIC_KEYS.some((key) => key in value)) {
      this.visit(value['Message'], inner('Message'));
    } else if ('messageBody' in value) {
      this.visit(value['messageBody'], inner('messageBody'));
    } else if ('oss' in value || 'eventName' in value) {
      this.acceptElement(value, ctx.path, ctx.defaults);
    } else {
      this.fail(ctx.path, 'is not an OSS notification (expected {"events":[…]}, a CloudEvent, an MNS message or an MNS topic envelope)');
    }
  }

  /** One native event element → a record, an ignored event, a duplicate, or a malformed entry. */
  private acceptElement(element: unknown, path: string, defaults: ElementDefaults | undefined): void {
    if (!isObject(element)) {
      this.fail(path, 'an event must be an object');
      return;
    }
    const ownName = element['eventName'];
    const rawName = typeof ownName === 'string' && ownName !== '' ? ownName : defaults?.eventName;
    if (rawName === undefined) {
      this.fail(`${path}.eventName`, 'must be a non-empty string');
      return;
    }
    const eventName = stripOssPrefix(rawName);
    const oss = element['oss'];
    const object = isObject(oss) ? oss['object'] : undefined;

    const notImported = classifyEventName(eventName);
    if (notImported !== undefined) {
      this.ignore(notImported, eventName, path, isObject(object) ? object['key'] : undefined);
      return;
    }
    if (object === undefined || object === null) {
      this.ignore('no-object', eventName, path, undefined);
      return;
    }

    const accepted = acceptOss(oss);
    if (accepted === undefined) {
      // The schema is the rule and names what broke it; the fast check above only accepts what it accepts.
      const parsed = ElementOss.safeParse(oss);
      const reasons = parsed.success ? ['oss was rejected by the fast check but not by the schema (a bug here)'] : parsed.error.issues.map((issue) => `oss.${issue.path.join('.')} ${issue.message}`);
      this.fail(path, [...new Set(reasons)].join('; '), this.readableIdentity(oss));
      return;
    }
    let key: string;
    try {
      key = decodeObjectKey(accepted.key, this.keyEncoding);
    } catch (error) {
      this.fail(`${path}.oss.object.key`, error instanceof ValidationError ? error.rule : 'cannot be decoded');
      return;
    }
    if (key.endsWith('/')) {
      this.ignore('folder-marker', eventName, path, key);
      return;
    }

    const bucket = accepted.bucket;
    const eTag = normaliseETag(accepted.eTag);
    const size = accepted.size;
    const eventTime = stringOrUndefined(element['eventTime']) ?? defaults?.eventTime;
    const region = stringOrUndefined(element['region']) ?? defaults?.region;

    const earlier = this.seen.get(key);
    if (earlier !== undefined && (Array.isArray(earlier) ? earlier.some((r) => sameVersion(r, bucket, eTag, size)) : sameVersion(earlier, bucket, eTag, size))) {
      this.duplicates.push({ bucket, key, ...(eTag !== undefined && { eTag }), path });
      return;
    }
    // Fields set one by one, absent ones left out (not `undefined`), in the order records always had.
    const record: Partial<Mutable<ObjectCreated>> = { bucket, key };
    if (size !== undefined) record.size = size;
    if (eTag !== undefined) record.eTag = eTag;
    record.eventName = eventName;
    if (eventTime !== undefined) record.eventTime = eventTime;
    if (region !== undefined) record.region = region;
    const created = record as ObjectCreated;
    this.records.push(created);
    if (earlier === undefined) this.seen.set(key, created);
    else if (Array.isArray(earlier)) earlier.push(created);
    else this.seen.set(key, [earlier, created]);
  }

  private ignore(reason: IgnoreReason, eventName: string, path: string, rawKey: unknown): void {
    let key: string | undefined;
    if (typeof rawKey === 'string') {
      try {
        key = decodeObjectKey(rawKey, this.keyEncoding);
      } catch {
        key = rawKey;
      }
    }
    this.ignored.push({ reason, eventName, ...(key !== undefined && { key }), path });
  }

  private fail(path: string, reason: string, identity: { key?: string; bucket?: string } = {}): void {
    this.malformed.push({ path, reason, ...identity });
  }

  /** Key and bucket of an element that broke another rule, when they are readable strings. */
  private readableIdentity(oss: unknown): { key?: string; bucket?: string } {
    if (!isObject(oss)) return {};
    const object = oss['object'];
    const bucketObject = oss['bucket'];
    const rawKey = isObject(object) ? object['key'] : undefined;
    const rawBucket = isObject(bucketObject) ? bucketObject['name'] : undefined;
    let key: string | undefined;
    if (typeof rawKey === 'string' && rawKey !== '') {
      try {
        key = decodeObjectKey(rawKey, this.keyEncoding);
      } catch {
        key = rawKey;
      }
    }
    return {
      ...(key !== undefined && { key }),
      ...(typeof rawBucket === 'string' && rawBucket !== '' && { bucket: rawBucket }),
    };
  }
}

/** How the elements of a top-level array are turned into text (see `visitArrayBytes`). */
type ElementText = 'ascii' | 'utf8' | 'check-each';

function elementText(buffer: Buffer, start: number, end: number, layout: ElementText): string | undefined {
  if (layout === 'ascii') return buffer.toString('latin1', start, end);
  if (layout === 'check-each') return bytesToText(buffer.subarray(start, end));
  const text = buffer.toString('utf8', start, end);
  // bytesToText drops a leading BOM of each element; so does this.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Whether `record` (same key) is the version (bucket, eTag) — or, without an eTag, (bucket, size) — of
 * the de-duplication rule (see {@link parseEvents}): a record with an eTag never matches one without.
 */
function sameVersion(record: ObjectCreated, bucket: string, eTag: string | undefined, size: number | undefined): boolean {
  if (record.bucket !== bucket) return false;
  return eTag !== undefined ? record.eTag === eTag : record.eTag === undefined && record.size === size;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** A CloudEvent by shape: `specversion`, or `data` together with `source`/`type` (some samples omit specversion). */
function isCloudEvent(value: JsonObject): boolean {
  return typeof value['specversion'] === 'string' || ('data' in value && (typeof value['source'] === 'string' || typeof value['type'] === 'string'));
}

function cloudEventDefaults(event: JsonObject): ElementDefaults {
  const type = stringOrUndefined(event['type']);
  const eventTime = stringOrUndefined(event['time']);
  const region = stringOrUndefined(event['aliyunregionid']);
  return {
    // Only an OSS CloudEvent's type is an OSS event name (`oss:ObjectCreated:PutObject`).
    ...(type?.startsWith('oss:') && { eventName: type }),
    ...(eventTime !== undefined && { eventTime }),
    ...(region !== undefined && { region }),
  };
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** OSS HTTP headers quote ETags; events do not. Compare them unquoted. */
function normaliseETag(eTag: string | undefined): string | undefined {
  if (eTag === undefined) return undefined;
  // Without a leading quote the pattern cannot match (the usual case: no regular expression run).
  if (eTag.charCodeAt(0) !== 0x22) return eTag === '' ? undefined : eTag;
  const unquoted = eTag.replace(/^"(.*)"$/, '$1');
  return unquoted === '' ? undefined : unquoted;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** JSON white space (RFC 8259 §2): space, tab, LF, CR. */
function isJsonSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/**
 * Start and end offsets (flat: `[start0, end0, start1, end1, …]`, end exclusive) of the elements of a
 * top-level JSON array, or `undefined` when the bytes are not `[`…`]` with elements this scan can
 * delimit (then the whole-payload path decides). A leading UTF-8 BOM and JSON white space around are
 * allowed, as the whole-payload path allows them. Only brackets, braces, commas and strings are
 * followed — an element's own validity is left to `JSON.parse` of its slice. Multi-byte UTF-8 sequences
 * never contain ASCII bytes, so scanning bytes is safe. Linear: every byte is passed once (a string's
 * closing quote found by `indexOf`, its escapes counted backwards only over that run of backslashes).
 */
function arrayElementRanges(b: Buffer): number[] | undefined {
  const n = b.length;
  let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  while (isJsonSpace(b[i])) i += 1;
  if (b[i] !== OPEN_ARRAY) return undefined;
  i += 1;
  while (isJsonSpace(b[i])) i += 1;
  const ranges: number[] = [];
  if (b[i] === CLOSE_ARRAY) return onlySpaceAfter(b, i + 1) ? ranges : undefined;
  for (;;) {
    const start = i;
    let depth = 0;
    for (;;) {
      if (i >= n) return undefined;
      const c = b[i];
      if (c === QUOTE) {
        let close = i;
        for (;;) {
          close = b.indexOf(QUOTE, close + 1);
          if (close < 0) return undefined;
          let slashes = 0;
          while (b[close - 1 - slashes] === BACKSLASH) slashes += 1;
          if (slashes % 2 === 0) break;
        }
        i = close + 1;
        continue;
      }
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth += 1;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        if (depth === 0) break;
        depth -= 1;
      } else if (c === COMMA && depth === 0) break;
      i += 1;
    }
    let end = i;
    while (end > start && isJsonSpace(b[end - 1])) end -= 1;
    if (end === start) return undefined;
    ranges.push(start, end);
    if (b[i] === COMMA) {
      i += 1;
      while (isJsonSpace(b[i])) i += 1;
      continue;
    }
    return b[i] === CLOSE_ARRAY && onlySpaceAfter(b, i + 1) ? ranges : undefined;
  }
}

function onlySpaceAfter(b: Buffer, from: number): boolean {
  for (let i = from; i < b.length; i += 1) if (!isJsonSpace(b[i])) return false;
  return true;
}
