/**
 * What a `TransferFileListPath` manifest row's `Name` is relative to, and where the file lands.
 * Meant to be folded into shared/planning/path-base.ts (next to the EntryList reading) at merge; kept in its
 * own file meanwhile so that two branches do not edit path-base.ts at once.
 *
 * Documented (docs/platform.md §1, "Newer API texts"): TransferFileListPath names an OSS directory of `*.csv`
 * files with columns `Name` (a **relative** path) and `Type` (`file` | `dir`; a `dir` Name ends with `/`);
 * it excludes `Directory` and `EntryList` in the same request; `DstDirectory` may accompany it.
 *
 * **UNVERIFIED**, decided here and only here ({@link MANIFEST_NAME_BASE}): Name is relative to the data
 * flow's SourceStoragePath (the object is `SourceStoragePath + Name`), and the file lands at
 * `FileSystemPath + DstDirectory + Name` — the name keeps its whole relative path below DstDirectory. With
 * SourceStoragePath `/` this is "the object's key", the only relative reading that needs no Directory (which
 * the request may not carry). Consequence: a route that strips part of the key (prefix `raw/` →
 * `/datasets/`, so `raw/a.png` → `/datasets/a.png`) cannot be expressed by a manifest row;
 * {@link manifestLayout} returns `undefined` for it and the caller submits that object another way.
 * If the service reads Name differently, change {@link manifestLayout} (and the emulator's reading) only.
 */

/** The reading in force; see the module comment. */
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
 * SourceStoragePath (path-base.ts) — into the manifest row and the Import's DstDirectory.
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
