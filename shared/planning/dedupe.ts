/**
 * De-duplication by destination, inside one plan.
 *
 * The events module already collapses identical notifications (same bucket, key and eTag). What is left
 * here are records that are different but would write the **same file**: two versions of one key in the
 * same batch (an overwrite), or two keys that routes send to the same DstFilePath (e.g. `a/f` and `b/f`
 * both routed to `/x/`). Submitting both would import twice, or race two writers on one file. We keep
 * the record with the latest `eventTime` — the newest version is the one the file should end up with —
 * and report the other as a duplicate. Records without a parseable time count as older than any dated
 * one; between equal (or both missing) times the record that came later in the input wins, since
 * delivery order roughly follows time.
 */
import type { ObjectCreated } from '../events/types.js';

export interface DedupeResult<T> {
  /** Winners, in input order. */
  readonly kept: T[];
  /** Losers, in input order, each with the winner that covers its destination. */
  readonly superseded: Array<{ readonly item: T; readonly by: T }>;
}

/**
 * Keeps one item per `dstFilePath`: the one whose record has the latest eventTime.
 * Never drops an item silently: every input is in `kept` or in `superseded`.
 */
export function dedupeByDestination<T extends { readonly record: ObjectCreated; readonly dstFilePath: string }>(
  items: readonly T[],
): DedupeResult<T> {
  const winnerIndex = new Map<string, number>();
  items.forEach((item, index) => {
    const current = winnerIndex.get(item.dstFilePath);
    const currentItem = current === undefined ? undefined : items[current];
    if (currentItem === undefined || !isOlder(item.record, currentItem.record)) winnerIndex.set(item.dstFilePath, index);
  });

  const kept: T[] = [];
  const superseded: Array<{ item: T; by: T }> = [];
  items.forEach((item, index) => {
    const winner = winnerIndex.get(item.dstFilePath);
    const winnerItem = winner === undefined ? undefined : items[winner];
    if (winner === index || winnerItem === undefined) kept.push(item);
    else superseded.push({ item, by: winnerItem });
  });
  return { kept, superseded };
}

/** Whether `later` (which came after `earlier` in the input) has a strictly older event time. */
function isOlder(later: ObjectCreated, earlier: ObjectCreated): boolean {
  return eventTimeMs(later) < eventTimeMs(earlier);
}

function eventTimeMs(record: ObjectCreated): number {
  const ms = record.eventTime === undefined ? Number.NaN : Date.parse(record.eventTime);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}
