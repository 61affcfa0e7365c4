/**
 * Small, dependency-free decoders for the text layers an OSS notification can travel through on its way
 * to the function (docs/platform.md §3, "Batching only through a queue"): UTF-8 bytes, base64 (OSS writes the
 * notification into MNS as base64 of the JSON) and the MNS topic XML envelope. Each returns `undefined`
 * instead of throwing, so the caller can record a malformed entry and carry on.
 */

import { isAscii, isUtf8 } from 'node:buffer';

const BOM = 0xfeff;

/**
 * Strict UTF-8 decoding (a leading BOM is dropped); `undefined` if the bytes are not UTF-8.
 * `isUtf8` then `toString` rather than a fatal `TextDecoder`: the same verdict and text, measured faster
 * on the bodies of a batch (issue 11, decode path).
 */
export function bytesToText(bytes: Uint8Array): string | undefined {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // ASCII (the usual notification JSON) is UTF-8 whose Latin-1 decoding is the same text, made faster.
  if (isAscii(buffer)) return buffer.toString('latin1');
  if (!isUtf8(bytes)) return undefined;
  const text = buffer.toString('utf8');
  return text.charCodeAt(0) === BOM ? text.slice(1) : text;
}

// Standard alphabet with padding, as MNS and EventBridge use; line breaks are tolerated because some
// encoders wrap at 76 columns. This is the rule; the Buffer round trip below only answers it faster.
const BASE64_TEXT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const WHITE_SPACE = /\s/;
const EQUALS = 0x3d;

/**
 * Decodes `text` as base64 of UTF-8 text.
 * @returns the decoded text, or `undefined` if `text` is not canonical base64 or does not decode to UTF-8.
 */
export function decodeBase64Text(text: string): string | undefined {
  if (text.length > 0 && text.length % 4 === 0) {
    // The usual body (issue 11, decode path), answered without the white-space scan below and without
    // encoding the bytes again. For ASCII text (Buffer.from reads a wider character by its low byte: `ᐫ` as
    // `+`), Buffer.from skips every character outside the two base64 alphabets (white space, `!`, a `=`
    // before the end…), so it returns exactly 3 bytes per 4 characters less the final padding only when it
    // read every character as a digit or as that padding; the text is then the standard alphabet unless it
    // holds the URL alphabet's `-` or `_`. Anything else takes the full path. (test/unit/events/payload-text
    // holds this to the rule with mutated canonical texts.)
    const bytes = Buffer.from(text, 'base64');
    const padding = text.charCodeAt(text.length - 1) !== EQUALS ? 0 : text.charCodeAt(text.length - 2) === EQUALS ? 2 : 1;
    if (bytes.length === (text.length / 4) * 3 - padding && Buffer.byteLength(text, 'utf8') === text.length && !text.includes('-') && !text.includes('_')) {
      return bytesToText(bytes);
    }
  }
  const compact = WHITE_SPACE.test(text) ? text.replace(/\s+/g, '') : text;
  if (compact.length === 0 || compact.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(compact, 'base64');
  // Buffer.from skips what is not base64 and accepts the URL alphabet; encoding its bytes again gives the
  // input back only when the input was standard, canonical base64 — then the rule holds. Otherwise the
  // rule itself is asked: it also accepts padding with non-zero spare bits (`QR==`), which the round
  // trip does not reproduce.
  if (bytes.toString('base64') !== compact && !BASE64_TEXT.test(compact)) return undefined;
  return bytesToText(bytes);
}

const XML_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Replaces the five predefined XML entities and numeric character references, in one pass. */
export function decodeXmlEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (match, name: string) => {
    if (name.startsWith('#')) {
      const codePoint = name[1] === 'x' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : match;
    }
    return XML_ENTITIES[name] ?? match;
  });
}

const CDATA_OPEN = '<![CDATA[';
const CDATA_CLOSE = ']]>';
const OPEN_TAG = '<Message';
const CLOSE_TAG = '</Message';

/** XML white space (S production): space, tab, CR, LF. */
function isXmlSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\t' || char === '\n' || char === '\r';
}

/**
 * Extracts the text of the `<Message>` element of an MNS topic notification in XML format
 * (`<Notification><TopicOwner/>…<Message>…</Message>…</Notification>`). Deliberately minimal: the
 * envelope is flat and documented, so a full XML parser (and a dependency) would add nothing.
 *
 * Linear time by construction (issue 13, point 4): a forward scan with `indexOf`, no regular expression.
 * The former `/<Message(?:\s[^>]*)?>([\s\S]*?)<\/Message\s*>/` restarted its lazy scan at every
 * `<Message` of an unclosed payload — quadratic (1.7 MB took minutes). Here every position is passed at
 * most a constant number of times: once the first complete opening tag is found, the closing tag is
 * searched once from there; if the text has none after the first opening tag, no later one can have one.
 * `<MessageId>`, `<MessageMD5>`, `<MessageTag>` are not `<Message>`.
 * @returns the unescaped message text, or `undefined` if there is no complete `<Message>` element.
 */
export function extractXmlMessage(xml: string): string | undefined {
  // The opening tag: `<Message>` or `<Message` + white space + attributes + `>`.
  let bodyStart = -1;
  for (let at = xml.indexOf(OPEN_TAG); at !== -1; at = xml.indexOf(OPEN_TAG, at + 1)) {
    const next = xml[at + OPEN_TAG.length];
    if (next === '>') {
      bodyStart = at + OPEN_TAG.length + 1;
      break;
    }
    if (isXmlSpace(next)) {
      const end = xml.indexOf('>', at + OPEN_TAG.length);
      // No `>` after this one: no later opening tag can be complete either.
      if (end === -1) return undefined;
      bodyStart = end + 1;
      break;
    }
  }
  if (bodyStart === -1) return undefined;
  // The closing tag: `</Message` + optional white space + `>`.
  let bodyEnd = -1;
  for (let at = xml.indexOf(CLOSE_TAG, bodyStart); at !== -1; at = xml.indexOf(CLOSE_TAG, at + 1)) {
    let after = at + CLOSE_TAG.length;
    while (isXmlSpace(xml[after])) after += 1;
    if (xml[after] === '>') {
      bodyEnd = at;
      break;
    }
  }
  if (bodyEnd === -1) return undefined;
  const inner = xml.slice(bodyStart, bodyEnd);
  const cdata = unwrapCdata(inner);
  return cdata ?? decodeXmlEntities(inner);
}

/** The content of `inner` when it is one CDATA section (white space around allowed), else `undefined`. */
function unwrapCdata(inner: string): string | undefined {
  const trimmed = inner.trim();
  if (!trimmed.startsWith(CDATA_OPEN) || !trimmed.endsWith(CDATA_CLOSE) || trimmed.length < CDATA_OPEN.length + CDATA_CLOSE.length) return undefined;
  return trimmed.slice(CDATA_OPEN.length, trimmed.length - CDATA_CLOSE.length);
}
