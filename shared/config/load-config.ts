/**
 * Environment (plus an optional bundled route file) → one frozen, typed `Config`, built once per
 * instance at cold start and passed to everything else. Every public variable is documented in
 * shared/config/README.md.
 *
 * Rules: a value that is empty or only whitespace counts as unset; values are trimmed; every problem is
 * collected and thrown at once as one `ConfigError` whose problems name the variable and the rule (never
 * the value). Credentials are not part of Config: they come from the FC context or
 * `ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET/SECURITY_TOKEN` and are handled by the credentials provider.
 *
 * Written with `zod/mini` (FC bundle size). Mini registers no locale: a schema whose issue message can
 * become a problem (`parseWith`, the routes in routes.ts) carries its own `error:` text. ConfigSchema
 * only re-checks values built from checked input, and the FC context fields swallow their issues, so neither needs one.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import * as z from 'zod/mini';
import { autoBurstThreshold } from '../bulk/burst-split.js';
import { ConfigError } from '../errors.js';
import { boundText, MAX_CONFIG_ECHO_CHARS } from '../text-bound.js';
import { KEY_ENCODINGS } from '../events/key-encoding.js';
import { LOG_LEVELS, parseLogLevel, type LogLevel } from '../log.js';
import { CONFLICT_POLICIES } from '../nas/wire.js';
import { routeImportDstDirectory } from '../planning/path-base.js';
import type { PlanningSettings } from '../planning/types.js';
import { FILE_SYSTEM_ID_PATTERN, FILE_SYSTEM_ID_RULE, FILE_SYSTEM_KINDS, fileSystemKind, fileSystemKindOf } from '../cpfs/file-system.js';
import { MAX_OSS_KEY_BYTES, OSS_BUCKET_PATTERN, OSS_BUCKET_RULE } from '../cpfs/limits.js';
import { prefixOverlapsSource } from '../cpfs/source-path.js';
import { isLoopbackHost } from '../oss/endpoint.js';
import { directoryPathProblems, ROUTE_KEYS, RoutesInput } from './routes.js';

export const IMPORT_MODES = ['auto', 'stream', 'batch'] as const;

/** Defaults of the optional variables (the README table quotes them). */
export const CONFIG_DEFAULTS = {
  sourceStoragePath: '/',
  conflictPolicy: 'KEEP_LATEST',
  importMode: 'auto',
  dryRun: false,
  keyEncoding: 'raw',
  /** Concurrent NAS API calls per instance; the quotas are the real limit, this bounds sockets and memory. */
  maxConcurrency: 16,
  /** Stop taking on work this long before the FC timeout, to leave time to report and return. */
  deadlineMarginMs: 3000,
  /**
   * CreateDataFlowSubTask submissions per second per instance. The quota (100/s) is per account and
   * region, shared by every instance: stay just under it so that one instance alone never hits it. The
   * limiter keeps a 5 % burst and refills the rest, so 97 sustains about 93/s (bench: ≥ 90 % of the quota).
   */
  subTaskRatePerSecond: 97,
  /**
   * Reconcile: how far before the previous sweep's start the next sweep looks (CPFS_RECONCILE_SAFETY_MARGIN_SECONDS).
   * One default timer interval (15 min): covers clock skew between FC and OSS, LastModified's one-second
   * precision, and objects whose upload began before a sweep but were listed only after it.
   */
  reconcileSafetyMarginSeconds: 900,
  /** CPFS_LOG_LEVEL: lines below it are not written. */
  logLevel: 'info',
} as const;

/** Longest accepted CPFS_RECONCILE_SAFETY_MARGIN_SECONDS: one week. */
export const MAX_RECONCILE_SAFETY_MARGIN_SECONDS = 7 * 24 * 3600;

/** CreateDataFlowSubTask quota per region and account (docs/platform.md §1, Quotas). */
export const SUBTASK_QUOTA_PER_SECOND = 100;

/**
 * FC limits all user environment variables together to 4 KB (docs/platform.md §4); past this size CPFS_ROUTES
 * gets a note recommending CPFS_ROUTES_FILE, while there is still room to add other variables.
 */
