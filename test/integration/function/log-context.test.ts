/**
 * Powertools-style log context (issue 9 point 5): every line of an invocation carries functionName,
 * requestId and coldStart; each invocation ends with one `invocation.metrics` line whose counts come from
 * the report and from the instance's NAS client (retries, Throttling answers).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../emulator/clock.js';
import { createRuntime, METRICS_EVENT, runIngestInvocation, type Runtime } from '../../../shared/runtime.js';
import { IDS, startTestEmulator, TEST_KEY, type EmulatorFixture } from '../../support/emulator-fixtures.js';
import { nativeEnvelope, objectCreatedEvent, toPayload } from '../../support/event-factories.js';

let fixture: EmulatorFixture | undefined;
let runtime: Runtime | undefined;
afterEach(async () => {
  runtime?.api.close();
  await fixture?.cleanup();
  fixture = runtime = undefined;
});

const context = (n: number) => ({
  requestId: `req-${n}`,
  credentials: { accessKeyId: TEST_KEY.accessKeyId, accessKeySecret: TEST_KEY.accessKeySecret },
  function: { name: 'cpfs-ingest-oss-stream-import', timeout: 60 },
  region: 'cn-hangzhou',
});

type Line = Record<string, unknown>;

describe('log context and the metric line', () => {
  it('names function, request and cold start on every line; one metric line per invocation with retries and throttles', async () => {
    // The runtime signs with the real clock: start the emulator's (manual) clock at now.
    fixture = await startTestEmulator({ clock: createManualClock(Date.now()) });
    const lines: string[] = [];
    const env = {
      CPFS_FILE_SYSTEM_ID: IDS.lingjun,
      CPFS_DATA_FLOW_ID: IDS.lingjunFlow,
      NAS_ENDPOINT: fixture.emulator.url,
      CPFS_LOG_LEVEL: 'debug',
      CPFS_MAX_CONCURENCY: '4',
    };
    runtime = createRuntime({ env, fcContext: context(1), write: (l) => lines.push(l) });
    const event = toPayload(nativeEnvelope([
      objectCreatedEvent({ bucket: 'test-bucket', key: 'a/one.bin' }),
      objectCreatedEvent({ bucket: 'test-bucket', key: 'a/two.bin' }),
      objectCreatedEvent({ bucket: 'test-bucket', key: 'a/', eventName: 'ObjectRemoved:DeleteObject' }),
    ]));

    // Two Throttling answers for the first sub-task calls: the client retries them.
    fixture.emulator.faults.injectNext('CreateDataFlowSubTask', 'throttle', 2);
    const first = await runIngestInvocation(runtime, event, context(1));
    expect(first.counts.submitted, JSON.stringify(first.outcomes)).toBe(2);
    const second = await runIngestInvocation(runtime, event, context(2));
    expect(second.retryableFailures).toBe(0);

    const parsed = lines.map((l) => JSON.parse(l) as Line);
    expect(parsed.length).toBeGreaterThan(2);
    for (const line of parsed) {
      expect(line['functionName']).toBe('cpfs-ingest-oss-stream-import');
      expect(['req-1', 'req-2']).toContain(line['requestId']);
      expect(line['coldStart']).toBe(line['requestId'] === 'req-1');
    }
    // The typo is warned about at cold start, with a suggestion.
    expect(parsed[0]).toMatchObject({ event: 'config.note', requestId: 'req-1', note: expect.stringContaining('did you mean CPFS_MAX_CONCURRENCY?') });

    const metrics = parsed.filter((l) => l['event'] === METRICS_EVENT);
    expect(metrics).toHaveLength(2);
    expect(metrics[0]).toMatchObject({
      level: 'info', requestId: 'req-1', coldStart: true, result: 'ok', mode: 'stream',
      records: 3, submitted: 2, ignored: 1, rejected: 0, failed: 0, retryableFailures: 0, retries: 2, throttles: 2,
    });
    expect(metrics[0]?.['nasCalls']).toBeGreaterThanOrEqual(4);
    expect(typeof metrics[0]?.['durationMs']).toBe('number');
    // The warm replay: same objects, no throttling injected.
    expect(metrics[1]).toMatchObject({ requestId: 'req-2', coldStart: false, result: 'ok', retries: 0, throttles: 0 });
  });

  it('CPFS_LOG_LEVEL=warn drops the info lines, the metric line included', async () => {
    // The runtime signs with the real clock: start the emulator's (manual) clock at now.
    fixture = await startTestEmulator({ clock: createManualClock(Date.now()) });
    const lines: string[] = [];
    const env = { CPFS_FILE_SYSTEM_ID: IDS.lingjun, CPFS_DATA_FLOW_ID: IDS.lingjunFlow, NAS_ENDPOINT: fixture.emulator.url, CPFS_LOG_LEVEL: 'warn' };
    runtime = createRuntime({ env, fcContext: context(1), write: (l) => lines.push(l) });
    await runIngestInvocation(runtime, toPayload(nativeEnvelope([objectCreatedEvent({ bucket: 'test-bucket', key: 'x/1' })])), context(1));
    const levels = lines.map((l) => (JSON.parse(l) as Line)['level']);
    expect(levels.every((level) => level === 'warn' || level === 'error')).toBe(true);
  });
});
