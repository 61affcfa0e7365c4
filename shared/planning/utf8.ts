/**
 * Small text helpers shared by the planning modules. JavaScript strings are UTF-16; every limit of the
 * NAS API that speaks of bytes means UTF-8 bytes, so the conversion lives here, once.
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
