/**
 * End-to-end properties (fast-check) that the unit properties (test/unit/events, test/unit/planning) do
 * not cover: they follow generated input through several layers and check that each layer's output is
 * what the next layer — the NAS client's request validation and the emulator's own rules — accepts.
 *
 * - event envelopes → `ingest()` (with an in-memory DataFlowApi fake) → one CreateDataFlowSubTask per key,
 *   the key carried byte for byte (raw mode), every record accounted for exactly once;
 * - random keys → planning → paths that never hold a `..`/`.` name, a backslash or more than 1023
 *   characters, and that the client and the emulator accept;
 * - realistic keys → planImportBatches at the real 64 KB → EntryLists the client and the emulator accept,
 *   every key in exactly one list;
 * - ClientToken derivation → deterministic, printable ASCII ≤ 64 (the client's rule), distinct per content.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEntryList, validateFilePath } from '../../emulator/paths.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { cpfsPathLength } from '../../shared/cpfs/path-rules.js';
import { importRequest, ingest, InstanceState, subTaskRequest } from '../../shared/ingest/index.js';
import { createLogger } from '../../shared/log.js';
import { validateRequest } from '../../shared/nas/schemas.js';
import type {
  CreateDataFlowSubTaskParams,
  CreateDataFlowTaskParams,
  DataFlowApi,
  DescribeDataFlowTasksParams,
} from '../../shared/nas/types.js';
import {
  checkCpfsPath,
  importTaskClientToken,
  normalizeETag,
  objectId,
  planImportBatches,
  planSubmissions,
  streamTaskClientToken,
  subTaskClientToken,
} from '../../shared/planning/index.js';
import type { PlanningSettings } from '../../shared/planning/types.js';
import { CONFLICT_POLICIES } from '../../shared/nas/wire.js';
import { cloudEvent, mnsBatch, nativeEnvelope, objectCreatedEvent, toPayload, type OssEventElement } from '../support/event-factories.js';

const FILE_SYSTEM_ID = 'bmcpfs-properties01';
const DATA_FLOW_ID = 'df-properties01';
const BUCKET = 'prop-bucket';

// ---------------------------------------------------------------------------------------------------
// A DataFlowApi fake: the port, in memory. It validates every request exactly as the NAS client would
// before sending (so "ingest never builds a request the client refuses" is part of every property), and
// keeps one streaming task per ConflictPolicy and the sub-tasks created in it.

interface FakeApi extends DataFlowApi {
  readonly subTasks: CreateDataFlowSubTaskParams[];
  readonly tasks: CreateDataFlowTaskParams[];
}

function fakeDataFlowApi(): FakeApi {
  const tasks: CreateDataFlowTaskParams[] = [];
  const subTasks: CreateDataFlowSubTaskParams[] = [];
  const byToken = new Map<string, string>();
  const unused = (): never => {
    throw new Error('not used by ingest in stream mode');
  };
  return {
    tasks,
    subTasks,
    async describeDataFlowTasks(params: DescribeDataFlowTasksParams) {
      validateRequest('DescribeDataFlowTasks', params);
      return {
        RequestId: 'fake',
        TaskInfo: {
          Task: tasks.map((t, i) => ({
            TaskId: `task-fake${i}`,
            DataFlowId: t.DataFlowId,
            FilesystemId: t.FileSystemId,
            TaskAction: t.TaskAction,
            Status: 'Executing',
            ConflictPolicy: t.ConflictPolicy,
            Directory: t.Directory,
            DstDirectory: t.DstDirectory,
            CreateTime: '2024-07-01 12:00:00',
          })),
        },
      } as Awaited<ReturnType<DataFlowApi['describeDataFlowTasks']>>;
    },
    async createDataFlowTask(params) {
      validateRequest('CreateDataFlowTask', params);
      const known = params.ClientToken === undefined ? undefined : byToken.get(params.ClientToken);
      if (known !== undefined) return { RequestId: 'fake', TaskId: known };
      tasks.push(params);
      const id = `task-fake${tasks.length - 1}`;
      if (params.ClientToken !== undefined) byToken.set(params.ClientToken, id);
      return { RequestId: 'fake', TaskId: id };
    },
    async createDataFlowSubTask(params) {
      validateRequest('CreateDataFlowSubTask', params);
      subTasks.push(params);
      return { RequestId: 'fake', DataFlowSubTaskId: `subTaskId-fake${subTasks.length}` };
    },
    describeDataFlowSubTasks: unused,
    describeDataFlows: unused,
    cancelDataFlowTask: unused,
  };
}

function configFor(extra: Record<string, string> = {}) {
  return loadConfig({
    CPFS_FILE_SYSTEM_ID: FILE_SYSTEM_ID,
    CPFS_DATA_FLOW_ID: DATA_FLOW_ID,
    CPFS_IMPORT_MODE: 'stream',
    NAS_ENDPOINT: 'http://127.0.0.1:9',
    ...extra,
  });
}

// ---------------------------------------------------------------------------------------------------
// Arbitraries

/** Pieces of keys users really have: spaces, `+`, `%` and escape-looking text, CJK, emoji, accents. */
const keyPiece = fc.constantFrom('a', 'B', '7', ' ', '+', '%', '%20', '%2B', '%E7%8C%AB', '猫', '数据', 'é', '😀', '🚀', '-', '_', '.', '~', '(', "'", '&', '=');
/** A key of 1–5 path segments of 1–6 pieces each (no empty, `.` or `..` segment). */
const cleanKey = fc
  .array(fc.array(keyPiece, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('')), { minLength: 1, maxLength: 5 })
  .map((segments) => segments.join('/'))
  .filter((key) => key.split('/').every((segment) => segment !== '.' && segment !== '..'));

