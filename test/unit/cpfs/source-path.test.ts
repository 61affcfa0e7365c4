import { describe, expect, it } from 'vitest';
import { isKeyInsideSource, prefixOverlapsSource, sourceKeyPrefix } from '../../../shared/cpfs/source-path.js';

describe('SourceStoragePath as key prefixes (the one "outside SourceStoragePath" check)', () => {
  it.each([
    ['/', ''],
    ['/data/', 'data/'],
    ['/a/b/', 'a/b/'],
  ])('sourceKeyPrefix(%j) → %j', (path, prefix) => {
    expect(sourceKeyPrefix(path)).toBe(prefix);
  });

  it.each([
    ['data/x.png', '/data/', true],
    ['data/', '/data/', true],
    ['dat/x.png', '/data/', false],
    ['database/x', '/data/', false],
    ['anything', '/', true],
  ])('isKeyInsideSource(%j, %j) → %s', (key, source, inside) => {
    expect(isKeyInsideSource(key, source)).toBe(inside);
  });

  it.each([
    ['data/in/', '/data/', true], // below SourceStoragePath
    ['', '/data/', true], // wider: still matches keys inside it
    ['da', '/data/', true],
    ['other/', '/data/', false],
    ['datax/', '/data/', false],
  ])('prefixOverlapsSource(%j, %j) → %s', (prefix, source, overlaps) => {
    expect(prefixOverlapsSource(prefix, source)).toBe(overlaps);
  });
});
