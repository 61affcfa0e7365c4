/**
 * The pure parts of the bulk shapes: CSV manifests (RFC 4180), the manifest Name reading, the shape choice,
 * and the burst split for the function.
 */
import { describe, expect, it } from 'vitest';
import { autoBurstThreshold, splitBurst } from '../../../shared/bulk/burst-split.js';
import { csvField, MANIFEST_HEADER, ManifestPartBuilder, manifestRow, parseManifest } from '../../../shared/bulk/csv.js';
import { manifestGroupPrefix, manifestImportClientToken, manifestPartKey, manifestRunId } from '../../../shared/bulk/manifest-names.js';
import { chooseShape, directoryImportFor, type ShapeInput } from '../../../shared/bulk/shape.js';
import { manifestLayout, manifestTransferFileListPath } from '../../../shared/planning/path-base.js';
import type { PlanningSettings } from '../../../shared/planning/types.js';

describe('CSV manifests', () => {
  it('quotes only what must be quoted, doubling quotes', () => {
    expect(csvField('a/b.png')).toBe('a/b.png');
    expect(csvField('a,b.png')).toBe('"a,b.png"');
    expect(csvField('say "hi".txt')).toBe('"say ""hi"".txt"');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('cr\rx')).toBe('"cr\rx"');
    expect(csvField(' lead')).toBe('" lead"');
    expect(manifestRow('x,y', 'file')).toBe('"x,y",file\r\n');
  });

  it('round-trips awkward names through a part', () => {
    const names = ['plain.txt', 'a,b', '"q"', 'multi\r\nline', ' sp ', 'ü/字/🚀.bin', 'end"', ',', 'x""y'];
    const builder = new ManifestPartBuilder();
    for (const name of names) expect(builder.add(name)).toEqual([]);
    const part = builder.flush();
    expect(part?.rows).toBe(names.length);
    expect(part?.body.startsWith(MANIFEST_HEADER)).toBe(true);
    expect(parseManifest(part?.body ?? '')).toEqual(names.map((name) => ({ name, type: 'file' })));
    expect(part?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(builder.flush()).toBeUndefined();
  });

  it('cuts parts by rows and by bytes, never losing a row', () => {
    const builder = new ManifestPartBuilder(3, 1_000_000);
    const parts = Array.from({ length: 7 }, (_, i) => builder.add(`f${i}`)).flat();
    const last = builder.flush();
    const all = [...parts, ...(last ? [last] : [])];
    expect(all.map((p) => p.rows)).toEqual([3, 3, 1]);
    expect(all.flatMap((p) => parseManifest(p.body).map((r) => r.name))).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6']);
    const small = new ManifestPartBuilder(1000, MANIFEST_HEADER.length + 20);
    const bySize = [...small.add('a'.repeat(12)), ...small.add('b'.repeat(12))];
    expect(bySize).toHaveLength(1);
    expect(bySize[0]?.rows).toBe(1);
  });

  it('parseManifest refuses malformed files, naming the line', () => {
    expect(() => parseManifest('Name,Kind\r\n')).toThrow(/header/);
    expect(() => parseManifest('Name,Type\r\na"b,file\r\n')).toThrow(/line 2/);
    expect(() => parseManifest('Name,Type\r\n"open,file\r\n')).toThrow(/unterminated/);
    expect(() => parseManifest('Name,Type\r\na,file,extra\r\n')).toThrow(/3 fields/);
  });

  it('names keys, paths and tokens deterministically', () => {
    const run = manifestRunId('b', ['x/'], undefined);
    expect(run).toBe(manifestRunId('b', ['x/'], undefined));
    expect(run).not.toBe(manifestRunId('b', ['x/'], '2024-01-01T00:00:00.000Z'));
    expect(manifestPartKey(run, 'g-1', 7)).toBe(`.cpfs-ingest/manifests/${run}/g-1/part-00007.csv`);
    const path = manifestTransferFileListPath(manifestGroupPrefix(run, 'g-1'));
    expect(path.startsWith('/') && path.endsWith('/')).toBe(true);
    const base = { fileSystemId: 'bmcpfs-1', dataFlowId: 'df-1', conflictPolicy: 'KEEP_LATEST', dstDirectory: '/', run, partHashes: ['aa', 'bb'] };
    const token = manifestImportClientToken(base);
    expect(token.length).toBeLessThanOrEqual(64);
    expect(manifestImportClientToken({ ...base })).toBe(token);
    expect(manifestImportClientToken({ ...base, partHashes: ['aa', 'bc'] })).not.toBe(token);
  });
});

