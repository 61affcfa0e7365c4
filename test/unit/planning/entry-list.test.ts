import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  jsonStringBytes,
  entryListByteLength,
  entryListStats,
  MAX_ENTRY_LIST_BYTES,
  packEntryIndices,
  packEntryLists,
  planImportBatches,
  splitImportBatch,
  type ImportBatch,
} from '../../../shared/planning/entry-list.js';
import { validateRequest } from '../../../shared/nas/schemas.js';
import { importDestinationOfElement } from '../../../shared/planning/path-base.js';
import { planSubmissions } from '../../../shared/planning/plan.js';
import { objectCreated, planningSettings, route } from './factories.js';

const bytesOf = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Deterministic, realistic object names of 56–64 bytes, 60 on average (a small LCG, no Math.random). */
function realisticEntries(count: number): string[] {
  let seed = 42;
  const next = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: count }, (_, index) => {
    const base = `/datasets/2024/06/cam-${index % 17}/frame_${String(index).padStart(7, '0')}_`;
    const length = 56 + Math.floor(next() * 9);
    return `${base.padEnd(length - 4, 'x')}.jpg`;
  });
}

describe('packEntryLists: examples', () => {
  it('no entries, no lists', () => {
    expect(packEntryLists([])).toEqual({ lists: [], tooLarge: [] });
  });

  it('produces exactly JSON.stringify of each list', () => {
    const entries = ['/a', '/"quoted"', '/back\\slash', '/ctl\u0001', '/猫😀'];
    const { lists } = packEntryLists(entries);
    expect(lists).toEqual([JSON.stringify(entries)]);
  });

  it('counts escapes and multi-byte characters as sent', () => {
    expect(entryListByteLength(['/"'])).toBe(bytesOf('["/\\""]')); // 7
    expect(entryListByteLength(['/\u0001'])).toBe(2 + 2 + 1 + 6); // \u0001 is 6 bytes
    expect(entryListByteLength(['/😀'])).toBe(2 + 2 + 1 + 4);
    expect(entryListByteLength(['/猫', '/b'])).toBe(bytesOf(JSON.stringify(['/猫', '/b'])));
    expect(entryListByteLength([])).toBe(2);
  });

  it('a list may be filled to exactly maxBytes, not one byte more', () => {
    expect(bytesOf('["/aaaa","/bb"]')).toBe(15);
    expect(packEntryLists(['/aaaa', '/bb'], { maxBytes: 15 }).lists).toEqual(['["/aaaa","/bb"]']);
    expect(packEntryLists(['/aaaa', '/bb'], { maxBytes: 14 }).lists).toEqual(['["/aaaa"]', '["/bb"]']);
  });

  it('an entry that cannot fit even alone is reported, the others are packed', () => {
    const huge = `/${'x'.repeat(MAX_ENTRY_LIST_BYTES)}`;
    const { lists, tooLarge } = packEntryLists(['/a', huge, '/b']);
    expect(tooLarge).toEqual([huge]);
    expect(lists).toEqual(['["/a","/b"]']);
    expect(packEntryIndices(['/a', huge, '/b'])).toEqual({ lists: [[0, 2]], tooLarge: [1] });
  });

  // Mean fill over all lists is capped by the last, partial list: with ~630 KB of JSON that is 9.6 of 10
  // lists' worth, so ≥ 95 % holds here; the sharper claim is the fill of every list but the last.
  it('10,000 realistic keys (~60 bytes): mean fill ≥ 95 %, lists = ⌈total / 64 KB⌉ (+1 at most)', () => {
    const entries = realisticEntries(10_000);
    const { lists, tooLarge } = packEntryLists(entries);
    const stats = entryListStats(lists);
    const totalEntryBytes = entryListByteLength(entries);
    expect(tooLarge).toEqual([]);
    expect(stats.entries).toBe(10_000);
    expect(stats.totalBytes).toBeGreaterThan(600_000);
    expect(stats.count).toBeLessThanOrEqual(Math.ceil(totalEntryBytes / MAX_ENTRY_LIST_BYTES) + 1);
    expect(stats.meanFill).toBeGreaterThanOrEqual(0.95);
    expect(stats.meanFillExceptLast).toBeGreaterThanOrEqual(0.999);
    expect(stats.maxFill).toBeLessThanOrEqual(1);
  });
});

