import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/errors.js';
import { DEFAULT_KEY_ENCODING, decodeObjectKey } from '../../../shared/events/key-encoding.js';

describe('decodeObjectKey', () => {
  it('defaults to raw (the leaning of docs/platform.md §3)', () => {
    expect(DEFAULT_KEY_ENCODING).toBe('raw');
  });

  // [as delivered, raw result, url result]
  it.each([
    ['dir/with space.txt', 'dir/with space.txt', 'dir/with space.txt'],
    ['dir/with%20space.txt', 'dir/with%20space.txt', 'dir/with space.txt'],
    ['a+b.txt', 'a+b.txt', 'a+b.txt'],
    ['a%2Bb.txt', 'a%2Bb.txt', 'a+b.txt'],
    ['100%25.csv', '100%25.csv', '100%.csv'],
    ['数据/文件.txt', '数据/文件.txt', '数据/文件.txt'],
    ['%E6%95%B0%E6%8D%AE/%E6%96%87%E4%BB%B6.txt', '%E6%95%B0%E6%8D%AE/%E6%96%87%E4%BB%B6.txt', '数据/文件.txt'],
    ['🚀.bin', '🚀.bin', '🚀.bin'],
    ['%F0%9F%9A%80.bin', '%F0%9F%9A%80.bin', '🚀.bin'],
    // Decoded exactly once: an encoded percent stays a literal escape.
    ['a%252B.txt', 'a%252B.txt', 'a%2B.txt'],
  ])('%j → raw %j, url %j', (delivered, raw, url) => {
    expect(decodeObjectKey(delivered, 'raw')).toBe(raw);
    expect(decodeObjectKey(delivered, 'url')).toBe(url);
  });

  it.each(['100%.csv', 'bad%zz', 'trunc%E6%95', '%C3%28'])('url mode rejects the invalid escape in %j with a ValidationError naming the field', (key) => {
    expect(decodeObjectKey(key, 'raw')).toBe(key);
    let caught: unknown;
    try {
      decodeObjectKey(key, 'url');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).field).toBe('oss.object.key');
    expect((caught as ValidationError).message).not.toContain(key);
  });

  it('raw mode is the identity for every string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (key) => decodeObjectKey(key, 'raw') === key));
  });

  it('url mode inverts encodeURIComponent for every well-formed string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (key) => decodeObjectKey(encodeURIComponent(key), 'url') === key));
  });
});