describe('manifestLayout (manifest Name reading, UNVERIFIED)', () => {
  it('keeps the path relative to SourceStoragePath below DstDirectory', () => {
    expect(manifestLayout('/raw/a.png', '/datasets/raw/a.png')).toEqual({ dstDirectory: '/datasets/', name: 'raw/a.png' });
    expect(manifestLayout('/a.png', '/a.png')).toEqual({ dstDirectory: '/', name: 'a.png' });
  });
  it('refuses a route that strips part of the key, or a partial name match', () => {
    expect(manifestLayout('/raw/a.png', '/datasets/a.png')).toBeUndefined();
    expect(manifestLayout('/a.png', '/xa.png')).toBeUndefined();
    expect(manifestLayout('/dir/', '/dir/')).toBeUndefined();
  });
});

const planning = (routes: PlanningSettings['routes'] = [], sourceStoragePath = '/'): PlanningSettings => ({
  fileSystemId: 'bmcpfs-1', dataFlowId: 'df-1', sourceStoragePath, routes, defaultConflictPolicy: 'KEEP_LATEST',
});

describe('shape choice', () => {
  const input = (over: Partial<ShapeInput> = {}): ShapeInput => ({
    requested: 'auto', prefixes: ['data/'], hasExclude: false, planning: planning(), fileSystemKind: 'lingjun', bucketConfigured: true, ...over,
  });

  it('maps a prefix to one Directory import through its route', () => {
    expect(directoryImportFor('raw/x/', planning([{ prefix: 'raw/', dstDirectory: '/d/', conflictPolicy: 'SKIP_THE_FILE' }]))).toEqual({
      prefix: 'raw/x/', directory: '/raw/x/', dstDirectory: '/d/x/', conflictPolicy: 'SKIP_THE_FILE',
    });
    expect(directoryImportFor('data/in/', planning([], '/data/'))).toMatchObject({ directory: '/in/', dstDirectory: '/in/' });
  });

  it('refuses what a Directory import cannot filter', () => {
    for (const [prefix, why] of [['', /covers \.cpfs-ingest/], ['.cpfs-ingest/manifests/', /covers/], ['raw', /not a directory/], ['other/', /outside SourceStoragePath/]] as const) {
      expect(directoryImportFor(prefix, planning([], prefix === 'other/' ? '/data/' : '/'))).toMatchObject({ refused: expect.stringMatching(why) });
    }
    const nested = planning([{ prefix: 'raw/', dstDirectory: '/r/', conflictPolicy: 'KEEP_LATEST' }, { prefix: 'raw/img/', dstDirectory: '/i/', conflictPolicy: 'KEEP_LATEST' }]);
    expect(directoryImportFor('raw/', nested)).toMatchObject({ refused: expect.stringMatching(/lies inside/) });
    expect(directoryImportFor('raw/img/', nested)).toMatchObject({ directory: '/raw/img/', dstDirectory: '/i/' });
    expect(directoryImportFor('zzz/', planning([{ prefix: 'raw/', dstDirectory: '/r/', conflictPolicy: 'KEEP_LATEST' }]))).toMatchObject({ refused: expect.stringMatching(/no route/) });
  });

  it('auto: directory, else manifest on LINGJUN with OSS_BUCKET, else entrylist', () => {
    expect(chooseShape(input()).shape).toBe('directory');
    expect(chooseShape(input({ since: new Date(0) }))).toMatchObject({ shape: 'manifest', reason: expect.stringMatching(/--since/) });
    expect(chooseShape(input({ hasExclude: true })).shape).toBe('manifest');
    expect(chooseShape(input({ prefixes: [''] })).shape).toBe('manifest');
    expect(chooseShape(input({ prefixes: [''], bucketConfigured: false }))).toMatchObject({ shape: 'entrylist', reason: expect.stringMatching(/OSS_BUCKET/) });
    expect(chooseShape(input({ prefixes: [''], fileSystemKind: 'general' }))).toMatchObject({ shape: 'entrylist', reason: expect.stringMatching(/LINGJUN/) });
  });

  it('explicit shapes: refused with the reason when not possible', () => {
    expect(() => chooseShape(input({ requested: 'directory', since: new Date(0) }))).toThrow(/--shape directory: --since/);
    expect(() => chooseShape(input({ requested: 'manifest', fileSystemKind: 'general' }))).toThrow(/LINGJUN only/);
    expect(chooseShape(input({ requested: 'objects' })).shape).toBe('objects');
    expect(chooseShape(input({ requested: 'entrylist' })).shape).toBe('entrylist');
    expect(chooseShape(input({ requested: 'directory', prefixes: ['a/', 'b/'] })).directoryImports).toHaveLength(2);
  });
});

