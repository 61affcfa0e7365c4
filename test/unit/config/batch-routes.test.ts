/**
 * Configuration errors at load for route settings that can never work (issue 8 point 3, issue 13.7):
 * routes batch Import cannot express where batch is the only mode, and directories or prefixes that would
 * reject every record.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/errors.js';
import { loadConfig } from '../../../shared/config/load-config.js';

const base = { CPFS_DATA_FLOW_ID: 'df-194433a5be310001', FC_REGION: 'cn-hangzhou' } as const;
const LINGJUN = 'bmcpfs-290w65p03ok64ya0001';
const GENERAL = 'cpfs-01a2b3c4d5e6';
const renaming = JSON.stringify([
  { prefix: 'in/imgs/', dstDirectory: '/datasets/images/' },
  { prefix: 'in/raw/', dstDirectory: '/landing/in/raw/' },
]);

function problemsOf(env: Record<string, string>): Array<{ field: string; rule: string }> {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  return [];
}

describe('routes batch Import cannot express', () => {
  it.each([
    ['a cpfs-… file system', { CPFS_FILE_SYSTEM_ID: GENERAL }, 'a cpfs-… file system takes batch Import tasks only'],
    ['CPFS_IMPORT_MODE=batch', { CPFS_FILE_SYSTEM_ID: LINGJUN, CPFS_IMPORT_MODE: 'batch' }, 'CPFS_IMPORT_MODE=batch'],
  ])('are a configuration error on %s, naming the route and why', (_where, env, why) => {
    const problems = problemsOf({ ...base, ...env, CPFS_ROUTES: renaming });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe('CPFS_ROUTES[0]');
    expect(problems[0]?.rule).toContain('route "in/imgs/" → /datasets/images/ cannot be sent as a batch Import');
    expect(problems[0]?.rule).toContain(why);
    expect(problems[0]?.rule).toContain('only sub-tasks');
  });

  it('names the route file when the table comes from CPFS_ROUTES_FILE', () => {
    const problems = (() => {
      try {
        loadConfig({ ...base, CPFS_FILE_SYSTEM_ID: GENERAL, CPFS_ROUTES_FILE: 'routes.json' }, { readFile: () => renaming });
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    })();
    expect(problems.map((p) => p.field)).toEqual(['CPFS_ROUTES_FILE[0]']);
  });

  it('are fine in auto and stream on LINGJUN (their objects go through sub-tasks)', () => {
    expect(loadConfig({ ...base, CPFS_FILE_SYSTEM_ID: LINGJUN, CPFS_ROUTES: renaming }).routes).toHaveLength(2);
    expect(loadConfig({ ...base, CPFS_FILE_SYSTEM_ID: LINGJUN, CPFS_IMPORT_MODE: 'stream', CPFS_ROUTES: renaming }).routes).toHaveLength(2);
  });

  it('routes that keep the path below SourceStoragePath (a directory added above it) load in batch mode', () => {
    const config = loadConfig({
      ...base,
      CPFS_FILE_SYSTEM_ID: GENERAL,
      CPFS_SOURCE_STORAGE_PATH: '/in/',
      CPFS_ROUTES: JSON.stringify([
        { prefix: 'in/raw/', dstDirectory: '/landing/raw/' },
        { prefix: 'in/', dstDirectory: '/' },
        { prefix: '', dstDirectory: '/misc/' },
      ]),
    });
    expect(config.routes.map((r) => r.prefix)).toEqual(['in/raw/', 'in/', '']);
  });
});

describe('route settings that would reject every record are configuration errors (13.7)', () => {
  const withRoute = (route: Record<string, string>) => problemsOf({ ...base, CPFS_FILE_SYSTEM_ID: LINGJUN, CPFS_ROUTES: JSON.stringify([route]) });

  it.each([
    ['a backslash', '/a\\b/', 'backslash'],
    ['NUL', '/a\u0000b/', 'control character U+0000'],
    ['a newline', '/a\nb/', 'control character U+000A'],
    ['a name longer than 255 bytes', `/${'n'.repeat(256)}/`, 'longer than 255 UTF-8 bytes'],
    ['no room for a file name', `/${'n/'.repeat(511)}`, 'leave room for a file name'],
  ])('dstDirectory with %s', (_what, dstDirectory, rule) => {
    const problems = withRoute({ prefix: 'in/', dstDirectory });
    expect(problems.map((p) => p.field)).toEqual(['CPFS_ROUTES[0].dstDirectory']);
    expect(problems[0]?.rule).toContain(rule);
  });

  it.each([
    ['a backslash', 'in\\x/', 'backslash'],
    ['NUL', 'in\u0000/', 'control character U+0000'],
    ['a newline', 'in\n', 'control character U+000A'],
    ['a complete name longer than 255 bytes', `${'p'.repeat(256)}/`, 'longer than 255 UTF-8 bytes'],
    ['a file-name start longer than 255 bytes', `in/${'p'.repeat(256)}`, 'longer than 255 UTF-8 bytes'],
    ['an empty name', 'in//', 'empty name'],
    ['a ".." name', 'in/../', '".." name'],
  ])('prefix with %s', (_what, prefix, rule) => {
    const problems = withRoute({ prefix, dstDirectory: '/d/' });
    expect(problems.map((p) => p.field)).toEqual(['CPFS_ROUTES[0].prefix']);
    expect(problems[0]?.rule).toContain(rule);
    expect(problems[0]?.rule).toContain('every key under it would be refused');
  });

  it('CPFS_SOURCE_STORAGE_PATH with a backslash or a control character', () => {
    expect(problemsOf({ ...base, CPFS_FILE_SYSTEM_ID: LINGJUN, CPFS_SOURCE_STORAGE_PATH: '/a\\b/' }).map((p) => p.field)).toEqual(['CPFS_SOURCE_STORAGE_PATH']);
    expect(problemsOf({ ...base, CPFS_FILE_SYSTEM_ID: LINGJUN, CPFS_SOURCE_STORAGE_PATH: '/a\u0007/' }).map((p) => p.field)).toEqual(['CPFS_SOURCE_STORAGE_PATH']);
  });

  it('ordinary prefixes and directories still load (dots inside names, CJK, spaces, a prefix that is part of a name)', () => {
    const config = loadConfig({
      ...base,
      CPFS_FILE_SYSTEM_ID: LINGJUN,
      CPFS_ROUTES: JSON.stringify([
        { prefix: 'raw/img_', dstDirectory: '/frames/' },
        { prefix: '数据/..hidden/', dstDirectory: '/数据 集/' },
      ]),
    });
    expect(config.routes).toHaveLength(2);
  });
});
