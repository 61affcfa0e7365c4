/**
 * A JSON EntryList whose serialised text is exactly `bytes` UTF-8 bytes, made of paths of `fill` (each
 * element ≤ 1023 characters). Throws if it cannot hit the size exactly, so a test never checks a
 * "65,537-byte" list that is really something else.
 */
export function entryListOfBytes(bytes: number, fill = 'a'): string {
  const entries: string[] = [];
  const size = (list: string[]): number => Buffer.byteLength(JSON.stringify(list), 'utf8');
  const unit = Buffer.byteLength(fill, 'utf8');
  while (size([...entries, '/' + fill.repeat(900)]) + 100 < bytes) entries.push('/' + fill.repeat(900));
  // The last element takes the remainder (in whole `fill` units, then ASCII padding).
  const remaining = bytes - size([...entries, '/']);
  const last = '/' + fill.repeat(Math.floor(remaining / unit)) + 'b'.repeat(remaining % unit);
  const list = [...entries, last];
  if (size(list) !== bytes) throw new Error(`built ${size(list)} bytes, wanted ${bytes}`);
  return JSON.stringify(list);
}