export const ROUTES_ENV_NOTE_BYTES = 2048;

/** Every variable loadConfig reads; other `CPFS_*` names get a "not used" note (likely typos). */
export const CONFIG_VARIABLES = [
  'CPFS_FILE_SYSTEM_ID', 'CPFS_DATA_FLOW_ID', 'CPFS_SOURCE_STORAGE_PATH', 'CPFS_ROUTES', 'CPFS_ROUTES_FILE',
  'CPFS_CONFLICT_POLICY', 'CPFS_IMPORT_MODE', 'CPFS_DRY_RUN', 'CPFS_KEY_ENCODING', 'CPFS_MAX_CONCURRENCY',
  'CPFS_DEADLINE_MARGIN_MS', 'CPFS_SUBTASK_RATE', 'NAS_ENDPOINT', 'FC_REGION', 'ALIBABA_CLOUD_REGION_ID',
  'FC_FUNC_CODE_PATH', 'OSS_BUCKET', 'OSS_S3_ENDPOINT', 'CPFS_RECONCILE_PREFIXES', 'CPFS_RECONCILE_SAFETY_MARGIN_SECONDS',
  'CPFS_LOG_LEVEL', 'CPFS_BURST_THRESHOLD',
] as const;

/**
 * Variables that are optional for the event function but that some callers need (the reconcile function
 * and `cpfs-ingest backfill` need the bucket); pass them as `LoadConfigOptions.require`.
 */
export type RequirableVariable = 'OSS_BUCKET';

const enumRule = (values: readonly string[]) => `must be one of ${values.join(', ')}`;
const conflictPolicy = z.enum(CONFLICT_POLICIES, { error: enumRule(CONFLICT_POLICIES) });
const importMode = z.enum(IMPORT_MODES, { error: enumRule(IMPORT_MODES) });
const keyEncoding = z.enum(KEY_ENCODINGS, { error: enumRule(KEY_ENCODINGS) });

/** The shape of a Config; the type is inferred from it and the built value is checked against it. */
export const ConfigSchema = z.strictObject({
  fileSystemId: z.string().check(z.regex(FILE_SYSTEM_ID_PATTERN)),
  fileSystemKind: z.enum(FILE_SYSTEM_KINDS),
  dataFlowId: z.string(),
  sourceStoragePath: z.string(),
  routes: z.array(z.strictObject({ prefix: z.string(), dstDirectory: z.string(), conflictPolicy })),
  /** Where the routes came from. */
  routesSource: z.enum(['none', 'env', 'file']),
  defaultConflictPolicy: conflictPolicy,
  importMode,
  dryRun: z.boolean(),
  keyEncoding,
  /** Absent only when NAS_ENDPOINT is set and no region variable is. */
  region: z.optional(z.string()),
  /** Origin of the NAS OpenAPI, e.g. `https://nas.cn-hangzhou.aliyuncs.com` (no trailing slash). */
  nasEndpoint: z.string(),
  maxConcurrency: z.int().check(z.positive()),
  deadlineMarginMs: z.int().check(z.nonnegative()),
  subTaskRatePerSecond: z.number().check(z.positive()),
  /** From the FC context's `function.timeout`, when a context was given. */
  functionTimeoutMs: z.optional(z.int().check(z.positive())),
  /** OSS_BUCKET: the data flow's bucket (its SourceStorage without `oss://`). Present only when set. */
  bucket: z.optional(z.string()),
  /** OSS_S3_ENDPOINT: origin of OSS's S3-compatible API for listing. Present only when set. */
  ossS3Endpoint: z.optional(z.string()),
  /** CPFS_RECONCILE_PREFIXES: key prefixes the reconcile sweep lists. Present only when set. */
  reconcilePrefixes: z.optional(z.array(z.string())),
  /** CPFS_RECONCILE_SAFETY_MARGIN_SECONDS. Present only when set (default CONFIG_DEFAULTS.reconcileSafetyMarginSeconds). */
  reconcileSafetyMarginSeconds: z.optional(z.int().check(z.nonnegative())),
  planning: z.strictObject({
    fileSystemId: z.string(),
    dataFlowId: z.string(),
    sourceStoragePath: z.string(),
    routes: z.array(z.strictObject({ prefix: z.string(), dstDirectory: z.string(), conflictPolicy })),
    defaultConflictPolicy: conflictPolicy,
    /** OSS_BUCKET, when set: records of any other bucket are rejected (`other-bucket`). */
    bucket: z.optional(z.string()),
  }),
  /** CPFS_LOG_LEVEL. */
  logLevel: z.enum(LOG_LEVELS),
  /**
   * CPFS_BURST_THRESHOLD, resolved (`auto` → a number): stream groups larger than this send the objects past
   * it through a bulk Import (shared/ingest/stream/burst.ts). Absent = no bursts (every object a sub-task).
   */
  burstThreshold: z.optional(z.int().check(z.nonnegative())),
  /** Advice that is not an error (large CPFS_ROUTES, unknown CPFS_* variables); log it at cold start. */
  notes: z.array(z.string()),
});

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** The instance configuration: deep-frozen. */
export type Config = DeepReadonly<z.infer<typeof ConfigSchema>>;
export type ImportMode = (typeof IMPORT_MODES)[number];

