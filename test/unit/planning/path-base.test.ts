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

describe('importLayout (entries relative to SourceStoragePath + Directory — UNVERIFIED reading)', () => {
  it.each([
    // srcFilePath, dstFilePath → directory, dstDirectory, entry
    ['/raw/images/a/b.png', '/datasets/images/a/b.png', '/raw/', '/datasets/', '/images/a/b.png'],
    ['/x/y.bin', '/x/y.bin', '/', '/', '/x/y.bin'],
    ['/in/z.txt', '/landing/z.txt', '/in/', '/landing/', '/z.txt'],
    ['/a.txt', '/deep/er/a.txt', '/', '/deep/er/', '/a.txt'],
    ['/deep/er/a.txt', '/a.txt', '/deep/er/', '/', '/a.txt'],
    ['/猫/😀.png', '/动物/猫/😀.png', '/', '/动物/', '/猫/😀.png'],
  ])('%s → %s', (src, dst, directory, dstDirectory, entry) => {
    const layout = importLayout(src, dst);
    expect(layout).toEqual({ directory, dstDirectory, entry });
    // The reading, restated: Directory + entry is the source path, DstDirectory + entry the destination.
    expect(`${directory}${entry.slice(1)}`).toBe(src);
    expect(`${dstDirectory}${entry.slice(1)}`).toBe(dst);
  });

  it('a route that renames the file cannot be an Import', () => {
    expect(importLayout('/raw/img_001.png', '/frames/001.png')).toBeUndefined();
  });

  it('paths that are not files have no layout', () => {
    expect(importLayout('/a/', '/a/')).toBeUndefined();
  });
});
