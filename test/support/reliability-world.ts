/**
 * A world for the reliability tests (test/reliability): an emulator whose bucket and file system are
 * real temporary directories, a batch of objects written into the bucket, the OSS event batch that
 * announces them (an MNS queue batch, base64 as OSS writes it), the function's environment (two routes
 * with two ConflictPolicies), FC-like invocation contexts, and a driver that replays the event the way
 * FC's async retries do: when an invocation fails retryably, the same event is invoked again, up to N
 * times, on the same (warm) or a new (cold) instance.
 *
 * Everything goes through `createRuntime` + `runIngestInvocation`, in-process — the same wiring the FC
 * handler uses — with the NAS client pointed at the emulator. Afterwards {@link IngestWorld.verdict}
 * settles the emulator and tells, object by object, how it ended.
 *
 * Time: by default the wall clock (the emulator at time scale 1), so a window is whatever the machine
 * gets done in it. With `virtualClock` the world runs on a clock that moves only by NAS calls and sleeps
 * ({@link MS_PER_NAS_CALL} per request the emulator handled): a window of `function.timeout` − margin is a
 * fixed number of calls on any machine, and a run takes as many replays on a slow machine as on a fast one.
 *
 * Debugging: `RELIABILITY_TRACE=1 npx vitest run test/reliability` prints one line per invocation
 * (warm/cold, outcome counts, NAS calls).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createRandom } from '../../emulator/random.js';
import { createManualClock, NO_QUOTAS, startEmulator, type EmulatorHandle, type QuotaOverrides, type RequestLogEntry } from '../../emulator/server.js';
import type { LifecycleTimings } from '../../emulator/lifecycle.js';
import type { IngestReport, RecordOutcome } from '../../shared/ingest/index.js';
import { createRuntime, runIngestInvocation, type Runtime, type RuntimeOptions } from '../../shared/runtime.js';
import { mnsBatch, objectCreatedEvent, toPayload, type OssEventElement } from './event-factories.js';

export const WORLD_IDS = {
  fileSystemId: 'bmcpfs-reliability01',
  dataFlowId: 'df-reliability01',
  bucket: 'ingest-bucket',
} as const;

/** The function role's STS credentials as FC hands them over in `context.credentials`. */
export const WORLD_CREDENTIALS = {
  accessKeyId: 'STS.reliability',
  accessKeySecret: 'reliability-sts-secret-value',
  securityToken: 'reliability-sts-security-token',
} as const;

export const WORLD_SECRETS: readonly string[] = [WORLD_CREDENTIALS.accessKeySecret, WORLD_CREDENTIALS.securityToken];

/** Two routes, two ConflictPolicies, hence two StreamImport tasks. */
export const WORLD_ROUTES = [
  { prefix: 'alpha/', dstDirectory: '/ingested/alpha/', conflictPolicy: 'OVERWRITE_EXISTING' },
  { prefix: 'beta/', dstDirectory: '/ingested/beta/', conflictPolicy: 'SKIP_THE_FILE' },
] as const;

/** Fast lifecycles (emulator ms): streaming tasks Executing at once, sub-tasks done in 30 ms. */
export const FAST_TIMINGS: Partial<LifecycleTimings> = {
  batchPendingMs: 50,
  batchExecutingMs: 100,
  streamPendingMs: 0,
  cancelingMs: 50,
  subTaskCreatedMs: 10,
  subTaskRunningMs: 20,
};

/** One object written to the bucket and announced by the event. */
export interface WorldObject {
  readonly key: string;
  readonly content: Buffer;
  readonly srcFilePath: string;
  readonly dstFilePath: string;
}

/** A record that must end up reported, not imported. */
export interface WorldReject {
  readonly key: string;
  /** The outcome it must get: status and (for rejected) kind. */
  readonly status: 'rejected' | 'ignored';
  readonly kind?: string;
}