describe('splitBurst (function bursts: a pure function of the group size and the configuration)', () => {
  const base = { threshold: 1_000, bulkShape: 'manifest' as const };
  it('keeps a group within the threshold on sub-tasks', () => {
    expect(splitBurst({ ...base, groupSize: 1_000 })).toMatchObject({ subTasks: 1_000, bulk: 0, shape: 'subtasks' });
    expect(splitBurst({ ...base, groupSize: 0 })).toMatchObject({ subTasks: 0, bulk: 0, shape: 'subtasks' });
  });
  it('sends the objects past the threshold bulk, the leading ones on sub-tasks', () => {
    expect(splitBurst({ ...base, groupSize: 1_001 })).toMatchObject({ subTasks: 1_000, bulk: 1, shape: 'manifest' });
    expect(splitBurst({ ...base, groupSize: 10_000 })).toMatchObject({ subTasks: 1_000, bulk: 9_000, shape: 'manifest' });
    expect(splitBurst({ groupSize: 10_000, threshold: 0, bulkShape: 'entrylist' })).toMatchObject({ subTasks: 0, bulk: 10_000, shape: 'entrylist' });
  });
  it('takes no time input, so a replay (any time left) splits at the same object; the parts always add up', () => {
    expect(Object.keys(base).sort()).toEqual(['bulkShape', 'threshold']);
    for (const n of [0, 1, 999, 1_000, 1_001, 6_000, 100_000]) {
      const s = splitBurst({ ...base, groupSize: n });
      expect(s.subTasks + s.bulk).toBe(n);
      expect(splitBurst({ ...base, groupSize: n })).toEqual(s);
    }
  });
  it('refuses nonsense input, naming the field', () => {
    expect(() => splitBurst({ ...base, groupSize: -1 })).toThrow(/groupSize/);
    expect(() => splitBurst({ ...base, groupSize: 1.5 })).toThrow(/groupSize/);
    expect(() => splitBurst({ ...base, groupSize: 1, threshold: Number.NaN })).toThrow(/threshold/);
  });
  it('auto threshold: the configured rate over the timeout minus the margin', () => {
    expect(autoBurstThreshold({ subTaskRatePerSecond: 97, functionTimeoutMs: 60_000, deadlineMarginMs: 3_000 })).toBe(5_529);
    expect(autoBurstThreshold({ subTaskRatePerSecond: 97, functionTimeoutMs: 2_000, deadlineMarginMs: 3_000 })).toBe(0);
  });
});

describe('manifest paths: client (path-base.ts) and emulator (emulator/paths.ts) agree', () => {
  it('a row written by manifestLayout lands where the client planned it, in the emulator', async () => {
    const { resolveBatchEntryPaths, MANIFEST_NAME_BASE: emulatorBase } = await import('../../../emulator/paths.js');
    const dataFlow = { sourceStoragePath: '/data/', fileSystemPath: '/fs/' } as Parameters<typeof resolveBatchEntryPaths>[0];
    for (const [src, dst] of [
      ['/raw/a b,"c".png', '/datasets/raw/a b,"c".png'],
      ['/数据/x.bin', '/数据/x.bin'],
    ] as const) {
      const layout = manifestLayout(src, dst);
      expect(layout).toBeDefined();
      const task = { action: 'Import', directory: '/', dstDirectory: layout?.dstDirectory ?? '' } as Parameters<typeof resolveBatchEntryPaths>[1];
      const mapped = resolveBatchEntryPaths(dataFlow, task, `/${layout?.name ?? ''}`, emulatorBase);
      expect(mapped).toEqual({ source: { store: 'bucket', path: `/data${src}` }, destination: { store: 'fileSystem', path: `/fs${dst}` } });
    }
  });

  it('TransferFileListPath is the manifest key prefix from the bucket root, which is where the emulator reads it', () => {
    const prefix = manifestGroupPrefix('run-x', 'g-y');
    expect(manifestTransferFileListPath(prefix)).toBe(`/${prefix}`);
    expect(manifestTransferFileListPath(prefix)).toMatch(/^\/\.cpfs-ingest\/manifests\/run-x\/g-y\/$/);
  });
});
