import { describe, expect, it } from 'vitest';
import {
  importLayout,
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

describe('importLayout (entries are full object names — UNVERIFIED reading, see path-base.ts)', () => {
  it.each([
    // srcFilePath, dstFilePath, object key (SourceStoragePath `/` unless the key says otherwise) → directory, dstDirectory, entry
    ['/raw/images/a/b.png', '/datasets/images/a/b.png', 'raw/images/a/b.png', '/raw/', '/datasets/', '/raw/images/a/b.png'],
    ['/x/y.bin', '/x/y.bin', 'x/y.bin', '/', '/', '/x/y.bin'],
    ['/in/z.txt', '/landing/z.txt', 'data/in/z.txt', '/in/', '/landing/', '/data/in/z.txt'],
    ['/a.txt', '/deep/er/a.txt', 'a.txt', '/', '/deep/er/', '/a.txt'],
    ['/deep/er/a.txt', '/a.txt', 'deep/er/a.txt', '/deep/er/', '/', '/deep/er/a.txt'],
    ['/猫/😀.png', '/动物/猫/😀.png', '猫/😀.png', '/', '/动物/', '/猫/😀.png'],
  ])('%s → %s', (src, dst, key, directory, dstDirectory, entry) => {
    const layout = importLayout(src, dst, key);
    expect(layout).toEqual({ directory, dstDirectory, entry });
    // The reading, restated: the entry is the whole object name; its part below Directory is kept under DstDirectory.
    const below = src.slice(directory.length);
    expect(entry.endsWith(`${directory}${below}`.slice(1))).toBe(true);
    expect(`${dstDirectory}${below}`).toBe(dst);
  });

  it('a route that renames the file cannot be an Import', () => {
    expect(importLayout('/raw/img_001.png', '/frames/001.png', 'raw/img_001.png')).toBeUndefined();
  });

  it('paths that are not files have no layout', () => {
    expect(importLayout('/a/', '/a/', 'a/')).toBeUndefined();
  });
});
