/**
 * Issue 13, point 6: every call's timeout, retries and backoff end by the invocation deadline, so the
 * handler returns before function.timeout under any fault mix. The real NAS client (signing, retries,
 * rate limits) runs over a fake HTTP sender on an injected clock: a timed-out attempt costs exactly its
 * `timeoutMs` of that clock, every sleep advances it. Nothing depends on machine speed.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/load-config.js';
import { NetworkError, TimeoutError } from '../../../shared/errors.js';
import { ingest, InstanceState } from '../../../shared/ingest/index.js';
import { createLogger } from '../../../shared/log.js';
import { createNasClient } from '../../../shared/nas/client.js';
import type { HttpRequest, HttpResponse } from '../../../shared/nas/transport.js';
import { nativeEnvelope, objectCreatedEvent, toPayload } from '../../support/event-factories.js';

const START = Date.UTC(2024, 6, 1, 12, 0, 0);

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function ok(body: Record<string, unknown>): HttpResponse {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ RequestId: 'r', ...body }) };
}

/** A service that answers correctly, slowly, or not at all, at random. */
function faultySend(clock: { now: number }, random: () => number, sends: Array<{ at: number; timeoutMs: number }>) {
  return async (request: HttpRequest): Promise<HttpResponse> => {
    sends.push({ at: clock.now, timeoutMs: request.timeoutMs });
    const roll = random();
    if (roll < 0.3) {
      // Hangs: the attempt ends at its timeout, not later.
      clock.now += request.timeoutMs;
      throw new TimeoutError(`no complete answer within ${request.timeoutMs} ms`);
    }
    if (roll < 0.45) {
      clock.now += 3;
      throw new NetworkError('connection reset');
    }
    if (roll < 0.6) {
      clock.now += 5;
      return { status: 503, headers: {}, body: JSON.stringify({ RequestId: 'r', Code: 'ServiceUnavailable', Message: 'busy' }) };
    }
    if (roll < 0.7) {
      clock.now += 5;
      return { status: 400, headers: {}, body: JSON.stringify({ RequestId: 'r', Code: 'Throttling.User', Message: 'slow down' }) };
    }
    clock.now += 20;
    switch (request.headers['x-acs-action']) {
      case 'DescribeDataFlowTasks':
        return ok({ TaskInfo: { Task: [{ TaskId: 'task-1', Status: 'Executing', TaskAction: 'StreamImport', ConflictPolicy: 'KEEP_LATEST', Directory: '/', DstDirectory: '/' }] } });
      case 'DescribeDataFlowSubTasks':
        return ok({ DataFlowSubTask: { DataFlowSubTask: [] } });
      case 'CreateDataFlowSubTask':
        return ok({ DataFlowSubTaskId: `sub-${sends.length}` });
      default:
        return ok({ TaskId: 'task-1' });
    }
  };
}

describe('every call ends by the invocation deadline (injected clock, any fault mix)', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('fault mix seed %i: no attempt outlives the deadline, no sleep passes it, ingest returns by it', async (seed) => {
    const clock = { now: START };
    const random = seeded(seed);
    const sends: Array<{ at: number; timeoutMs: number }> = [];
    const sleeps: Array<{ at: number; ms: number }> = [];
    const sleep = async (ms: number) => {
      sleeps.push({ at: clock.now, ms });
      clock.now += ms;
    };
    const api = createNasClient({
      endpoint: 'http://127.0.0.1:9',
      credentials: () => ({ accessKeyId: 'id', accessKeySecret: 'secret' }),
      // A per-attempt timeout far longer than the window: only the deadline can cut it.
      timeoutMs: 60_000,
      now: () => clock.now,
      sleep,
      random,
      rateLimits: false,
      send: faultySend(clock, random, sends),
    });
    const config = loadConfig({
      CPFS_FILE_SYSTEM_ID: 'bmcpfs-unit00000001',
      CPFS_DATA_FLOW_ID: 'df-unit00000001',
      CPFS_SOURCE_STORAGE_PATH: '/in/',
      NAS_ENDPOINT: 'http://127.0.0.1:9',
      CPFS_ROUTES: JSON.stringify([{ prefix: 'in/', dstDirectory: '/d/', conflictPolicy: 'KEEP_LATEST' }]),
      CPFS_IMPORT_MODE: 'stream',
    });
    const deadlineMs = START + 3_000;
    const payload = toPayload(nativeEnvelope(Array.from({ length: 150 }, (_, i) => objectCreatedEvent({ key: `in/o${i}.bin`, size: 1 }))));
    const report = await ingest(payload, { config, api, logger: createLogger({ write: () => undefined }), state: new InstanceState(), now: () => clock.now, sleep }, { deadlineMs });

    expect(sends.length).toBeGreaterThan(0);
    for (const send of sends) {
      expect(send.at, 'an attempt started at or after the deadline').toBeLessThan(deadlineMs);
      expect(send.at + send.timeoutMs, 'an attempt could outlive the deadline').toBeLessThanOrEqual(deadlineMs);
    }
    for (const s of sleeps) expect(s.at + s.ms, 'a backoff sleep passed the deadline').toBeLessThanOrEqual(deadlineMs);
    // ingest returned by the deadline (function.timeout is later by the configured margin).
    expect(clock.now).toBeLessThanOrEqual(deadlineMs);
    expect(report.outcomes).toHaveLength(150);
    api.close();
  });
});
