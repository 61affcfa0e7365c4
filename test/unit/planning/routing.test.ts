import { describe, expect, it } from 'vitest';
import { implicitRoute, routeKey, sourceKeyPrefix } from '../../../shared/planning/routing.js';
import { planningSettings, route } from './factories.js';

describe('sourceKeyPrefix', () => {
  it.each([
    ['/', ''],
    ['/data/', 'data/'],
    ['/a/b/', 'a/b/'],
  ])('SourceStoragePath %s stands for key prefix "%s"', (path, prefix) => {
    expect(sourceKeyPrefix(path)).toBe(prefix);
  });
});

describe('routeKey', () => {
  const routes = [
    route('raw/', '/raw-all/', 'SKIP_THE_FILE'),
    route('raw/images/', '/datasets/images/', 'KEEP_LATEST'),
    route('raw/images/special/', '/special/', 'OVERWRITE_EXISTING'),
  ];

  it.each([
    // key, expected prefix, pathInRoute, pathInSource
    ['raw/images/special/x.png', 'raw/images/special/', 'x.png', 'raw/images/special/x.png'],
    ['raw/images/a/b.png', 'raw/images/', 'a/b.png', 'raw/images/a/b.png'],
    ['raw/images.txt', 'raw/', 'images.txt', 'raw/images.txt'],
    ['raw/other/c.bin', 'raw/', 'other/c.bin', 'raw/other/c.bin'],
  ])('longest prefix wins: %s → route %s', (key, prefix, pathInRoute, pathInSource) => {
    const match = routeKey(key, planningSettings({ routes }));
    expect(match).toMatchObject({ ok: true, route: { prefix }, pathInRoute, pathInSource });
  });

  it('the order of the routes does not change which one wins', () => {
    const match = routeKey('raw/images/a.png', planningSettings({ routes: [...routes].reverse() }));
    expect(match).toMatchObject({ ok: true, route: { prefix: 'raw/images/' }, routeIndex: 1 });
  });

  it('among equal prefixes the first route wins', () => {
    const match = routeKey('raw/a.png', planningSettings({ routes: [route('raw/', '/first/'), route('raw/', '/second/')] }));
    expect(match).toMatchObject({ ok: true, routeIndex: 0, route: { dstDirectory: '/first/' } });
  });

  it('a key under no route prefix is rejected when routes exist', () => {
    const match = routeKey('cooked/a.png', planningSettings({ routes }));
    expect(match).toEqual({ ok: false, kind: 'no-route', reason: expect.stringContaining('no route matches') });
  });

  it('an empty prefix matches every key (catch-all) but loses to a longer prefix', () => {
    const settings = planningSettings({ routes: [route('', '/everything/'), route('raw/', '/raw/')] });
    expect(routeKey('cooked/a.png', settings)).toMatchObject({ ok: true, route: { prefix: '' }, pathInRoute: 'cooked/a.png' });
    expect(routeKey('raw/a.png', settings)).toMatchObject({ ok: true, route: { prefix: 'raw/' }, pathInRoute: 'a.png' });
  });

  it('prefixes are plain string prefixes, not folder names', () => {
    const match = routeKey('raw/img_001.png', planningSettings({ routes: [route('raw/img_', '/frames/')] }));
    expect(match).toMatchObject({ ok: true, pathInRoute: '001.png' });
  });

  it('without routes every key keeps its path relative to SourceStoragePath, with the default policy', () => {
    const settings = planningSettings({ sourceStoragePath: '/data/', defaultConflictPolicy: 'OVERWRITE_EXISTING' });
    const match = routeKey('data/x/y.bin', settings);
    expect(match).toEqual({
      ok: true,
      route: { prefix: 'data/', dstDirectory: '/', conflictPolicy: 'OVERWRITE_EXISTING' },
      routeIndex: -1,
      pathInSource: 'x/y.bin',
      pathInRoute: 'x/y.bin',
    });
    expect(implicitRoute(settings)).toEqual(match.ok ? match.route : undefined);
  });

  it.each(['other/data/x.bin', 'dat/x.bin', 'Data/x.bin', '/data/x.bin'])(
    'key %s is outside SourceStoragePath /data/',
    (key) => {
      const match = routeKey(key, planningSettings({ sourceStoragePath: '/data/', routes }));
      expect(match).toEqual({ ok: false, kind: 'outside-source-path', reason: 'key is outside SourceStoragePath "/data/"' });
    },
  );

  it('route prefixes are bucket-root prefixes even when SourceStoragePath is not /', () => {
    const settings = planningSettings({ sourceStoragePath: '/data/', routes: [route('data/in/', '/in/')] });
    expect(routeKey('data/in/z.txt', settings)).toMatchObject({ ok: true, pathInSource: 'in/z.txt', pathInRoute: 'z.txt' });
    expect(routeKey('data/out/z.txt', settings)).toMatchObject({ ok: false, kind: 'no-route' });
  });
});
