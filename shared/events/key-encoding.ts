/**
 * How the object key inside an OSS event is encoded — decided here and nowhere else.
 *
 * UNVERIFIED: whether OSS URL-encodes `oss.object.key` in event notifications. Amazon S3 documents that
 * its event keys are URL-encoded (with `+` for space); Alibaba documents nothing either way, every
 * published OSS/FC sample uses a plain ASCII key (`source/a.png`), and Alibaba's own sample functions pass
 * the key to SDK calls without decoding it. So the default is `raw` (the key is used byte for byte).
 * `url` exists for deployments that observe percent-encoded keys: it decodes exactly once with
 * `decodeURIComponent`, and never turns `+` into a space — form-style decoding would corrupt every
 * object whose name holds a literal `+`, while a real space would arrive as `%20` from any RFC 3986
 * encoder. Switch with `CPFS_KEY_ENCODING` (see shared/config).
 *
 * There is deliberately no `auto` mode: `report%202024.csv` is a perfectly valid raw object name, so no
 * rule can tell an encoded key from a raw one that merely contains `%`, and guessing would import the
 * wrong object for one of the two readings.
 */
import { ValidationError } from '../errors.js';

/** The accepted values of `CPFS_KEY_ENCODING`. */
export const KEY_ENCODINGS = ['raw', 'url'] as const;
/** `raw`: the key is used as delivered. `url`: the key is percent-decoded exactly once. */
export type KeyEncoding = (typeof KEY_ENCODINGS)[number];

/** Leaning raw: see the module comment for why (UNVERIFIED platform behaviour). */
export const DEFAULT_KEY_ENCODING: KeyEncoding = 'raw';

/**
 * Turns the key found in an event into the object name.
 *
 * @param rawKey - `oss.object.key` exactly as delivered.
 * @param encoding - `raw` returns `rawKey` unchanged; `url` applies `decodeURIComponent` once (`+` stays `+`).
 * @returns the object name.
 * @throws ValidationError(`oss.object.key`, …) when `url` decoding meets an invalid percent-escape or
 *   escapes that are not UTF-8; the message never echoes the key.
 */
export function decodeObjectKey(rawKey: string, encoding: KeyEncoding): string {
  if (encoding === 'raw') return rawKey;
  try {
    return decodeURIComponent(rawKey);
  } catch (error) {
    throw new ValidationError(
      'oss.object.key',
      'is not valid percent-encoding (CPFS_KEY_ENCODING=url expects every % to start a UTF-8 escape such as %20)',
      { cause: error },
    );
  }
}