// Config.planning must stay usable wherever PlanningSettings is expected.
type Assert<T extends true> = T;
type _PlanningIsCompatible = Assert<Config['planning'] extends PlanningSettings ? true : false>;

export interface LoadConfigOptions {
  /** Reads the route file (default: `fs.readFileSync(path, 'utf8')`). */
  readonly readFile?: (path: string) => string;
  /** The FC handler's context (`region`, `function.timeout` are used when present). */
  readonly fcContext?: unknown;
  /** Directory a relative CPFS_ROUTES_FILE is resolved against (default: FC_FUNC_CODE_PATH, else as given). */
  readonly codeDir?: string;
  /** Otherwise-optional variables this caller needs; each missing one is reported with the other problems. */
  readonly require?: readonly RequirableVariable[];
}

type Problem = { field: string; rule: string };

// The FC context's region and function.timeout, each parsed on its own: a missing or wrongly typed field
// (or a context that is not an object) counts as absent and never fails the config. Two plain schemas
// instead of one object schema with `z.catch`: the same verdicts, and `catch` stays out of the bundle.
const FcRegion = z.string();
const FcTimeout = z.number().check(z.positive());

/** `value[key]` when `value` is a non-array object (what an object schema would look into), else undefined. */
function fcContextField(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * Builds the instance Config from environment variables.
 *
 * @param env - usually `process.env`; only the variables of the README table are read.
 * @param options - injectable file reader, FC context and code directory (tests and the CLI pass these).
 * @returns a deep-frozen Config.
 * @throws ConfigError listing every problem (`{field, rule}`), never the offending values.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, options: LoadConfigOptions = {}): Config {
  const problems: Problem[] = [];
  const notes: string[] = [];
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const problem = (field: string, rule: string) => problems.push({ field, rule });

  // Identity of the target.
  const fileSystemId = get('CPFS_FILE_SYSTEM_ID');
  if (fileSystemId === undefined) problem('CPFS_FILE_SYSTEM_ID', 'is required');
  else if (!FILE_SYSTEM_ID_PATTERN.test(fileSystemId)) {
    problem('CPFS_FILE_SYSTEM_ID', FILE_SYSTEM_ID_RULE);
  }
  const dataFlowId = get('CPFS_DATA_FLOW_ID');
  if (dataFlowId === undefined) problem('CPFS_DATA_FLOW_ID', 'is required');
  else if (!/^df-[0-9a-z]+$/.test(dataFlowId)) problem('CPFS_DATA_FLOW_ID', 'must be df- followed by lowercase letters and digits');

  const sourceStoragePath = get('CPFS_SOURCE_STORAGE_PATH') ?? CONFIG_DEFAULTS.sourceStoragePath;
  for (const rule of directoryPathProblems(sourceStoragePath)) problem('CPFS_SOURCE_STORAGE_PATH', rule);

  // Enumerations and switches.
  const defaultConflictPolicy = parseWith(conflictPolicy, get('CPFS_CONFLICT_POLICY'), CONFIG_DEFAULTS.conflictPolicy, 'CPFS_CONFLICT_POLICY', problems);
  const mode = parseWith(importMode, get('CPFS_IMPORT_MODE'), CONFIG_DEFAULTS.importMode, 'CPFS_IMPORT_MODE', problems);
  const encoding = parseWith(keyEncoding, get('CPFS_KEY_ENCODING'), CONFIG_DEFAULTS.keyEncoding, 'CPFS_KEY_ENCODING', problems);
  const dryRun = parseBoolean(get('CPFS_DRY_RUN'), CONFIG_DEFAULTS.dryRun, 'CPFS_DRY_RUN', problems);
  if (mode === 'stream' && fileSystemKindOf(fileSystemId) === 'general') {
    problem('CPFS_IMPORT_MODE', 'stream needs CPFS for LINGJUN (bmcpfs-…): StreamImport is never sent to a cpfs- file system; use auto or batch');
  }

  // Limits.
  const maxConcurrency = parseInteger(get('CPFS_MAX_CONCURRENCY'), CONFIG_DEFAULTS.maxConcurrency, 1, 256, 'CPFS_MAX_CONCURRENCY', problems);
  const deadlineMarginMs = parseInteger(get('CPFS_DEADLINE_MARGIN_MS'), CONFIG_DEFAULTS.deadlineMarginMs, 0, 600_000, 'CPFS_DEADLINE_MARGIN_MS', problems);
  const subTaskRatePerSecond = parseRate(get('CPFS_SUBTASK_RATE'), problems, isLoopbackEndpoint(get('NAS_ENDPOINT')));

  // FC context (optional): region fallback and the function timeout.
  const regionField = FcRegion.safeParse(fcContextField(options.fcContext, 'region'));
  const timeoutField = FcTimeout.safeParse(fcContextField(fcContextField(options.fcContext, 'function'), 'timeout'));
  const contextRegion = regionField.success ? regionField.data.trim() || undefined : undefined;
  const timeoutSeconds = timeoutField.success ? timeoutField.data : undefined;
  const functionTimeoutMs = timeoutSeconds !== undefined ? Math.round(timeoutSeconds * 1000) : undefined;
  if (functionTimeoutMs !== undefined && deadlineMarginMs !== undefined && deadlineMarginMs >= functionTimeoutMs) {
    problem('CPFS_DEADLINE_MARGIN_MS', `must be less than the function timeout (${functionTimeoutMs} ms)`);
  }

  // Region and endpoint.
  const regionVar = get('FC_REGION') !== undefined ? 'FC_REGION' : get('ALIBABA_CLOUD_REGION_ID') !== undefined ? 'ALIBABA_CLOUD_REGION_ID' : undefined;
  const region = regionVar !== undefined ? get(regionVar) : contextRegion;
  if (region !== undefined && !/^[a-z]{2,}(?:-[a-z0-9]+)+$/.test(region)) {
    problem(regionVar ?? 'FC_REGION', 'must be a region id such as cn-hangzhou');
  }
  const endpointText = get('NAS_ENDPOINT');
  let nasEndpoint: string | undefined;
  if (endpointText !== undefined) {
    nasEndpoint = parseEndpoint(endpointText, problems);
  } else if (region === undefined) {
    problem('FC_REGION', 'is required (or ALIBABA_CLOUD_REGION_ID) unless NAS_ENDPOINT is set');
  } else {
    nasEndpoint = `https://nas.${region}.aliyuncs.com`;
  }

  // Routes, from the environment or a bundled file (FC caps all variables at 4 KB together).
  const routes = loadRoutes(get, options, sourceStoragePath, notes, problems);
  checkBatchExpressible(routes, sourceStoragePath, fileSystemId, mode, problems);

  // OSS listing (reconcile, backfill) and the bucket check of planning.
  const bucket = get('OSS_BUCKET');
  if (bucket === undefined) {
    if (options.require?.includes('OSS_BUCKET')) problem('OSS_BUCKET', 'is required here: the bucket of the data flow (its SourceStorage without oss://)');
  } else if (!OSS_BUCKET_PATTERN.test(bucket)) {
    problem('OSS_BUCKET', `must be a bucket name (${OSS_BUCKET_RULE}), without oss://`);
  }
  const ossS3EndpointText = get('OSS_S3_ENDPOINT');
  const ossS3Endpoint = ossS3EndpointText === undefined ? undefined : parseEndpoint(ossS3EndpointText, problems, 'OSS_S3_ENDPOINT', 'https://s3.oss-cn-hangzhou-internal.aliyuncs.com');
  const reconcilePrefixes = parseReconcilePrefixes(get('CPFS_RECONCILE_PREFIXES'), sourceStoragePath, problems);
  const safetyMarginText = get('CPFS_RECONCILE_SAFETY_MARGIN_SECONDS');
  const reconcileSafetyMarginSeconds = safetyMarginText === undefined
    ? undefined
    : parseInteger(safetyMarginText, 0, 0, MAX_RECONCILE_SAFETY_MARGIN_SECONDS, 'CPFS_RECONCILE_SAFETY_MARGIN_SECONDS', problems);

  const burstThreshold = parseBurstThreshold(get('CPFS_BURST_THRESHOLD'), subTaskRatePerSecond, functionTimeoutMs, deadlineMarginMs, problems);

  const logLevelText = get('CPFS_LOG_LEVEL');
  const logLevel: LogLevel | undefined = logLevelText === undefined ? CONFIG_DEFAULTS.logLevel : parseLogLevel(logLevelText);
  if (logLevel === undefined) problem('CPFS_LOG_LEVEL', enumRule(LOG_LEVELS));

  notes.push(...unknownVariableNotes(env));

  if (problems.length > 0) throw new ConfigError(problems);

  // All values below were checked above; the assertions only narrow the types.
  const filledRoutes = routes.list.map((route) => ({
    prefix: route.prefix,
    dstDirectory: route.dstDirectory,
    conflictPolicy: route.conflictPolicy ?? defaultConflictPolicy!,
  }));
  const config = ConfigSchema.parse({
    fileSystemId: fileSystemId!,
    fileSystemKind: fileSystemKind(fileSystemId!),
    dataFlowId: dataFlowId!,
    sourceStoragePath,
    routes: filledRoutes,
    routesSource: routes.source,
    defaultConflictPolicy: defaultConflictPolicy!,
    importMode: mode!,
    dryRun: dryRun!,
    keyEncoding: encoding!,
    ...(region !== undefined && { region }),
    nasEndpoint: nasEndpoint!,
    maxConcurrency: maxConcurrency!,
    deadlineMarginMs: deadlineMarginMs!,
    subTaskRatePerSecond: subTaskRatePerSecond!,
    ...(functionTimeoutMs !== undefined && { functionTimeoutMs }),
    ...(bucket !== undefined && { bucket }),
    ...(ossS3Endpoint !== undefined && { ossS3Endpoint }),
    ...(reconcilePrefixes !== undefined && { reconcilePrefixes }),
    ...(reconcileSafetyMarginSeconds !== undefined && { reconcileSafetyMarginSeconds }),
    logLevel: logLevel!,
    ...(burstThreshold !== undefined && { burstThreshold }),
    planning: {
      fileSystemId: fileSystemId!,
      dataFlowId: dataFlowId!,
      sourceStoragePath,
      routes: filledRoutes,
      defaultConflictPolicy: defaultConflictPolicy!,
      ...(bucket !== undefined && { bucket }),
    },
    notes,
  });
  return deepFreeze(config);
}

