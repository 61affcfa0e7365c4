/**
 * EntryList packing for Import batch tasks.
 *
 * Limit (CreateDataFlowTask, EntryList): a JSON array of paths, UTF-8, total length "less than 64 KB"
 * (docs/platform.md §1, newer API texts). We count what is sent: the UTF-8 bytes of `JSON.stringify(list)` —
 * brackets, quotes, commas and escapes included (`"` → `\"`, control characters → `\u00XX`; non-ASCII
 * stays raw UTF-8, 2–4 bytes each) — against 65,535 bytes ({@link MAX_ENTRY_LIST_BYTES}).
 *
 * Packing is greedy in input order ("next fit"): each list is filled until the next entry would not fit,
 * then a new one starts. The waste per list is less than one entry, so every list but the last is at
 * least (maxBytes − largest entry) / maxBytes full. First-fit-decreasing would save almost nothing on
 * realistic keys and would reorder entries (a batch should follow event order); greedy stays (figures:
 * `npm run bench`).
 *
 * Byte counting is incremental — each entry's JSON size is counted once (without serialising it when it
 * needs no escape) and added — so packing is O(n) in the total length of the entries; each list is
 * `JSON.stringify` of its entries, exactly as sent.
 */
import type { ConflictPolicy } from '../nas/wire.js';
import { importTaskClientToken } from './client-token.js';
import { importLayout } from './path-base.js';
import { checkCpfsPath, describePathProblem } from '../cpfs/path-rules.js';
import type { PlannedObject, RejectionKind } from './types.js';
import { utf8ByteLength } from '../cpfs/utf8.js';

import { MAX_ENTRY_LIST_BYTES } from '../cpfs/limits.js';

export { MAX_ENTRY_LIST_BYTES };

/** Bytes of `[]`: the array brackets every list carries. */
const BRACKET_BYTES = 2;
/** Bytes of the `,` between two elements. */
const COMMA_BYTES = 1;

export interface PackOptions {
  /** Upper bound per list in UTF-8 bytes of the JSON; default {@link MAX_ENTRY_LIST_BYTES}. */
  readonly maxBytes?: number;
}

export interface PackedEntryLists {
  /** EntryList JSON strings, each ≤ maxBytes bytes; every fitting entry in exactly one, in input order. */
  readonly lists: string[];
  /** Entries that cannot fit even alone in a list (the caller reports them as rejected). */
  readonly tooLarge: string[];
}

/** Packing by position: which input indices go in which list. */
export interface PackedIndices {
  readonly lists: number[][];
  readonly tooLarge: number[];
}

/**
 * Packs entries into as few EntryList JSON strings as greedy-in-order allows, each ≤ `maxBytes` bytes
 * of UTF-8. Never loses or repeats an entry: each is in exactly one list, or in `tooLarge`.
 *
 * @example packEntryLists(['/a', '/b']) // → { lists: ['["/a","/b"]'], tooLarge: [] }
 */
export function packEntryLists(entries: readonly string[], options: PackOptions = {}): PackedEntryLists {
  const packed = packSizes(entries.map(jsonStringBytes), options.maxBytes ?? MAX_ENTRY_LIST_BYTES);
  return {
    lists: packed.lists.map((indices) => listJson(entries, indices)),
    tooLarge: packed.tooLarge.map((index) => entries[index] as string),
  };
}

/** Same packing as {@link packEntryLists}, returned as input indices (to keep entries tied to their items). */
export function packEntryIndices(entries: readonly string[], options: PackOptions = {}): PackedIndices {
  return packSizes(entries.map(jsonStringBytes), options.maxBytes ?? MAX_ENTRY_LIST_BYTES);
}

/** Exact size in bytes of `JSON.stringify(entries)` in UTF-8, without building it. */
export function entryListByteLength(entries: readonly string[]): number {
  let bytes = BRACKET_BYTES + Math.max(0, entries.length - 1) * COMMA_BYTES;
  for (const entry of entries) bytes += jsonStringBytes(entry);
  return bytes;
}

/** Figures about a set of EntryLists, for the benchmark and tests. Fill = bytes / maxBytes. */
export interface EntryListStats {
  readonly count: number;
  readonly entries: number;
  readonly totalBytes: number;
  readonly maxBytes: number;
  /** totalBytes / (count × maxBytes); 0 when there is no list. */
  readonly meanFill: number;
  /** Mean fill of every list but the last (the last is whatever is left over); equals meanFill for ≤ 1 list. */
  readonly meanFillExceptLast: number;
  readonly minFill: number;
  readonly maxFill: number;
}

