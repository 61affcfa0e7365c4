/**
 * The NAS OpenAPI emulator: an HTTP server on loopback that speaks the data-flow subset of NAS OpenAPI
 * 2017-06-26 as documented (docs/platform.md §1–2), for tests, the demo and benchmarks.
 *
 * One request goes through: path/method → action (x-acs-action) → injected fault → version → content type
 * → parameters (query + form body) → ACS3 signature → quota → ClientToken replay → action → response
 * (after any injected latency, or a dropped socket).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { randomInt } from 'node:crypto';
import { NAS_API_VERSION, type DataFlowStatus } from '../shared/nas/wire.js';
import type { EmulatorOperationName as OperationName } from './actions.js';
import { NonceMemory, verifyRequest, type EmulatorKey, type KeyRecord } from './auth.js';
import { createEmulatorClock, createScaledClock, type EmulatorClock, type TimeSource } from './clock.js';
import { EmulatorApiError, apiError, type EmulatorErrorCode } from './errors.js';
import { FaultInjector, type FaultKind } from './faults.js';
import { ClientTokenMemory } from './idempotency.js';
import { DEFAULT_TIMINGS, LifecycleEngine, type LifecycleTimings } from './lifecycle.js';
import { IDEMPOTENT_ACTIONS, OPERATIONS, isOperationName } from './operations.js';
import { paramByteLengths, parseRequestParams, redactParams } from './params.js';
import { ENTRY_LIST_ELEMENT_BASE, type EntryPathBase, type SubTaskPathBase } from './paths.js';
import { QuotaTracker, type QuotaOverrides } from './quotas.js';
import { createRandom } from './random.js';
import { RequestLog, type RequestLogEntry } from './request-log.js';
import {
  createState,
  fileSystemKindOf,
  type DataFlowRecord,
  type EmulatorStateView,
  type FileSystemRecord,
  type ImportCount,
  type TaskRecord,
} from './state.js';
import { bucketNameOf, localPathOf } from './storage.js';
import { createS3Handler, isS3Request, type S3RequestEntry } from './s3/handler.js';

/** The local test key used when no `keys` option is given (and by `npm run emulator`). Not a real secret. */
export const DEFAULT_EMULATOR_KEY: EmulatorKey = Object.freeze({
  accessKeyId: 'LTAI-emulator',
  accessKeySecret: 'emulator-local-test-secret',
});

const DEFAULT_ACCOUNT_ID = '1234567890123456';

export interface FileSystemSeed {
  /** `bmcpfs-…` (CPFS for LINGJUN) or `cpfs-…` (CPFS general purpose). */
  readonly id: string;
  /** Default `2.6.0`. */
  readonly version?: string;
  /** Local directory backing this file system (overrides `fileSystemDir`). */
  readonly dir?: string;
}

export interface DataFlowSeed {
  readonly id: string;
  readonly fileSystemId: string;
  /** Default `Running`. */
  readonly status?: DataFlowStatus;
  /** `oss://bucket` */
  readonly sourceStorage: string;
  /** Default `/`. */
  readonly sourceStoragePath?: string;
  /** Default `/`. */
  readonly fileSystemPath?: string;
  readonly description?: string;
}

export interface EmulatorOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0 (any free port). */
  readonly port?: number;
  /** Accepted keys; default `[DEFAULT_EMULATOR_KEY]`. A key with `securityToken` is an STS key. */
  readonly keys?: readonly EmulatorKey[];
  readonly fileSystems?: readonly FileSystemSeed[];
  readonly dataFlows?: readonly DataFlowSeed[];
  /** Per-API quota overrides over `EMULATOR_DOCUMENTED_QUOTAS` (`null` switches one off). */
  readonly quotas?: QuotaOverrides;
  /** Time source; default the wall clock sped up by `timeScale`. `handle.clock.advance()` works on either. */
  readonly clock?: TimeSource;
  /** Speed of the default clock (ignored when `clock` is given). Default 1. */
  readonly timeScale?: number;
  /** Lifecycle durations in emulator-clock ms; defaults in `DEFAULT_TIMINGS`. */
  readonly timings?: Partial<LifecycleTimings>;
  /** Directory backing every bucket not named in `buckets`. */
  readonly bucketDir?: string;
  /** Directory per bucket name. */
  readonly buckets?: Readonly<Record<string, string>>;
  /** Directory backing every file system without its own `dir`. */
  readonly fileSystemDir?: string;
  /** UNVERIFIED base of sub-task paths (see resolveSubTaskPaths); default `'task'`. */
  readonly subTaskPathBase?: SubTaskPathBase;
  /** UNVERIFIED reading of batch EntryList elements (see paths.ENTRY_LIST_ELEMENT_BASE); default that constant. */
  readonly entryPathBase?: EntryPathBase;
  /** Granularity of the Condition.ModifyTime comparison, ns; default 1e9 (one second). */
  readonly modifyTimePrecisionNs?: bigint;
  /** Seed of ids, request ids and (unless reseeded) fault draws; default random. */
  readonly seed?: number;
  /** How long ClientTokens are remembered; default until the emulator stops. */
  readonly clientTokenTtlMs?: number;
  /** Real-time interval of background lifecycle ticks; `false` = only on requests/admin calls. Default 200. */
  readonly autoTickMs?: number | false;
  /** HostId of error bodies; default the request's Host header. */
  readonly hostId?: string;
  /** Called after each request is logged (e.g. to print a line); entries hold no secrets. */
  readonly onRequest?: (entry: RequestLogEntry) => void;
  /** Called after each request to the S3-compatible OSS endpoint (emulator/s3/); entries hold no secrets. */
  readonly onS3Request?: (entry: S3RequestEntry) => void;
}

