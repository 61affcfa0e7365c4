/**
 * Path rules of the data-flow APIs and the mapping of task/sub-task paths onto the bucket and the file
 * system. The rules come from the CreateDataFlowTask / CreateDataFlowSubTask pages; the two mappings the
 * docs leave open are decided here, each in ONE function, and listed in emulator/README.md.
 */
import type { DataFlowRecord, SubTaskRecord, TaskRecord } from './state.js';
import { apiError } from './errors.js';

/** Longest Directory / DstDirectory / file path, in characters (docs: 1–1023). */
export const MAX_PATH_CHARS = 1023;
/**
 * EntryList limit in UTF-8 bytes of the JSON text as sent. The newer API texts say "less than 64 KB"
 * (docs/platform.md §1), so 65,535 passes and 65,536 is SizeTooLarge.
 */
export const MAX_ENTRY_LIST_BYTES = 64 * 1024 - 1;
/** Includes: at most this many characters in total (docs/platform.md §1). */
export const MAX_INCLUDES_CHARS = 3_000;

// C0 controls and DEL. ASSUMED trigger of IllegalCharacters (the docs give none); see README.
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * Throws IllegalCharacters when `value` holds control characters or, for a path, a backslash
 * (ASSUMED trigger: `\` is a path separator on no CPFS/OSS side and the usual sign of a Windows path).
 */
export function checkCharacters(field: string, value: string, isPath: boolean): void {
  if (CONTROL_CHARS.test(value)) throw apiError('IllegalCharacters', `${field} contains a control character.`);
  if (isPath && value.includes('\\')) throw apiError('IllegalCharacters', `${field} contains a backslash.`);
}

function charCount(value: string): number {
  return [...value].length;
}

function hasDotSegment(value: string): boolean {
  return value.split('/').some((s) => s === '..' || s === '.');
}

/** Directory / DstDirectory: 1–1023 chars, starts and ends with `/`, no `.`/`..` segment, no `//`. */
export function validateDirectory(field: string, value: string): void {
  checkCharacters(field, value, true);
  const n = charCount(value);
  if (n < 1 || n > MAX_PATH_CHARS) throw apiError('InvalidParameter.InvalidFormat', `${field} must be 1-${MAX_PATH_CHARS} characters.`);
  if (!value.startsWith('/') || !value.endsWith('/')) {
    throw apiError('InvalidParameter.InvalidFormat', `${field} must start and end with "/".`);
  }
  if (hasDotSegment(value)) throw apiError('InvalidParameter.InvalidFormat', `${field} must not contain "/../" or "/./".`);
  if (value.includes('//')) throw apiError('InvalidParameter.InvalidFormat', `${field} must not contain "//".`);
}

/** SrcFilePath / DstFilePath / EntryList element: 1–1023 chars, starts with `/`. */
export function validateFilePath(field: string, value: string, mustEndWithFileName: boolean): void {
  checkCharacters(field, value, true);
  const n = charCount(value);
  if (n < 1 || n > MAX_PATH_CHARS) throw apiError('InvalidParameter.InvalidFormat', `${field} must be 1-${MAX_PATH_CHARS} characters.`);
  if (!value.startsWith('/')) throw apiError('InvalidParameter.InvalidFormat', `${field} must start with "/".`);
  if (mustEndWithFileName && (value.endsWith('/') || value === '/')) {
    throw apiError('InvalidParameter.InvalidFormat', `${field} must end with a file name.`);
  }
  if (hasDotSegment(value)) throw apiError('InvalidParameter.InvalidFormat', `${field} must not contain "." or ".." segments.`);
}

/**
 * EntryList: ≤ 64 KB of UTF-8 (SizeTooLarge), a JSON array of strings (InvalidFormat), each element a path
 * of 1–1023 characters starting with `/`. An empty array is rejected (ASSUMED: a task over nothing).
 */
export function parseEntryList(raw: string): string[] {
  if (Buffer.byteLength(raw, 'utf8') > MAX_ENTRY_LIST_BYTES) throw apiError('InvalidParameter.SizeTooLarge');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw apiError('InvalidParameter.InvalidFormat', 'EntryList is not valid JSON.');
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((e): e is string => typeof e === 'string')) {
    throw apiError('InvalidParameter.InvalidFormat', 'EntryList must be a non-empty JSON array of strings.');
  }
  parsed.forEach((entry, i) => validateFilePath(`EntryList[${i}]`, entry, false));
  return parsed;
}

/** A place in the source bucket or in the CPFS file system; `path` is absolute and normalised. */
export interface StoreLocation {
  readonly store: 'bucket' | 'fileSystem';
  readonly path: string;
}

/** Joins path pieces with single slashes: `joinStorePath('/a/', '/b/', '/c')` → `/a/b/c`. */
export function joinStorePath(...parts: string[]): string {
  const joined = '/' + parts.join('/');
  return joined.replace(/\/{2,}/g, '/');
}

/** Whether the task moves data from the bucket into the file system. */
export function isImport(task: Pick<TaskRecord, 'action'>): boolean {
  return task.action === 'Import' || task.action === 'StreamImport';
}

/** Where a task's Directory and DstDirectory live: Import reads the bucket, Export the file system. */
export function taskRoots(dataFlow: DataFlowRecord, task: TaskRecord): { source: StoreLocation; destination: StoreLocation } {
  const bucketBase = dataFlow.sourceStoragePath;
  const fsBase = dataFlow.fileSystemPath;
  return isImport(task)
    ? {
        source: { store: 'bucket', path: joinStorePath(bucketBase, task.directory) },
        destination: { store: 'fileSystem', path: joinStorePath(fsBase, task.dstDirectory) },
      }
    : {
        source: { store: 'fileSystem', path: joinStorePath(fsBase, task.directory) },
        destination: { store: 'bucket', path: joinStorePath(bucketBase, task.dstDirectory) },
      };
}