/** Count, bytes and fill of EntryList JSON strings. */
export function entryListStats(lists: readonly string[], maxBytes: number = MAX_ENTRY_LIST_BYTES): EntryListStats {
  const sizes = lists.map((list) => utf8ByteLength(list));
  const totalBytes = sizes.reduce((sum, size) => sum + size, 0);
  const entries = lists.reduce((sum, list) => sum + (JSON.parse(list) as unknown[]).length, 0);
  const fills = sizes.map((size) => size / maxBytes);
  const allButLast = fills.length > 1 ? fills.slice(0, -1) : fills;
  return {
    count: lists.length,
    entries,
    totalBytes,
    maxBytes,
    meanFill: lists.length === 0 ? 0 : totalBytes / (lists.length * maxBytes),
    meanFillExceptLast: allButLast.length === 0 ? 0 : allButLast.reduce((sum, fill) => sum + fill, 0) / allButLast.length,
    minFill: fills.length === 0 ? 0 : Math.min(...fills),
    maxFill: fills.length === 0 ? 0 : Math.max(...fills),
  };
}

/** One CreateDataFlowTask(TaskAction=Import) request's worth of objects. */
export interface ImportBatch {
  readonly fileSystemId: string;
  readonly dataFlowId: string;
  readonly conflictPolicy: ConflictPolicy;
  /**
   * Relative to FileSystemPath (see path-base.ts `importLayout`). There is no Directory: it is exclusive
   * with EntryList (docs/platform.md §1).
   */
  readonly dstDirectory: string;
  /** The EntryList JSON, ≤ maxBytes of UTF-8. */
  readonly entryList: string;
  /** The objects of the list, in list order. */
  readonly items: PlannedObject[];
  /** `cpfs-imp-…`, derived from all of the above. */
  readonly clientToken: string;
}

export interface ImportBatchPlan {
  readonly batches: ImportBatch[];
  /**
   * Items that cannot go into an Import task, with why: `not-batchable` (the route renames), `invalid-path`
   * (the EntryList element breaks a per-element rule, e.g. a 1,023-byte key becomes a 1,024-character
   * element), `entry-too-large`, `duplicate`. Checked per record BEFORE packing, so no list ever carries an
   * entry the request schema would refuse — one bad record never sinks the others of its list.
   */
  readonly rejected: Array<{ readonly item: PlannedObject; readonly kind: RejectionKind; readonly reason: string }>;
}

/**
 * Groups planned objects into Import batch tasks: one group per (file system, data flow, ConflictPolicy,
 * DstDirectory) — those are per-request parameters — each packed into EntryLists.
 * Groups appear in first-seen order, entries in input order.
 *
 * Refused, each with its reason and before packing: an item whose route renames a directory or the file
 * (an Import without Directory cannot; use a sub-task), an element that breaks the element rules
 * (path-rules.ts, checked on the element text itself), an entry too large for any list, and an item whose
 * entry already appears in its group (two items for one file). DstDirectory is a prefix of a DstFilePath
 * that passed the path rules, so it is valid by construction.
 */
export function planImportBatches(items: readonly PlannedObject[], options: PackOptions = {}): ImportBatchPlan {
  type Group = { policy: ConflictPolicy; dstDirectory: string; fileSystemId: string; dataFlowId: string; items: PlannedObject[]; entries: string[]; seen: Set<string> };
  // Groups in first-seen order, found by DstDirectory and then their fields (no JSON key per item: issue 11).
  const groups: Group[] = [];
  const byDirectory = new Map<string, Group[]>();
  const rejected: Array<{ item: PlannedObject; kind: RejectionKind; reason: string }> = [];

  for (const item of items) {
    const layout = importLayout(item.srcFilePath, item.dstFilePath, item.record.key);
    if (layout === undefined) {
      rejected.push({
        item,
        kind: 'not-batchable',
        reason: `the route renames a directory or the file (SrcFilePath "${item.srcFilePath}" → DstFilePath "${item.dstFilePath}"); a batch Import task (EntryList, no Directory) keeps the path below SourceStoragePath — only sub-tasks can rename`,
      });
      continue;
    }
    const element = checkCpfsPath(layout.entry, 'EntryList element');
    if (!element.ok) {
      rejected.push({ item, kind: 'invalid-path', reason: describePathProblem(element) });
      continue;
    }
    let candidates = byDirectory.get(layout.dstDirectory);
    if (candidates === undefined) byDirectory.set(layout.dstDirectory, (candidates = []));
    let group: Group | undefined;
    for (const g of candidates) {
      if (g.fileSystemId === item.fileSystemId && g.dataFlowId === item.dataFlowId && g.policy === item.conflictPolicy) {
        group = g;
        break;
      }
    }
    if (group === undefined) {
      group = { policy: item.conflictPolicy, dstDirectory: layout.dstDirectory, fileSystemId: item.fileSystemId, dataFlowId: item.dataFlowId, items: [], entries: [], seen: new Set() };
      candidates.push(group);
      groups.push(group);
    }
    const seen = group.seen;
    if (seen.has(layout.entry)) {
      rejected.push({ item, kind: 'duplicate', reason: `EntryList entry "${layout.entry}" is already in this batch` });
      continue;
    }
    seen.add(layout.entry);
    group.items.push(item);
    group.entries.push(layout.entry);
  }

  const maxBytes = options.maxBytes ?? MAX_ENTRY_LIST_BYTES;
  const batches: ImportBatch[] = [];
  for (const group of groups) {
    const sizes = group.entries.map(jsonStringBytes);
    const packed = packSizes(sizes, maxBytes);
    for (const index of packed.tooLarge) {
      rejected.push({
        item: group.items[index] as PlannedObject,
        kind: 'entry-too-large',
        reason: `EntryList: the entry alone takes ${BRACKET_BYTES + (sizes[index] as number)} bytes of JSON, more than the ${maxBytes} allowed`,
      });
    }
    for (const indices of packed.lists) {
      const entryList = listJson(group.entries, indices);
      batches.push({
        fileSystemId: group.fileSystemId,
        dataFlowId: group.dataFlowId,
        conflictPolicy: group.policy,
        dstDirectory: group.dstDirectory,
        entryList,
        items: indices.map((index) => group.items[index] as PlannedObject),
        clientToken: importTaskClientToken({
          fileSystemId: group.fileSystemId,
          dataFlowId: group.dataFlowId,
          conflictPolicy: group.policy,
          dstDirectory: group.dstDirectory,
          entryList,
        }),
      });
    }
  }
  return { batches, rejected };
}