export interface WorldOptions {
  /** Valid objects in the batch (default 200). */
  readonly objects?: number;
  /** Emulator quotas; default: every quota off (the quota is not the point unless a test says so). */
  readonly quotas?: QuotaOverrides;
  readonly seed?: number;
  /** Extra or replacing environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Run on a virtual clock instead of the wall clock: the emulator's clock is manual, every request it
   * handles moves it {@link MS_PER_NAS_CALL} forward, and every runtime of the world tells the time,
   * waits (backoff, rate limiting, polls) and draws its randomness (seeded) on it.
   */
  readonly virtualClock?: boolean;
}

/**
 * Virtual time one NAS request takes in a `virtualClock` world: a window of `function.timeout` −
 * CPFS_DEADLINE_MARGIN_MS (both multiples of it; invocations start on a multiple) is that many calls.
 */
export const MS_PER_NAS_CALL = 1000;

/**
 * The least of its window a request is sent with on the virtual clock. The client cuts its per-attempt
 * timeout — a real-time timer — to what is left of the window, so a request sent 5 virtual ms before the
 * deadline would time out or not depending on the machine; half a second of real time keeps a loaded
 * machine from timing out a local request at the window's edge.
 */
const MIN_LEFT_AT_SEND = MS_PER_NAS_CALL / 2;

/** The virtual clock of a `virtualClock` world. */
export interface VirtualClock {
  readonly now: () => number;
  /** Moves the clock `ms` forward (see MIN_LEFT_AT_SEND), then yields. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Requests the emulator handled so far (each moved the clock once). */
  readonly calls: () => number;
}

/** How FC replays the event. */
export interface FcReplayOptions {
  /** Invocations at most (FC: 1 + maxAsyncRetryAttempts; default 6). */
  readonly maxInvocations?: number;
  /** `warm`: one instance throughout; `cold`: a new instance per invocation; `alternate`: new on even invocations. */
  readonly instances?: 'warm' | 'cold' | 'alternate';
  /** `function.timeout` in seconds (default 30). */
  readonly functionTimeoutSeconds?: number;
  /** Called before invocation `n` (1-based) — e.g. to change a fault or a data flow's state. */
  readonly beforeInvocation?: (n: number) => void | Promise<void>;
  /** Between invocations FC waits; the emulator's time passes too (default: settle it). */
  readonly settleBetween?: boolean;
  /** Per-attempt timeout of every instance's NAS calls (RuntimeOptions.attemptTimeoutMs; default 10 s). */
  readonly attemptTimeoutMs?: number;
  /** A warm instance to start on (from an earlier run's `runtime`); default a new one. */
  readonly runtime?: Runtime;
  /** The event to deliver (default the world's `event`; e.g. the one {@link IngestWorld.rewrite} returned). */
  readonly event?: Buffer;
  /** Checked after each failed invocation: true ends the run there (as if FC had stopped retrying). */
  readonly stopWhen?: () => boolean;
}

export interface FcRun {
  readonly reports: IngestReport[];
  /** Whether the last invocation returned (no retryable failure) rather than threw. */
  readonly succeeded: boolean;
  /** The instance of the last invocation (pass it as `runtime` to continue warm). */
  readonly runtime: Runtime;
}

/** How every object ended, from the emulator's point of view (after settling). */
export interface Verdict {
  /** Objects with no COMPLETE sub-task (lost), by key. */
  readonly missing: string[];
  /** Objects with more than one COMPLETE sub-task in total, by key → count. */
  readonly duplicated: Record<string, number>;
  /** Objects with more than one COMPLETE sub-task within one streaming task (never allowed). */
  readonly duplicatedWithinTask: string[];
  /** Objects whose file is absent or differs from the object's bytes. */
  readonly wrongBytes: string[];
  /** Sub-tasks for paths that are not among the valid objects (must be none). */
  readonly unexpectedSubTasks: string[];
  /** Rejects whose final outcome is not the expected report. */
  readonly unreported: string[];
  /** Total sub-tasks the emulator holds and how many are COMPLETE. */
  readonly subTasks: number;
  readonly complete: number;
}

