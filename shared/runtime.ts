/**
 * Wiring for one process (an FC instance, or the CLI): config, logger, NAS client and instance state are
 * built once and reused by every invocation; the credentials of the current invocation are swapped in.
 * Kept apart from the handlers so that the function, the reconcile function and the CLI share it.
 */
import { manifestStoreFor, type ManifestStore } from './bulk/manifest-writer.js';
import { DEFAULT_FUNCTION_TIMEOUT_MS, loadConfig, type Config, type LoadConfigOptions } from './config/load-config.js';
import { ingest, InstanceState, type IngestDeps, type IngestReport } from './ingest/index.js';
import { createLogger, withoutSecretStrings, type Logger } from './log.js';
import { isThrottling } from './nas/classify.js';
import { createNasClient, type NasClient } from './nas/client.js';
import { chain, fromEnv, fromFcContext, type CredentialsProvider } from './nas/credentials.js';
import type { RateLimit } from './nas/rate-limit.js';
import type { SigningCredentials } from './nas/signer.js';

/**
 * Attempts per NAS call in the functions and the CLI (the first included). More attempts would absorb more
 * throttling, but the adaptive rate limiter already avoids most of it, and a retryable answer that lasts
 * (a data flow Stopped: OperationDenied.InvalidState) would hold every in-flight record for the whole
 * backoff (8 attempts ≈ 20 s) before ingest can see it and stop the group; FC replays cover the rest.
 */
export const RUNTIME_MAX_ATTEMPTS = 5;

/**
 * What one process holds: the use case's dependencies (config, instance state, and `now` / `sleep` /
 * `random`, which are the NAS client's too: one clock for calls, backoff and the invocation deadline) with
 * the whole NAS client (operator calls and `close()` included) and the process logger.
 */
export interface Runtime extends Pick<IngestDeps, 'config' | 'state' | 'now' | 'sleep' | 'random'> {
  readonly logger: Logger;
  readonly api: NasClient;
  /**
   * The one credentials chain of the process: this invocation's FC context (STS, rotating), then the
   * environment — or the environment alone (RuntimeOptions.credentialsFrom, the CLI). The NAS client signs
   * with it; the OSS listing clients (reconcile function, CLI) read it too.
   */
  readonly credentials: CredentialsProvider;
  /** Points the credentials provider at this invocation's FC context (STS credentials rotate). */
  useContext(context: unknown): void;
  /** Burst manifests' writer (shared/bulk/manifest-writer.ts manifestStoreFor); absent when bursts cannot use manifests. */
  readonly manifests?: ManifestStore;
}

/**
 * Attempts per NAS call for the CLI's interactive commands (status, cancel, retry-task): an operator waits
 * for the answer, and a wrong setting (endpoint, key) should be reported in seconds rather than after the
 * whole backoff the functions afford.
 */
export const INTERACTIVE_MAX_ATTEMPTS = 3;

export interface RuntimeOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Where the process's credentials come from. `fc` (default): the invocation's FC context, then the
   * environment. `env`: the environment only — a process without FC contexts (the CLI), whose errors
   * should name the variables to set, not `context.credentials`.
   */
  readonly credentialsFrom?: 'fc' | 'env';
  /** Attempts per NAS call, the first included (default RUNTIME_MAX_ATTEMPTS; see INTERACTIVE_MAX_ATTEMPTS). */
  readonly maxAttempts?: number;
  /** Per-attempt timeout of a NAS call (default the client's, 10 s; always cut to the call's deadline). */
  readonly attemptTimeoutMs?: number;
  /** The first invocation's FC context: region, function.timeout. */
  readonly fcContext?: unknown;
  /** Directory a relative CPFS_ROUTES_FILE is resolved against (the bundle's folder in FC). */
  readonly codeDir?: string;
  /** Otherwise-optional variables this process needs (reconcile: OSS_BUCKET), reported with every other problem. */
  readonly require?: LoadConfigOptions['require'];
  readonly write?: (line: string) => void;
  /**
   * Clock, wait and randomness of the whole process — NAS client, ingest, invocation deadline — so that a
   * test can run invocations on a virtual clock (test/support/reliability-world.ts) instead of machine speed.
   */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** Builds the per-process wiring. Throws ConfigError (every problem at once) on bad configuration. */