/**
 * Splits one Import batch into two halves (first half gets the extra item), each with its own EntryList
 * and ClientToken — a different request. Used when the service refuses a whole Import because of some
 * entry it does not name: halving finds that entry in about log2(n) requests while the good entries are
 * sent without it. A batch of one item cannot be split.
 *
 * @throws RangeError for a batch of fewer than two items
 */
export function splitImportBatch(batch: ImportBatch): [ImportBatch, ImportBatch] {
  if (batch.items.length < 2) throw new RangeError('an Import batch of one item cannot be split');
  const entries = JSON.parse(batch.entryList) as string[];
  const middle = Math.ceil(batch.items.length / 2);
  const half = (from: number, to: number): ImportBatch => {
    const entryList = JSON.stringify(entries.slice(from, to));
    return {
      fileSystemId: batch.fileSystemId,
      dataFlowId: batch.dataFlowId,
      conflictPolicy: batch.conflictPolicy,
      dstDirectory: batch.dstDirectory,
      entryList,
      items: batch.items.slice(from, to),
      clientToken: importTaskClientToken({
        fileSystemId: batch.fileSystemId,
        dataFlowId: batch.dataFlowId,
        conflictPolicy: batch.conflictPolicy,
        dstDirectory: batch.dstDirectory,
        entryList,
      }),
    };
  };
  return [half(0, middle), half(middle, batch.items.length)];
}

/**
 * UTF-8 bytes of `JSON.stringify(entry)`. Printable ASCII without `"` or `\` is written as is between two
 * quotes, so its size is its length + 2, counted without building the JSON (issue 11: one string and one
 * byte count per entry were most of the packing); anything else is serialised and counted.
 */
export function jsonStringBytes(entry: string): number {
  for (let i = 0; i < entry.length; i++) {
    const c = entry.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return utf8ByteLength(JSON.stringify(entry));
  }
  return entry.length + 2;
}

/** Greedy next-fit over the JSON sizes of the entries. */
function packSizes(sizes: readonly number[], maxBytes: number): PackedIndices {
  const lists: number[][] = [];
  const tooLarge: number[] = [];
  let current: number[] = [];
  let currentBytes = BRACKET_BYTES;

  sizes.forEach((bytes, index) => {
    if (BRACKET_BYTES + bytes > maxBytes) {
      tooLarge.push(index);
      return;
    }
    const added = current.length === 0 ? bytes : COMMA_BYTES + bytes;
    if (currentBytes + added > maxBytes) {
      lists.push(current);
      current = [index];
      currentBytes = BRACKET_BYTES + bytes;
    } else {
      current.push(index);
      currentBytes += added;
    }
  });
  if (current.length > 0) lists.push(current);
  return { lists, tooLarge };
}

/** The EntryList JSON of the entries at `indices`: `JSON.stringify` of them, as sent. */
function listJson(entries: readonly string[], indices: readonly number[]): string {
  return JSON.stringify(indices.map((index) => entries[index]));
}
