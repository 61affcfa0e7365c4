import { describe, expect, it } from 'vitest';
import {
  importTaskClientToken,
  MAX_CLIENT_TOKEN_LENGTH,
  normalizeETag,
  objectId,
  streamTaskClientToken,
  subTaskClientToken,
  type ImportTaskTokenInput,
  type StreamTaskTokenInput,
  type SubTaskTokenInput,
} from '../../../shared/planning/client-token.js';

const sub: SubTaskTokenInput = {
  fileSystemId: 'bmcpfs-290w65p03ok64ya',
  dataFlowId: 'df-194433a5be31****',
  streamTaskId: 'task-27aa8e890f45****',
  srcFilePath: '/raw/数据/😀 a+b%20.png',
  dstFilePath: '/datasets/数据/😀 a+b%20.png',
  size: 122_539,
  eTag: '688A7BF4F233DC9C88A80BF985AB1234',
};
const stream: StreamTaskTokenInput = {
  fileSystemId: sub.fileSystemId,
  dataFlowId: sub.dataFlowId,
  conflictPolicy: 'KEEP_LATEST',
  directory: '/',
  dstDirectory: '/',
  generation: 0,
};
const imp: ImportTaskTokenInput = {
  fileSystemId: sub.fileSystemId,
  dataFlowId: sub.dataFlowId,
  conflictPolicy: 'SKIP_THE_FILE',
  dstDirectory: '/datasets/',
  entryList: '["/a.png","/b.png"]',
};

describe('ClientTokens', () => {
  it.each([
    ['sub-task', subTaskClientToken(sub), /^cpfs-sub-[0-9a-f]{48}$/],
    ['stream task', streamTaskClientToken(stream), /^cpfs-st-[0-9a-f]{48}$/],
    ['import task', importTaskClientToken(imp), /^cpfs-imp-[0-9a-f]{48}$/],
    ['object id', objectId(sub), /^cpfs-obj-[0-9a-f]{48}$/],
  ])('%s token is ASCII, ≤ 64 characters, with a readable prefix', (_name, token, shape) => {
    expect(token).toMatch(shape);
    expect(token.length).toBeLessThanOrEqual(MAX_CLIENT_TOKEN_LENGTH);
    expect(/^[\x20-\x7e]+$/.test(token)).toBe(true);
  });

  it('is deterministic: same content, same token (also across key order of the input)', () => {
    expect(subTaskClientToken({ ...sub })).toBe(subTaskClientToken(sub));
    const reordered: SubTaskTokenInput = {
      eTag: sub.eTag, size: sub.size, dstFilePath: sub.dstFilePath, srcFilePath: sub.srcFilePath,
      streamTaskId: sub.streamTaskId, dataFlowId: sub.dataFlowId, fileSystemId: sub.fileSystemId,
    };
    expect(subTaskClientToken(reordered)).toBe(subTaskClientToken(sub));
    expect(streamTaskClientToken({ ...stream })).toBe(streamTaskClientToken(stream));
    expect(importTaskClientToken({ ...imp })).toBe(importTaskClientToken(imp));
  });

  it.each<[string, Partial<SubTaskTokenInput>]>([
    ['fileSystemId', { fileSystemId: 'bmcpfs-other' }],
    ['dataFlowId', { dataFlowId: 'df-other' }],
    ['streamTaskId (a re-created streaming task imports again)', { streamTaskId: 'task-new' }],
    ['srcFilePath', { srcFilePath: '/raw/other.png' }],
    ['dstFilePath', { dstFilePath: '/datasets/other.png' }],
    ['size', { size: 1 }],
    ['eTag (a new version of the key)', { eTag: 'FFFF' }],
    ['size missing', { size: undefined }],
    ['eTag missing', { eTag: undefined }],
  ])('sub-task token differs when %s differs', (_field, change) => {
    expect(subTaskClientToken({ ...sub, ...change })).not.toBe(subTaskClientToken(sub));
  });

  it('field boundaries are unambiguous (no concatenation collisions)', () => {
    const a = subTaskClientToken({ ...sub, srcFilePath: '/a', dstFilePath: '/b/c' });
    const b = subTaskClientToken({ ...sub, srcFilePath: '/a/b', dstFilePath: '/c' });
    expect(a).not.toBe(b);
  });

  it('the same eTag quoted (ListObjects) or bare and lower-case (events) gives the same token', () => {
    const quoted = subTaskClientToken({ ...sub, eTag: `"${sub.eTag}"` });
    const lower = subTaskClientToken({ ...sub, eTag: sub.eTag?.toLowerCase() });
    expect(quoted).toBe(subTaskClientToken(sub));
    expect(lower).toBe(subTaskClientToken(sub));
    expect(normalizeETag('"abc"')).toBe('ABC');
    expect(normalizeETag('""')).toBeNull();
    expect(normalizeETag(undefined)).toBeNull();
  });

  it.each<[string, Partial<StreamTaskTokenInput>]>([
    ['generation (a new streaming task after the old one stopped)', { generation: 'task-27aa8e890f45****' }],
    ['conflictPolicy', { conflictPolicy: 'OVERWRITE_EXISTING' }],
    ['directory', { directory: '/x/' }],
    ['dstDirectory', { dstDirectory: '/y/' }],
    ['dataFlowId', { dataFlowId: 'df-2' }],
  ])('stream-task token differs when %s differs', (_field, change) => {
    expect(streamTaskClientToken({ ...stream, ...change })).not.toBe(streamTaskClientToken(stream));
  });

  it('generation 1 and "1" are the same generation', () => {
    expect(streamTaskClientToken({ ...stream, generation: 1 })).toBe(streamTaskClientToken({ ...stream, generation: '1' }));
  });

  it.each<[string, Partial<ImportTaskTokenInput>]>([
    ['entryList', { entryList: '["/a.png"]' }],
    ['conflictPolicy', { conflictPolicy: 'KEEP_LATEST' }],
    ['dstDirectory', { dstDirectory: '/' }],
  ])('import token differs when %s differs', (_field, change) => {
    expect(importTaskClientToken({ ...imp, ...change })).not.toBe(importTaskClientToken(imp));
  });

  it('kinds never collide: same fields, different request kind', () => {
    const { streamTaskId: _ignored, ...objectFields } = sub;
    expect(objectId(objectFields).slice('cpfs-obj-'.length)).not.toBe(subTaskClientToken(sub).slice('cpfs-sub-'.length));
  });

  it('objectId does not depend on the streaming task', () => {
    const { streamTaskId: _ignored, ...objectFields } = sub;
    expect(objectId(objectFields)).toBe(objectId({ ...objectFields }));
    expect(objectId({ ...objectFields, eTag: 'FFFF' })).not.toBe(objectId(objectFields));
  });
});
