import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  DeadlineExceededError,
  NasApiError,
  ResponseShapeError,
  ValidationError,
} from '../../../shared/errors.js';
import { createNasClient, type NasClientOptions, type NasRequestEvent } from '../../../shared/nas/client.js';
import { parseAuthorization, signRequest } from '../../../shared/nas/signer.js';
import { fakeClock } from './fake-clock.js';

interface Received {
  action: string;
  params: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  signatureValid: boolean;
  url: string;
}

type Reply = { status: number; body: unknown };

/** A loopback stand-in for the NAS endpoint: records requests, checks signatures, answers from a script. */
let server: http.Server;
let endpoint: string;
const received: Received[] = [];
let script: ((r: Received) => Reply)[] = [];
const SECRET = 'client-test-secret-value';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = req.headers;
      const auth = parseAuthorization(String(headers['authorization'] ?? ''));
      const signedNames = auth?.signedHeaders ?? [];
      const toSign: Record<string, string> = {};
      for (const name of signedNames) toSign[name] = String(headers[name] ?? '');
      const recomputed = signRequest({
        method: req.method ?? '',
        host: String(headers.host),
        pathname: new URL(req.url ?? '/', 'http://x').pathname,
        query: {},
        headers: toSign,
        body,
        action: String(headers['x-acs-action']),
        version: String(headers['x-acs-version']),
        date: new Date(String(headers['x-acs-date'])),
        nonce: String(headers['x-acs-signature-nonce']),
        credentials: { accessKeyId: auth?.accessKeyId ?? '', accessKeySecret: SECRET, securityToken: headers['x-acs-security-token'] as string | undefined },
      });
      const entry: Received = {
        action: String(headers['x-acs-action']),
        params: Object.fromEntries(new URLSearchParams(body)),
        headers,
        signatureValid: auth !== undefined && recomputed.signature === auth.signature,
        url: req.url ?? '',
      };
      received.push(entry);
      const next = script.shift();
      const reply = next ? next(entry) : { status: 200, body: { RequestId: 'rid-default' } };
      res.statusCode = reply.status;
      res.setHeader('content-type', 'application/json');
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const clients: { close(): void }[] = [];
afterEach(() => {
  received.length = 0;
  script = [];
  clients.splice(0).forEach((c) => c.close());
});

function client(over: Partial<NasClientOptions> = {}) {
  const clock = fakeClock();
  const events: NasRequestEvent[] = [];
  let nonce = 0;
  const nas = createNasClient({
    endpoint,
    credentials: () => ({ accessKeyId: 'AKID', accessKeySecret: SECRET }),
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    nonce: () => `nonce-${++nonce}`,
    rateLimits: false,
    onRequest: (e) => events.push(e),
    ...over,
  });
  clients.push(nas);
  return { nas, clock, events };
}

const streamTask = {
  FileSystemId: 'bmcpfs-290w65p03ok64ya',
  DataFlowId: 'df-194433a5be31',
  TaskAction: 'StreamImport',
  DataType: 'MetaAndData',
  Directory: '/',
  DstDirectory: '/',
  ConflictPolicy: 'KEEP_LATEST',
  ClientToken: 'ct-1',
} as const;

const subTask = {
  FileSystemId: 'bmcpfs-290w65p03ok64ya',
  DataFlowId: 'df-194433a5be31',
  DataFlowTaskId: 'task-38aa8e890f45',
  SrcFilePath: '/source/a b+c%.png',
  DstFilePath: '/dst/中文.png',
  Condition: { Size: 122539, ModifyTime: 1_660_373_143_000_000_000 },
  ClientToken: 'ct-2',
} as const;

