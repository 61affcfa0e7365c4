/**
 * The data flow's SourceStoragePath as OSS key prefixes: the one place that decides whether a key, or a
 * configured prefix, lies inside it (docs/platform.md §1: the data flow sees only objects below
 * SourceStoragePath).
 */

/**
 * The key prefix that SourceStoragePath stands for: `/` → `''`, `/data/` → `data/`.
 * OSS keys carry no leading `/`; the data flow's path does.
 */
export function sourceKeyPrefix(sourceStoragePath: string): string {
  return sourceStoragePath.startsWith('/') ? sourceStoragePath.slice(1) : sourceStoragePath;
}

/** True when `key` (an object key, or a key prefix all of whose keys start with it) is below SourceStoragePath. */
export function isKeyInsideSource(key: string, sourceStoragePath: string): boolean {
  return key.startsWith(sourceKeyPrefix(sourceStoragePath));
}

/**
 * True when a configured key prefix (a route prefix, a reconcile prefix) can match at least one key inside
 * SourceStoragePath: it is either below it (`data/in/` for `/data/`) or wider than it (`""`, `da` for `/data/`).
 * A prefix for which this is false could never match a key the data flow can see.
 */
export function prefixOverlapsSource(prefix: string, sourceStoragePath: string): boolean {
  const root = sourceKeyPrefix(sourceStoragePath);
  return prefix.startsWith(root) || root.startsWith(prefix);
}
