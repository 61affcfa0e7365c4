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
 * Documented (docs/platform.md §1, newer API texts): Directory, EntryList and TransferFileListPath are
 * mutually exclusive, so an Import with an EntryList names **no Directory**; it carries EntryList +
 * DstDirectory (relative to FileSystemPath) + ConflictPolicy (+ CreateDirIfNotExist on LINGJUN ≥ 2.6).
 * Each EntryList element "represents an OSS object name" starting with `/`.
 *
 * **UNVERIFIED** (the texts do not say), decided here and nowhere else:
 * 1. Where a file lands. Our reading: object `SourceStoragePath + t` lands at
 *    `FileSystemPath + DstDirectory + t` — its path below SourceStoragePath is kept below DstDirectory.
 *    ({@link importDestinationOfElement} states it as a function.)
 * 2. The element text: `/` + the full object name (`ENTRY_LIST_ELEMENT_BASE = 'object-name'`, what "an OSS
 *    object name" says), or `/` + the path below SourceStoragePath (`'source-storage-path'`). The two agree
 *    when SourceStoragePath is `/`. {@link ENTRY_LIST_ELEMENT_BASE} is the one constant to flip.
 *
 * With a data flow `oss://bucket/data/` → `/fs/`, SourceStoragePath `/data/`:
 *
 * | object key        | element ('object-name') | element ('source-storage-path') | DstDirectory | lands at             |
 * |-------------------|-------------------------|---------------------------------|--------------|----------------------|
 * | `data/x/y.bin`    | `/data/x/y.bin`         | `/x/y.bin`                      | `/`          | `/fs/x/y.bin`        |
 * | `data/x/y.bin`    | `/data/x/y.bin`         | `/x/y.bin`                      | `/misc/`     | `/fs/misc/x/y.bin`   |
 *
 * Consequence: without Directory an Import can add a directory **above** the object's path but cannot
 * rename one. A route `in/imgs/` → `/datasets/images/` (SourceStoragePath `/`) would need the path
 * `in/imgs/a.png` to become `datasets/images/a.png`: no DstDirectory does that. {@link routeImportDstDirectory}
 * tells, per route, the DstDirectory or why there is none; the configuration refuses such routes where
 * batch is the only mode, and in `auto` their objects go through sub-tasks.
 *
 * The emulator keeps its own copy of this reading on purpose (an independent check); if the service turns
 * out to read elements the other way, flip the constant here and the emulator's copy.
 *
 * ## Import batch tasks with TransferFileListPath (CSV manifests, LINGJUN)
 * What a manifest `Name` is relative to, where its row lands, and where TransferFileListPath points: the
 * section at the end of this file ({@link manifestLayout}, {@link manifestTransferFileListPath}).
 */
import type { Route } from './types.js';
import { isKeyInsideSource, sourceKeyPrefix } from '../cpfs/source-path.js';

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

/** How the text of an EntryList element is formed; see the module comment (UNVERIFIED, point 2). */
export type EntryListElementBase = 'object-name' | 'source-storage-path';

/**
 * The ONE switch of the EntryList element text (UNVERIFIED): `'object-name'` sends `/` + the full object
 * key; `'source-storage-path'` sends `/` + the key's path below SourceStoragePath.
 */
export const ENTRY_LIST_ELEMENT_BASE: EntryListElementBase = 'object-name';

/**
 * The EntryList element of one object.
 * @param objectKey    the full OSS key, as stored
 * @param pathInSource the key below SourceStoragePath (no leading `/`)
 */
export function importEntryElement(objectKey: string, pathInSource: string, base: EntryListElementBase = ENTRY_LIST_ELEMENT_BASE): string {
  return base === 'object-name' ? `/${objectKey}` : `/${pathInSource}`;
}

/**
 * Where an Import without Directory puts the object an element names, relative to FileSystemPath:
 * DstDirectory + (the object's path below SourceStoragePath). This is the reading the emulator mirrors.
 *
 * @param element           an EntryList element, formed as {@link ENTRY_LIST_ELEMENT_BASE} says
 * @param sourceStoragePath the data flow's SourceStoragePath (`/` or `/prefix/`)
 * @param dstDirectory      the task's DstDirectory (`/…/`)
 * @returns the destination path, or `undefined` for an element naming an object outside SourceStoragePath
 *          (the data flow cannot see it)
 * @example importDestinationOfElement('/data/x/y.bin', '/data/', '/misc/') // → '/misc/x/y.bin'
 */
export function importDestinationOfElement(
  element: string,
  sourceStoragePath: string,
  dstDirectory: string,
  base: EntryListElementBase = ENTRY_LIST_ELEMENT_BASE,
): string | undefined {
  if (!element.startsWith('/')) return undefined;
  let below = element.slice(1);
  if (base === 'object-name') {
    if (!isKeyInsideSource(below, sourceStoragePath)) return undefined;
    below = below.slice(sourceKeyPrefix(sourceStoragePath).length);
  }
  return `${dstDirectory}${below}`;
}

/** How one object is expressed in an Import task (no Directory: see the module comment). */
export interface ImportLayout {
  /** Relative to FileSystemPath; starts and ends with `/`. */
  readonly dstDirectory: string;
  /** The EntryList element ({@link importEntryElement}). */
  readonly entry: string;
}

/**
 * The Import parameters of one planned object: DstDirectory such that DstDirectory + (path below
 * SourceStoragePath) = DstFilePath. SrcFilePath is `/` + that path (see {@link subTaskSrcFilePath}), so
 * DstFilePath must end with SrcFilePath.
 *
 * @returns the layout, or `undefined` when no DstDirectory gives DstFilePath (the route renames a
 *          directory or the file): such an object can only go through a sub-task
 * @example importLayout('/raw/a/b.png', '/datasets/raw/a/b.png', 'raw/a/b.png') // → { dstDirectory: '/datasets/', entry: '/raw/a/b.png' }
 */
export function importLayout(srcFilePath: string, dstFilePath: string, objectKey: string): ImportLayout | undefined {
  if (!srcFilePath.startsWith('/') || srcFilePath.endsWith('/') || !dstFilePath.endsWith(srcFilePath)) return undefined;
  const dstDirectory = `${dstFilePath.slice(0, dstFilePath.length - srcFilePath.length)}/`;
  return { dstDirectory, entry: importEntryElement(objectKey, srcFilePath.slice(1)) };
}

/** The Import DstDirectory of every key of a route, or why a route cannot be expressed without Directory. */
export type RouteImportLayout =
  | { readonly ok: true; readonly dstDirectory: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Whether batch Import (no Directory) can express a route, and with which DstDirectory. Agrees with
 * {@link importLayout} for every key the route matches.
 *
 * @example routeImportDstDirectory({ prefix: 'in/imgs/', dstDirectory: '/datasets/images/', … }, '/')
 * // → { ok: false, reason: 'renames the directory "in/imgs/" to "/datasets/images/": …' }
 */
export function routeImportDstDirectory(route: Pick<Route, 'prefix' | 'dstDirectory'>, sourceStoragePath: string): RouteImportLayout {
  const sourcePrefix = sourceKeyPrefix(sourceStoragePath);
  if (!isKeyInsideSource(route.prefix, sourceStoragePath)) {
    // A route wider than SourceStoragePath (e.g. "" with SourceStoragePath /data/): its keys are all under
    // SourceStoragePath, and keep the part of it below the route prefix below dstDirectory.
    return { ok: true, dstDirectory: `${route.dstDirectory}${sourcePrefix.slice(route.prefix.length)}` };
  }
  const routePart = route.prefix.slice(sourcePrefix.length);
  if (route.dstDirectory.endsWith(`/${routePart}`) || routePart === '') {
    return { ok: true, dstDirectory: route.dstDirectory.slice(0, route.dstDirectory.length - routePart.length) };
  }
  return {
    ok: false,
    reason:
      `renames "${routePart}" (the key path below SourceStoragePath ${sourceStoragePath}) to "${route.dstDirectory}": ` +
      `a batch Import (EntryList, no Directory) puts each file at DstDirectory + its path below SourceStoragePath, ` +
      `so the destination must end with "${routePart}"` +
      (routePart.endsWith('/') ? '' : ' and the prefix must end with "/"') +
      '; only sub-tasks (StreamImport, CPFS for LINGJUN 2.6+) can rename',
  };
}

// ---------------------------------------------------------------------------------------------------------
// Import batch tasks with TransferFileListPath (CPFS for LINGJUN): CSV manifests
// ---------------------------------------------------------------------------------------------------------

/*
 * Documented (docs/platform.md §1, "Newer API texts"): TransferFileListPath names an OSS directory (starts and
 * ends with `/`) of `*.csv` files with the columns `Name` (a **relative** path) and `Type` (`file` | `dir`; a
 * `dir` Name ends with `/`); it excludes Directory and EntryList in the same request; DstDirectory may
 * accompany it.
 *
 * **UNVERIFIED** (the texts do not say), decided here and nowhere else; emulator/paths.ts
 * (`MANIFEST_NAME_BASE = 'dataFlowPath'`) and emulator/manifests.ts implement the same two readings:
 * 1. What a `Name` is relative to and where the row lands ({@link MANIFEST_NAME_BASE}): Name is relative to
 *    the data flow's SourceStoragePath (the object is `SourceStoragePath + Name`), and the file lands at
 *    `FileSystemPath + DstDirectory + Name` — the whole relative path is kept below DstDirectory, as an
 *    EntryList element lands (point 1 above). With SourceStoragePath `/` this is "the object's key".
 *    Consequence: a route that strips part of the key (prefix `raw/` → `/datasets/`, so `raw/a.png` →
 *    `/datasets/a.png`) cannot be written as a row; {@link manifestLayout} returns `undefined` and the caller
 *    submits that object another way.
 * 2. Where TransferFileListPath points ({@link manifestTransferFileListPath}): a directory of the data flow's
 *    bucket **from the bucket root** (not below SourceStoragePath) — `/` + the manifests' key prefix. Our
 *    manifests live under `.cpfs-ingest/manifests/`, which is outside every SourceStoragePath but `/`, and
 *    the planner never routes own-state keys, so the manifests are never imported themselves.
 *
 * With a data flow `oss://bucket/data/` → `/fs/`, SourceStoragePath `/data/`:
 *
 * | object key         | SrcFilePath   | DstFilePath           | Name        | DstDirectory | lands at                  |
 * |--------------------|---------------|-----------------------|-------------|--------------|---------------------------|
 * | `data/raw/a.png`   | `/raw/a.png`  | `/datasets/raw/a.png` | `raw/a.png` | `/datasets/` | `/fs/datasets/raw/a.png`  |
 * | `data/raw/a.png`   | `/raw/a.png`  | `/datasets/a.png`     | —           | —            | (not expressible: objects)|
 *
 * Manifest part `.cpfs-ingest/manifests/run-1/g-2/part-00000.csv` → TransferFileListPath
 * `/.cpfs-ingest/manifests/run-1/g-2/`.
 */

/** The manifest reading in force (UNVERIFIED; see above). Same value as the emulator's copy. */
export const MANIFEST_NAME_BASE = 'source-storage-path' as const;

/** How one object is written in a manifest. */
export interface ManifestLayout {
  /** DstDirectory of the Import that reads the manifest; relative to FileSystemPath, starts and ends with `/`. */
  readonly dstDirectory: string;
  /** The `Name` cell: relative (no leading `/`), a file name last. */
  readonly name: string;
}

/**
 * Splits a planned object's (SrcFilePath, DstFilePath) — both with a leading `/`, SrcFilePath relative to
 * SourceStoragePath ({@link subTaskSrcFilePath}) — into the manifest row and the Import's DstDirectory.
 *
 * @returns undefined when DstFilePath does not end with the whole SrcFilePath (the route renames or strips)
 * @example manifestLayout('/raw/a.png', '/datasets/raw/a.png') // → { dstDirectory: '/datasets/', name: 'raw/a.png' }
 */
export function manifestLayout(srcFilePath: string, dstFilePath: string): ManifestLayout | undefined {
  if (!srcFilePath.startsWith('/') || srcFilePath.endsWith('/') || srcFilePath.length < 2) return undefined;
  const name = srcFilePath.slice(1);
  if (!dstFilePath.endsWith(`/${name}`)) return undefined;
  const dstDirectory = dstFilePath.slice(0, dstFilePath.length - name.length);
  if (!dstDirectory.startsWith('/')) return undefined;
  return { dstDirectory, name };
}

/**
 * TransferFileListPath of a manifest directory (UNVERIFIED reading 2 above: from the bucket root).
 * @param keyPrefix the manifests' OSS key prefix, ending with `/` (e.g. `.cpfs-ingest/manifests/run-1/g-2/`)
 * @example manifestTransferFileListPath('.cpfs-ingest/manifests/r/g/') // → '/.cpfs-ingest/manifests/r/g/'
 */
export function manifestTransferFileListPath(keyPrefix: string): string {
  return `/${keyPrefix}`;
}
