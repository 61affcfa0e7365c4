import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/errors.js';
import { FILE_SYSTEM_ID_PATTERN, fileSystemKind, fileSystemKindOf } from '../../../shared/cpfs/file-system.js';

describe('file system id and edition (one vocabulary: lingjun | general)', () => {
  it.each([
    ['bmcpfs-290w65p03ok64ya', 'lingjun'],
    ['cpfs-125487ab', 'general'],
    ['cpfs-', undefined],
    ['bmcpfs-ABC', undefined],
    ['bmcpfs-a-b', undefined],
    ['nas-1', undefined],
    [42, undefined],
  ])('fileSystemKindOf(%j) → %s', (id, kind) => {
    expect(fileSystemKindOf(id)).toBe(kind);
    if (typeof id === 'string') expect(FILE_SYSTEM_ID_PATTERN.test(id)).toBe(kind !== undefined);
  });

  it('fileSystemKind throws a ValidationError naming fileSystemId for a non-id', () => {
    expect(() => fileSystemKind('nas-1')).toThrow(ValidationError);
    expect(() => fileSystemKind('nas-1')).toThrow(/fileSystemId/);
  });
});