/** The running emulator. */
export interface EmulatorHandle {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Stops listening, drops open connections and pending delayed responses. */
  stop(): Promise<void>;
  /** Live, read-only view of file systems, data flows, tasks and sub-tasks. */
  readonly state: EmulatorStateView;
  readonly log: RequestLog;
  readonly faults: FaultInjector;
  readonly clock: EmulatorClock;
  readonly quotas: QuotaTracker;
  /** Applies every lifecycle transition due at the current emulator time. */
  tick(): void;
  /**
   * Advances the emulator clock from transition to transition until nothing is in flight (streaming tasks
   * stay Executing); returns the number of ms advanced.
   */
  settle(maxRounds?: number): number;
  /** Waits in real time (without moving the clock) until nothing is in flight. */
  waitForIdle(options?: { timeoutMs?: number; pollMs?: number }): Promise<void>;
  addKey(key: EmulatorKey): void;
  /** Marks an STS key's token expired (or valid again): requests get InvalidSecurityToken.Expired. */
  expireSecurityToken(accessKeyId: string, expired?: boolean): void;
  addFileSystem(seed: FileSystemSeed): Readonly<FileSystemRecord>;
  /** Changes a file system's version (e.g. to test 2.4/2.6 gates). */
  setFileSystemVersion(id: string, version: string): void;
  addDataFlow(seed: DataFlowSeed): Readonly<DataFlowRecord>;
  /** e.g. `Stopped` and back to `Running`. */
  setDataFlowStatus(id: string, status: DataFlowStatus): void;
  /** The task and its sub-tasks vanish ("task disappears" under the client). */
  removeTask(taskId: string): void;
  /** The task ends Canceled at once, its CREATED/RUNNING sub-tasks EXPIRED (no API rules applied). */
  cancelTask(taskId: string): void;
  /** The task ends Failed at once with `errorMsg`, its CREATED/RUNNING sub-tasks EXPIRED. */
  failTask(taskId: string, errorMsg?: string): void;
  /**
   * How often each destination file was reached by an import (`<fileSystemId>:<path>` → counts): the
   * check behind "every object imported exactly once". Same data as `state.imports`.
   */
  importCounts(): ReadonlyMap<string, Readonly<ImportCount>>;
}