export function createRuntime(options: RuntimeOptions): Runtime {
  const config = loadConfig(options.env, {
    ...(options.fcContext !== undefined ? { fcContext: options.fcContext } : {}),
    ...(options.codeDir !== undefined ? { codeDir: options.codeDir } : {}),
    ...(options.require !== undefined ? { require: options.require } : {}),
  });
  let context: unknown;
  let lastCredentials: SigningCredentials | undefined;
  const fromContext: CredentialsProvider = () => fromFcContext(context)();
  const provider = options.credentialsFrom === 'env' ? fromEnv(options.env) : chain(fromContext, fromEnv(options.env));
  const credentials: CredentialsProvider = async () => (lastCredentials = await provider());
  const functionName = functionNameOf(options.fcContext) ?? nonEmpty(options.env['FC_FUNCTION_NAME']);
  // The secret strings of the moment: the logger redacts them from every line, withoutSecrets from results.
  const secrets = () => [lastCredentials?.accessKeySecret, lastCredentials?.securityToken, options.env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'], options.env['ALIBABA_CLOUD_SECURITY_TOKEN']];
  const logger = createLogger({
    ...(options.write ? { write: options.write } : {}),
    level: config.logLevel,
    // Every line names the function (Powertools' `function_name`); requestId and coldStart are added per invocation.
    ...(functionName !== undefined ? { base: { functionName } } : {}),
    secrets,
  });
  // Logged with the first invocation's request id, so a typo is seen next to the invocation it affected.
  const firstRequestId = requestIdOf(options.fcContext);
  const coldLogger = logger.child({ ...(firstRequestId !== undefined ? { requestId: firstRequestId } : {}), coldStart: true });
  for (const note of config.notes) coldLogger.warn('config.note', { note });
  const counters: NasCounters = { calls: 0, retries: 0, throttles: 0 };
  const api = createNasClient({
    endpoint: config.nasEndpoint,
    credentials,
    ...(options.now ? { now: options.now } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.random ? { random: options.random } : {}),
    rateLimits: { CreateDataFlowSubTask: subTaskRateLimit(config.subTaskRatePerSecond) },
    maxAttempts: options.maxAttempts ?? RUNTIME_MAX_ATTEMPTS,
    ...(options.attemptTimeoutMs !== undefined ? { timeoutMs: options.attemptTimeoutMs } : {}),
    onRequest: (event) => {
      counters.calls += 1;
      if (event.attempt > 1) counters.retries += 1;
      if (isThrottling(event.code)) counters.throttles += 1;
    },
  });
  const manifests = manifestStoreFor(config, credentials, options.now);
  const runtime: Runtime = {
    config,
    logger,
    api,
    state: new InstanceState(),
    now: options.now ?? Date.now,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.random ? { random: options.random } : {}),
    credentials,
    ...(manifests !== undefined ? { manifests } : {}),
    useContext(next: unknown) {
      context = next;
    },
  };
  instances.set(runtime, { invocations: 0, counters, secrets });
  return runtime;
}

/** NAS attempts of one instance: every attempt, the retries among them, and Throttling answers. */
interface NasCounters {
  calls: number;
  retries: number;
  throttles: number;
}

/**
 * Per-instance logging state, kept beside the Runtime (not in it) so that a Runtime assembled by hand (tests)
 * still works: it then has no counters and its metric lines leave nasCalls/retries/throttles out.
 */
const instances = new WeakMap<Runtime, { invocations: number; counters?: NasCounters; secrets?: () => ReadonlyArray<string | undefined> }>();

/**
 * `value` (a handler result, a report about to be printed) without the runtime's current secrets in any of
 * its strings: results echo object keys and messages from outside, and unlike log lines (redacted by the
 * logger) they leave the process as they are. Applied where a result leaves — the bounded handler result, not
 * every invocation's whole report (a walk of 10,000 outcomes costs 15–40 ms). A Runtime assembled by hand
 * (tests) has no secrets: `value` comes back unchanged.
 */
export function withoutSecrets<T>(runtime: Runtime, value: T): T {
  const secrets = instances.get(runtime)?.secrets;
  return secrets === undefined ? value : withoutSecretStrings(value, secrets());
}

/** The event name of the one metric line per invocation (README "Logs"). */
export const METRICS_EVENT = 'invocation.metrics';

export interface InvocationScope {
  /** The runtime's logger with `requestId` and `coldStart` on every line. */
  readonly logger: Logger;
  /** True on the first invocation of this instance. */
  readonly coldStart: boolean;
  /**
   * Writes the invocation's metric line: `fields` (counts by outcome, result) plus `nasCalls`, `retries`,
   * `throttles` of this invocation and `durationMs` since `startMs`.
   */
  metrics(fields: Readonly<Record<string, string | number | boolean>>): void;
}

