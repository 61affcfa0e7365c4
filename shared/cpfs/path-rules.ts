/**
 * CPFS path rules, checked before any request is sent so that a bad key is reported with a precise
 * reason instead of failing a whole batch at the service.
 *
 * Documented limits (CreateDataFlowTask / CreateDataFlowSubTask): paths are UTF-8, 1–1023 characters,
 * start with `/`; file paths (SrcFilePath, DstFilePath) end with a file name; directories
 * (Directory, DstDirectory) start and end with `/` and never contain `/../`.
 *
 * Rules this module adds on purpose, because CPFS is a POSIX file system while OSS keys are free-form:
 * - every name (path segment) ≤ 255 UTF-8 bytes — NAME_MAX of Linux file systems; a longer OSS key
 *   segment cannot become a file name at all;
 * - no empty name (`//`): POSIX collapses `a//b` to `a/b`, so two distinct OSS keys would write the
 *   same file;
 * - no `.` or `..` name: they would be resolved by the file system (traversal, or again two keys to
 *   one file). A name that merely starts with dots (`..foo`, `.hidden`) is an ordinary name;
 * - no backslash: some tools and gateways treat it as a separator, so `a\b` could land as `a/b` or
 *   as `a\b`; rejecting is better than guessing;
 * - no control characters (Unicode category Cc: U+0000–U+001F, U+007F–U+009F): NUL cannot be in a
 *   POSIX name at all, the others break logs, shells and reports (and the service documents an
 *   `IllegalCharacters` error without listing the characters);
 * - well-formed Unicode (no lone surrogate): a lone surrogate has no UTF-8 encoding, so the path
 *   would not be the same after encoding.
 *
 * Paths are never normalised (no Unicode NFC/NFD, no case folding): the file gets the key's exact name.
 */
import { ValidationError } from '../errors.js';
import { MAX_NAME_BYTES, MAX_PATH_CHARS } from './limits.js';
import { countCodePoints, findLoneSurrogate, utf8ByteLength } from './utf8.js';

/** A file path must end with a file name; a directory path must end with `/`. */
export type CpfsPathKind = 'file' | 'directory';

/** Why a path was refused: the parameter it was meant for and the rule it broke, in plain words. */
export interface PathProblem {
  readonly ok: false;
  readonly field: string;
  readonly rule: string;
}

export type PathCheck = { readonly ok: true } | PathProblem;

const OK: PathCheck = Object.freeze({ ok: true });
const CONTROL_CHARACTER = /\p{Cc}/u;

/**
 * Length of a path as the service counts "characters".
 *
 * UNVERIFIED: the documentation (docs/platform.md §1) says "1 to 1,023 characters" without naming the
 * unit. We count Unicode code points, the plain reading of "characters": `a`, `图` and `😀` are one each
 * (1, 3 and 4 UTF-8 bytes; 1, 1 and 2 UTF-16 units). Bytes are not used: the limits that mean bytes
 * (names, EntryList) say so. This is the one unit for config, planning and the request schemas; change
 * it here and nowhere else (the emulator keeps its own copy on purpose).
 */
export function cpfsPathLength(path: string): number {
  return countCodePoints(path);
}

/**
 * Checks one CPFS path against every rule above and returns the first rule broken, in a fixed order
 * (length, leading `/`, encoding, characters, trailing name or `/`, then each name from the left).
 *
 * @param path  the path exactly as it would be sent
 * @param field the parameter name used in the reason, e.g. `DstFilePath`
 * @param kind  `file` (default) for SrcFilePath/DstFilePath/EntryList entries, `directory` for
 *              Directory/DstDirectory
 * @example checkCpfsPath('/a//b.png', 'DstFilePath') // → { ok: false, field: 'DstFilePath', rule: 'contains an empty name ("//") at index 2' }
 */
export function checkCpfsPath(path: string, field: string, kind: CpfsPathKind = 'file'): PathCheck {
  return passesAsAscii(path, kind) ? OK : checkCpfsPathFully(path, field, kind);
}

/**
 * {@link checkCpfsPath} without its ASCII fast path: every rule, in order. Exported for the test that
 * holds the fast path to it (test/unit/cpfs/path-rules.test.ts) only.
 */