/**
 * Includes: a JSON array of sub-folders of Directory, each 1–1023 characters starting and ending with `/`,
 * at most 3,000 characters in total (docs/platform.md §1). Format errors are InvalidFormat (ASSUMED code).
 */
export function parseIncludes(raw: string): string[] {
  if ([...raw].length > MAX_INCLUDES_CHARS) {
    throw apiError('InvalidParameter.InvalidFormat', `Includes must be at most ${MAX_INCLUDES_CHARS} characters.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw apiError('InvalidParameter.InvalidFormat', 'Includes is not valid JSON.');
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((e): e is string => typeof e === 'string')) {
    throw apiError('InvalidParameter.InvalidFormat', 'Includes must be a non-empty JSON array of strings.');
  }
  parsed.forEach((entry, i) => validateDirectory(`Includes[${i}]`, entry));
  return parsed;
}

/**
 * UNVERIFIED reading of a batch EntryList element (docs/platform.md §1, "Newer API texts"): an Import that
 * carries an EntryList names no Directory, and the docs do not say what an element is relative to.
 * - `'storeRoot'` (default): the element is the full name in its store — for Import the whole object name
 *   `/` + key, for Export the whole CPFS path; it must lie under SourceStoragePath (FileSystemPath).
 * - `'dataFlowPath'`: the element is the path below SourceStoragePath (FileSystemPath).
 * Both agree when SourceStoragePath is `/`. Either way the file lands at FileSystemPath + DstDirectory +
 * (its path below SourceStoragePath) — and the reverse for Export. The client decides the same question in
 * shared/planning/path-base.ts; the emulator keeps its own copy on purpose (an independent check).
 */
export type EntryPathBase = 'storeRoot' | 'dataFlowPath';
export const ENTRY_LIST_ELEMENT_BASE: EntryPathBase = 'storeRoot';

/**
 * UNVERIFIED reading of a TransferFileListPath manifest row's `Name` (same question as EntryList): a
 * relative path below SourceStoragePath (FileSystemPath for Export) by default (`'dataFlowPath'`), or below
 * the store's root (`'storeRoot'`). It lands like an EntryList element.
 */
export const MANIFEST_NAME_BASE: EntryPathBase = 'dataFlowPath';

/** Where one batch file goes, or why it cannot be mapped (the file then counts as failed). */
export type BatchFileMapping = { source: StoreLocation; destination: StoreLocation } | { problem: string };

/**
 * Maps a path of a batch task's file list (EntryList element, or manifest Name made absolute with a leading
 * `/`) onto its source and destination, under the reading `base` (see ENTRY_LIST_ELEMENT_BASE). The
 * source root is the data flow's path in the source store plus the task's (effective) Directory.
 */
export function resolveBatchEntryPaths(
  dataFlow: DataFlowRecord,
  task: TaskRecord,
  entry: string,
  base: EntryPathBase = ENTRY_LIST_ELEMENT_BASE,
): BatchFileMapping {
  const roots = taskRoots(dataFlow, task);
  const rootWithSlash = roots.source.path.endsWith('/') ? roots.source.path : roots.source.path + '/';
  let sourcePath: string;
  let relative: string;
  if (base === 'storeRoot') {
    sourcePath = joinStorePath(entry);
    if (!sourcePath.startsWith(rootWithSlash)) {
      return { problem: `${entry} is not below ${rootWithSlash} (the data flow's source path)` };
    }
    relative = sourcePath.slice(rootWithSlash.length);
  } else {
    sourcePath = joinStorePath(roots.source.path, entry);
    relative = sourcePath.slice(rootWithSlash.length);
  }
  return {
    source: { store: roots.source.store, path: sourcePath },
    destination: { store: roots.destination.store, path: joinStorePath(roots.destination.path, relative) },
  };
}

/**
 * UNVERIFIED path base of streaming sub-tasks: the docs do not say whether SrcFilePath / DstFilePath are
 * relative to the streaming task's Directory / DstDirectory (`'task'`, the default) or to the data flow's
 * SourceStoragePath / FileSystemPath (`'dataFlow'`). The two readings coincide when the task's Directory
 * and DstDirectory are both `/`. This is the only place that decides it (option `subTaskPathBase`).
 *
 * StreamImport: source = SourceStoragePath + (Directory) + SrcFilePath in the bucket, destination =
 * FileSystemPath + (DstDirectory) + DstFilePath in the file system. StreamExport: the reverse stores.
 */
export function resolveSubTaskPaths(
  dataFlow: DataFlowRecord,
  task: TaskRecord,
  subTask: Pick<SubTaskRecord, 'srcFilePath' | 'dstFilePath'>,
  base: SubTaskPathBase,
): { source: StoreLocation; destination: StoreLocation } {
  const importing = isImport(task);
  const srcBase = importing ? dataFlow.sourceStoragePath : dataFlow.fileSystemPath;
  const dstBase = importing ? dataFlow.fileSystemPath : dataFlow.sourceStoragePath;
  const srcDir = base === 'task' ? task.directory : '/';
  const dstDir = base === 'task' ? task.dstDirectory : '/';
  return {
    source: { store: importing ? 'bucket' : 'fileSystem', path: joinStorePath(srcBase, srcDir, subTask.srcFilePath) },
    destination: { store: importing ? 'fileSystem' : 'bucket', path: joinStorePath(dstBase, dstDir, subTask.dstFilePath) },
  };
}

/** See resolveSubTaskPaths. */
export type SubTaskPathBase = 'task' | 'dataFlow';