type Envelope = 'native' | 'cloud-events' | 'mns-0' | 'mns-1' | 'mns-2' | 'mns-topic-json' | 'mns-topic-xml';
const envelope = fc.constantFrom<Envelope>('native', 'cloud-events', 'mns-0', 'mns-1', 'mns-2', 'mns-topic-json', 'mns-topic-xml');

function wrap(elements: OssEventElement[], kind: Envelope): Buffer {
  switch (kind) {
    case 'native': return toPayload(nativeEnvelope(elements));
    case 'cloud-events': return toPayload(elements.map(cloudEvent));
    case 'mns-0': return toPayload(mnsBatch(elements, { base64Layers: 0 }));
    case 'mns-1': return toPayload(mnsBatch(elements, { base64Layers: 1 }));
    case 'mns-2': return toPayload(mnsBatch(elements, { base64Layers: 2 }));
    case 'mns-topic-json': return toPayload(mnsBatch(elements, { topicEnvelope: 'json' }));
    default: return toPayload(mnsBatch(elements, { topicEnvelope: 'xml' }));
  }
}

// ---------------------------------------------------------------------------------------------------

describe('properties: event envelope → ingest → sub-tasks', () => {
  it('raw mode: every generated key (space, +, %, CJK, emoji) becomes exactly one sub-task carrying it byte for byte, whatever the envelope', async () => {
    const config = configFor();
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(cleanKey, { minLength: 1, maxLength: 25 }), envelope, async (keys, kind) => {
        const api = fakeDataFlowApi();
        const elements = keys.map((key, i) => objectCreatedEvent({ key, size: 100 + i, bucket: BUCKET }));
        const report = await ingest(wrap(elements, kind), {
          config,
          api,
          logger: createLogger({ write: () => undefined }),
          state: new InstanceState(),
          now: Date.now,
        }, { deadlineMs: Date.now() + 60_000 });

        // Every record accounted for exactly once; nothing malformed.
        expect(report.outcomes).toHaveLength(keys.length);
        expect(report.counts.rejected + report.counts.failed).toBe(0);
        expect(report.outcomes.map((o) => ('key' in o ? o.key : undefined)).sort()).toEqual([...keys].sort());
        // One sub-task per key, the key unchanged (no `+`→space, no %-decoding), Condition.Size from the event.
        expect(api.subTasks.map((s) => s.SrcFilePath).sort()).toEqual(keys.map((k) => `/${k}`).sort());
        expect(api.subTasks.map((s) => s.DstFilePath).sort()).toEqual(keys.map((k) => `/${k}`).sort());
        for (const sub of api.subTasks) {
          const index = keys.indexOf(sub.SrcFilePath.slice(1));
          expect(sub.Condition).toEqual({ Size: 100 + index });
        }
        expect(new Set(api.subTasks.map((s) => s.ClientToken)).size).toBe(keys.length);
        expect(api.tasks).toHaveLength(1); // one policy → one StreamImport task
      }),
      { numRuns: 60 },
    );
  });
});