export function checkCpfsPathFully(path: string, field: string, kind: CpfsPathKind = 'file'): PathCheck {
  const problem = (rule: string): PathProblem => ({ ok: false, field, rule });

  if (path.length === 0) return problem(`is empty (1 to ${MAX_PATH_CHARS} characters required)`);
  // Code points never outnumber UTF-16 units, so the count is needed only past the limit (hot path).
  if (path.length > MAX_PATH_CHARS) {
    const length = cpfsPathLength(path);
    if (length > MAX_PATH_CHARS) return problem(`longer than ${MAX_PATH_CHARS} characters (${length})`);
  }
  if (!path.startsWith('/')) return problem('does not start with "/"');

  const surrogateAt = findLoneSurrogate(path);
  if (surrogateAt >= 0) return problem(`is not valid UTF-8 (unpaired surrogate at index ${surrogateAt})`);

  const control = CONTROL_CHARACTER.exec(path);
  if (control) return problem(`contains control character ${codePointLabel(control[0])} at index ${control.index}`);

  const backslashAt = path.indexOf('\\');
  if (backslashAt >= 0) return problem(`contains a backslash ("\\") at index ${backslashAt}`);

  if (kind === 'file' && path.endsWith('/')) return problem('does not end with a file name (ends with "/")');
  if (kind === 'directory' && !path.endsWith('/')) return problem('does not end with "/"');

  // Names between the leading `/` and (for a directory) the trailing `/`; the root `/` has none.
  if (path === '/') return OK;
  const body = kind === 'directory' ? path.slice(1, -1) : path.slice(1);
  let index = 1;
  for (const name of body.split('/')) {
    if (name.length === 0) return problem(`contains an empty name ("//") at index ${index - 1}`);
    if (name === '.' || name === '..') return problem(`contains a "${name}" name at index ${index}`);
    const bytes = utf8ByteLength(name);
    if (bytes > MAX_NAME_BYTES) {
      return problem(`has a name longer than ${MAX_NAME_BYTES} UTF-8 bytes (${bytes}) at index ${index}: "${preview(name)}"`);
    }
    index += name.length + 1;
  }
  return OK;
}

const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * The common case of {@link checkCpfsPath}, in one pass over the UTF-16 units (issue 11: the rules were
 * 0.3× the decoding floor, mostly regular expressions and one UTF-8 count per name): true only for a path
 * of printable ASCII (U+0020–U+007E, so no surrogate, no control character, one UTF-8 byte per unit) that
 * passes every rule; false for anything else, and the full check then decides and names the rule — so
 * rules and reasons stay those of the full check, which this never contradicts
 * (test/unit/cpfs/path-rules.test.ts compares the two; exported for that test only).
 */
export function passesAsAscii(path: string, kind: CpfsPathKind): boolean {
  const n = path.length;
  if (n === 0 || n > MAX_PATH_CHARS || path.charCodeAt(0) !== SLASH) return false;
  const last = path.charCodeAt(n - 1);
  if (kind === 'file' ? last === SLASH : last !== SLASH) return false;
  if (n === 1) return true; // the root directory `/` (a file path `/` was refused above)
  // Names lie between `/`s; a directory's trailing `/` ends its last name.
  const end = kind === 'directory' ? n - 1 : n;
  let nameStart = 1;
  for (let i = 1; i <= end; i++) {
    const c = i < end ? path.charCodeAt(i) : SLASH;
    if (c === SLASH) {
      const length = i - nameStart;
      if (length === 0 || length > MAX_NAME_BYTES) return false;
      if (path.charCodeAt(nameStart) === DOT && (length === 1 || (length === 2 && path.charCodeAt(nameStart + 1) === DOT))) return false;
      nameStart = i + 1;
    } else if (c < 0x20 || c > 0x7e || c === 0x5c) {
      return false;
    }
  }
  return true;
}

/** `${field}: ${rule}` — the one-line reason shown to people. */
export function describePathProblem(problem: PathProblem): string {
  return `${problem.field}: ${problem.rule}`;
}

/**
 * Throwing variant of {@link checkCpfsPath} for edges that validate request parameters.
 * @throws ValidationError naming the field and the rule
 */
export function assertCpfsPath(path: string, field: string, kind: CpfsPathKind = 'file'): void {
  const check = checkCpfsPath(path, field, kind);
  if (!check.ok) throw new ValidationError(check.field, check.rule);
}

function codePointLabel(character: string): string {
  return `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Keeps reasons short: a 300-byte name is shown by its first characters only. */
function preview(name: string): string {
  const characters = Array.from(name);
  return characters.length <= 24 ? name : `${characters.slice(0, 24).join('')}…`;
}
