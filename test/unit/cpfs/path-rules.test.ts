import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ValidationError } from '../../../shared/errors.js';
import { directoryPathProblems } from '../../../shared/config/routes.js';
import { MAX_NAME_BYTES as MAX_CPFS_NAME_BYTES, MAX_PATH_CHARS as MAX_CPFS_PATH_LENGTH } from '../../../shared/cpfs/limits.js';
import {
  assertCpfsPath,
  checkCpfsPath,
  checkCpfsPathFully,
  cpfsPathLength,
  passesAsAscii,
  describePathProblem,
} from '../../../shared/cpfs/path-rules.js';
import { filePathProblems } from '../../../shared/nas/schemas.js';

/** A path of exactly `length` characters made of 200-character names. */
function pathOfLength(length: number): string {
  let path = '';
  while (path.length < length) path += `/${'n'.repeat(Math.min(200, length - path.length - 1) || 1)}`;
  return path.slice(0, length);
}

describe('checkCpfsPath: accepted paths', () => {
  it.each([
    ['/a.png'],
    ['/raw/images/a/b.png'],
    ['/..foo/bar..'],
    ['/.hidden/.config'],
    ['/with space/plus+percent%25.txt'],
    ['/数据集/图片/猫.png'],
    ['/emoji/😀🎉.jpg'],
    ['/a/b c/d~e/f!@#$&()[]{}.txt'],
  ])('%s', (path) => {
    expect(checkCpfsPath(path, 'DstFilePath')).toEqual({ ok: true });
  });

  it('a path of exactly 1023 characters', () => {
    const path = pathOfLength(MAX_CPFS_PATH_LENGTH);
    expect(path).toHaveLength(1023);
    expect(checkCpfsPath(path, 'SrcFilePath')).toEqual({ ok: true });
  });

  it('a name of exactly 255 UTF-8 bytes made of 3-byte characters (85 × 猫)', () => {
    const name = '猫'.repeat(85);
    expect(Buffer.byteLength(name)).toBe(MAX_CPFS_NAME_BYTES);
    expect(checkCpfsPath(`/d/${name}`, 'DstFilePath')).toEqual({ ok: true });
  });

  it.each([['/'], ['/a/'], ['/datasets/images/']])('directory %s', (path) => {
    expect(checkCpfsPath(path, 'DstDirectory', 'directory')).toEqual({ ok: true });
  });
});

describe('checkCpfsPath: each rule, named', () => {
  it.each([
    ['', 'is empty (1 to 1023 characters required)'],
    [pathOfLength(1024), 'longer than 1023 characters (1024)'],
    [pathOfLength(1100), 'longer than 1023 characters (1100)'],
    ['a/b.png', 'does not start with "/"'],
    ['/a\uD800b.png', 'is not valid UTF-8 (unpaired surrogate at index 2)'],
    ['/a/\uDC00.png', 'is not valid UTF-8 (unpaired surrogate at index 3)'],
    ['/a\u0000b', 'contains control character U+0000 at index 2'],
    ['/a\nb', 'contains control character U+000A at index 2'],
    ['/a\u007Fb', 'contains control character U+007F at index 2'],
    ['/a\u0085b', 'contains control character U+0085 at index 2'],
    ['/a\\b.png', 'contains a backslash ("\\") at index 2'],
    ['/a/', 'does not end with a file name (ends with "/")'],
    ['/', 'does not end with a file name (ends with "/")'],
    ['/a//b.png', 'contains an empty name ("//") at index 2'],
    ['/a/../b.png', 'contains a ".." name at index 3'],
    ['/a/./b.png', 'contains a "." name at index 3'],
    ['/a/..', 'contains a ".." name at index 3'],
  ])('%j → %s', (path, rule) => {
    expect(checkCpfsPath(path, 'DstFilePath')).toEqual({ ok: false, field: 'DstFilePath', rule });
  });

  it('a name of 256 UTF-8 bytes is refused, with its size (85 × 猫 + 1 byte)', () => {
    const name = `${'猫'.repeat(85)}x`;
    const check = checkCpfsPath(`/dir/${name}`, 'DstFilePath');
    expect(check).toMatchObject({ ok: false, field: 'DstFilePath' });
    expect(check.ok ? '' : check.rule).toMatch(/^has a name longer than 255 UTF-8 bytes \(256\) at index 5: "猫{24}…"$/);
  });

  it('a name of 64 emoji (256 bytes, 128 UTF-16 units) is refused', () => {
    const check = checkCpfsPath(`/${'😀'.repeat(64)}`, 'SrcFilePath');
    expect(check.ok ? '' : check.rule).toContain('(256)');
  });

  it.each([
    ['/a', 'does not end with "/"'],
    ['/a/../', 'contains a ".." name at index 3'],
    ['//', 'contains an empty name ("//") at index 0'],
    ['a/', 'does not start with "/"'],
  ])('directory %j → %s', (path, rule) => {
    expect(checkCpfsPath(path, 'Directory', 'directory')).toEqual({ ok: false, field: 'Directory', rule });
  });
});