describe('properties: path rules on random keys, checked against the client and the emulator', () => {
  const settings: PlanningSettings = {
    fileSystemId: FILE_SYSTEM_ID,
    dataFlowId: DATA_FLOW_ID,
    sourceStoragePath: '/',
    routes: [
      { prefix: 'in/', dstDirectory: '/landing/in/', conflictPolicy: 'KEEP_LATEST' },
      { prefix: '', dstDirectory: '/', conflictPolicy: 'SKIP_THE_FILE' },
    ],
    defaultConflictPolicy: 'SKIP_THE_FILE',
  };
  /** Segments that must be refused, mixed with ordinary ones and very long ones. */
  const hostileSegment = fc.oneof(
    { weight: 4, arbitrary: fc.array(keyPiece, { minLength: 1, maxLength: 4 }).map((p) => p.join('')) },
    { weight: 1, arbitrary: fc.constantFrom('..', '.', '', 'a\\b', '\\', '..\\..', 'x\u0000y', 'tab\there') },
    // Names up to NAME_MAX (255 bytes) and beyond; five or more long ones make a path over 1023 characters.
    { weight: 2, arbitrary: fc.integer({ min: 150, max: 300 }).map((n) => 'n'.repeat(n)) },
    { weight: 1, arbitrary: fc.integer({ min: 60, max: 120 }).map((n) => '猫'.repeat(n)) },
    // Emoji are 1 character (code point) but 2 UTF-16 units: paths of 1,023 characters are far longer in `length`.
    { weight: 1, arbitrary: fc.integer({ min: 40, max: 70 }).map((n) => '😀'.repeat(n)) },
  );
  const hostileKey = fc.tuple(fc.constantFrom('in/', '', 'in/..', '../'), fc.array(hostileSegment, { minLength: 1, maxLength: 8 }))
    .map(([prefix, segments]) => prefix + segments.join('/'));

  const isDotName = (name: string) => name === '.' || name === '..';

  it('never plans a path with a "." / ".." name, a backslash, a control character, an empty name or more than 1023 characters; what it plans the client and the emulator accept', () => {
    const seen = { planned: 0, tooLong: 0, dotName: 0, backslash: 0 };
    fc.assert(
      fc.property(fc.array(hostileKey, { minLength: 1, maxLength: 20 }), (keys) => {
        const records = keys.map((key, i) => ({ bucket: BUCKET, key, size: i, eTag: `E${i}`, eventName: 'ObjectCreated:PutObject' }));
        const plan = planSubmissions(records, settings);
        expect(plan.items.length + plan.rejected.length).toBe(records.length);

        for (const item of plan.items) {
          for (const path of [item.srcFilePath, item.dstFilePath]) {
            expect(cpfsPathLength(path)).toBeLessThanOrEqual(1023);
            expect(path).not.toContain('\\');
            expect(path).not.toMatch(/\p{Cc}/u);
            expect(path.slice(1).split('/').some((name) => isDotName(name) || name === '')).toBe(false);
          }
          // The request ingest would send passes the client's validation and the emulator's path rules.
          const request = subTaskRequest(item, 'task-0123456789abcdef', 'cpfs-sub-0123456789abcdef0123456789abcdef0123456789abcdef', false);
          expect(() => validateRequest('CreateDataFlowSubTask', request)).not.toThrow();
          expect(() => validateFilePath('SrcFilePath', item.srcFilePath, true)).not.toThrow();
          expect(() => validateFilePath('DstFilePath', item.dstFilePath, true)).not.toThrow();
        }
        // Conversely: a key with a dot name, a backslash or an over-long path is never planned.
        seen.planned += plan.items.length;
        for (const { record, kind, reason } of plan.rejected) {
          if (reason.includes('longer than 1023')) seen.tooLong += 1;
          if (/contains a "\.\.?" name/.test(reason)) seen.dotName += 1;
          if (reason.includes('backslash')) seen.backslash += 1;
          expect(['invalid-path', 'directory-marker', 'duplicate']).toContain(kind);
          if (kind === 'invalid-path') expect(checkCpfsPath(`/${record.key}`, 'SrcFilePath').ok && checkCpfsPath(`/landing/${record.key}`, 'DstFilePath').ok).toBe(false);
        }
        const plannedKeys = new Set(plan.items.map((item) => item.record.key));
        for (const key of keys) {
          const bad = key.includes('\\') || key.split('/').some(isDotName) || cpfsPathLength(key) + 1 > 1023;
          if (bad) expect(plannedKeys.has(key), key).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
    // The generator did reach every rule (and left keys to plan).
    for (const [what, count] of Object.entries(seen)) expect(count, what).toBeGreaterThan(0);
  });
});

describe('properties: EntryList packing at the real 64 KB, realistic keys', () => {
  const settings: PlanningSettings = {
    fileSystemId: FILE_SYSTEM_ID,
    dataFlowId: DATA_FLOW_ID,
    sourceStoragePath: '/',
    routes: [
      { prefix: 'datasets/images/', dstDirectory: '/train/images/', conflictPolicy: 'KEEP_LATEST' },
      { prefix: 'checkpoints/', dstDirectory: '/ckpt/', conflictPolicy: 'OVERWRITE_EXISTING' },
      { prefix: '', dstDirectory: '/misc/', conflictPolicy: 'SKIP_THE_FILE' },
    ],
    defaultConflictPolicy: 'SKIP_THE_FILE',
  };
  const segment = fc.oneof(
    fc.stringMatching(/^[a-z0-9_-]{1,24}$/),
    fc.array(fc.constantFrom('样本', '数据集', 'é', '😀', '"', ' ', '+', '%'), { minLength: 1, maxLength: 8 }).map((p) => p.join('')),
  );
  const realisticKey = fc
    .tuple(
      fc.constantFrom('datasets/images/', 'checkpoints/', 'logs/', 'raw/'),
      fc.array(segment, { minLength: 1, maxLength: 6 }),
      fc.nat({ max: 999_999 }),
      fc.integer({ min: 0, max: 700 }),
    )
    .map(([prefix, segments, n, padding]) => `${prefix}${segments.join('/')}/${'p'.repeat(padding % 200)}${n}.bin`);

  // Explicit sizes: fast-check's default size would keep arrays far below what fills a 64 KB list.
  const manyKeys = fc.integer({ min: 200, max: 1500 }).chain((n) => fc.uniqueArray(realisticKey, { minLength: n, maxLength: n }));

  it('every list ≤ 65,536 bytes and accepted by the client and the emulator; every planned key in exactly one list', () => {
    let fullestGroup = 0;
    fc.assert(
      fc.property(manyKeys, (keys) => {
        const records = keys.map((key, i) => ({ bucket: BUCKET, key, size: i, eTag: `E${i}`, eventName: 'ObjectCreated:PutObject' }));
        const plan = planSubmissions(records, settings);
        const { batches, rejected } = planImportBatches(plan.items);

        const placed: string[] = [];
        for (const batch of batches) {
          expect(Buffer.byteLength(batch.entryList, 'utf8')).toBeLessThanOrEqual(65_535);
          const request = importRequest(batch, true, false);
          expect(() => validateRequest('CreateDataFlowTask', request)).not.toThrow();
          const entries = parseEntryList(batch.entryList); // throws the emulator's error code if refused
          expect(entries).toEqual(batch.items.map((item) => `/${item.record.key}`));
          placed.push(...entries);
        }
        // Never lost, never repeated: planned keys = placed ∪ rejected, disjoint.
        expect(new Set(placed).size).toBe(placed.length);
        const rejectedKeys = rejected.map((r) => `/${r.item.record.key}`);
        expect([...placed, ...rejectedKeys].sort()).toEqual(plan.items.map((item) => `/${item.record.key}`).sort());
        expect(rejected.every((r) => r.kind !== 'entry-too-large')).toBe(true); // realistic keys always fit
        const listsPerGroup = new Map<string, number>();
        for (const batch of batches) {
          const group = `${batch.conflictPolicy} ${batch.dstDirectory}`;
          listsPerGroup.set(group, (listsPerGroup.get(group) ?? 0) + 1);
        }
        fullestGroup = Math.max(fullestGroup, ...listsPerGroup.values());
      }),
      { numRuns: 25 },
    );
    // The runs did reach the limit: some group needed more than one 64 KB list.
    expect(fullestGroup).toBeGreaterThan(1);
  });
});

describe('properties: ClientToken derivation', () => {
  const text = fc.string({ unit: 'grapheme', maxLength: 40 });
  const eTag = fc.option(fc.stringMatching(/^"?[0-9a-fA-F]{32}"?$/), { nil: undefined });
  const size = fc.option(fc.nat({ max: 2 ** 40 }), { nil: undefined });
  const policy = fc.constantFrom(...CONFLICT_POLICIES);
  const subInput = fc.record({ fileSystemId: text, dataFlowId: text, streamTaskId: text, srcFilePath: text, dstFilePath: text, size, eTag });
  const streamInput = fc.record({ fileSystemId: text, dataFlowId: text, conflictPolicy: policy, directory: text, dstDirectory: text, generation: text });
  const importInput = fc.record({ fileSystemId: text, dataFlowId: text, conflictPolicy: policy, directory: text, dstDirectory: text, entryList: text });
  const objectInput = fc.record({ fileSystemId: text, dataFlowId: text, srcFilePath: text, dstFilePath: text, size, eTag });

  /** The ClientToken rule of the NAS client (schemas.ts) and the emulator: printable ASCII, 1–64 characters. */
  const TOKEN_RULE = /^[\x20-\x7e]{1,64}$/;

  /** What "the same content" means: eTags compare normalised (quotes stripped, case folded). */
  const contentOf = (input: Record<string, unknown>): string =>
    JSON.stringify(Object.entries(input).map(([k, v]) => [k, k === 'eTag' ? normalizeETag(v as string | undefined) : v ?? null]).sort());

  const kinds = [
    { name: 'subTaskClientToken', derive: subTaskClientToken as (i: never) => string, input: subInput },
    { name: 'streamTaskClientToken', derive: streamTaskClientToken as (i: never) => string, input: streamInput },
    { name: 'importTaskClientToken', derive: importTaskClientToken as (i: never) => string, input: importInput },
    { name: 'objectId', derive: objectId as (i: never) => string, input: objectInput },
  ] as const;

  for (const kind of kinds) {
    it(`${kind.name}: deterministic, printable ASCII ≤ 64 (accepted by the client), distinct for distinct content`, () => {
      fc.assert(
        fc.property(fc.uniqueArray(kind.input as fc.Arbitrary<Record<string, unknown>>, { selector: contentOf, minLength: 1, maxLength: 30 }), (inputs) => {
          const tokens = inputs.map((input) => kind.derive(input as never));
          for (const [i, token] of tokens.entries()) {
            expect(token).toMatch(TOKEN_RULE);
            expect(kind.derive(structuredClone(inputs[i]) as never)).toBe(token);
          }
          // The client accepts every token as a ClientToken (validateRequest would refuse a bad one).
          for (const token of tokens) {
            expect(() => validateRequest('CancelDataFlowTask', { FileSystemId: FILE_SYSTEM_ID, DataFlowId: DATA_FLOW_ID, TaskId: 'task-0123456789abcdef', ClientToken: token })).not.toThrow();
          }
          expect(new Set(tokens).size).toBe(inputs.length);
        }),
        { numRuns: 150 },
      );
    });
  }
});
