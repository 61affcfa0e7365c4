import { describe, expect, it } from 'vitest';
import {
  ENTRY_LIST_ELEMENT_BASE,
  importDestinationOfElement,
  importEntryElement,
  importLayout,
  routeImportDstDirectory,
  STREAM_TASK_DIRECTORY,
  STREAM_TASK_DST_DIRECTORY,
  subTaskDstFilePath,
  subTaskSrcFilePath,
} from '../../../shared/planning/path-base.js';
import { route } from './factories.js';

describe('streaming-task paths', () => {
  it('streaming tasks use / on both sides, so both readings of the sub-task path base coincide', () => {
    expect([STREAM_TASK_DIRECTORY, STREAM_TASK_DST_DIRECTORY]).toEqual(['/', '/']);
  });

  it('SrcFilePath is the key relative to SourceStoragePath; DstFilePath is dstDirectory + key relative to the prefix', () => {
    expect(subTaskSrcFilePath('raw/images/a/b.png')).toBe('/raw/images/a/b.png');
    expect(subTaskDstFilePath(route('raw/images/', '/datasets/images/'), 'a/b.png')).toBe('/datasets/images/a/b.png');
  });
});

describe('importLayout (no Directory; elements are full object names — UNVERIFIED reading, see path-base.ts)', () => {
  it.each([
    // srcFilePath, dstFilePath, object key (SourceStoragePath `/` unless the key says otherwise) → dstDirectory, entry
    ['/raw/images/a/b.png', '/datasets/raw/images/a/b.png', 'raw/images/a/b.png', '/datasets/', '/raw/images/a/b.png'],
    ['/x/y.bin', '/x/y.bin', 'x/y.bin', '/', '/x/y.bin'],
    ['/in/z.txt', '/landing/in/z.txt', 'data/in/z.txt', '/landing/', '/data/in/z.txt'],
    ['/a.txt', '/deep/er/a.txt', 'a.txt', '/deep/er/', '/a.txt'],
    ['/猫/😀.png', '/动物/猫/😀.png', '猫/😀.png', '/动物/', '/猫/😀.png'],
  ])('%s → %s', (src, dst, key, dstDirectory, entry) => {
    const layout = importLayout(src, dst, key);
    expect(layout).toEqual({ dstDirectory, entry });
    // The reading, restated: the file lands at DstDirectory + its path below SourceStoragePath (= SrcFilePath without "/").
    const sourceStoragePath = key.startsWith('data/') ? '/data/' : '/';
    expect(importDestinationOfElement(entry, sourceStoragePath, dstDirectory)).toBe(dst);
  });

  it.each([
    ['a route that renames a directory', '/in/imgs/a.png', '/datasets/images/a.png', 'in/imgs/a.png'],
    ['a route that moves files up (drops a directory)', '/deep/er/a.txt', '/a.txt', 'deep/er/a.txt'],
    ['a route that renames the file', '/raw/img_001.png', '/frames/001.png', 'raw/img_001.png'],
    ['a directory instead of a file', '/a/', '/a/', 'a/'],
  ])('%s cannot be an Import', (_what, src, dst, key) => {
    expect(importLayout(src, dst, key)).toBeUndefined();
  });
});

describe('the element text: one constant (ENTRY_LIST_ELEMENT_BASE)', () => {
  it('is the full object name today; the other reading is the path below SourceStoragePath', () => {
    expect(ENTRY_LIST_ELEMENT_BASE).toBe('object-name');
    expect(importEntryElement('data/x/y.bin', 'x/y.bin')).toBe('/data/x/y.bin');
    expect(importEntryElement('data/x/y.bin', 'x/y.bin', 'source-storage-path')).toBe('/x/y.bin');
  });

  it('both readings land the file at the same place, and agree on the element when SourceStoragePath is /', () => {
    expect(importDestinationOfElement('/data/x/y.bin', '/data/', '/misc/', 'object-name')).toBe('/misc/x/y.bin');
    expect(importDestinationOfElement('/x/y.bin', '/data/', '/misc/', 'source-storage-path')).toBe('/misc/x/y.bin');
    expect(importEntryElement('x/y.bin', 'x/y.bin', 'object-name')).toBe(importEntryElement('x/y.bin', 'x/y.bin', 'source-storage-path'));
    expect(importDestinationOfElement('/other/y.bin', '/data/', '/', 'object-name')).toBeUndefined();
  });
});

describe('routeImportDstDirectory: which routes batch Import can express', () => {
  it.each([
    // prefix, dstDirectory, SourceStoragePath → DstDirectory
    ['', '/', '/', '/'],
    ['', '/misc/', '/', '/misc/'],
    ['raw/', '/raw/', '/', '/'],
    ['raw/images/', '/datasets/raw/images/', '/', '/datasets/'],
    ['data/in/', '/landing/in/', '/data/', '/landing/'],
    ['data/', '/x/', '/data/', '/x/'],
    ['', '/misc/', '/data/', '/misc/data/'],
  ])('prefix %j → %s (SourceStoragePath %s): DstDirectory %s', (prefix, dstDirectory, sourceStoragePath, expected) => {
    expect(routeImportDstDirectory(route(prefix, dstDirectory), sourceStoragePath)).toEqual({ ok: true, dstDirectory: expected });
  });

  it.each([
    ['in/imgs/', '/datasets/images/', '/'],
    ['checkpoints/', '/ckpt/', '/'],
    ['raw/img_', '/frames/', '/'],
    ['data/in/', '/in/', '/'],
  ])('prefix %j → %s (SourceStoragePath %s) renames: refused with the reason', (prefix, dstDirectory, sourceStoragePath) => {
    const layout = routeImportDstDirectory(route(prefix, dstDirectory), sourceStoragePath);
    expect(layout.ok).toBe(false);
    if (!layout.ok) expect(layout.reason).toContain('only sub-tasks');
  });

  it('agrees with importLayout for every key of the route', () => {
    const cases: Array<[string, string, string, string]> = [
      ['raw/images/', '/datasets/raw/images/', '/', 'raw/images/a/b.png'],
      ['', '/misc/', '/data/', 'data/q/r.txt'],
      ['in/imgs/', '/datasets/images/', '/', 'in/imgs/c.png'],
    ];
    for (const [prefix, dstDirectory, ssp, key] of cases) {
      const src = subTaskSrcFilePath(key.slice(ssp.length - 1));
      const dst = subTaskDstFilePath(route(prefix, dstDirectory), key.slice(prefix.length));
      const item = importLayout(src, dst, key);
      const whole = routeImportDstDirectory(route(prefix, dstDirectory), ssp);
      expect(item?.dstDirectory).toBe(whole.ok ? whole.dstDirectory : undefined);
    }
  });
});