describe('describePathProblem / assertCpfsPath', () => {
  it('reads as "field: rule"', () => {
    const check = checkCpfsPath(pathOfLength(1100), 'DstFilePath');
    expect(check.ok ? '' : describePathProblem(check)).toBe('DstFilePath: longer than 1023 characters (1100)');
  });

  it('throws a ValidationError naming field and rule', () => {
    expect(() => assertCpfsPath('/ok.txt', 'SrcFilePath')).not.toThrow();
    const error = (() => {
      try {
        assertCpfsPath('/a\\b', 'SrcFilePath');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'SrcFilePath', rule: 'contains a backslash ("\\") at index 2', retryable: false });
  });
});

/** `/` + `count` names of `per` copies of `char`, then `/` + `rest` copies: names stay ≤ 255 UTF-8 bytes. */
function pathOf(char: string, per: number, count: number, rest: number): string {
  return `${`/${char.repeat(per)}`.repeat(count)}/${char.repeat(rest)}`;
}

describe('path length unit: Unicode code points (docs/platform.md §1 "characters")', () => {
  it.each([
    // character, code points, UTF-16 units, UTF-8 bytes
    ['a', 1, 1, 1],
    ['图', 1, 1, 3],
    ['😀', 1, 2, 4],
  ])('%s is %i character (%i UTF-16 units, %i UTF-8 bytes)', (char, points, units, bytes) => {
    expect(cpfsPathLength(char)).toBe(points);
    expect(char.length).toBe(units);
    expect(Buffer.byteLength(char)).toBe(bytes);
  });

  // 16 names of 60 emoji (61 characters each with the `/`) + `/` + 46 emoji = 1,023 characters.
  const emoji1023 = pathOf('😀', 60, 16, 46);
  // 12 names of 80 CJK characters (81 each) + `/` + 50 = 1,023 characters.
  const cjk1023 = pathOf('图', 80, 12, 50);

  it('known answers for the boundary paths', () => {
    expect(cpfsPathLength(emoji1023)).toBe(1023);
    expect(emoji1023.length).toBe(2029);
    expect(Buffer.byteLength(emoji1023)).toBe(4041);
    expect(cpfsPathLength(cjk1023)).toBe(1023);
    expect(cjk1023.length).toBe(1023);
    expect(Buffer.byteLength(cjk1023)).toBe(13 + 3 * (12 * 80 + 50));
  });

  it.each([
    ['emoji', emoji1023, '😀'],
    ['CJK', cjk1023, '图'],
  ])('%s: 1,023 characters pass planning and the request schema; 1,024 fail both with the same count', (_, path, char) => {
    expect(checkCpfsPath(path, 'SrcFilePath')).toEqual({ ok: true });
    expect(filePathProblems(path)).toEqual([]);
    const over = `${path}${char}`;
    expect(checkCpfsPath(over, 'SrcFilePath')).toEqual({ ok: false, field: 'SrcFilePath', rule: 'longer than 1023 characters (1024)' });
    expect(filePathProblems(over)).toEqual(['must be 1 to 1023 characters long (it has 1024)']);
  });

  it('config: a directory of 1,022 emoji characters leaves room for a file name; 1,023 does not', () => {
    const dir1022 = `${pathOf('😀', 60, 16, 44)}/`;
    expect(cpfsPathLength(dir1022)).toBe(1022);
    expect(directoryPathProblems(dir1022)).toEqual([]);
    const dir1023 = `${pathOf('😀', 60, 16, 45)}/`;
    expect(directoryPathProblems(dir1023)).toEqual(['must be at most 1022 characters, to leave room for a file name below it']);
  });
});

// checkCpfsPath answers printable-ASCII paths in one pass (issue 11) and asks the full check otherwise. The
// full check is the rule: the fast pass must never accept what it refuses, and must take the usual paths.
describe('checkCpfsPath: the ASCII fast pass against the full check', () => {
  const piece = fc.oneof(
    fc.constantFrom('/', '/', '//', '.', '..', '/./', '/../', '\\', '\u0000', '\u001f', '\u007f', '\u0080', ' ', '~', 'é', '图', '😀', '\ud800', '\udc00'),
    fc.string({ maxLength: 8 }),
    fc.constantFrom(255, 256, 1000).map((n) => 'n'.repeat(n)),
  );
  const path = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));
  const kind = fc.constantFrom('file' as const, 'directory' as const);

  it('accepts only what the full check accepts, and then gives the same answer', () => {
    fc.assert(fc.property(path, kind, (p, k) => {
      if (passesAsAscii(p, k)) expect(checkCpfsPathFully(p, 'DstFilePath', k)).toEqual({ ok: true });
      expect(checkCpfsPath(p, 'DstFilePath', k)).toEqual(checkCpfsPathFully(p, 'DstFilePath', k));
    }), { numRuns: 5000 });
  });

  it('takes the usual paths, and leaves every refused one to the full check', () => {
    for (const [p, k] of [['/raw/images/a/b.png', 'file'], ['/training/datasets/', 'directory'], ['/', 'directory'], ['/..foo/bar..', 'file'], [`/${'n'.repeat(255)}/x`, 'file']] as const) {
      expect(passesAsAscii(p, k), p).toBe(true);
    }
    for (const [p, k] of [['/a//b', 'file'], ['/a/./b', 'file'], ['/a/../b', 'file'], ['/a\\b', 'file'], ['/a\tb', 'file'], ['a/b', 'file'], ['/a/', 'file'], ['/a', 'directory'], [`/${'n'.repeat(256)}/x`, 'file'], ['/', 'file'], ['', 'file']] as const) {
      expect(passesAsAscii(p, k), p).toBe(false);
      expect(checkCpfsPath(p, 'DstFilePath', k).ok, p).toBe(false);
    }
    // Not ASCII: declined here, accepted by the full check.
    expect(passesAsAscii('/数据/a', 'file')).toBe(false);
    expect(checkCpfsPath('/数据/a', 'DstFilePath')).toEqual({ ok: true });
  });
});