/**
 * Where batch Import is the only mode — a `cpfs-…` file system (no StreamImport), or CPFS_IMPORT_MODE=batch —
 * a route that batch Import cannot express is a configuration error naming the route and why: an Import
 * with an EntryList carries no Directory (docs/platform.md §1), so a route that renames a directory
 * (prefix `in/imgs/` → `/datasets/images/`) would land its files elsewhere (shared/planning/path-base.ts
 * `routeImportDstDirectory`). In `auto` on LINGJUN such routes go through sub-tasks; `stream` never batches.
 */
function checkBatchExpressible(
  routes: RoutesResult,
  sourceStoragePath: string,
  fileSystemId: string | undefined,
  mode: ImportMode | undefined,
  problems: Problem[],
): void {
  if (routes.list.length === 0 || directoryPathProblems(sourceStoragePath).length > 0) return;
  const general = fileSystemKindOf(fileSystemId) === 'general';
  if (!general && mode !== 'batch') return;
  const why = general ? 'a cpfs-… file system takes batch Import tasks only' : 'CPFS_IMPORT_MODE=batch';
  const field = routes.source === 'file' ? 'CPFS_ROUTES_FILE' : 'CPFS_ROUTES';
  routes.list.forEach((route, i) => {
    const layout = routeImportDstDirectory(route, sourceStoragePath);
    if (!layout.ok) {
      problems.push({ field: `${field}[${i}]`, rule: `route ${JSON.stringify(boundText(route.prefix, MAX_CONFIG_ECHO_CHARS))} → ${boundText(route.dstDirectory, MAX_CONFIG_ECHO_CHARS)} cannot be sent as a batch Import (${why}): it ${layout.reason}` });
    }
  });
}