function headerRecord(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

function readBody(req: http.IncomingMessage, limitBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > limitBytes) {
        resolve(undefined);
        req.socket.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Starts an emulator; resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const seed = options.seed ?? randomInt(0, 2 ** 31);
  const random = createRandom(seed);
  const clock = createEmulatorClock(options.clock ?? createScaledClock(options.timeScale ?? 1));
  const state = createState();
  const keys = new Map<string, KeyRecord>();
  const nonces = new NonceMemory();
  const quotas = new QuotaTracker(options.quotas);
  const tokens = new ClientTokenMemory(options.clientTokenTtlMs);
  const faults = new FaultInjector(seed ^ 0x5eed);
  const log = new RequestLog();

  const storage = {
    bucketDir: (bucket: string) => options.buckets?.[bucket] ?? options.bucketDir,
    fileSystemDir: (id: string) => state.fileSystems.get(id)?.dir ?? options.fileSystemDir,
  };
  const engine = new LifecycleEngine(state, {
    timings: { ...DEFAULT_TIMINGS, ...options.timings },
    storage,
    subTaskPathBase: options.subTaskPathBase ?? 'task',
    modifyTimePrecisionNs: options.modifyTimePrecisionNs ?? 1_000_000_000n,
    random,
    entryPathBase: options.entryPathBase ?? ENTRY_LIST_ELEMENT_BASE,
    injectedSubTaskFailure: () => faults.drawSubTaskFailure(),
  });

  const addKey = (key: EmulatorKey): void => {
    keys.set(key.accessKeyId, { ...key, accountId: key.accountId ?? DEFAULT_ACCOUNT_ID, securityTokenExpired: false });
  };
  for (const key of options.keys ?? [DEFAULT_EMULATOR_KEY]) addKey(key);

  const addFileSystem = (seedFs: FileSystemSeed): FileSystemRecord => {
    const kind = fileSystemKindOf(seedFs.id);
    if (!kind) throw new Error(`file system id ${seedFs.id} must start with bmcpfs- or cpfs-`);
    const record: FileSystemRecord = {
      id: seedFs.id,
      kind,
      version: seedFs.version ?? '2.6.0',
      ...(seedFs.dir ? { dir: seedFs.dir } : {}),
    };
    state.fileSystems.set(record.id, record);
    return record;
  };
  const addDataFlow = (seedDf: DataFlowSeed): DataFlowRecord => {
    if (!state.fileSystems.has(seedDf.fileSystemId)) throw new Error(`data flow ${seedDf.id}: unknown file system ${seedDf.fileSystemId}`);
    if (!/^oss:\/\/[^/]+\/?$/.test(seedDf.sourceStorage)) throw new Error(`data flow ${seedDf.id}: sourceStorage must be oss://bucket`);
    const now = clock.now();
    const record: DataFlowRecord = {
      id: seedDf.id,
      fileSystemId: seedDf.fileSystemId,
      status: seedDf.status ?? 'Running',
      sourceStorage: seedDf.sourceStorage,
      sourceStoragePath: seedDf.sourceStoragePath ?? '/',
      fileSystemPath: seedDf.fileSystemPath ?? '/',
      ...(seedDf.description ? { description: seedDf.description } : {}),
      createdAt: now,
      updatedAt: now,
    };
    state.dataFlows.set(record.id, record);
    // A data flow's directory exists in its file system (it is created with the data flow).
    const dir = localPathOf(storage, record, { store: 'fileSystem', path: record.fileSystemPath });
    if (dir !== undefined) fs.mkdirSync(dir, { recursive: true });
    const bucketDir = storage.bucketDir(bucketNameOf(record.sourceStorage));
    if (bucketDir !== undefined) fs.mkdirSync(path.resolve(bucketDir), { recursive: true });
    return record;
  };
  for (const f of options.fileSystems ?? []) addFileSystem(f);
  for (const d of options.dataFlows ?? []) addDataFlow(d);

  const pendingTimers = new Set<NodeJS.Timeout>();

  const sendJson = (
    res: http.ServerResponse,
    status: number,
    body: Record<string, unknown>,
    requestId: string,
    latencyMs: number,
  ): void => {
    const text = JSON.stringify(body);
    const write = (): void => {
      if (res.destroyed || res.writableEnded) return;
      res.writeHead(status, {
        'content-type': 'application/json;charset=utf-8',
        'content-length': Buffer.byteLength(text),
        'x-acs-request-id': requestId,
      });
      res.end(text);
    };
    if (latencyMs > 0) {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        write();
      }, latencyMs);
      pendingTimers.add(timer);
    } else {
      write();
    }
  };

  const errorBody = (err: EmulatorApiError, requestId: string, hostId: string): Record<string, unknown> => ({
    RequestId: requestId,
    HostId: hostId,
    Code: err.code,
    Message: err.message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(err.code)}&product=NAS&requestId=${requestId}`,
  });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const arrivedAt = clock.now();
    const requestId = random.requestId();
    const headers = headerRecord(req);
    const hostId = options.hostId ?? headers['host'] ?? 'nas.cn-hangzhou.aliyuncs.com';
    const actionHeader = headers['x-acs-action'] ?? '';
    const action: OperationName | undefined = isOperationName(actionHeader) ? actionHeader : undefined;
    let params: Record<string, string> = {};
    let accessKeyId: string | undefined;
    let executed = false;
    let replayed = false;
    let fault: FaultKind | undefined;

    const record = (status: number | null, code?: string): void => {
      const entry = log.append({
        timeMs: arrivedAt,
        requestId,
        action: actionHeader,
        ...(accessKeyId ? { accessKeyId } : {}),
        params: redactParams(params),
        paramBytes: paramByteLengths(params),
        status,
        ...(code ? { code } : {}),
        ...(fault ? { fault } : {}),
        executed,
        ...(replayed ? { replayed } : {}),
      });
      options.onRequest?.(entry);
    };
    const fail = (err: EmulatorApiError, latencyMs = 0): void => {
      record(err.status, err.code);
      sendJson(res, err.status, errorBody(err, requestId, hostId), requestId, latencyMs);
    };

    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === undefined) return; // oversized: connection destroyed

    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const rawQuery = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : '';
    const contentType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const isForm = contentType === 'application/x-www-form-urlencoded';
    const parsed = parseRequestParams(rawQuery, body, isForm);
    params = parsed.merged;

    if (url.pathname !== '/' || (req.method !== 'POST' && req.method !== 'GET')) {
      fail(apiError('InvalidAction.NotFound', 'RPC calls are POST (or GET) to "/".'));
      return;
    }
    if (actionHeader === '') {
      fail(apiError('MissingAction', 'Send the action name in the x-acs-action header.'));
      return;
    }
    if (!action) {
      fail(apiError('InvalidAction.NotFound', `Unknown action ${actionHeader}.`));
      return;
    }

    const decision = faults.decide(action);
    fault = decision.kind;
    if (fault === 'drop-before') {
      record(null);
      res.socket?.destroy();
      return;
    }
    const injected: Partial<Record<FaultKind, EmulatorErrorCode>> = {
      throttle: 'Throttling.User',
      internal: 'InternalError',
      unavailable: 'ServiceUnavailable',
    };
    const injectedCode = fault ? injected[fault] : undefined;
    if (injectedCode) {
      fail(apiError(injectedCode), decision.latencyMs);
      return;
    }

    try {
      if (headers['x-acs-version'] !== NAS_API_VERSION) {
        throw apiError('InvalidVersion', `x-acs-version must be ${NAS_API_VERSION}.`);
      }
      if (body.length > 0 && !isForm) throw apiError('UnsupportedContentType');
      for (const name of parsed.invalidUtf8) {
        if (name in parsed.query) throw apiError('IllegalCharacters', `${name} is not valid UTF-8.`);
      }
      engine.tick(clock.now());
      const key = verifyRequest(
        { method: req.method ?? 'POST', pathname: url.pathname, headers, query: parsed.query, body },
        keys,
        nonces,
        clock.now(),
      );
      accessKeyId = key.accessKeyId;
      if (!quotas.admit(key.accountId, action, clock.now())) {
        throw apiError('Throttling.User', `Quota of ${action} exceeded.`);
      }

      const token = params['ClientToken'];
      const dryRun = /^true$/i.test(params['DryRun'] ?? '');
      const idempotent = IDEMPOTENT_ACTIONS.has(action) && token !== undefined && token !== '' && !dryRun;
      let result: Record<string, unknown> | undefined;
      if (idempotent) {
        const previous = tokens.replay(action, key.accountId, token, params, clock.now());
        if (previous) {
          result = { ...previous };
          replayed = true;
        }
      }
      if (!result) {
        result = OPERATIONS[action](
          { state, engine, nowMs: clock.now(), random, accountId: key.accountId, invalidUtf8: parsed.invalidUtf8 },
          params,
        );
        if (idempotent) tokens.remember(action, key.accountId, token, params, result, clock.now());
      }
      executed = true;
      const responseBody = { RequestId: requestId, ...result };
      if (fault === 'drop-after') {
        record(null);
        res.socket?.destroy();
        return;
      }
      record(200);
      sendJson(res, 200, responseBody, requestId, decision.latencyMs);
    } catch (e) {
      if (e instanceof EmulatorApiError) {
        fail(e, decision.latencyMs);
        return;
      }
      // An emulator bug: answer like the service would, without leaking internals.
      const err = apiError('InternalError');
      fail(err);
      process.emitWarning(`NAS emulator: ${(e as Error).stack ?? String(e)}`);
    }
  };

  // The S3-compatible OSS endpoint over the same bucket directories, on the same port (emulator/s3/).
  // Known buckets: those named in `buckets` and the sources of data flows.
  const handleS3 = createS3Handler({
    keys,
    bucketDir: (bucket) => {
      const named = options.buckets?.[bucket];
      if (named !== undefined) return named;
      const used = [...state.dataFlows.values()].some((df) => bucketNameOf(df.sourceStorage) === bucket);
      return used ? storage.bucketDir(bucket) : undefined;
    },
    ...(options.onS3Request ? { onRequest: options.onS3Request } : {}),
  });

  const server = http.createServer((req, res) => {
    if (isS3Request(req)) {
      void handleS3(req, res);
      return;
    }
    handle(req, res).catch((e: unknown) => {
      process.emitWarning(`NAS emulator: ${(e as Error).stack ?? String(e)}`);
      res.socket?.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const autoTickMs = options.autoTickMs ?? 200;
  const ticker = autoTickMs === false ? undefined : setInterval(() => engine.tick(clock.now()), autoTickMs);
  ticker?.unref();

  const requireTask = (taskId: string): TaskRecord => {
    const task = state.tasks.get(taskId);
    if (!task) throw new Error(`no task ${taskId}`);
    return task;
  };

  let stopped = false;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    state,
    log,
    faults,
    clock,
    quotas,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (ticker) clearInterval(ticker);
      for (const t of pendingTimers) clearTimeout(t);
      pendingTimers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    tick() {
      engine.tick(clock.now());
    },
    settle(maxRounds = 10_000) {
      const start = clock.now();
      engine.tick(start);
      // Jump to the last scheduled transition and apply everything up to it (in time order); repeat for
      // the follow-ups it scheduled. The clock ends at the time of the very last transition.
      for (let i = 0; i < maxRounds; i++) {
        const last = engine.lastTransitionAt();
        if (last === undefined) break;
        const now = clock.now();
        if (last > now) clock.advance(last - now);
        engine.tick(clock.now());
      }
      return clock.now() - start;
    },
    async waitForIdle({ timeoutMs = 10_000, pollMs = 20 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        engine.tick(clock.now());
        if (engine.isIdle()) return;
        if (Date.now() > deadline) throw new Error(`NAS emulator not idle after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
    addKey,
    expireSecurityToken(accessKeyId, expired = true) {
      const key = keys.get(accessKeyId);
      if (!key) throw new Error(`no key ${accessKeyId}`);
      key.securityTokenExpired = expired;
    },
    addFileSystem,
    setFileSystemVersion(id, version) {
      const f = state.fileSystems.get(id);
      if (!f) throw new Error(`no file system ${id}`);
      f.version = version;
    },
    addDataFlow,
    setDataFlowStatus(id, status) {
      const df = state.dataFlows.get(id);
      if (!df) throw new Error(`no data flow ${id}`);
      df.status = status;
      df.updatedAt = clock.now();
    },
    removeTask(taskId) {
      requireTask(taskId);
      state.tasks.delete(taskId);
      for (const [id, sub] of state.subTasks) if (sub.taskId === taskId) state.subTasks.delete(id);
    },
    cancelTask(taskId) {
      engine.tick(clock.now());
      engine.forceEnd(requireTask(taskId), clock.now(), 'Canceled');
    },
    failTask(taskId, errorMsg = 'the task failed (emulator admin)') {
      engine.tick(clock.now());
      engine.forceEnd(requireTask(taskId), clock.now(), 'Failed', errorMsg);
    },
    importCounts() {
      engine.tick(clock.now());
      return state.imports;
    },
  };
}

export { createManualClock, createScaledClock } from './clock.js';
export type { EmulatorClock, TimeSource } from './clock.js';
export { DEFAULT_TIMINGS, type LifecycleTimings } from './lifecycle.js';
export { EMULATOR_DOCUMENTED_QUOTAS, NO_QUOTAS, type Quota, type QuotaOverrides } from './quotas.js';
export { SEED_ERROR_CODES, type EmulatorErrorCode } from './errors.js';
export type { FaultKind, FaultRates, FaultTarget } from './faults.js';
export type { RequestLogEntry } from './request-log.js';
export type { EmulatorKey } from './auth.js';
export {
  ENTRY_LIST_ELEMENT_BASE,
  MANIFEST_NAME_BASE,
  MAX_ENTRY_LIST_BYTES,
  resolveSubTaskPaths,
  type EntryPathBase,
  type SubTaskPathBase,
} from './paths.js';
export { INJECTED_SUB_TASK_ERROR } from './faults.js';
export { importKey, type ImportCount } from './state.js';
export { LINGJUN_MAX_ACTIVE_BATCH_TASKS } from './operations.js';
