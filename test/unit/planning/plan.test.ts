import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ObjectCreated } from '../../../shared/events/types.js';
import { objectId, streamTaskClientToken, subTaskClientToken } from '../../../shared/planning/client-token.js';
import {
  groupByStreamTask,
  planSubmissions,
  streamTaskClientTokenFor,
  subTaskClientTokenFor,
} from '../../../shared/planning/plan.js';
import { objectCreated, planningSettings, route } from './factories.js';
import { OWN_STATE_PREFIX } from '../../../shared/planning/plan.js';

describe('planSubmissions: SrcFilePath / DstFilePath', () => {
  it.each([
    // SourceStoragePath, routes, key → SrcFilePath, DstFilePath, policy
    ['/', [route('raw/images/', '/datasets/images/', 'KEEP_LATEST')], 'raw/images/a/b.png', '/raw/images/a/b.png', '/datasets/images/a/b.png', 'KEEP_LATEST'],
    ['/', [], 'raw/images/a/b.png', '/raw/images/a/b.png', '/raw/images/a/b.png', 'SKIP_THE_FILE'],
    ['/data/', [], 'data/x/y.bin', '/x/y.bin', '/x/y.bin', 'SKIP_THE_FILE'],
    ['/data/', [route('data/in/', '/in/', 'OVERWRITE_EXISTING')], 'data/in/z.txt', '/in/z.txt', '/in/z.txt', 'OVERWRITE_EXISTING'],
    ['/data/', [route('', '/all/')], 'data/q.txt', '/q.txt', '/all/data/q.txt', 'KEEP_LATEST'],
    ['/', [route('raw/img_', '/frames/')], 'raw/img_001.png', '/raw/img_001.png', '/frames/001.png', 'KEEP_LATEST'],
    ['/', [], '数据集/图片/猫.png', '/数据集/图片/猫.png', '/数据集/图片/猫.png', 'SKIP_THE_FILE'],
    ['/', [route('emoji/', '/e/')], 'emoji/😀 a+b%20c.jpg', '/emoji/😀 a+b%20c.jpg', '/e/😀 a+b%20c.jpg', 'KEEP_LATEST'],
  ] as const)('SSP %s, routes %j, key %s → %s → %s', (sourceStoragePath, routes, key, srcFilePath, dstFilePath, conflictPolicy) => {
    const settings = planningSettings({ sourceStoragePath, routes: [...routes] });
    const plan = planSubmissions([objectCreated({ key })], settings);
    expect(plan.rejected).toEqual([]);
    expect(plan.items).toHaveLength(1);
    expect(plan.items[0]).toMatchObject({ srcFilePath, dstFilePath, conflictPolicy });
  });

  it('fills every field of a planned object', () => {
    const settings = planningSettings({ routes: [route('raw/', '/r/', 'KEEP_LATEST')] });
    const record = objectCreated({ key: 'raw/a.png' });
    const [item] = planSubmissions([record], settings).items;
    expect(item).toEqual({
      record,
      route: settings.routes[0],
      routeIndex: 0,
      fileSystemId: settings.fileSystemId,
      dataFlowId: settings.dataFlowId,
      srcFilePath: '/raw/a.png',
      dstFilePath: '/r/a.png',
      conflictPolicy: 'KEEP_LATEST',
      groupKey: `${settings.fileSystemId}/${settings.dataFlowId}/KEEP_LATEST`,
      objectId: expect.stringMatching(/^cpfs-obj-[0-9a-f]{48}$/),
    });
  });

  it('derives objectId on first read, from this version of the object and its destination', () => {
    const settings = planningSettings({ routes: [route('raw/', '/r/', 'KEEP_LATEST')] });
    const record = objectCreated({ key: 'raw/a.png', size: 7, eTag: '"abc"' });
    const [item] = planSubmissions([record], settings).items;
    const expected = objectId({ fileSystemId: settings.fileSystemId, dataFlowId: settings.dataFlowId, srcFilePath: '/raw/a.png', dstFilePath: '/r/a.png', size: 7, eTag: 'ABC' });
    expect(item?.objectId).toBe(expected);
    expect(item?.objectId).toBe(expected);
    expect(JSON.parse(JSON.stringify(item)).objectId).toBe(expected);
    const [other] = planSubmissions([objectCreated({ key: 'raw/a.png', size: 8, eTag: '"abc"' })], settings).items;
    expect(other?.objectId).not.toBe(expected);
  });
});