describe('entryListStats', () => {
  it('reports count, entries, bytes and fills', () => {
    const lists = ['["/a","/b"]', '["/c"]'];
    expect(entryListStats(lists, 20)).toEqual({
      count: 2, entries: 3, totalBytes: 17, maxBytes: 20,
      meanFill: 17 / 40, meanFillExceptLast: 11 / 20, minFill: 6 / 20, maxFill: 11 / 20,
    });
    expect(entryListStats([])).toMatchObject({ count: 0, entries: 0, totalBytes: 0, meanFill: 0, minFill: 0 });
  });
});

describe('packEntryLists: properties', () => {
  // Paths built from the characters that stress the byte count: quotes, backslashes, control
  // characters, multi-byte and astral characters, plus arbitrary code points.
  const tricky = fc.constantFrom('"', '\\', '\u0000', '\n', '\u001f', '\u007f', 'é', '猫', '😀', '/', 'a', ' ', '+', '%');
  const entry = fc.oneof(
    fc.array(tricky, { minLength: 0, maxLength: 30 }).map((parts) => `/${parts.join('')}`),
    fc.string({ unit: 'binary', maxLength: 40 }).map((text) => `/${text}`),
  );
  const maxBytes = fc.integer({ min: 8, max: 400 });

  it('never exceeds maxBytes; never loses, repeats or reorders an entry; lists are exact JSON', () => {
    fc.assert(fc.property(fc.array(entry, { maxLength: 60 }), maxBytes, (entries, limit) => {
      const { lists, tooLarge } = packEntryLists(entries, { maxBytes: limit });
      const packed: string[] = [];
      for (const list of lists) {
        expect(bytesOf(list)).toBeLessThanOrEqual(limit);
        const parsed = JSON.parse(list) as string[];
        expect(parsed.length).toBeGreaterThan(0);
        expect(list).toBe(JSON.stringify(parsed));
        packed.push(...parsed);
      }
      const fits = (value: string): boolean => bytesOf(JSON.stringify([value])) <= limit;
      expect(packed).toEqual(entries.filter(fits));
      expect(tooLarge).toEqual(entries.filter((value) => !fits(value)));
    }), { numRuns: 300 });
  });

  it('is greedy: the first entry of each list would not have fitted in the previous one', () => {
    fc.assert(fc.property(fc.array(entry, { maxLength: 60 }), maxBytes, (entries, limit) => {
      const { lists } = packEntryLists(entries, { maxBytes: limit });
      for (let index = 1; index < lists.length; index += 1) {
        const previous = JSON.parse(lists[index - 1] as string) as string[];
        const [first] = JSON.parse(lists[index] as string) as string[];
        expect(bytesOf(JSON.stringify([...previous, first]))).toBeGreaterThan(limit);
      }
    }), { numRuns: 200 });
  });

  it('entryListByteLength equals the UTF-8 size of JSON.stringify', () => {
    fc.assert(fc.property(fc.array(entry, { maxLength: 20 }), (entries) => {
      expect(entryListByteLength(entries)).toBe(bytesOf(JSON.stringify(entries)));
    }));
  });
});

