/**
 * Text measures for the CPFS rules. JavaScript strings are UTF-16; every limit of the NAS API that speaks
 * of bytes means UTF-8 bytes, and every limit that speaks of characters means code points (path-rules.ts),
 * so both conversions live here, once.
 */

/** Matches a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Number of bytes `text` takes in UTF-8.
 *
 * A lone surrogate cannot be encoded; Node counts it as the 3-byte replacement character, which is
 * what would go over the wire. Callers that care reject lone surrogates first ({@link findLoneSurrogate}).
 */
export function utf8ByteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Index (in UTF-16 code units) of the first unpaired surrogate in `text`, or -1 when `text` is
 * well-formed Unicode and therefore has an exact UTF-8 encoding.
 */
export function findLoneSurrogate(text: string): number {
  const match = LONE_SURROGATE.exec(text);
  return match ? match.index : -1;
}

/**
 * Number of Unicode code points in `text`: a well-formed surrogate pair (an emoji) is one, a lone
 * surrogate is one too (such text is refused separately, {@link findLoneSurrogate}).
 */
export function countCodePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}
