import { describe, expect, it } from 'vitest';
import { dedupeByDestination } from '../../../shared/planning/dedupe.js';
import { objectCreated } from './factories.js';

let eTagCounter = 0;
/** Each item gets its own eTag, so that deep equality tells any two apart. */
function item(key: string, dstFilePath: string, eventTime?: string) {
  eTagCounter += 1;
  return { record: objectCreated({ key, eventTime, eTag: `ETAG${eTagCounter}` }), dstFilePath };
}

describe('dedupeByDestination', () => {
  it('keeps every item when destinations differ, in input order', () => {
    const items = [item('a', '/a'), item('b', '/b'), item('c', '/c')];
    expect(dedupeByDestination(items)).toEqual({ kept: items, superseded: [] });
  });

  it('keeps the latest eventTime, whatever the input order', () => {
    const newer = item('a/f', '/x/f', '2024-06-13T10:00:00.000Z');
    const older = item('b/f', '/x/f', '2024-06-13T09:00:00.000Z');
    expect(dedupeByDestination([newer, older])).toEqual({ kept: [newer], superseded: [{ item: older, by: newer }] });
    expect(dedupeByDestination([older, newer])).toEqual({ kept: [newer], superseded: [{ item: older, by: newer }] });
  });

  it('compares times, not strings (different ISO spellings)', () => {
    const newer = item('k', '/k', '2024-06-13T10:00:00+08:00'); // 02:00Z
    const older = item('k', '/k', '2024-06-13T01:00:00.000Z');
    expect(dedupeByDestination([newer, older]).kept).toEqual([newer]);
  });

  it('on equal or missing times the later input wins; a dated record beats an undated one', () => {
    const first = item('k', '/k');
    const second = item('k', '/k');
    expect(dedupeByDestination([first, second])).toEqual({ kept: [second], superseded: [{ item: first, by: second }] });
    const sameTimeA = item('k', '/k', '2024-01-01T00:00:00Z');
    const sameTimeB = item('k', '/k', '2024-01-01T00:00:00.000Z');
    expect(dedupeByDestination([sameTimeA, sameTimeB]).kept).toEqual([sameTimeB]);
    const dated = item('k', '/k', '2024-01-01T00:00:00Z');
    const undated = item('k', '/k', 'not a time');
    expect(dedupeByDestination([dated, undated]).kept).toEqual([dated]);
  });

  it('three records for one file: both losers point at the final winner', () => {
    const a = item('k', '/k', '2024-01-01T00:00:01Z');
    const b = item('k', '/k', '2024-01-01T00:00:03Z');
    const c = item('k', '/k', '2024-01-01T00:00:02Z');
    expect(dedupeByDestination([a, b, c])).toEqual({ kept: [b], superseded: [{ item: a, by: b }, { item: c, by: b }] });
  });
});