describe('planImportBatches', () => {
  const settings = planningSettings({
    routes: [
      route('raw/images/', '/datasets/raw/images/', 'KEEP_LATEST'),
      route('raw/', '/raw/', 'KEEP_LATEST'),
      route('logs/', '/logs/', 'SKIP_THE_FILE'),
      route('frames/img_', '/frames/', 'KEEP_LATEST'),
      route('in/imgs/', '/datasets/images/', 'KEEP_LATEST'),
    ],
  });

  it('groups by (ConflictPolicy, DstDirectory) with entries that are full object names, and no Directory at all', () => {
    const keys = ['raw/images/a/1.png', 'raw/x.bin', 'logs/l.txt', 'raw/images/b.png'];
    const plan = planSubmissions(keys.map((key) => objectCreated({ key })), settings);
    const { batches, rejected } = planImportBatches(plan.items);
    expect(rejected).toEqual([]);
    expect(batches.map(({ conflictPolicy, dstDirectory, entryList }) => ({ conflictPolicy, dstDirectory, entryList }))).toEqual([
      { conflictPolicy: 'KEEP_LATEST', dstDirectory: '/datasets/', entryList: '["/raw/images/a/1.png","/raw/images/b.png"]' },
      { conflictPolicy: 'KEEP_LATEST', dstDirectory: '/', entryList: '["/raw/x.bin"]' },
      { conflictPolicy: 'SKIP_THE_FILE', dstDirectory: '/', entryList: '["/logs/l.txt"]' },
    ]);
    for (const batch of batches) expect(Object.keys(batch)).not.toContain('directory');
    expect(batches[0]?.items.map((item) => item.record.key)).toEqual(['raw/images/a/1.png', 'raw/images/b.png']);
    for (const batch of batches) {
      expect(batch.clientToken).toMatch(/^cpfs-imp-[0-9a-f]{48}$/);
      expect(batch.fileSystemId).toBe(settings.fileSystemId);
      expect(batch.dataFlowId).toBe(settings.dataFlowId);
    }
    expect(new Set(batches.map((batch) => batch.clientToken)).size).toBe(batches.length);
  });

  it('is deterministic: the same items give the same batches and tokens', () => {
    const plan = planSubmissions(['raw/a', 'raw/b'].map((key) => objectCreated({ key })), settings);
    expect(planImportBatches(plan.items)).toEqual(planImportBatches(plan.items));
  });

  it('refuses items whose route renames a directory or the file, entries too large, and repeated entries', () => {
    const plan = planSubmissions(
      [objectCreated({ key: 'frames/img_001.png' }), objectCreated({ key: 'raw/long-name.bin' }), objectCreated({ key: 'in/imgs/cat.png' })],
      settings,
    );
    const [renamedFile, long, renamedDirectory] = plan.items;
    if (renamedFile === undefined || long === undefined || renamedDirectory === undefined) throw new Error('expected three planned items');
    const { batches, rejected } = planImportBatches([renamedFile, long, long, renamedDirectory], { maxBytes: 20 });
    expect(batches).toEqual([]);
    expect(rejected.map((r) => [r.item.record.key, r.kind])).toEqual([
      ['frames/img_001.png', 'not-batchable'],
      ['raw/long-name.bin', 'duplicate'],
      ['in/imgs/cat.png', 'not-batchable'],
      ['raw/long-name.bin', 'entry-too-large'],
    ]);
    expect(rejected[0]?.reason).toBe(
      'the route renames a directory or the file (SrcFilePath "/frames/img_001.png" → DstFilePath "/frames/001.png"); a batch Import task (EntryList, no Directory) keeps the path below SourceStoragePath — only sub-tasks can rename',
    );
    expect(rejected[3]?.reason).toBe('EntryList: the entry alone takes 22 bytes of JSON, more than the 20 allowed');
  });

  it('checks each EntryList element BEFORE packing: a 1,023-byte key below SourceStoragePath /data/ is refused alone (13.3)', () => {
    // SrcFilePath (the path below /data/) is 1,018 characters and passes; the element is "/" + the full
    // object name: 1,024 characters, one more than the per-element limit.
    const dataSettings = planningSettings({ sourceStoragePath: '/data/', dataFlowId: 'df-194433a5be31' });
    const longKey = `data/${'a'.repeat(200)}/${'b'.repeat(200)}/${'c'.repeat(200)}/${'d'.repeat(200)}/${'e'.repeat(214)}`;
    expect(Buffer.byteLength(longKey)).toBe(1023);
    const goodKeys = Array.from({ length: 1000 }, (_, i) => `data/batch/${String(i).padStart(4, '0')}.bin`);
    const plan = planSubmissions([...goodKeys.slice(0, 500), longKey, ...goodKeys.slice(500)].map((key) => objectCreated({ key })), dataSettings);
    expect(plan.rejected).toEqual([]);
    const { batches, rejected } = planImportBatches(plan.items);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.item.record.key).toBe(longKey);
    expect(rejected[0]?.kind).toBe('invalid-path');
    expect(rejected[0]?.reason).toBe('EntryList element: longer than 1023 characters (1024)');
    const packed = batches.flatMap((batch) => JSON.parse(batch.entryList) as string[]);
    expect(packed).toEqual(goodKeys.map((key) => `/${key}`));
    for (const batch of batches) expect(() => validateRequest('CreateDataFlowTask', importRequest(batch))).not.toThrow();
  });

  it('every item lands in exactly one batch or is rejected; DstDirectory + the path below SourceStoragePath rebuilds the destination', () => {
    const keyArbitrary = fc.tuple(
      fc.constantFrom('raw/images/', 'raw/', 'logs/', 'frames/img_', 'raw/images/deep/', 'in/imgs/'),
      fc.array(fc.constantFrom('a', 'b', '猫', '😀', '"', 'x/', 'y/'), { minLength: 1, maxLength: 12 }),
    ).map(([prefix, parts]) => `${prefix}${parts.join('')}z`);
    fc.assert(fc.property(fc.array(keyArbitrary, { maxLength: 80 }), fc.integer({ min: 30, max: 300 }), (keys, limit) => {
      const plan = planSubmissions(keys.map((key) => objectCreated({ key })), settings);
      const { batches, rejected } = planImportBatches(plan.items, { maxBytes: limit });
      const placed = batches.flatMap((batch) => batch.items);
      expect(placed.length + rejected.length).toBe(plan.items.length);
      expect(new Set([...placed, ...rejected.map((rejection) => rejection.item)]).size).toBe(plan.items.length);
      for (const batch of batches) {
        expect(bytesOf(batch.entryList)).toBeLessThanOrEqual(limit);
        const entries = JSON.parse(batch.entryList) as string[];
        expect(entries).toHaveLength(batch.items.length);
        batch.items.forEach((item, index) => {
          expect(entries[index]).toBe(`/${item.record.key}`);
          expect(importDestinationOfElement(entries[index] as string, settings.sourceStoragePath, batch.dstDirectory)).toBe(item.dstFilePath);
          expect(item.conflictPolicy).toBe(batch.conflictPolicy);
        });
      }
      for (const r of rejected) {
        if (r.kind === 'not-batchable') expect(['frames/img_', 'in/imgs/']).toContain(r.item.route.prefix);
      }
    }), { numRuns: 200 });
  });
});

