/**
 * Routing: which rule (destination directory, conflict policy) applies to an OSS key.
 *
 * Route prefixes are **bucket-root key prefixes**: the key exactly as a user sees it in the OSS
 * console or `ossutil ls` (`raw/images/`), not relative to the data flow's SourceStoragePath. Users
 * copy prefixes from OSS, and the same prefix can then be used in the OSS trigger's `filter.key.prefix`.
 * A prefix is a plain string prefix: `raw/img_` matches `raw/img_001.png` (and the file lands as
 * `001.png` under the route's directory), so prefixes that mean a folder should end with `/`.
 *
 * Selection is longest-prefix-wins; among equal prefixes the first route wins (the configuration
 * refuses duplicates: shared/config/routes.ts). Without routes, the implicit route keeps every key's
 * path relative to SourceStoragePath, under the file system's FileSystemPath, with the default policy.
 */
import type { PlanningSettings, Rejection, Route } from './types.js';
import { isKeyInsideSource, sourceKeyPrefix } from '../cpfs/source-path.js';

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

export { sourceKeyPrefix };

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
  if (!isKeyInsideSource(key, settings.sourceStoragePath)) {
    return { ok: false, kind: 'outside-source-path', reason: `key is outside SourceStoragePath "${settings.sourceStoragePath}"` };
  }
  const pathInSource = key.slice(sourceKeyPrefix(settings.sourceStoragePath).length);

  if (settings.routes.length === 0) {
    const route = implicitRoute(settings);
    return { ok: true, route, routeIndex: -1, pathInSource, pathInRoute: pathInSource };
  }

  let bestIndex = -1;
  let bestLength = -1;
  const routes = settings.routes;
  for (let index = 0; index < routes.length; index++) {
    const prefix = (routes[index] as Route).prefix;
    // Strictly longer: among equal prefixes the first route wins.
    if (prefix.length > bestLength && key.startsWith(prefix)) {
      bestIndex = index;
      bestLength = prefix.length;
    }
  }
  const route = routes[bestIndex];
  if (route === undefined) {
    return { ok: false, kind: 'no-route', reason: `no route matches the key (route prefixes: ${listPrefixes(settings.routes)})` };
  }
  return { ok: true, route, routeIndex: bestIndex, pathInSource, pathInRoute: key.slice(route.prefix.length) };
}

function listPrefixes(routes: readonly Route[]): string {
  const shown = routes.slice(0, 5).map((route) => JSON.stringify(route.prefix));
  return routes.length > shown.length ? `${shown.join(', ')}, … (${routes.length} in all)` : shown.join(', ');
}
