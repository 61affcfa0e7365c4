/**
 * The route table (`CPFS_ROUTES` or the file named by `CPFS_ROUTES_FILE`): which OSS key prefixes land in
 * which directory of the file system, and with which conflict policy.
 *
 * Written with `zod/mini` (FC bundle size). Mini registers no locale, so every schema whose issue can
 * become a `ConfigError` problem carries its own message (`error:` or the check's message).
 */
import * as z from 'zod/mini';
import { CONFLICT_POLICIES } from '../nas/wire.js';
import { MAX_NAME_BYTES, MAX_PATH_CHARS } from '../cpfs/limits.js';
import { checkCpfsPath, cpfsPathLength } from '../cpfs/path-rules.js';

/**
 * Problems with a directory path such as `/data/in/`, as rule sentences (empty when it is fine).
 * Used for `CPFS_SOURCE_STORAGE_PATH` and each route's `dstDirectory`.
 *
 * Beyond the documented directory rules, every CPFS path rule that each file path built on this directory
 * would break (shared/cpfs/path-rules.ts: backslash, control characters such as NUL or a line break, a
 * name longer than 255 bytes, an unpaired surrogate) is refused here: such a setting would reject every
 * record, so it is a configuration error at load rather than a rejection per object. The directory must
 * also leave room for a file name below it (1,023 characters in all).
 */
export function directoryPathProblems(path: string): string[] {
  const problems: string[] = [];
  const length = cpfsPathLength(path);
  if (length < 1 || length > MAX_PATH_CHARS) problems.push(`must be 1–${MAX_PATH_CHARS} characters`);
  else if (length > MAX_PATH_CHARS - 1) problems.push(`must be at most ${MAX_PATH_CHARS - 1} characters, to leave room for a file name below it`);
  if (!path.startsWith('/') || !path.endsWith('/')) problems.push('must start and end with /');
  const segments = path.split('/').slice(1, -1);
  if (segments.some((s) => s === '..' || s === '.')) problems.push('must not contain . or .. segments');
  if (path !== '/' && segments.some((s) => s === '')) problems.push('must not contain an empty segment (//)');
  if (problems.length === 0) {
    const check = checkCpfsPath(path, 'path', 'directory');
    if (!check.ok) problems.push(`${check.rule}: every file path below it would be refused`);
  }
  return problems;
}

/**
 * Problems of a route prefix that would make every key it matches invalid as a CPFS path (the key, and so
 * SrcFilePath, starts with the prefix): a backslash, a control character (NUL, line breaks…), an unpaired
 * surrogate, an empty, `.` or `..` directory name, or a name longer than 255 UTF-8 bytes — whether complete
 * (`…/name/`) or the start of the file name (`…/name`).
 */
export function prefixPathProblems(prefix: string): string[] {
  if (prefix === '') return [];
  // Checked as the start of a file path: "/" + prefix + a one-letter rest stands for every key it matches.
  const check = checkCpfsPath(`/${prefix}${prefix.endsWith('/') ? 'x' : ''}`, 'prefix');
  if (check.ok) return [];
  if (/longer than \d+ characters/.test(check.rule)) return [];
  return [`${check.rule.replace(/ at index \d+/, '')}: every key under it would be refused (names ≤ ${MAX_NAME_BYTES} bytes, no backslash or control characters)`];
}

const directoryPath = z.string({ error: 'must be a string' }).check(z.superRefine((path, ctx) => {
  for (const message of directoryPathProblems(path)) ctx.addIssue({ code: 'custom', message });
}));

/** One route as written by the user; `conflictPolicy` falls back to `CPFS_CONFLICT_POLICY`. */
export const RouteInput = z.strictObject({
  prefix: z.string({ error: 'must be a string (use "" to match every key)' }).check(
    z.refine((prefix) => cpfsPathLength(prefix) <= MAX_PATH_CHARS, `must be at most ${MAX_PATH_CHARS} characters`),
    // OSS object names never start with `/`, so such a prefix could never match.
    z.refine((prefix) => !prefix.startsWith('/'), 'must not start with / (OSS keys never do)'),
    z.superRefine((prefix, ctx) => {
      if (prefix.startsWith('/')) return;
      for (const message of prefixPathProblems(prefix)) ctx.addIssue({ code: 'custom', message });
    }),
  ),
  dstDirectory: directoryPath,
  conflictPolicy: z.optional(z.enum(CONFLICT_POLICIES, { error: `must be one of ${CONFLICT_POLICIES.join(', ')}` })),
}, { error: 'each route must be an object {"prefix", "dstDirectory", "conflictPolicy"?}' });
export type RouteInput = z.infer<typeof RouteInput>;

/** The whole table: a JSON array of routes with distinct prefixes. */
export const RoutesInput = z.array(RouteInput, { error: 'must be a JSON array of routes' }).check(z.superRefine((routes, ctx) => {
  const seen = new Map<string, number>();
  routes.forEach((route, i) => {
    const first = seen.get(route.prefix);
    if (first !== undefined) {
      ctx.addIssue({ code: 'custom', path: [i, 'prefix'], message: `duplicates the prefix of route ${first}` });
    } else {
      seen.set(route.prefix, i);
    }
  });
}));

/** The names a route may carry, for the "unknown key" problem. */
export const ROUTE_KEYS = Object.keys(RouteInput.shape);