/**
 * A note for each `CPFS_*` variable that no setting reads (most likely a typo), with the closest known name
 * when one is near (edit distance ≤ 3). Values are never quoted; names are, bounded.
 */
export function unknownVariableNotes(env: Readonly<Record<string, string | undefined>>): string[] {
  const notes: string[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith('CPFS_') || (CONFIG_VARIABLES as readonly string[]).includes(name)) continue;
    const shown = boundText(name, MAX_CONFIG_ECHO_CHARS);
    const guess = closestName(name, CONFIG_VARIABLES);
    notes.push(`${shown} is not a cpfs-ingest setting and is ignored${guess ? ` (did you mean ${guess}?)` : ' (see the configuration table)'}`);
  }
  return notes;
}

/** The candidate nearest to `name` by edit distance, if within `max` edits (ties: the first). */
export function closestName(name: string, candidates: readonly string[], max = 3): string | undefined {
  if (name.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = max + 1;
  for (const candidate of candidates) {
    const d = editDistance(name.toUpperCase(), candidate.toUpperCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

function parseWith<T>(schema: z.ZodMiniType<T>, value: string | undefined, fallback: T, field: string, problems: Problem[]): T | undefined {
  if (value === undefined) return fallback;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  problems.push({ field, rule: result.error.issues[0]?.message ?? 'is invalid' });
  return undefined;
}

function parseBoolean(value: string | undefined, fallback: boolean, field: string, problems: Problem[]): boolean | undefined {
  if (value === undefined) return fallback;
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  problems.push({ field, rule: 'must be true, false, 1 or 0' });
  return undefined;
}

function parseInteger(value: string | undefined, fallback: number, min: number, max: number, field: string, problems: Problem[], rule?: string): number | undefined {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
  problems.push({ field, rule: rule ?? `must be a whole number from ${min} to ${max}` });
  return undefined;
}

/**
 * The function timeout assumed when no FC context says it (FC's default function timeout, 60 s): the
 * invocation deadline (shared/runtime.ts) and CPFS_BURST_THRESHOLD=auto both read it.
 */
export const DEFAULT_FUNCTION_TIMEOUT_MS = 60_000;

/** Largest numeric CPFS_BURST_THRESHOLD: far above any one invocation's batch (FC delivers ≤ 10,000 MNS messages). */
export const MAX_BURST_THRESHOLD = 10_000_000;

/**
 * CPFS_BURST_THRESHOLD: unset = no bursts; a whole number; or `auto` = what the sub-task rate submits in the
 * function timeout minus the margin (autoBurstThreshold; the timeout from the FC context, else
 * DEFAULT_FUNCTION_TIMEOUT_MS, as invocationDeadline assumes). Resolved here, once per instance, so every replay splits alike.
 */
function parseBurstThreshold(value: string | undefined, rate: number | undefined, functionTimeoutMs: number | undefined, marginMs: number | undefined, problems: Problem[]): number | undefined {
  if (value === undefined) return undefined;
  if (value.toLowerCase() === 'auto') {
    if (rate === undefined || marginMs === undefined) return undefined; // their own problems are reported
    return autoBurstThreshold({ subTaskRatePerSecond: rate, functionTimeoutMs: functionTimeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS, deadlineMarginMs: marginMs });
  }
  return parseInteger(value, 0, 0, MAX_BURST_THRESHOLD, 'CPFS_BURST_THRESHOLD', problems, `must be auto or a whole number from 0 to ${MAX_BURST_THRESHOLD} (unset: no bursts)`);
}

/**
 * Highest CPFS_SUBTASK_RATE against a loopback NAS_ENDPOINT: the local emulator's quotas can be raised, and
 * tests and benchmarks drive thousands of sub-tasks in seconds. Against Alibaba Cloud the quota caps it.
 */
export const MAX_LOCAL_SUBTASK_RATE = 100_000;

function parseRate(value: string | undefined, problems: Problem[], localEndpoint: boolean): number | undefined {
  if (value === undefined) return CONFIG_DEFAULTS.subTaskRatePerSecond;
  const n = /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (n > 0 && n <= SUBTASK_QUOTA_PER_SECOND) return n;
  if (localEndpoint && n > 0 && n <= MAX_LOCAL_SUBTASK_RATE) return n;
  problems.push({ field: 'CPFS_SUBTASK_RATE', rule: `must be a number above 0 and at most ${SUBTASK_QUOTA_PER_SECOND} (the CreateDataFlowSubTask quota per second; up to ${MAX_LOCAL_SUBTASK_RATE} only with a loopback NAS_ENDPOINT)` });
  return undefined;
}

/** Whether NAS_ENDPOINT names a loopback host (the local emulator); false when unset or not a URL. */
function isLoopbackEndpoint(text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    return isLoopbackHost(new URL(text).hostname);
  } catch {
    return false;
  }
}


function parseEndpoint(
  text: string,
  problems: Problem[],
  field = 'NAS_ENDPOINT',
  example = 'https://nas.cn-hangzhou.aliyuncs.com',
): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push({ field, rule: `must be an absolute URL such as ${example}` });
    return undefined;
  }
  const before = problems.length;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    problems.push({ field, rule: 'must use https (http is allowed only for loopback hosts)' });
  }
  if (url.username !== '' || url.password !== '') problems.push({ field, rule: 'must not contain credentials' });
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    problems.push({ field, rule: 'must be an origin only (no path, query or fragment): requests go to /' });
  }
  return problems.length === before ? url.origin : undefined;
}