/** Starts an invocation: points the credentials at `context`, and scopes the logger and the counters to it. */
export function beginInvocation(runtime: Runtime, context: unknown, startMs = runtime.now()): InvocationScope {
  runtime.useContext(context);
  let instance = instances.get(runtime);
  if (instance === undefined) {
    instance = { invocations: 0 };
    instances.set(runtime, instance);
  }
  const coldStart = instance.invocations === 0;
  instance.invocations += 1;
  const requestId = requestIdOf(context);
  const logger = runtime.logger.child({ ...(requestId !== undefined ? { requestId } : {}), coldStart });
  const counters = instance.counters;
  // FC 3.0 runs one request per instance at a time (docs/platform.md §3 Delivery), so the difference of the
  // instance's counters is this invocation's.
  const before = counters ? { ...counters } : undefined;
  return {
    logger,
    coldStart,
    metrics(fields) {
      const nas = counters && before
        ? { nasCalls: counters.calls - before.calls, retries: counters.retries - before.retries, throttles: counters.throttles - before.throttles }
        : {};
      logger.info(METRICS_EVENT, { ...fields, ...nas, durationMs: Math.max(0, Math.round(runtime.now() - startMs)) });
    },
  };
}

function requestIdOf(context: unknown): string | undefined {
  if (typeof context !== 'object' || context === null) return undefined;
  return nonEmpty((context as { requestId?: unknown }).requestId);
}

function functionNameOf(context: unknown): string | undefined {
  if (typeof context !== 'object' || context === null) return undefined;
  const fn = (context as { function?: unknown }).function;
  return typeof fn === 'object' && fn !== null ? nonEmpty((fn as { name?: unknown }).name) : undefined;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * CPFS_SUBTASK_RATE (sub-tasks per second, any positive number) as a client rate limit. The limiter counts
 * whole calls per window, so a rate below one per second becomes one call per longer window (0.5/s → one
 * per 2 s) instead of an impossible "0.5 calls per second" window.
 */
export function subTaskRateLimit(perSecond: number): RateLimit {
  return perSecond >= 1 ? { limit: perSecond, intervalMs: 1000 } : { limit: 1, intervalMs: Math.ceil(1000 / perSecond) };
}

/** The invocation deadline: FC start + function timeout − margin (docs/platform.md §4: no remaining-time API). */
export function invocationDeadline(startMs: number, config: Config, context: unknown): number {
  const timeoutSeconds = functionTimeoutSeconds(context);
  const timeoutMs = timeoutSeconds !== undefined ? timeoutSeconds * 1000 : config.functionTimeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS;
  return startMs + Math.max(0, timeoutMs - config.deadlineMarginMs);
}

function functionTimeoutSeconds(context: unknown): number | undefined {
  if (typeof context !== 'object' || context === null) return undefined;
  const fn = (context as { function?: unknown }).function;
  if (typeof fn !== 'object' || fn === null) return undefined;
  const timeout = (fn as { timeout?: unknown }).timeout;
  return typeof timeout === 'number' && timeout > 0 ? timeout : undefined;
}

/** What the use case needs from the runtime, with the invocation's logger: the one place IngestDeps is assembled. */
export function ingestDeps(runtime: Runtime, logger: Logger): IngestDeps {
  return {
    config: runtime.config,
    api: runtime.api,
    logger,
    state: runtime.state,
    now: runtime.now,
    ...(runtime.sleep ? { sleep: runtime.sleep } : {}),
    ...(runtime.random ? { random: runtime.random } : {}),
    ...(runtime.manifests !== undefined ? { manifests: runtime.manifests } : {}),
  };
}

/** Runs one ingest invocation on `runtime`; the report is what the handler returns or throws about. */
export async function runIngestInvocation(runtime: Runtime, event: unknown, context: unknown, startMs = runtime.now()): Promise<IngestReport> {
  const scope = beginInvocation(runtime, context, startMs);
  let report: IngestReport;
  try {
    report = await ingest(event, ingestDeps(runtime, scope.logger), {
      deadlineMs: invocationDeadline(startMs, runtime.config, context),
    });
  } catch (error) {
    scope.metrics({ result: 'error', records: 0 });
    throw error;
  }
  scope.metrics({
    // 'retry': the handler throws so that FC replays the event; 'ok': it returns.
    result: report.retryableFailures > 0 ? 'retry' : 'ok',
    mode: report.mode,
    records: report.outcomes.length,
    ...report.counts,
    retryableFailures: report.retryableFailures,
  });
  return report;
}
