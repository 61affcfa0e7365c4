/**
 * Wiring for one process (an FC instance, or the CLI): config, logger, NAS client and instance state are
 * built once and reused by every invocation; the credentials of the current invocation are swapped in.
 * Kept apart from the handlers so that the function, the reconcile function and the CLI share it.
 */
import { loadConfig, type Config, type LoadConfigOptions } from './config/load-config.js';
import { ingest, InstanceState, type IngestReport } from './ingest.js';
import { createLogger, type Logger } from './log.js';
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

export interface Runtime {
  readonly config: Config;
  readonly logger: Logger;
  readonly api: NasClient;
  readonly state: InstanceState;
  /** The process clock (ms since epoch): the NAS client's and the invocation deadline's. */
  readonly now: () => number;
  /** Points the credentials provider at this invocation's FC context (STS credentials rotate). */
  useContext(context: unknown): void;
}

export interface RuntimeOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The first invocation's FC context: region, function.timeout. */
  readonly fcContext?: unknown;
  /** Directory a relative CPFS_ROUTES_FILE is resolved against (the bundle's folder in FC). */
  readonly codeDir?: string;
  /** Otherwise-optional variables this process needs (reconcile: OSS_BUCKET), reported with every other problem. */
  readonly require?: LoadConfigOptions['require'];
  readonly write?: (line: string) => void;
  readonly now?: () => number;
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
  const provider = chain(fromContext, fromEnv(options.env));
  const credentials: CredentialsProvider = async () => (lastCredentials = await provider());
  const logger = createLogger({
    ...(options.write ? { write: options.write } : {}),
    secrets: () => [lastCredentials?.accessKeySecret, lastCredentials?.securityToken, options.env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'], options.env['ALIBABA_CLOUD_SECURITY_TOKEN']],
  });
  for (const note of config.notes) logger.warn('config.note', { note });
  const api = createNasClient({
    endpoint: config.nasEndpoint,
    credentials,
    ...(options.now ? { now: options.now } : {}),
    rateLimits: { CreateDataFlowSubTask: subTaskRateLimit(config.subTaskRatePerSecond) },
    maxAttempts: RUNTIME_MAX_ATTEMPTS,
  });
  return {
    config,
    logger,
    api,
    state: new InstanceState(),
    now: options.now ?? Date.now,
    useContext(next: unknown) {
      context = next;
    },
  };
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
  const timeoutMs = timeoutSeconds !== undefined ? timeoutSeconds * 1000 : config.functionTimeoutMs ?? 60_000;
  return startMs + Math.max(0, timeoutMs - config.deadlineMarginMs);
}

function functionTimeoutSeconds(context: unknown): number | undefined {
  if (typeof context !== 'object' || context === null) return undefined;
  const fn = (context as { function?: unknown }).function;
  if (typeof fn !== 'object' || fn === null) return undefined;
  const timeout = (fn as { timeout?: unknown }).timeout;
  return typeof timeout === 'number' && timeout > 0 ? timeout : undefined;
}

/** Runs one ingest invocation on `runtime`; the report is what the handler returns or throws about. */
export async function runIngestInvocation(runtime: Runtime, event: unknown, context: unknown, startMs = runtime.now()): Promise<IngestReport> {
  runtime.useContext(context);
  const requestId = typeof context === 'object' && context !== null ? (context as { requestId?: unknown }).requestId : undefined;
  const logger = typeof requestId === 'string' ? runtime.logger.child({ requestId }) : runtime.logger;
  return ingest(event, { config: runtime.config, api: runtime.api, logger, state: runtime.state, now: runtime.now }, {
    deadlineMs: invocationDeadline(startMs, runtime.config, context),
  });
}