describe('createNasClient', () => {
  it('sends a signed form-body POST and returns the parsed answer', async () => {
    const { nas, events } = client();
    script = [() => ({ status: 200, body: { RequestId: 'rid-1', TaskId: 'task-38aa8e890f45' } })];
    const answer = await nas.createDataFlowTask(streamTask);
    expect(answer).toEqual({ RequestId: 'rid-1', TaskId: 'task-38aa8e890f45' });
    const [request] = received;
    expect(request?.signatureValid).toBe(true);
    expect(request?.url).toBe('/');
    expect(request?.action).toBe('CreateDataFlowTask');
    expect(request?.headers['x-acs-version']).toBe('2017-06-26');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.params).toEqual({ ...streamTask });
    expect(events).toEqual([{ operation: 'CreateDataFlowTask', attempt: 1, status: 200, requestId: 'rid-1', durationMs: 0 }]);
  });

  it('flattens Condition and Filters on the wire', async () => {
    const { nas } = client();
    script = [
      () => ({ status: 200, body: { RequestId: 'r', DataFlowSubTaskId: 'subTaskId-1' } }),
      () => ({ status: 200, body: { RequestId: 'r', TaskInfo: { Task: [{ TaskId: 'task-1a', Status: 'Executing' }] } } }),
    ];
    await nas.createDataFlowSubTask(subTask);
    const tasks = await nas.describeDataFlowTasks({
      FileSystemId: 'bmcpfs-290w65p03ok64ya',
      Filters: [{ Key: 'TaskIds', Value: 'task-1a,task-2b' }],
      MaxResults: 10,
      WithReports: false,
    });
    expect(tasks.TaskInfo?.Task?.[0]?.Status).toBe('Executing');
    expect(received[0]?.params).toMatchObject({
      SrcFilePath: '/source/a b+c%.png',
      DstFilePath: '/dst/中文.png',
      'Condition.Size': '122539',
      'Condition.ModifyTime': '1660373143000000000',
    });
    expect(received[1]?.params).toEqual({
      FileSystemId: 'bmcpfs-290w65p03ok64ya',
      'Filters.1.Key': 'TaskIds',
      'Filters.1.Value': 'task-1a,task-2b',
      MaxResults: '10',
      WithReports: 'false',
    });
    expect(received.every((r) => r.signatureValid)).toBe(true);
  });

  it('retries throttling with a fresh nonce and signature per attempt, same body', async () => {
    const { nas, events, clock } = client();
    const throttled = () => ({ status: 400, body: { RequestId: 'rt', HostId: 'h', Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' } });
    script = [throttled, throttled, () => ({ status: 200, body: { RequestId: 'ok', DataFlowSubTaskId: 'subTaskId-1' } })];
    const answer = await nas.createDataFlowSubTask(subTask);
    expect(answer.DataFlowSubTaskId).toBe('subTaskId-1');
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.headers['x-acs-signature-nonce'])).size).toBe(3);
    expect(new Set(received.map((r) => JSON.stringify(r.params))).size).toBe(1);
    expect(received.every((r) => r.signatureValid)).toBe(true);
    expect(events.map((e) => [e.attempt, e.status, e.code])).toEqual([
      [1, 400, 'Throttling.User'],
      [2, 400, 'Throttling.User'],
      [3, 200, undefined],
    ]);
    expect(clock.sleeps).toEqual([100, 200]);
  });

  it('does not retry a permanent error', async () => {
    const { nas } = client();
    script = [() => ({ status: 404, body: { RequestId: 'r404', Code: 'InvalidDataFlow.NotFound', Message: 'The specified data flow does not exist.' } })];
    const error = await nas.createDataFlowTask(streamTask).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NasApiError);
    expect(error).toMatchObject({ code: 'InvalidDataFlow.NotFound', httpStatus: 404, retryable: false, requestId: 'r404', action: 'CreateDataFlowTask' });
    expect(received).toHaveLength(1);
  });

  it('re-reads credentials on every attempt (expired STS token)', async () => {
    let reads = 0;
    const { nas } = client({
      credentials: () => ({ accessKeyId: 'STS.ID', accessKeySecret: SECRET, securityToken: `token-${++reads}` }),
    });
    script = [
      () => ({ status: 400, body: { Code: 'InvalidSecurityToken.Expired', Message: 'expired' } }),
      () => ({ status: 200, body: { RequestId: 'ok' } }),
    ];
    await nas.cancelDataFlowTask({ FileSystemId: 'bmcpfs-1a', DataFlowId: 'df-1a', TaskId: 'task-1a' });
    expect(received.map((r) => r.headers['x-acs-security-token'])).toEqual(['token-1', 'token-2']);
    expect(received.every((r) => r.signatureValid)).toBe(true);
  });

  it('keeps echoed secrets out of error messages', async () => {
    const token = 'CAISsecret-sts-token-value';
    const { nas } = client({ credentials: () => ({ accessKeyId: 'STS.ID', accessKeySecret: SECRET, securityToken: token }) });
    script = [() => ({ status: 400, body: { Code: 'SignatureDoesNotMatch', Message: `server saw token ${token} and key ${SECRET}` } })];
    const error = (await nas.describeDataFlows({ FileSystemId: 'cpfs-1a' }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(NasApiError);
    expect(error.message).toContain('SignatureDoesNotMatch');
    expect(error.message).not.toContain(token);
    expect(error.message).not.toContain(SECRET);
  });

  it('rejects an answer of the wrong shape without retrying', async () => {
    const { nas } = client();
    script = [() => ({ status: 200, body: { RequestId: 'r', TaskInfo: { Task: [{ Status: 'Executing' }] } } })];
    const error = await nas.describeDataFlowTasks({ FileSystemId: 'cpfs-1a' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseShapeError);
    expect((error as Error).message).toContain('TaskInfo.Task.0.TaskId');
    expect(received).toHaveLength(1);
    script = [() => ({ status: 200, body: 'not json' })];
    await expect(nas.describeDataFlowTasks({ FileSystemId: 'cpfs-1a' })).rejects.toThrow('is not JSON');
  });

  it('validates before sending anything', async () => {
    const { nas } = client();
    await expect(nas.createDataFlowTask({ ...streamTask, Directory: 'no-slash' })).rejects.toBeInstanceOf(ValidationError);
    expect(received).toHaveLength(0);
  });

  it('stops retrying at the call deadline', async () => {
    const { nas, clock } = client({ baseDelayMs: 1_000, maxDelayMs: 60_000 });
    const busy = () => ({ status: 503, body: { Code: 'ServiceUnavailable', Message: 'busy' } });
    script = [busy, busy, busy, busy, busy];
    const error = await nas
      .describeDataFlowTasks({ FileSystemId: 'cpfs-1a' }, { deadlineMs: clock.now() + 1_200 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ServiceUnavailable' });
    // sleeps 500 (attempt 2 at +500), next would be 1000 → +1500 ≥ deadline: stop.
    expect(received).toHaveLength(2);
    await expect(nas.describeDataFlowTasks({ FileSystemId: 'cpfs-1a' }, { deadlineMs: clock.now() })).rejects.toBeInstanceOf(DeadlineExceededError);
  });

  it('waits for rate-limit slots on its clock', async () => {
    const { nas, clock } = client({ rateLimits: { CreateDataFlowSubTask: { limit: 3, intervalMs: 1_000, burst: 1 } } });
    const start = clock.now();
    for (let i = 0; i < 3; i++) await nas.createDataFlowSubTask({ ...subTask, ClientToken: `ct-${i}` });
    expect(received).toHaveLength(3);
    // burst 1, then 2 per second: tokens at +0, +500, +1000.
    expect(clock.now() - start).toBe(1_000);
  });

  it('adapts its rate to throttling: fewer attempts than a fixed limit against a busier quota', async () => {
    /**
     * Runs `calls` sub-task calls one after another against a fake NAS whose quota (20 per sliding
     * second, on the fake clock) is far below the client's limit (97/s) — as when other instances
     * share it. Returns the attempts sent, the throttled ones, and the calls that failed.
     */
    async function run(adaptiveRateLimits: boolean, calls: number) {
      const clock = fakeClock(0);
      const admitted: number[] = [];
      let attempts = 0;
      let throttled = 0;
      const nas = createNasClient({
        endpoint: 'http://127.0.0.1:9',
        credentials: () => ({ accessKeyId: 'AKID', accessKeySecret: SECRET }),
        now: clock.now,
        sleep: clock.sleep,
        random: () => 0.5,
        nonce: () => `n-${attempts}`,
        maxAttempts: 8,
        rateLimits: { CreateDataFlowSubTask: { limit: 97, intervalMs: 1_000 } },
        adaptiveRateLimits,
        send: async () => {
          attempts++;
          const now = clock.now();
          while (admitted.length > 0 && (admitted[0] as number) <= now - 1_000) admitted.shift();
          if (admitted.length >= 20) {
            throttled++;
            return { status: 400, headers: {}, body: JSON.stringify({ RequestId: 'rt', Code: 'Throttling.User', Message: 'flow control' }) };
          }
          admitted.push(now);
          return { status: 200, headers: {}, body: JSON.stringify({ RequestId: 'ok', DataFlowSubTaskId: `subTaskId-${attempts}` }) };
        },
      });
      clients.push(nas);
      let failed = 0;
      for (let i = 0; i < calls; i++) {
        await nas.createDataFlowSubTask({ ...subTask, ClientToken: `ct-${i}` }).catch(() => failed++);
      }
      return { attempts, throttled, failed };
    }
    const fixed = await run(false, 600);
    const adaptive = await run(true, 600);
    expect(fixed.throttled).toBeGreaterThan(0); // the scenario does throttle
    expect(adaptive.failed).toBe(0);
    expect(adaptive.attempts).toBeLessThan(fixed.attempts);
    expect(adaptive.throttled).toBeLessThan(fixed.throttled / 2);
  });

  it('refuses a bad endpoint with ConfigError', () => {
    expect(() => createNasClient({ endpoint: 'ftp://x', credentials: () => ({ accessKeyId: 'a', accessKeySecret: 'b' }) })).toThrow(ConfigError);
    expect(() => createNasClient({ endpoint: 'not a url', credentials: () => ({ accessKeyId: 'a', accessKeySecret: 'b' }) })).toThrow(ConfigError);
  });
});