/**
 * CPFS_RECONCILE_PREFIXES: a JSON array of strings (`["a/","b/"]`, the only way to write `""` = whole
 * SourceStoragePath) or a comma-separated list (`a/,b/`; items trimmed, empty items dropped). Each prefix is
 * an OSS key prefix from the bucket root, like a route prefix, and must lie under CPFS_SOURCE_STORAGE_PATH
 * (or contain it, like `""`): keys outside it are never imported.
 */
function parseReconcilePrefixes(text: string | undefined, sourceStoragePath: string, problems: Problem[]): string[] | undefined {
  if (text === undefined) return undefined;
  const field = 'CPFS_RECONCILE_PREFIXES';
  let list: string[];
  if (text.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      problems.push({ field, rule: 'starts with [ but is not valid JSON (a JSON array of strings, or a comma-separated list)' });
      return undefined;
    }
    const parsed = z.array(z.string()).safeParse(json);
    if (!parsed.success) {
      problems.push({ field, rule: 'must be a JSON array of strings (or a comma-separated list)' });
      return undefined;
    }
    list = parsed.data;
  } else {
    list = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  }
  if (list.length === 0) {
    problems.push({ field, rule: 'must name at least one prefix (leave it unset for the default)' });
    return undefined;
  }
  const before = problems.length;
  list.forEach((prefix, i) => {
    const where = `${field}[${i}]`;
    if (prefix.startsWith('/')) problems.push({ field: where, rule: 'must not start with / (OSS keys never do)' });
    else if (Buffer.byteLength(prefix, 'utf8') > MAX_OSS_KEY_BYTES) problems.push({ field: where, rule: `must be at most ${MAX_OSS_KEY_BYTES} bytes of UTF-8` });
    else if (!prefixOverlapsSource(prefix, sourceStoragePath)) {
      problems.push({ field: where, rule: 'lies outside CPFS_SOURCE_STORAGE_PATH: its keys could never be imported' });
    }
  });
  return problems.length === before ? [...new Set(list)] : undefined;
}