export interface IngestWorld {
  readonly emulator: EmulatorHandle;
  readonly bucketDir: string;
  readonly fsDir: string;
  readonly objects: readonly WorldObject[];
  readonly rejects: readonly WorldReject[];
  /** The event FC delivers (and redelivers): the same bytes every time. */
  readonly event: Buffer;
  readonly env: Readonly<Record<string, string>>;
  /** Every log line every runtime of this world wrote. */
  readonly logLines: string[];
  /** Hooks called with every request the emulator logs (after it ran); add/remove freely. */
  readonly requestHooks: Set<(entry: RequestLogEntry) => void>;
  /** The virtual clock, in a `virtualClock` world. */
  readonly clock?: VirtualClock;
  /** Sub-tasks removed with their task by `removeTask`, kept for the verdict. */
  readonly vanishedSubTasks: Array<{ taskId: string; srcFilePath: string; dstFilePath: string; status: string }>;
  /** An FC invocation context (credentials, function.timeout, requestId). */
  context(n: number, functionTimeoutSeconds?: number): Record<string, unknown>;
  /** A new instance: createRuntime with this world's env (and clock) and the given first context. */
  newRuntime(context?: Record<string, unknown>, options?: Pick<RuntimeOptions, 'attemptTimeoutMs'>): Runtime;
  /** Runs the event like FC: invoke, and on a retryable failure invoke again with the same event. */
  runLikeFc(options?: FcReplayOptions): Promise<FcRun>;
  /** Runs `action` once, right after the `count`-th logged request of `operation` (inside the emulator). */
  afterRequests(operation: string, count: number, action: (entry: RequestLogEntry) => void): void;
  /** Removes a streaming task the way `emulator.removeTask` does, remembering its sub-tasks. */
  removeTask(taskId: string): void;
  /**
   * Overwrites every valid object with new content of a new size (a new version: new size, new eTag) and
   * returns the event announcing the new versions (rejects included). `objects` then holds the new
   * versions, so the verdict's byte check is against them.
   */
  rewrite(): Buffer;
  /** Per object, the sub-tasks the emulator holds for its CURRENT version (Condition.Size = its size). */
  subTasksOfCurrentVersion(): Map<string, string[]>;
  /** Settles the emulator and checks every object (see Verdict). */
  verdict(lastReport?: IngestReport): Verdict;
  cleanup(): Promise<void>;
}

/** Object keys of every flavour users have: spaces, `+`, `%`, CJK, emoji, deep paths. */
function keyFor(i: number): string {
  const prefix = i % 2 === 0 ? 'alpha/' : 'beta/';
  switch (i % 6) {
    case 0: return `${prefix}dir${i % 7}/obj ${i}.bin`;
    case 1: return `${prefix}a+b/c+d ${i}.dat`;
    case 2: return `${prefix}100% done/${i}%20.txt`;
    case 3: return `${prefix}数据集/样本-${i}.bin`;
    case 4: return `${prefix}emoji-😀/🚀 ${i}.bin`;
    default: return `${prefix}deep/a/b/c/d/e/${i}.bin`;
  }
}

function contentFor(i: number, key: string): Buffer {
  const size = 1 + ((i * 37) % 700);
  const seed = Buffer.from(`${key}|${i}|`, 'utf8');
  const out = Buffer.alloc(size);
  for (let j = 0; j < size; j++) out[j] = seed[j % seed.length] ?? 0;
  return out;
}