describe('splitImportBatch', () => {
  it('halves a batch into two requests with their own EntryList and ClientToken, keeping every item once', () => {
    const plan = planSubmissions(['a/1', 'a/2', 'a/3'].map((key) => objectCreated({ key })), planningSettings());
    const [batch] = planImportBatches(plan.items).batches;
    if (batch === undefined) throw new Error('expected one batch');
    const [first, second] = splitImportBatch(batch);
    expect(first.entryList).toBe('["/a/1","/a/2"]');
    expect(second.entryList).toBe('["/a/3"]');
    expect([...first.items, ...second.items]).toEqual(batch.items);
    expect(new Set([batch.clientToken, first.clientToken, second.clientToken]).size).toBe(3);
    expect(first.dstDirectory).toBe(batch.dstDirectory);
    const [single] = splitImportBatch(first)[1] ? [splitImportBatch(first)[1]] : [];
    expect(() => splitImportBatch(single as ImportBatch)).toThrow(RangeError);
  });
});

function importRequest(batch: ImportBatch) {
  return {
    FileSystemId: batch.fileSystemId,
    DataFlowId: batch.dataFlowId,
    TaskAction: 'Import' as const,
    DataType: 'MetaAndData' as const,
    DstDirectory: batch.dstDirectory,
    EntryList: batch.entryList,
    ConflictPolicy: batch.conflictPolicy,
    ClientToken: batch.clientToken,
  };
}

describe('jsonStringBytes (issue 11: sizes counted without serialising plain entries)', () => {
  it('is the UTF-8 size of JSON.stringify(entry), for any entry', () => {
    const unit = fc.constantFrom('"', '\\', '\u0000', '\n', '\u001f', ' ', '~', '\u007f', 'é', '猫', '😀', '\ud800', '\udc00', '/', 'a');
    fc.assert(fc.property(fc.oneof(fc.string(), fc.array(unit, { maxLength: 20 }).map((u) => u.join(''))), (entry) => {
      expect(jsonStringBytes(entry)).toBe(Buffer.byteLength(JSON.stringify(entry), 'utf8'));
    }), { numRuns: 3000 });
  });
});