describe('planSubmissions: rejections, each with a kind and a reason', () => {
  const settings = planningSettings({
    sourceStoragePath: '/data/',
    bucket: 'src-bucket',
    routes: [route('data/in/', '/in/'), route('data/raw/images', '/img/')],
  });

  it.each([
    [{ eventName: 'ObjectCreated:UploadPart', key: 'data/in/a' }, 'ignored-event', 'event ObjectCreated:UploadPart does not create a readable object'],
    [{ eventName: 'ObjectCreated:InitiateMultipartUpload', key: 'data/in/a' }, 'ignored-event', 'event ObjectCreated:InitiateMultipartUpload does not create a readable object'],
    [{ eventName: 'ObjectRemoved:DeleteObject', key: 'data/in/a' }, 'ignored-event', 'event ObjectRemoved:DeleteObject is not an object-created event'],
    [{ bucket: 'other-bucket', key: 'data/in/a' }, 'other-bucket', 'object is in bucket "other-bucket", the data flow reads bucket "src-bucket"'],
    [{ key: 'elsewhere/a.png' }, 'outside-source-path', 'key is outside SourceStoragePath "/data/"'],
    [{ key: 'data/out/a.png' }, 'no-route', 'no route matches the key (route prefixes: "data/in/", "data/raw/images")'],
    [{ key: 'data/in/folder/' }, 'directory-marker', 'key ends with "/": a folder placeholder, not a file'],
    [{ key: 'data/in/../../etc/passwd' }, 'invalid-path', 'SrcFilePath: contains a ".." name at index 4'],
    [{ key: 'data/in/a\\b.png' }, 'invalid-path', 'SrcFilePath: contains a backslash ("\\") at index 5'],
    [{ key: 'data/in/a//b.png' }, 'invalid-path', 'SrcFilePath: contains an empty name ("//") at index 5'],
    [{ key: 'data/in/tab\there' }, 'invalid-path', 'SrcFilePath: contains control character U+0009 at index 7'],
    // prefix without "/" + key with "/" → an empty name in the destination only
    [{ key: 'data/raw/images/a.png' }, 'invalid-path', 'DstFilePath: contains an empty name ("//") at index 4'],
  ] as const)('%j → %s', (overrides, kind, reason) => {
    const record = objectCreated(overrides);
    const plan = planSubmissions([record], settings);
    expect(plan.items).toEqual([]);
    expect(plan.rejected).toEqual([{ record, kind, reason }]);
  });

  it('a 1,100-character key is refused with its length', () => {
    const key = `data/in/${'x/'.repeat(542)}end.bins`;
    expect(key.length).toBe(1100);
    const plan = planSubmissions([objectCreated({ key })], settings);
    expect(plan.rejected[0]).toMatchObject({ kind: 'invalid-path', reason: 'SrcFilePath: longer than 1023 characters (1096)' });
  });

  it('a key that fits as a source but not as a destination is refused for DstFilePath', () => {
    const longRoute = planningSettings({ routes: [route('s/', `/${'d'.repeat(200)}/${'e'.repeat(200)}/`)] });
    const key = `s/${'k/'.repeat(350)}f`;
    const plan = planSubmissions([objectCreated({ key })], longRoute);
    expect(plan.rejected).toEqual([expect.objectContaining({ reason: 'DstFilePath: longer than 1023 characters (1104)' })]);
  });

  it('without `bucket` in the settings, any bucket is accepted', () => {
    const plan = planSubmissions([objectCreated({ bucket: 'whatever', key: 'k.bin' })], planningSettings());
    expect(plan.items).toHaveLength(1);
  });
});

describe('planSubmissions: duplicates', () => {
  it('two versions of one key: the later event is planned, the other reported as duplicate', () => {
    const older = objectCreated({ key: 'k.bin', eTag: 'AAA', eventTime: '2024-06-13T06:00:00Z' });
    const newer = objectCreated({ key: 'k.bin', eTag: 'BBB', eventTime: '2024-06-13T07:00:00Z' });
    const plan = planSubmissions([newer, older], planningSettings());
    expect(plan.items.map((item) => item.record)).toEqual([newer]);
    expect(plan.rejected).toEqual([
      { record: older, kind: 'duplicate', reason: 'superseded by a later event for the same key', supersededBy: newer },
    ]);
  });

  it('two keys routed to the same file: the later event wins and the reason names the other key', () => {
    const settings = planningSettings({ routes: [route('a/', '/x/'), route('b/', '/x/')] });
    const fromA = objectCreated({ key: 'a/f', eventTime: '2024-06-13T07:00:00Z' });
    const fromB = objectCreated({ key: 'b/f', eventTime: '2024-06-13T06:00:00Z' });
    const plan = planSubmissions([fromB, fromA], settings);
    expect(plan.items.map((item) => item.record)).toEqual([fromA]);
    expect(plan.rejected).toEqual([{
      record: fromB,
      kind: 'duplicate',
      reason: 'DstFilePath "/x/f" is also the destination of key "a/f", whose later event is kept',
      supersededBy: fromA,
    }]);
  });
});

