/**
 * THE helper that bounds untrusted text before it is echoed into an outcome, an error, a handler result
 * or a configuration message. Object keys, reasons, server messages and unknown
 * configuration keys all come from outside and may be megabytes long.
 *
 * Shape of a bounded text (only when it is longer than the bound):
 *   `<first N chars>…[<total length> chars, sha256:<16 hex>]`
 * — the prefix keeps it readable and greppable, the length says how much was cut, and the hash lets an
 * operator match it to the full text (e.g. a key in an OSS listing) without the full text being echoed.
 * Texts within the bound are returned unchanged, so every real OSS key (≤ 1,023 bytes, docs/platform.md
 * §3) stays verbatim in outcomes. The result is at most `max + BOUND_SUFFIX_MAX_CHARS` characters.
 *
 * Cost: O(max) for a long text plus one SHA-256 over it (linear), nothing for a short one.
 */
import { createHash } from 'node:crypto';

/** Longest suffix `…[N chars, sha256:…]` appended by {@link boundText}. */
export const BOUND_SUFFIX_MAX_CHARS = 48;

/** The suffix boundText appends (tested on at most BOUND_SUFFIX_MAX_CHARS characters: linear). */
const BOUNDED_SUFFIX = /^…\[\d{1,16} chars, sha256:[0-9a-f]{16}\]$/;

/** Keys in outcomes: every legal OSS key (≤ 1,023 bytes) fits, a hostile 10 MB one does not. */
export const MAX_OUTCOME_KEY_CHARS = 1024;
/** Reasons and messages in outcomes and errors. */
export const MAX_OUTCOME_MESSAGE_CHARS = 512;
/** Error codes in outcomes (service codes are short; an unknown body could carry anything). */
export const MAX_OUTCOME_CODE_CHARS = 128;
/** A name echoed in a configuration error (e.g. an unknown route key). */
export const MAX_CONFIG_ECHO_CHARS = 64;

/** `text` when it has at most `max` characters, else its bounded form (see the module comment). */
export function boundText(text: string, max: number): string {
  if (text.length <= max) return text;
  // Idempotent: an already bounded text (bounded at `max` or less) is returned as it is, so layers that
  // each bound (ingest, then the handler result) do not hash the hash.
  if (text.length <= max + BOUND_SUFFIX_MAX_CHARS) {
    const marker = text.lastIndexOf('…[');
    if (marker !== -1 && marker <= max && BOUNDED_SUFFIX.test(text.slice(marker))) return text;
  }
  let cut = Math.max(0, max);
  // Never split a surrogate pair: the bounded text stays valid UTF-16 (and valid UTF-8 once encoded).
  const last = text.charCodeAt(cut - 1);
  if (cut > 0 && last >= 0xd800 && last <= 0xdbff) cut -= 1;
  const hash = createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);
  return `${text.slice(0, cut)}…[${text.length} chars, sha256:${hash}]`;
}
