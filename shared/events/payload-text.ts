/**
 * Small, dependency-free decoders for the text layers an OSS notification can travel through on its way
 * to the function (docs/platform.md §3, "Batching only through a queue"): UTF-8 bytes, base64 (OSS writes the
 * notification into MNS as base64 of the JSON) and the MNS topic XML envelope. Each returns `undefined`
 * instead of throwing, so the caller can record a malformed entry and carry on.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Strict UTF-8 decoding (a leading BOM is dropped); `undefined` if the bytes are not UTF-8. */
export function bytesToText(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

// Standard alphabet with padding, as MNS and EventBridge use; line breaks are tolerated because some
// encoders wrap at 76 columns.
const BASE64_TEXT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes `text` as base64 of UTF-8 text.
 * @returns the decoded text, or `undefined` if `text` is not canonical base64 or does not decode to UTF-8.
 */
export function decodeBase64Text(text: string): string | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || !BASE64_TEXT.test(compact)) return undefined;
  return bytesToText(Buffer.from(compact, 'base64'));
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

// `<Message>` but not `<MessageId>`, `<MessageMD5>`, `<MessageTag>`.
const XML_MESSAGE = /<Message(?:\s[^>]*)?>([\s\S]*?)<\/Message\s*>/;
const CDATA = /^\s*<!\[CDATA\[([\s\S]*)\]\]>\s*$/;

/**
 * Extracts the text of the `<Message>` element of an MNS topic notification in XML format
 * (`<Notification><TopicOwner/>…<Message>…</Message>…</Notification>`). Deliberately minimal: the
 * envelope is flat and documented, so a full XML parser (and a dependency) would add nothing.
 * @returns the unescaped message text, or `undefined` if there is no `<Message>` element.
 */
export function extractXmlMessage(xml: string): string | undefined {
  const match = XML_MESSAGE.exec(xml);
  if (!match) return undefined;
  const inner = match[1] ?? '';
  const cdata = CDATA.exec(inner);
  return cdata ? (cdata[1] ?? '') : decodeXmlEntities(inner);
}