describe('planSubmissions: properties', () => {
  const keyArbitrary = fc.oneof(
    fc.constantFrom('raw/', 'raw/images/', 'data/', 'other/', '').chain((prefix) =>
      fc.string({ unit: 'grapheme', maxLength: 40 }).map((rest) => `${prefix}${rest}`)),
    fc.string({ unit: 'binary', maxLength: 30 }),
  );
  const recordArbitrary = fc.record({
    key: keyArbitrary,
    eTag: fc.constantFrom('A', 'B'),
    eventTime: fc.integer({ min: 0, max: 5 }).map((s) => `2024-06-13T00:00:0${s}Z`),
  }).map((fields) => objectCreated(fields));

  it('every record is planned or rejected, exactly once; destinations are unique and valid', () => {
    const settings = planningSettings({ routes: [route('raw/', '/r/'), route('raw/images/', '/i/', 'OVERWRITE_EXISTING'), route('data/', '/d/')] });
    fc.assert(fc.property(fc.array(recordArbitrary, { maxLength: 40 }), (records) => {
      const plan = planSubmissions(records, settings);
      const seen = [...plan.items.map((item) => item.record), ...plan.rejected.map((rejection) => rejection.record)];
      expect(seen).toHaveLength(records.length);
      // By identity: each input object appears once, whatever deep-equal twins it has.
      for (const record of records) expect(seen.filter((other) => other === record)).toHaveLength(1);
      const destinations = plan.items.map((item) => item.dstFilePath);
      expect(new Set(destinations).size).toBe(destinations.length);
      for (const item of plan.items) {
        expect(item.srcFilePath.startsWith('/') && item.dstFilePath.startsWith('/')).toBe(true);
        expect(item.srcFilePath.length).toBeLessThanOrEqual(1023);
      }
      for (const rejection of plan.rejected) expect(rejection.reason.length).toBeGreaterThan(0);
    }));
  });

  it('is pure: same input, same plan; input untouched', () => {
    const settings = Object.freeze(planningSettings({ routes: Object.freeze([route('raw/', '/r/')]) }));
    fc.assert(fc.property(fc.array(recordArbitrary, { maxLength: 20 }), (records) => {
      const frozen = Object.freeze(records.map((record) => Object.freeze({ ...record })));
      expect(planSubmissions(frozen, settings)).toEqual(planSubmissions(frozen, settings));
    }));
  });
});

describe('groupByStreamTask', () => {
  it('one group per (data flow, ConflictPolicy), items in input order, directories / and /', () => {
    const settings = planningSettings({
      routes: [route('a/', '/a/', 'KEEP_LATEST'), route('b/', '/b/', 'SKIP_THE_FILE'), route('c/', '/c/', 'KEEP_LATEST')],
    });
    const records: ObjectCreated[] = ['a/1', 'b/1', 'c/1', 'a/2'].map((key) => objectCreated({ key }));
    const groups = groupByStreamTask(planSubmissions(records, settings).items);
    expect(groups.map((group) => ({
      policy: group.conflictPolicy,
      keys: group.items.map((item) => item.record.key),
      directory: group.directory,
      dstDirectory: group.dstDirectory,
      dataFlowId: group.dataFlowId,
    }))).toEqual([
      { policy: 'KEEP_LATEST', keys: ['a/1', 'c/1', 'a/2'], directory: '/', dstDirectory: '/', dataFlowId: settings.dataFlowId },
      { policy: 'SKIP_THE_FILE', keys: ['b/1'], directory: '/', dstDirectory: '/', dataFlowId: settings.dataFlowId },
    ]);
  });

  it('no items, no groups', () => {
    expect(groupByStreamTask([])).toEqual([]);
  });

  it('token helpers derive the documented tokens from a group / an item', () => {
    const settings = planningSettings();
    const record = objectCreated({ key: 'x/y.bin' });
    const [item] = planSubmissions([record], settings).items;
    const [group] = groupByStreamTask(item ? [item] : []);
    if (item === undefined || group === undefined) throw new Error('expected one item and one group');
    expect(subTaskClientTokenFor(item, 'task-1')).toBe(subTaskClientToken({
      fileSystemId: settings.fileSystemId, dataFlowId: settings.dataFlowId, streamTaskId: 'task-1',
      srcFilePath: '/x/y.bin', dstFilePath: '/x/y.bin', size: record.size, eTag: record.eTag,
    }));
    expect(subTaskClientTokenFor(item, 'task-2')).not.toBe(subTaskClientTokenFor(item, 'task-1'));
    expect(streamTaskClientTokenFor(group, 'task-0')).toBe(streamTaskClientToken({
      fileSystemId: settings.fileSystemId, dataFlowId: settings.dataFlowId, conflictPolicy: 'SKIP_THE_FILE',
      directory: '/', dstDirectory: '/', generation: 'task-0',
    }));
  });
});

describe('cpfs-ingest state objects', () => {
  it('never plans a key under .cpfs-ingest/ (the reconcile watermark), with a reason', () => {
    const result = planSubmissions([objectCreated({ key: `${OWN_STATE_PREFIX}reconcile-state.json` }), objectCreated({ key: 'data/a.bin' })], planningSettings({}));
    expect(result.items.map((i) => i.record.key)).toEqual(['data/a.bin']);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]).toMatchObject({ kind: 'ignored-event' });
    expect(result.rejected[0]?.reason).toContain('.cpfs-ingest/');
  });
});
