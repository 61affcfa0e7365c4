/**
 * The one place that decides what the paths we send are relative to. Both questions below are
 * **UNVERIFIED** (the public documentation does not settle them); every other module builds paths
 * through these functions, so a correction is made here and nowhere else.
 *
 * ## StreamImport sub-tasks (CreateDataFlowSubTask)
 * Unknown: are SrcFilePath / DstFilePath relative to the streaming task's Directory / DstDirectory, or
 * to the data flow's SourceStoragePath / FileSystemPath? We create every streaming task with Directory
 * `/` and DstDirectory `/`, which makes both readings name the same files. So, with a data flow
 * `oss://bucket/data/` → `/fs/`, key `data/raw/a.png` routed (prefix `data/raw/`) to `/datasets/`:
 *
 * | parameter   | value            | meaning (either reading)            |
 * |-------------|------------------|-------------------------------------|
 * | SrcFilePath | `/raw/a.png`     | object `data/raw/a.png`             |
 * | DstFilePath | `/datasets/a.png`| file `/fs/datasets/a.png`           |
 *
 * Cost of the choice: one streaming task per (data flow, ConflictPolicy) covers every route.
 *
 * ## Import batch tasks (CreateDataFlowTask, TaskAction=Import)
 * Documented: Directory is relative to SourceStoragePath, DstDirectory to FileSystemPath, and each
 * EntryList element "represents an OSS object name" starting with `/`.
 * Unknown: whether an element is the full object name (bucket root), a name relative to
 * SourceStoragePath, or a name relative to SourceStoragePath + Directory; and where the file lands.
 * Our reading (the same one the emulator implements, emulator/paths.ts `resolveBatchEntryPaths`): each
 * element is the object's **full name** with a leading `/` (what "an OSS object name" says), the task
 * maps the source directory `SourceStoragePath + Directory` onto `FileSystemPath + DstDirectory`, and an
 * element under that source directory keeps its path below it: object `SourceStoragePath + Directory + t`
 * lands as `FileSystemPath + DstDirectory + t`. That lets one request put files in a routed directory.
 * An import cannot rename, so the file name must be the same on both sides: {@link importLayout} picks
 * Directory/DstDirectory by splitting SrcFilePath and DstFilePath at their longest common trailing path
 * (fewest distinct directory pairs → fullest EntryLists).
 * If the service turns out to read elements relative to SourceStoragePath + Directory instead, change
 * only the `entry` that {@link importLayout} returns (to `/` + the common tail).
 */
import type { Route } from './types.js';

/** Directory (relative to SourceStoragePath) of every streaming task we create. See the module comment. */
export const STREAM_TASK_DIRECTORY = '/';
/** DstDirectory (relative to FileSystemPath) of every streaming task we create. See the module comment. */
export const STREAM_TASK_DST_DIRECTORY = '/';

/** SrcFilePath of a sub-task: the key relative to SourceStoragePath, with a leading `/`. */
export function subTaskSrcFilePath(pathInSource: string): string {
  return `/${pathInSource}`;
}

/**
 * DstFilePath of a sub-task: the route's directory (relative to FileSystemPath) followed by the key
 * relative to the route prefix. Plain concatenation: the path rules reject what it cannot express
 * (e.g. prefix `raw/images` without `/` gives `/dst//a.png`, refused for its empty name).
 */
export function subTaskDstFilePath(route: Route, pathInRoute: string): string {
  return `${route.dstDirectory}${pathInRoute}`;
}

/** How one object is expressed in an Import task. */
export interface ImportLayout {
  /** Relative to SourceStoragePath; starts and ends with `/`. */
  readonly directory: string;
  /** Relative to FileSystemPath; starts and ends with `/`. */
  readonly dstDirectory: string;
  /** The EntryList element: `/` + the full object name (see the module comment). */
  readonly entry: string;
}

/**
 * Splits a (SrcFilePath, DstFilePath) pair into Import parameters under the reading documented above.
 *
 * @returns the layout, or `undefined` when the two paths do not end in the same file name (the route
 *          renames the file, e.g. prefix `raw/img_`): such an object can only go through a sub-task
 * @example importLayout('/raw/images/a/b.png', '/datasets/images/a/b.png', 'data/raw/images/a/b.png')
 * // (SourceStoragePath `/data/`) → { directory: '/raw/', dstDirectory: '/datasets/', entry: '/data/raw/images/a/b.png' }
 */
export function importLayout(srcFilePath: string, dstFilePath: string, objectKey: string): ImportLayout | undefined {
  const srcNames = srcFilePath.split('/');
  const dstNames = dstFilePath.split('/');
  if (srcNames[srcNames.length - 1] === '' || dstNames[dstNames.length - 1] === '') return undefined;
  // Both start with '' (the leading '/'); never let the common tail swallow it.
  let common = 0;
  while (
    common < srcNames.length - 1 &&
    common < dstNames.length - 1 &&
    srcNames[srcNames.length - 1 - common] === dstNames[dstNames.length - 1 - common]
  ) {
    common += 1;
  }
  if (common === 0) return undefined;
  const tail = srcNames.slice(srcNames.length - common).join('/');
  return {
    directory: srcFilePath.slice(0, srcFilePath.length - tail.length),
    dstDirectory: dstFilePath.slice(0, dstFilePath.length - tail.length),
    entry: `/${objectKey}`,
  };
}
