/**
 * Routing: which rule (destination directory, conflict policy) applies to an OSS key.
 *
 * Route prefixes are **bucket-root key prefixes**: the key exactly as a user sees it in the OSS
 * console or `ossutil ls` (`raw/images/`), not relative to the data flow's SourceStoragePath. Users
 * copy prefixes from OSS, and the same prefix can then be used in the OSS trigger's `filter.key.prefix`.
 * A prefix is a plain string prefix: `raw/img_` matches `raw/img_001.png` (and the file lands as
 * `001.png` under the route's directory), so prefixes that mean a folder should end with `/`.
 *
 * Selection is longest-prefix-wins; among equal prefixes the first route wins (configuration should
 * refuse duplicates — {@link checkRoutingSettings}). Without routes, the implicit route keeps every key's
 * path relative to SourceStoragePath, under the file system's FileSystemPath, with the default policy.
 */
import { checkCpfsPath } from './path-rules.js';
import type { PlanningSettings, Rejection, Route } from './types.js';

/** A key matched to a route. */
export interface RouteMatch {
  readonly ok: true;
  readonly route: Route;
  /** Index in `settings.routes`; -1 for the implicit route used when there are no routes. */
  readonly routeIndex: number;
  /** The key relative to SourceStoragePath (no leading `/`): what SrcFilePath is built from. */
  readonly pathInSource: string;
  /** The key relative to the route's prefix: what is appended to the route's dstDirectory. */
  readonly pathInRoute: string;
}

/**
 * The key prefix that SourceStoragePath stands for: `/` → `''`, `/data/` → `data/`.
 * OSS keys carry no leading `/`; the data flow's path does.
 */
export function sourceKeyPrefix(sourceStoragePath: string): string {
  return sourceStoragePath.startsWith('/') ? sourceStoragePath.slice(1) : sourceStoragePath;
}

/** The route used when `settings.routes` is empty: same relative path, default conflict policy. */
export function implicitRoute(settings: PlanningSettings): Route {
  return {
    prefix: sourceKeyPrefix(settings.sourceStoragePath),
    dstDirectory: '/',
    conflictPolicy: settings.defaultConflictPolicy,
  };
}

/**
 * Finds the route for one OSS key.
 *
 * @returns the match, or a rejection `outside-source-path` (the key is not under SourceStoragePath, so
 *          the data flow cannot see it) or `no-route` (routes exist and none has a matching prefix)
 * @example
 * // routes: raw/ → /r/, raw/images/ → /datasets/images/
 * routeKey('raw/images/a/b.png', settings) // → route raw/images/, pathInRoute 'a/b.png'
 */
export function routeKey(key: string, settings: PlanningSettings): RouteMatch | Rejection {
  const sourcePrefix = sourceKeyPrefix(settings.sourceStoragePath);
  if (!key.startsWith(sourcePrefix)) {
    return { ok: false, kind: 'outside-source-path', reason: `key is outside SourceStoragePath "${settings.sourceStoragePath}"` };
  }
  const pathInSource = key.slice(sourcePrefix.length);

  if (settings.routes.length === 0) {
    const route = implicitRoute(settings);
    return { ok: true, route, routeIndex: -1, pathInSource, pathInRoute: pathInSource };
  }

  let bestIndex = -1;
  settings.routes.forEach((route, index) => {
    if (!key.startsWith(route.prefix)) return;
    const best = bestIndex >= 0 ? settings.routes[bestIndex] : undefined;
    if (best === undefined || route.prefix.length > best.prefix.length) bestIndex = index;
  });
  const route = settings.routes[bestIndex];
  if (route === undefined) {
    return { ok: false, kind: 'no-route', reason: `no route matches the key (route prefixes: ${listPrefixes(settings.routes)})` };
  }
  return { ok: true, route, routeIndex: bestIndex, pathInSource, pathInRoute: key.slice(route.prefix.length) };
}

/**
 * Checks the routing part of the settings and returns every problem at once (empty when fine), for
 * the configuration loader to wrap in a ConfigError.
 *
 * Refused: a SourceStoragePath or dstDirectory that is not a valid CPFS directory path; a prefix that
 * starts with `/` (OSS keys never do); a prefix outside SourceStoragePath (it could never match a key
 * the data flow sees — a prefix that is itself a prefix of SourceStoragePath, like '', is fine);
 * a prefix listed twice.
 */
export function checkRoutingSettings(settings: PlanningSettings): Array<{ field: string; rule: string }> {
  const problems: Array<{ field: string; rule: string }> = [];
  const sourceCheck = checkCpfsPath(settings.sourceStoragePath, 'sourceStoragePath', 'directory');
  if (!sourceCheck.ok) problems.push({ field: sourceCheck.field, rule: sourceCheck.rule });
  const sourcePrefix = sourceKeyPrefix(settings.sourceStoragePath);
  const firstIndexOfPrefix = new Map<string, number>();

  settings.routes.forEach((route, index) => {
    const field = `routes[${index}]`;
    const dstCheck = checkCpfsPath(route.dstDirectory, `${field}.dstDirectory`, 'directory');
    if (!dstCheck.ok) problems.push({ field: dstCheck.field, rule: dstCheck.rule });
    if (route.prefix.startsWith('/')) {
      problems.push({ field: `${field}.prefix`, rule: 'starts with "/" (OSS keys never do; write the key prefix as shown in OSS)' });
    } else if (!route.prefix.startsWith(sourcePrefix) && !sourcePrefix.startsWith(route.prefix)) {
      problems.push({ field: `${field}.prefix`, rule: `is outside SourceStoragePath "${settings.sourceStoragePath}" and can never match` });
    }
    const earlier = firstIndexOfPrefix.get(route.prefix);
    if (earlier === undefined) firstIndexOfPrefix.set(route.prefix, index);
    else problems.push({ field: `${field}.prefix`, rule: `duplicates routes[${earlier}].prefix "${route.prefix}"` });
  });
  return problems;
}

function listPrefixes(routes: readonly Route[]): string {
  const shown = routes.slice(0, 5).map((route) => JSON.stringify(route.prefix));
  return routes.length > shown.length ? `${shown.join(', ')}, … (${routes.length} in all)` : shown.join(', ');
}
