/**
 * Issue 13 properties (fast-check), next to properties.test.ts:
 * - overwrites: for any sequence of versions of any keys delivered to cold instances with any deadline,
 *   every `submitted` outcome names the sub-task created for THAT version (size), never an older one's;
 * - XML / base64 near-misses: the parser never throws, never invents a record, and accounts for the payload;
 * - huge keys: every outcome and the handler result stay bounded whatever the key length.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEvents } from '../../shared/events/parse-events.js';
import { MAX_RESULT_BYTES, summaryOf } from '../../shared/handler-result.js';
import { ingest, InstanceState, type IngestDeps } from '../../shared/ingest/index.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { createLogger } from '../../shared/log.js';
import { BOUND_SUFFIX_MAX_CHARS, MAX_OUTCOME_KEY_CHARS, MAX_OUTCOME_MESSAGE_CHARS } from '../../shared/text-bound.js';
import { nativeEnvelope, objectCreatedEvent, toPayload } from '../support/event-factories.js';
import { FakeDataFlowApi } from '../support/fake-data-flow-api.js';

const NOW = Date.UTC(2024, 6, 1, 12, 0, 0);
const config = loadConfig({
  CPFS_FILE_SYSTEM_ID: 'bmcpfs-prop00000001',
  CPFS_DATA_FLOW_ID: 'df-prop00000001',
  CPFS_SOURCE_STORAGE_PATH: '/in/',
  NAS_ENDPOINT: 'http://127.0.0.1:9',
  CPFS_ROUTES: JSON.stringify([{ prefix: 'in/', dstDirectory: '/d/', conflictPolicy: 'KEEP_LATEST' }]),
  CPFS_IMPORT_MODE: 'stream',
  CPFS_MAX_CONCURRENCY: '4',
});

function deps(api: FakeDataFlowApi, clock: { now: number }, msPerCall: number): IngestDeps {
  api.clearFailures();
  api.fail((operation) => {
    if (operation === 'CreateDataFlowSubTask') clock.now += msPerCall;
    return undefined;
  });
  return { config, api, logger: createLogger({ write: () => undefined }), state: new InstanceState(), now: () => clock.now, sleep: async (ms) => void (clock.now += ms) };
}

describe('issue 13 properties', () => {
  it('overwrites on cold instances with any deadline: submitted always names this version’s sub-task', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 65, max: 140 }),
        fc.array(fc.record({ size: fc.integer({ min: 0, max: 1_000_000 }), windowMs: fc.integer({ min: 0, max: 3_000 }) }), { minLength: 2, maxLength: 4 }),
        async (count, versions) => {
          const api = new FakeDataFlowApi();
          const keys = Array.from({ length: count }, (_, i) => `in/k${i}.bin`);
          for (const [n, version] of versions.entries()) {
            const size = version.size + n; // each delivery a different version
            const clock = { now: NOW };
            const report = await ingest(toPayload(nativeEnvelope(keys.map((key) => objectCreatedEvent({ key, size })))), deps(api, clock, 20), { deadlineMs: NOW + version.windowMs });
            for (const outcome of report.outcomes) {
              if (outcome.status !== 'submitted') {
                expect(outcome).toMatchObject({ status: 'failed', retryable: true });
                continue;
              }
              const sub = [...api.subTasks.values()].find((s) => s.DataFlowSubTaskId === outcome.subTaskId);
              expect(sub?.Size).toBe(size);
              expect(sub?.SrcFilePath).toBe(outcome.srcFilePath);
            }
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  const nearMiss = fc.oneof(
    fc.tuple(fc.constantFrom('<Message>', '<Message ', '</Message', '<MessageId>', '<![CDATA[', ']]>', '&amp', '&#x', '<Notification>'), fc.nat(2000)).map(([unit, n]) => unit.repeat(n)),
    fc.tuple(fc.base64String({ maxLength: 4000 }), fc.constantFrom('', '=', '!', 'A', '==', '\n')).map(([b, tail]) => b + tail),
    fc.string({ maxLength: 500 }).map((s) => `<Notification><Message>${s}`),
  );

  it('XML and base64 near-misses: never throws, never invents a record, always accounted for', () => {
    fc.assert(
      fc.property(nearMiss, (text) => {
        const parsed = parseEvents(text, { keyEncoding: 'raw' });
        expect(parsed.records).toEqual([]);
        expect(parsed.malformed.length + parsed.ignored.length + parsed.empty.length).toBeGreaterThan(0);
        for (const m of parsed.malformed) expect(m.reason.length).toBeLessThan(1000);
      }),
      { numRuns: 300 },
    );
  });

  it('huge keys: every outcome and the handler result stay bounded', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 200_000 }), { minLength: 1, maxLength: 30 }), async (lengths) => {
        const api = new FakeDataFlowApi();
        const payload = toPayload(nativeEnvelope(lengths.map((length, i) => objectCreatedEvent({ key: `in/${i}-${'x'.repeat(length)}`, size: 1 }))));
        const report = await ingest(payload, deps(api, { now: NOW }, 0), { deadlineMs: NOW + 60_000 });
        expect(report.outcomes).toHaveLength(lengths.length);
        for (const outcome of report.outcomes) {
          if ('key' in outcome && outcome.key !== undefined) expect(outcome.key.length).toBeLessThanOrEqual(MAX_OUTCOME_KEY_CHARS + BOUND_SUFFIX_MAX_CHARS);
          if ('reason' in outcome) expect(outcome.reason.length).toBeLessThanOrEqual(MAX_OUTCOME_MESSAGE_CHARS + BOUND_SUFFIX_MAX_CHARS);
        }
        expect(Buffer.byteLength(JSON.stringify(summaryOf(report)))).toBeLessThanOrEqual(MAX_RESULT_BYTES);
      }),
      { numRuns: 15 },
    );
  });
});