type RoutesResult = { list: ReadonlyArray<{ prefix: string; dstDirectory: string; conflictPolicy?: (typeof CONFLICT_POLICIES)[number] }>; source: 'none' | 'env' | 'file' };

function loadRoutes(
  get: (name: string) => string | undefined,
  options: LoadConfigOptions,
  sourceStoragePath: string,
  notes: string[],
  problems: Problem[],
): RoutesResult {
  const inline = get('CPFS_ROUTES');
  const file = get('CPFS_ROUTES_FILE');
  if (inline !== undefined && file !== undefined) {
    problems.push({ field: 'CPFS_ROUTES_FILE', rule: 'set either CPFS_ROUTES or CPFS_ROUTES_FILE, not both' });
    return { list: [], source: 'none' };
  }
  let field: string;
  let text: string;
  if (inline !== undefined) {
    field = 'CPFS_ROUTES';
    text = inline;
    const bytes = Buffer.byteLength(inline, 'utf8');
    if (bytes > ROUTES_ENV_NOTE_BYTES) {
      notes.push(`CPFS_ROUTES is ${bytes} bytes; FC allows 4 KB for all environment variables together — move the table to a file in the code package and set CPFS_ROUTES_FILE`);
    }
  } else if (file !== undefined) {
    field = 'CPFS_ROUTES_FILE';
    const base = options.codeDir ?? get('FC_FUNC_CODE_PATH');
    const path = isAbsolute(file) || base === undefined ? file : join(base, file);
    try {
      text = (options.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(path);
    } catch (error) {
      const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : 'read error';
      problems.push({ field, rule: `cannot be read (${code}); the path is resolved against the function code directory` });
      return { list: [], source: 'file' };
    }
  } else {
    return { list: [], source: 'none' };
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    problems.push({ field, rule: 'must be valid JSON (an array of {"prefix", "dstDirectory", "conflictPolicy"?})' });
    return { list: [], source: field === 'CPFS_ROUTES' ? 'env' : 'file' };
  }
  const parsed = RoutesInput.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const where = field + issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) problems.push({ field: where, rule: `unknown key "${boundText(key, MAX_CONFIG_ECHO_CHARS)}" (allowed: ${ROUTE_KEYS.join(', ')})` });
      } else {
        problems.push({ field: where, rule: issue.message });
      }
    }
    return { list: [], source: field === 'CPFS_ROUTES' ? 'env' : 'file' };
  }
  // Keys outside SourceStoragePath are rejected, so a route outside it could never match.
  parsed.data.forEach((route, i) => {
    if (!prefixOverlapsSource(route.prefix, sourceStoragePath)) {
      problems.push({ field: `${field}[${i}].prefix`, rule: 'lies outside CPFS_SOURCE_STORAGE_PATH, so it could never match' });
    }
  });
  return { list: parsed.data, source: field === 'CPFS_ROUTES' ? 'env' : 'file' };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
