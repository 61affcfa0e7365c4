/**
 * createIngestHandler (functions/oss-stream-import/handler.ts), the factory behind the FC entry and the
 * demo: it takes the environment, the log sink and the clock it is given and reads neither `process.env`
 * nor writes to `process.stdout`. Checked on the source and on the BUILT bundle (which exports it too).
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createManualClock } from '../../../emulator/clock.js';
import { createIngestHandler, type IngestHandlerDeps } from '../../../functions/oss-stream-import/handler.js';
import { createReconcileHandler } from '../../../functions/reconcile/handler.js';
import { IDS, startTestEmulator, TEST_KEY, type EmulatorFixture } from '../../support/emulator-fixtures.js';
import { nativeEnvelope, objectCreatedEvent, toPayload } from '../../support/event-factories.js';
import { FUNCTION_BUNDLE } from '../../support/function-harness.js';

/** The variables the function reads: none of them may be looked up on process.env. */
const FUNCTION_ENV = /^(CPFS_|NAS_ENDPOINT$|FC_|ALIBABA_CLOUD_)/;

let fixture: EmulatorFixture | undefined;
let restoreEnv: (() => void) | undefined;
afterEach(async () => {
  restoreEnv?.();
  vi.restoreAllMocks();
  await fixture?.cleanup();
  fixture = restoreEnv = undefined;
});

/**
 * Swaps process.env for a proxy that records every function variable looked up on it. It holds decoy
 * function variables (a wrong file system, debug logging), so that copying or enumerating it reads them too.
 */
function watchProcessEnv(): string[] {
  const reads: string[] = [];
  const real = process.env;
  const decoy: NodeJS.ProcessEnv = { ...real, CPFS_FILE_SYSTEM_ID: 'bmcpfs-fromprocessenv', CPFS_LOG_LEVEL: 'debug' };
  process.env = new Proxy(decoy, {
    get(target, key, receiver) {
      if (typeof key === 'string' && FUNCTION_ENV.test(key)) reads.push(key);
      return Reflect.get(target, key, receiver) as unknown;
    },
    has(target, key) {
      if (typeof key === 'string' && FUNCTION_ENV.test(key)) reads.push(key);
      return Reflect.has(target, key);
    },
  });
  restoreEnv = () => {
    process.env = real;
  };
  return reads;
}

const context = (n: number) => ({
  requestId: `req-handler-${n}`,
  credentials: { accessKeyId: TEST_KEY.accessKeyId, accessKeySecret: TEST_KEY.accessKeySecret },
  function: { name: 'cpfs-ingest-oss-stream-import', handler: 'index.handler', memory: 512, timeout: 60 },
  region: 'cn-hangzhou',
});

type Factory = (deps: IngestHandlerDeps) => (event: Buffer, context: unknown) => Promise<unknown>;

const factories: Array<[string, () => Factory]> = [
  ['source', () => createIngestHandler],
  ['built bundle', () => {
    const load = createRequire(FUNCTION_BUNDLE);
    const mod = load(FUNCTION_BUNDLE) as { createIngestHandler?: unknown };
    expect(typeof mod.createIngestHandler).toBe('function');
    return mod.createIngestHandler as Factory;
  }],
];

describe.each(factories)('createIngestHandler (%s)', (_name, factory) => {
  it('configures itself from the injected env, logs to the injected sink and clock, and never touches process.env or stdout', async () => {
    fixture = await startTestEmulator({ clock: createManualClock(Date.now()) });
    const make = factory();
    const reads = watchProcessEnv();
    const stdout = vi.spyOn(process.stdout, 'write');
    const lines: string[] = [];
    let clockCalls = 0;
    const handler = make({
      env: { CPFS_FILE_SYSTEM_ID: IDS.lingjun, CPFS_DATA_FLOW_ID: IDS.lingjunFlow, NAS_ENDPOINT: fixture.emulator.url },
      write: (line) => lines.push(line),
      now: () => {
        clockCalls += 1;
        return Date.now();
      },
    });
    const event = toPayload(nativeEnvelope([objectCreatedEvent({ bucket: 'test-bucket', key: 'a/one.bin' })]));
    const result = (await handler(event, context(1))) as { outcomes: Array<{ status: string }> };

    expect(result.outcomes.map((o) => o.status)).toEqual(['submitted']);
    expect(reads).toEqual([]);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const metrics = parsed.find((l) => l['event'] === 'invocation.metrics');
    expect(metrics).toMatchObject({ requestId: 'req-handler-1', coldStart: true, functionName: 'cpfs-ingest-oss-stream-import', submitted: 1 });
    expect(clockCalls).toBeGreaterThan(0);
    const printed = stdout.mock.calls.map((call) => String(call[0]));
    expect(printed.filter((chunk) => chunk.includes('invocation.metrics'))).toEqual([]);
  });

  it('builds its runtime on the first invocation: a configuration error fails that invocation, not the factory', async () => {
    const make = factory();
    const reads = watchProcessEnv();
    const lines: string[] = [];
    const handler = make({ env: { CPFS_DATA_FLOW_ID: IDS.lingjunFlow }, write: (line) => lines.push(line) });
    const event = toPayload(nativeEnvelope([objectCreatedEvent({ bucket: 'test-bucket', key: 'a/one.bin' })]));
    await expect(handler(event, context(2))).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringContaining('CPFS_FILE_SYSTEM_ID') });
    expect(reads).toEqual([]);
  });
});

describe('createReconcileHandler', () => {
  it('configures itself from the injected env on the first run (a missing OSS_BUCKET fails that run) and reads nothing from process.env', async () => {
    const reads = watchProcessEnv();
    const lines: string[] = [];
    const handler = createReconcileHandler({ env: { CPFS_FILE_SYSTEM_ID: IDS.lingjun, CPFS_DATA_FLOW_ID: IDS.lingjunFlow }, write: (line) => lines.push(line) });
    await expect(handler({}, context(3))).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringContaining('OSS_BUCKET') });
    expect(reads).toEqual([]);
  });
});