/** Starts the emulator, writes the objects, builds the event and the environment. */
export async function startIngestWorld(options: WorldOptions = {}): Promise<IngestWorld> {
  const root = mkdtempSync(path.join(tmpdir(), 'cpfs-reliability-'));
  const bucketDir = path.join(root, 'bucket');
  const fsDir = path.join(root, 'fs');
  const requestHooks = new Set<(entry: RequestLogEntry) => void>();
  let calls = 0;
  const emulator = await startEmulator({
    seed: options.seed ?? 7,
    // Real time (scale 1): the runtime signs with Date.now and checks its deadline on Date.now. Virtual:
    // a manual clock that starts on a whole second and moves by calls and sleeps (see `clock` below).
    ...(options.virtualClock ? { clock: createManualClock() } : { timeScale: 1 }),
    autoTickMs: false,
    keys: [WORLD_CREDENTIALS],
    bucketDir,
    fileSystemDir: fsDir,
    fileSystems: [{ id: WORLD_IDS.fileSystemId, version: '2.6.0' }],
    dataFlows: [{ id: WORLD_IDS.dataFlowId, fileSystemId: WORLD_IDS.fileSystemId, sourceStorage: `oss://${WORLD_IDS.bucket}` }],
    quotas: options.quotas ?? NO_QUOTAS,
    timings: FAST_TIMINGS,
    onRequest: (entry) => {
      // Before the answer leaves: the client sees the call's time spent when its answer arrives.
      if (options.virtualClock) {
        calls += 1;
        emulator.clock.advance(MS_PER_NAS_CALL);
      }
      for (const hook of [...requestHooks]) hook(entry);
    },
  });
  /** Moves the virtual clock to the next multiple of MS_PER_NAS_CALL at or after now + `ms`. */
  const advanceAligned = (ms: number): void => {
    const now = emulator.clock.now();
    emulator.clock.advance(Math.ceil((now + Math.max(0, ms)) / MS_PER_NAS_CALL) * MS_PER_NAS_CALL - now);
  };
  /**
   * A sleep: `ms` forward, then on to the next multiple of MS_PER_NAS_CALL if that is nearer than
   * MIN_LEFT_AT_SEND. Calls move the clock by whole MS_PER_NAS_CALL, so the clock never stands closer than
   * that to a multiple (a deadline) — a sleep costs what it asks, not a whole call, and no request is sent
   * with less than MIN_LEFT_AT_SEND of its window left.
   */
  const advanceClear = (ms: number): void => {
    emulator.clock.advance(Math.max(0, ms));
    const now = emulator.clock.now();
    const toNext = Math.ceil(now / MS_PER_NAS_CALL) * MS_PER_NAS_CALL - now;
    if (toNext > 0 && toNext < MIN_LEFT_AT_SEND) emulator.clock.advance(toNext);
  };
  const clock: VirtualClock | undefined = options.virtualClock
    ? {
        now: () => emulator.clock.now(),
        sleep: async (ms) => {
          advanceClear(ms);
          await new Promise<void>((resolve) => setImmediate(resolve));
        },
        calls: () => calls,
      }
    : undefined;
  const seeded = createRandom((options.seed ?? 7) + 1);

  const objects: WorldObject[] = [];
  const elements: OssEventElement[] = [];
  for (let i = 0; i < (options.objects ?? 200); i++) {
    const key = keyFor(i);
    const content = contentFor(i, key);
    const file = path.join(bucketDir, ...key.split('/'));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    const route = WORLD_ROUTES.find((r) => key.startsWith(r.prefix));
    if (!route) throw new Error(`no route for ${key}`);
    objects.push({ key, content, srcFilePath: `/${key}`, dstFilePath: `${route.dstDirectory}${key.slice(route.prefix.length)}` });
    elements.push(objectCreatedEvent({ key, size: content.length, bucket: WORLD_IDS.bucket }));
  }
  const rejects: WorldReject[] = [
    { key: 'alpha/../escape.bin', status: 'rejected', kind: 'invalid-path' },
    { key: 'beta/back\\slash.bin', status: 'rejected', kind: 'invalid-path' },
    { key: 'gamma/unrouted.bin', status: 'rejected', kind: 'no-route' },
    { key: 'alpha/folder/', status: 'ignored' },
  ];
  // The rejects are interleaved with the valid events, as a real queue batch would mix them.
  rejects.forEach((reject, index) => {
    elements.splice(index * 37 + 5, 0, objectCreatedEvent({ key: reject.key, size: 10, bucket: WORLD_IDS.bucket }));
  });
  const withRejects = (valid: OssEventElement[]): OssEventElement[] => {
    const all = [...valid];
    rejects.forEach((reject, index) => {
      all.splice(index * 37 + 5, 0, objectCreatedEvent({ key: reject.key, size: 10, bucket: WORLD_IDS.bucket }));
    });
    return all;
  };
  const event = toPayload(mnsBatch(elements, { base64Layers: 1 }));

  const env: Record<string, string> = {
    CPFS_FILE_SYSTEM_ID: WORLD_IDS.fileSystemId,
    CPFS_DATA_FLOW_ID: WORLD_IDS.dataFlowId,
    CPFS_ROUTES: JSON.stringify(WORLD_ROUTES),
    CPFS_IMPORT_MODE: 'stream',
    CPFS_MAX_CONCURRENCY: '8',
    CPFS_SUBTASK_RATE: '100',
    CPFS_DEADLINE_MARGIN_MS: '1000',
    NAS_ENDPOINT: emulator.url,
    FC_REGION: 'cn-hangzhou',
    ...options.env,
  };

  const logLines: string[] = [];
  const runtimes: Runtime[] = [];
  const vanishedSubTasks: IngestWorld['vanishedSubTasks'] = [];

  const context = (n: number, functionTimeoutSeconds = 30): Record<string, unknown> => ({
    requestId: `fc-request-${n}`,
    credentials: { ...WORLD_CREDENTIALS },
    function: { name: 'oss-stream-import', handler: 'index.handler', memory: 512, timeout: functionTimeoutSeconds },
    region: 'cn-hangzhou',
    accountId: '1234567890123456',
  });

  const newRuntime = (ctx: Record<string, unknown> = context(1), extra: Pick<RuntimeOptions, 'attemptTimeoutMs'> = {}): Runtime => {
    const runtime = createRuntime({
      ...extra,
      env,
      fcContext: ctx,
      write: (line) => logLines.push(line),
      ...(clock ? { now: clock.now, sleep: clock.sleep, random: seeded.next } : {}),
    });
    runtimes.push(runtime);
    return runtime;
  };

  const world: IngestWorld = {
    emulator,
    bucketDir,
    fsDir,
    objects,
    rejects,
    event,
    env,
    logLines,
    requestHooks,
    ...(clock ? { clock } : {}),
    vanishedSubTasks,
    context,
    newRuntime,

    async runLikeFc(replay = {}) {
      const max = replay.maxInvocations ?? 6;
      const instances = replay.instances ?? 'warm';
      const timeout = replay.functionTimeoutSeconds ?? 30;
      const reports: IngestReport[] = [];
      let runtime: Runtime | undefined = replay.runtime;
      for (let n = 1; n <= max; n++) {
        const ctx = context(n, timeout);
        const fresh = runtime === undefined || instances === 'cold' || (instances === 'alternate' && n % 2 === 0);
        if (fresh) runtime = newRuntime(ctx, replay.attemptTimeoutMs !== undefined ? { attemptTimeoutMs: replay.attemptTimeoutMs } : {});
        await replay.beforeInvocation?.(n);
        // An invocation starts on a whole call: its window is then a whole number of calls.
        if (clock) advanceAligned(0);
        const report = await runIngestInvocation(runtime as Runtime, replay.event ?? event, ctx);
        reports.push(report);
        if (process.env.RELIABILITY_TRACE) console.log(`invocation ${n} (${fresh ? "cold" : "warm"}): ${JSON.stringify(report.counts)} retryable=${report.retryableFailures} t=${Date.now()}${clock ? ` calls=${clock.calls()}` : ''}`);
        // The handler returns when nothing failed retryably, else throws and FC invokes again.
        if (report.retryableFailures === 0 && report.systemFailures === 0) return { reports, succeeded: true, runtime: runtime as Runtime };
        if (replay.settleBetween ?? true) emulator.settle();
        if (replay.stopWhen?.()) break;
      }
      return { reports, succeeded: false, runtime: runtime as Runtime };
    },

    rewrite() {
      const fresh: OssEventElement[] = [];
      objects.forEach((object, i) => {
        // A new version of a different size: Condition.Size tells the versions apart in the emulator.
        const content = Buffer.concat([object.content, Buffer.from(`|v${object.content.length % 97}|rewritten`, 'utf8')]);
        writeFileSync(path.join(bucketDir, ...object.key.split('/')), content);
        objects[i] = { ...object, content };
        fresh.push(objectCreatedEvent({ key: object.key, size: content.length, bucket: WORLD_IDS.bucket }));
      });
      return toPayload(mnsBatch(withRejects(fresh), { base64Layers: 1 }));
    },

    subTasksOfCurrentVersion() {
      const byKey = new Map<string, string[]>();
      for (const object of objects) byKey.set(object.key, []);
      const bySrc = new Map(objects.map((o) => [`${o.srcFilePath}\u0000${o.dstFilePath}`, o]));
      for (const sub of emulator.state.subTasks.values()) {
        const object = bySrc.get(`${sub.srcFilePath}\u0000${sub.dstFilePath}`);
        if (object !== undefined && sub.conditionSize === object.content.length) byKey.get(object.key)?.push(sub.id);
      }
      return byKey;
    },

    afterRequests(operation, count, action) {
      let seen = 0;
      const hook = (entry: RequestLogEntry): void => {
        if (entry.action !== operation || ++seen !== count) return;
        requestHooks.delete(hook);
        action(entry);
      };
      requestHooks.add(hook);
    },

    removeTask(taskId) {
      for (const sub of emulator.state.subTasks.values()) {
        if (sub.taskId === taskId) vanishedSubTasks.push({ taskId, srcFilePath: sub.srcFilePath, dstFilePath: sub.dstFilePath, status: sub.status });
      }
      emulator.removeTask(taskId);
    },

    verdict(lastReport) {
      emulator.settle();
      const all = [
        ...[...emulator.state.subTasks.values()].map((s) => ({ taskId: s.taskId, srcFilePath: s.srcFilePath, dstFilePath: s.dstFilePath, status: s.status as string })),
        ...vanishedSubTasks,
      ];
      const byPair = new Map<string, typeof all>();
      for (const sub of all) {
        const pair = `${sub.srcFilePath}\u0000${sub.dstFilePath}`;
        byPair.set(pair, [...(byPair.get(pair) ?? []), sub]);
      }
      const missing: string[] = [];
      const duplicated: Record<string, number> = {};
      const duplicatedWithinTask: string[] = [];
      const wrongBytes: string[] = [];
      const expectedPairs = new Set<string>();
      for (const object of objects) {
        const pair = `${object.srcFilePath}\u0000${object.dstFilePath}`;
        expectedPairs.add(pair);
        const complete = (byPair.get(pair) ?? []).filter((s) => s.status === 'COMPLETE');
        if (complete.length === 0) missing.push(object.key);
        if (complete.length > 1) duplicated[object.key] = complete.length;
        if (new Set(complete.map((s) => s.taskId)).size !== complete.length) duplicatedWithinTask.push(object.key);
        let bytes: Buffer | undefined;
        try {
          bytes = readFileSync(path.join(fsDir, ...object.dstFilePath.split('/')));
        } catch {
          bytes = undefined;
        }
        if (bytes === undefined || !bytes.equals(object.content)) wrongBytes.push(object.key);
      }
      const unexpectedSubTasks = [...byPair.keys()].filter((pair) => !expectedPairs.has(pair)).map((pair) => pair.replace('\u0000', ' → '));
      const unreported: string[] = [];
      if (lastReport) {
        for (const reject of rejects) {
          const outcome = lastReport.outcomes.find((o: RecordOutcome) => 'key' in o && o.key === reject.key);
          const ok =
            outcome !== undefined &&
            outcome.status === reject.status &&
            (reject.kind === undefined || (outcome.status === 'rejected' && outcome.kind === reject.kind)) &&
            'reason' in outcome &&
            outcome.reason.length > 0;
          if (!ok) unreported.push(reject.key);
        }
      }
      return {
        missing,
        duplicated,
        duplicatedWithinTask,
        wrongBytes,
        unexpectedSubTasks,
        unreported,
        subTasks: all.length,
        complete: all.filter((s) => s.status === 'COMPLETE').length,
      };
    },

    async cleanup() {
      for (const runtime of runtimes) runtime.api.close();
      await emulator.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return world;
}

/** The verdict of a run in which every object must be imported exactly once. */
export const EXACTLY_ONCE: Pick<Verdict, 'missing' | 'duplicated' | 'duplicatedWithinTask' | 'wrongBytes' | 'unexpectedSubTasks' | 'unreported'> = {
  missing: [],
  duplicated: {},
  duplicatedWithinTask: [],
  wrongBytes: [],
  unexpectedSubTasks: [],
  unreported: [],
};
