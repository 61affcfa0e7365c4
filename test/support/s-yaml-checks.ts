/**
 * Checks of a rendered `s.yaml` (see s-yaml-render.ts): the fc3 component's JSON schema, plus rules of our
 * own that the schema cannot express. Every check is a plain function returning the list of problems it
 * found (empty = fine), so tests can also run it on deliberately broken copies and see it fail.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import * as z from 'zod';

// ---------------------------------------------------------------------------------------------------------
// The fc3 component's JSON schema
// ---------------------------------------------------------------------------------------------------------

/** Which schema definition describes `triggerConfig` for each `triggerType` (fc3 src/interface/trigger.ts). */
export const TRIGGER_CONFIG_DEFINITIONS: Readonly<Record<string, string>> = {
  oss: 'IOssTriggerConfig',
  timer: 'ITimerTriggerConfig',
  eventbridge: 'IEventBridge',
  http: 'IHttpTriggerConfig',
  log: 'ILogTriggerConfig',
  mns_topic: 'IMnsTriggerConfig',
  cdn_events: 'ICdnTriggerConfig',
  tablestore: 'IOtsConfig',
};

export interface Fc3Validator {
  /** The resource's props against the schema exactly as published. */
  validateProps(props: unknown): string[];
  /**
   * One trigger's `triggerConfig` against the definition of its `triggerType`. Needed because the schema
   * types `triggerConfig` as `anyOf` all trigger kinds, one of which (`IOtsConfig`) is any object: the
   * schema alone accepts every triggerConfig.
   */
  validateTriggerConfig(triggerType: string, triggerConfig: unknown): string[];
  /**
   * Keys the schema does not name (typos such as `asyncInvokeConfigs` are otherwise accepted: the schema
   * leaves `additionalProperties` open). Objects the schema declares open (`runOptions`, …) are not checked.
   */
  findUnknownKeys(props: unknown): string[];
}

/** Reads the vendored schema, failing with the path when it is missing. */
export function loadFc3Schema(path: string): Record<string, unknown> {
  if (!existsSync(path)) {
    throw new Error(`fc3 schema not found at ${path} (the shared/ folder is expected beside the repository clone)`);
  }
  return z.record(z.string(), z.unknown()).parse(JSON.parse(readFileSync(path, 'utf8')));
}

/** Compiles the schema (as published, and a copy with every listed-properties object closed). */
export function createFc3Validator(schema: Record<string, unknown>): Fc3Validator {
  // strict: false — the published schema uses draft-07 constructs Ajv's strict mode warns about.
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addSchema(schema, 'fc3');
  ajv.addSchema(z.record(z.string(), z.unknown()).parse(closeObjects(schema)), 'fc3-strict');
  const props = ajv.getSchema('fc3');
  const strictProps = ajv.getSchema('fc3-strict');
  if (props === undefined || strictProps === undefined) throw new Error('fc3 schema did not compile');
  const definition = (id: string, name: string): ValidateFunction => ajv.compile({ $ref: `${id}#/definitions/${name}` });

  const triggerConfigProblems = (id: string, triggerType: string, triggerConfig: unknown, where: string): ErrorObject[] | string => {
    const name = Object.hasOwn(TRIGGER_CONFIG_DEFINITIONS, triggerType) ? TRIGGER_CONFIG_DEFINITIONS[triggerType] : undefined;
    if (name === undefined) return `${where}/triggerType "${triggerType}" is not a known trigger type`;
    const validate = definition(id, name);
    return validate(triggerConfig) ? [] : (validate.errors ?? []);
  };

  return {
    validateProps(value) {
      return props(value) ? [] : formatErrors(props.errors, '');
    },
    validateTriggerConfig(triggerType, triggerConfig) {
      const result = triggerConfigProblems('fc3', triggerType, triggerConfig, '');
      return typeof result === 'string' ? [result] : formatErrors(result, 'triggerConfig');
    },
    findUnknownKeys(value) {
      const problems: string[] = [];
      if (!strictProps(value)) problems.push(...formatErrors(strictProps.errors?.filter(isUnknownKey), ''));
      const triggers = z.object({ triggers: z.array(z.unknown()) }).safeParse(value);
      for (const [i, trigger] of (triggers.success ? triggers.data.triggers : []).entries()) {
        const parsed = z.object({ triggerType: z.string(), triggerConfig: z.unknown() }).safeParse(trigger);
        if (!parsed.success) continue; // validateProps reports it
        const result = triggerConfigProblems('fc3-strict', parsed.data.triggerType, parsed.data.triggerConfig, `/triggers/${i}`);
        if (typeof result !== 'string') problems.push(...formatErrors(result.filter(isUnknownKey), `/triggers/${i}/triggerConfig`));
      }
      return problems;
    },
  };
}

const isUnknownKey = (error: ErrorObject): boolean => error.keyword === 'additionalProperties';

function formatErrors(errors: readonly ErrorObject[] | null | undefined, prefix: string): string[] {
  return (errors ?? []).map((error) => {
    const where = `${prefix}${error.instancePath}` || '/';
    const params = error.params as Record<string, unknown>;
    const detail =
      error.keyword === 'additionalProperties' ? `: "${String(params['additionalProperty'])}"`
      : error.keyword === 'enum' ? `: ${JSON.stringify(params['allowedValues'])}`
      : '';
    return `${where} ${error.message ?? 'is invalid'}${detail}`;
  });
}

/**
 * A copy of the schema where every object that lists `properties` and says nothing about
 * `additionalProperties` rejects other keys. Conditions (`if`/`then`/`else`/`not`) are left as published:
 * closing them would change which branch applies.
 */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (typeof node !== 'object' || node === null) return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'if' || key === 'then' || key === 'else' || key === 'not') copy[key] = value;
    else if (key === 'properties' || key === 'definitions') {
      copy[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, closeObjects(v)]));
    } else if (key === 'items' || key === 'anyOf' || key === 'oneOf' || key === 'allOf' || key === 'additionalProperties') {
      copy[key] = closeObjects(value);
    } else copy[key] = value;
  }
  if ('properties' in copy && !('additionalProperties' in copy)) copy['additionalProperties'] = false;
  return copy;
}

// ---------------------------------------------------------------------------------------------------------
// Triggers
// ---------------------------------------------------------------------------------------------------------

/**
 * The OSS events that mean "a complete object now exists" (docs/platform.md §3). Never `oss:ObjectCreated:*`: it
 * also fires InitiateMultipartUpload and every UploadPart of an object that does not exist yet.
 */
export const REQUIRED_OSS_EVENTS = [
  'oss:ObjectCreated:PutObject',
  'oss:ObjectCreated:PostObject',
  'oss:ObjectCreated:CopyObject',
  'oss:ObjectCreated:CompleteMultipartUpload',
] as const;

const OssTrigger = z.looseObject({
  triggerType: z.literal('oss'),
  sourceArn: z.string(),
  invocationRole: z.string(),
  triggerConfig: z.looseObject({
    events: z.array(z.string()),
    filter: z.looseObject({ key: z.looseObject({ prefix: z.string(), suffix: z.string() }) }),
  }),
});

/** Renders zod issues as `path: message` problems. */
function issues(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((issue) => `${[prefix, ...issue.path.map(String)].filter(Boolean).join('.')}: ${issue.message}`);
}

export interface OssTriggerExpectations {
  readonly region: string;
  readonly accountId: string;
  readonly bucket: string;
  /** The data flow's SourceStoragePath (`/` or `/prefix/`). */
  readonly sourceStoragePath: string;
}

/** The native OSS trigger: exactly the four event names, both filter parts, the right bucket and role. */
export function checkOssTrigger(trigger: unknown, expected: OssTriggerExpectations): string[] {
  const parsed = OssTrigger.safeParse(trigger);
  if (!parsed.success) return issues(parsed.error, 'oss trigger');
  const problems: string[] = [];
  const { events, filter } = parsed.data.triggerConfig;
  for (const event of events) {
    if (event.includes('*')) problems.push(`events: "${event}" is a wildcard (it also fires for every multipart upload step)`);
    else if (!(REQUIRED_OSS_EVENTS as readonly string[]).includes(event)) problems.push(`events: "${event}" is not one of ${REQUIRED_OSS_EVENTS.join(', ')}`);
  }
  for (const event of REQUIRED_OSS_EVENTS) {
    if (!events.includes(event)) problems.push(`events: "${event}" is missing`);
  }
  if (new Set(events).size !== events.length) problems.push('events: duplicates');
  const arn = `acs:oss:${expected.region}:${expected.accountId}:${expected.bucket}`;
  if (parsed.data.sourceArn !== arn) problems.push(`sourceArn: "${parsed.data.sourceArn}" should be "${arn}"`);
  const role = `acs:ram::${expected.accountId}:role/aliyunosseventnotificationrole`;
  if (parsed.data.invocationRole !== role) problems.push(`invocationRole: "${parsed.data.invocationRole}" should be "${role}"`);
  if (!`/${filter.key.prefix}`.startsWith(expected.sourceStoragePath)) {
    problems.push(`filter.key.prefix: "${filter.key.prefix}" lies outside the source path ${expected.sourceStoragePath} (every event would be rejected)`);
  }
  return problems;
}

const BatchTrigger = z.looseObject({
  triggerType: z.literal('eventbridge'),
  triggerConfig: z.looseObject({
    triggerEnable: z.boolean(),
    asyncInvocationType: z.boolean(),
    eventSourceConfig: z.looseObject({
      eventSourceType: z.string(),
      eventSourceParameters: z.looseObject({
        sourceMNSParameters: z.looseObject({ QueueName: z.string().min(1), IsBase64Decode: z.boolean() }),
      }),
    }),
    runOptions: z.looseObject({
      mode: z.string(),
      retryStrategy: z.looseObject({ PushRetryStrategy: z.enum(['BACKOFF_RETRY', 'EXPONENTIAL_DECAY_RETRY']) }),
      deadLetterQueue: z.looseObject({ Arn: z.string().regex(/^acs:mns:[^:]+:\d+:\/queues\/[^/]+$/, 'must be acs:mns:<region>:<account>:/queues/<name>') }),
      batchWindow: z.looseObject({
        CountBasedWindow: z.number().int().min(1).max(10_000),
        TimeBasedWindow: z.number().int().min(0).max(15),
      }),
    }),
  }),
});
export type BatchTrigger = z.infer<typeof BatchTrigger>;

/** The batched path: MNS queue → EventBridge event stream with a batch window (docs/platform.md §3, §5). */
export function checkBatchTrigger(trigger: unknown): string[] {
  const parsed = BatchTrigger.safeParse(trigger);
  if (!parsed.success) return issues(parsed.error, 'eventbridge trigger');
  const config = parsed.data.triggerConfig;
  const problems: string[] = [];
  if (config.eventSourceConfig.eventSourceType !== 'MNS') problems.push('eventSourceType must be MNS');
  if (config.runOptions.mode !== 'event-streaming') problems.push('runOptions.mode must be event-streaming (the only mode that batches)');
  if (!config.eventSourceConfig.eventSourceParameters.sourceMNSParameters.IsBase64Decode) {
    problems.push('IsBase64Decode must be true: OSS writes base64 of its JSON into MNS');
  }
  if (config.asyncInvocationType) {
    problems.push('asyncInvocationType must be false: an asynchronous invocation carries at most 128 KB, which cuts batches short');
  }
  if (!config.triggerEnable) problems.push('triggerEnable must be true');
  return problems;
}

/** Seconds of an `@every 1h30m`-style timer expression; undefined for cron expressions. */
export function everyIntervalSeconds(expression: string): number | undefined {
  const match = /^@every\s+((?:\d+[hms])+)$/.exec(expression.trim());
  if (match?.[1] === undefined) return undefined;
  const unit = { h: 3600, m: 60, s: 1 } as const;
  return [...match[1].matchAll(/(\d+)([hms])/g)].reduce((sum, [, n, u]) => sum + Number(n) * unit[u as keyof typeof unit], 0);
}

const TimerTrigger = z.looseObject({
  triggerType: z.literal('timer'),
  triggerConfig: z.looseObject({ cronExpression: z.string().min(1), enable: z.boolean() }),
});

/** reconcile's timer: enabled, and a sweep (or a waiting tick) never outlives the interval. */
export function checkTimerTrigger(trigger: unknown, fn: { timeoutSeconds: number; maxAsyncEventAgeInSeconds: number }): string[] {
  const parsed = TimerTrigger.safeParse(trigger);
  if (!parsed.success) return issues(parsed.error, 'timer trigger');
  const problems: string[] = [];
  if (!parsed.data.triggerConfig.enable) problems.push('timer: enable must be true');
  const interval = everyIntervalSeconds(parsed.data.triggerConfig.cronExpression);
  if (interval !== undefined) {
    if (fn.timeoutSeconds >= interval) problems.push(`timeout ${fn.timeoutSeconds} s must be shorter than the timer interval ${interval} s`);
    if (fn.maxAsyncEventAgeInSeconds > interval) {
      problems.push(`maxAsyncEventAgeInSeconds ${fn.maxAsyncEventAgeInSeconds} should not exceed the interval ${interval} s (stale ticks pile up)`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Function settings
// ---------------------------------------------------------------------------------------------------------

export interface TimeoutInputs {
  /** Records one invocation may carry: CountBasedWindow for batches, 1 for the native OSS trigger. */
  readonly recordsPerInvocation: number;
  /** Invocations that may run at once and share the quota (reservedConcurrency). */
  readonly concurrentInvocations: number;
  /** The function's own cap on sub-task submissions per second per instance (CPFS_SUBTASK_RATE). */
  readonly perInstanceRate: number;
  /** CreateDataFlowSubTask quota per account and region. */
  readonly quotaPerSecond: number;
}

/**
 * Time an invocation needs beyond submission itself: cold start, opening the streaming task
 * (CreateDataFlowTask, 120 calls per 60 s), Throttling back-off, and the deadline margin the function
 * keeps to report before its timeout.
 */
export const TIMEOUT_MARGIN_SECONDS = 30;

/** Shortest safe timeout: the slower of "alone at its own cap" and "sharing the quota", plus the margin. */
export function requiredTimeoutSeconds(inputs: TimeoutInputs): number {
  const shared = (inputs.recordsPerInvocation * inputs.concurrentInvocations) / inputs.quotaPerSecond;
  const alone = inputs.recordsPerInvocation / Math.min(inputs.perInstanceRate, inputs.quotaPerSecond);
  return Math.ceil(Math.max(shared, alone) + TIMEOUT_MARGIN_SECONDS);
}

/** The function timeout covers a full batch at the quota (see s.yaml, "Sizing"). */
export function checkTimeout(timeoutSeconds: number, inputs: TimeoutInputs): string[] {
  if (!Number.isFinite(inputs.concurrentInvocations)) {
    return ['concurrencyConfig.reservedConcurrency is missing: without it any number of invocations share the quota'];
  }
  const required = requiredTimeoutSeconds(inputs);
  return timeoutSeconds >= required
    ? []
    : [`timeout ${timeoutSeconds} s is below ${required} s needed for ${inputs.recordsPerInvocation} records x ${inputs.concurrentInvocations} invocations at ${inputs.quotaPerSecond}/s + ${TIMEOUT_MARGIN_SECONDS} s`];
}

/**
 * Memory one ingest invocation needs for a batch, from the bench's own figures (bench/results/latest.json,
 * memory section: peak RSS of the built bundle ingesting a 1,000-record MNS batch, and the growth per record
 * measured from 1,000 to 50,000 records), times {@link MEMORY_HEADROOM} for what the bench does not see (FC's
 * runtime around the handler, larger keys than the bench's ~50 bytes, GC timing).
 */
export const MEMORY_HEADROOM = 1.5;

const BenchFigures = z.looseObject({ figures: z.array(z.looseObject({ id: z.string(), value: z.number() })) });

export interface MemoryFigures {
  /** Peak RSS of a 1,000-record batch ingest, MiB. */
  readonly peakMiBAt1000: number;
  /** Peak RSS growth per record beyond that, KiB. */
  readonly growthKiBPerRecord: number;
}

/** The two memory figures the sizing rule uses, read from a bench results file (fails naming a missing one). */
export function readMemoryFigures(resultsFile: string): MemoryFigures {
  const { figures } = BenchFigures.parse(JSON.parse(readFileSync(resultsFile, 'utf8')));
  const value = (id: string): number => {
    const found = figures.find((f) => f.id === id);
    if (found === undefined) throw new Error(`${resultsFile}: figure ${id} is missing (run npm run bench)`);
    return found.value;
  };
  return { peakMiBAt1000: value('memory.batchIngest.1000.peakRssMiB'), growthKiBPerRecord: value('memory.batchIngest.growthKiBPerRecord') };
}

/** Smallest memory (MB, as FC counts memorySize) for a batch of `records`, headroom included. */
export function requiredMemoryMB(records: number, figures: MemoryFigures): number {
  const peakMiB = figures.peakMiBAt1000 + (Math.max(0, records - 1000) * figures.growthKiBPerRecord) / 1024;
  return Math.ceil(peakMiB * MEMORY_HEADROOM);
}

/** Largest batch (records) a memory size holds by the same rule. */
export function maxRecordsForMemory(memoryMB: number, figures: MemoryFigures): number {
  const room = memoryMB / MEMORY_HEADROOM - figures.peakMiBAt1000;
  return room < 0 ? 0 : 1000 + Math.floor((room * 1024) / figures.growthKiBPerRecord);
}

/** The function's memorySize holds a full batch (see s.yaml, "Sizing"). */
export function checkMemory(memoryMB: number, records: number, figures: MemoryFigures): string[] {
  const required = requiredMemoryMB(records, figures);
  return memoryMB >= required ? [] : [`memorySize ${memoryMB} MB is below ${required} MB needed for ${records} records (bench: ${figures.peakMiBAt1000} MiB at 1,000 + ${figures.growthKiBPerRecord} KiB/record, x${MEMORY_HEADROOM})`];
}

const AsyncInvokeConfig = z.looseObject({
  maxAsyncRetryAttempts: z.number().int().min(0).max(8),
  maxAsyncEventAgeInSeconds: z.number().int().positive(),
  destinationConfig: z.looseObject({ onFailure: z.looseObject({ destination: z.string() }) }),
});

/** Async invocations that fail every retry must land somewhere: an MNS queue or another function. */
export function checkAsyncInvokeConfig(config: unknown, expected: { region: string; accountId: string }): string[] {
  const parsed = AsyncInvokeConfig.safeParse(config);
  if (!parsed.success) return issues(parsed.error, 'asyncInvokeConfig');
  const destination = parsed.data.destinationConfig.onFailure.destination;
  const base = `${expected.region}:${expected.accountId}`;
  const queue = new RegExp(`^acs:mns:${escape(base)}:/queues/[A-Za-z0-9-]+/messages$`);
  const fn = new RegExp(`^acs:fc:${escape(base)}:functions/[A-Za-z_][A-Za-z0-9_-]*$`);
  return queue.test(destination) || fn.test(destination)
    ? []
    : [`onFailure.destination "${destination}" is neither acs:mns:${base}:/queues/<q>/messages nor acs:fc:${base}:functions/<f>`];
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Variables only the reconcile function gets, on top of the configuration both functions share
 * (shared/config/README.md): its listing endpoint, prefixes and safety margin. The ingest function must not
 * carry them. `OSS_BUCKET` is shared — ingest rejects records of other buckets, reconcile lists it — so it
 * is not in this list (see {@link SHARED_REQUIRED_VARIABLES}).
 */
export const RECONCILE_VARIABLES = [
  'OSS_S3_ENDPOINT',
  'CPFS_RECONCILE_PREFIXES',
  'CPFS_RECONCILE_SAFETY_MARGIN_SECONDS',
] as const;

/** Variables s.yaml must pass to both functions (the shared `functionEnv`), each with a non-empty value. */
export const SHARED_REQUIRED_VARIABLES = ['CPFS_FILE_SYSTEM_ID', 'CPFS_DATA_FLOW_ID', 'OSS_BUCKET'] as const;

/** FC: all user variables together at most 4 KB (docs/platform.md §4). How FC counts is unverified: key=value bytes. */
export const MAX_ENVIRONMENT_BYTES = 4096;

/** Variables are strings, named as FC allows, from the documented set, and fit FC's 4 KB. */
export function checkEnvironment(env: unknown, allowed: readonly string[]): string[] {
  const parsed = z.record(z.string(), z.string({ error: 'must be a string (FC variables are strings)' })).safeParse(env);
  if (!parsed.success) return issues(parsed.error, 'environmentVariables');
  const problems: string[] = [];
  let bytes = 0;
  for (const [name, value] of Object.entries(parsed.data)) {
    if (!allowed.includes(name)) problems.push(`environmentVariables.${name}: not a documented variable of this function`);
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name) || name.startsWith('FC_')) problems.push(`environmentVariables.${name}: FC rejects this name`);
    bytes += Buffer.byteLength(`${name}=${value}`, 'utf8');
  }
  if (bytes > MAX_ENVIRONMENT_BYTES) problems.push(`environmentVariables: ${bytes} bytes, over FC's ${MAX_ENVIRONMENT_BYTES}`);
  return problems;
}

/** Each of `names` is set, to a non-empty value (`${env('X', '')}` renders unset inputs as ''). */
export function checkRequiredVariables(env: Readonly<Record<string, string>>, names: readonly string[]): string[] {
  return names.filter((name) => !env[name]?.trim()).map((name) => `environmentVariables.${name}: missing or empty`);
}

/** `code: ./dist/<fn>` + `handler: index.handler` → `dist/<fn>/index.js` must exist and export `handler`. */
export function checkHandlerBundle(repoRoot: string, props: { code?: unknown; handler?: unknown }): string[] {
  if (typeof props.code !== 'string' || typeof props.handler !== 'string') return ['code and handler must be strings'];
  const [file, exported] = props.handler.split('.');
  if (file === undefined || exported === undefined) return [`handler "${props.handler}" is not <file>.<export>`];
  const path = isAbsolute(props.code) ? join(props.code, `${file}.js`) : resolve(repoRoot, props.code, `${file}.js`);
  if (!existsSync(path)) return [`${path} does not exist: run \`npm run build\` (and the function's source must exist)`];
  // esbuild's CommonJS output names each export in an `__export(x, { handler: () => … })` table.
  return new RegExp(`\\b${escape(exported)}\\b`).test(readFileSync(path, 'utf8')) ? [] : [`${path} does not export "${exported}"`];
}

// ---------------------------------------------------------------------------------------------------------
// RAM
// ---------------------------------------------------------------------------------------------------------

/** One permission: an action on one resource. */
export interface Grant {
  readonly action: string;
  readonly resource: string;
}

const oneOrMany = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));
export const RamPolicy = z.strictObject({
  Version: z.literal('1'),
  Statement: z.array(z.strictObject({
    Effect: z.enum(['Allow', 'Deny']),
    Action: oneOrMany,
    Resource: oneOrMany,
    Condition: z.record(z.string(), z.unknown()).optional(),
  })).min(1),
});

/** Replaces `<name>` placeholders; names left without a value stay and are reported by checkRamPolicy. */
export function fillPlaceholders(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/<([a-z-]+)>/g, (whole, name: string) => (Object.hasOwn(values, name) ? values[name] : undefined) ?? whole);
}

/**
 * The policy grants exactly `expected`: every needed permission (so nothing the code calls is denied) and
 * nothing else (no wildcard action, no other resource, no action the functions do not need).
 */
export function checkRamPolicy(policyText: string, placeholders: Readonly<Record<string, string>>, expected: readonly Grant[]): string[] {
  const filled = fillPlaceholders(policyText, placeholders);
  const left = filled.match(/<[a-z-]+>/g);
  if (left) return [`placeholders without a value: ${[...new Set(left)].join(', ')}`];
  const parsed = RamPolicy.safeParse(JSON.parse(filled));
  if (!parsed.success) return issues(parsed.error, 'policy');
  const problems: string[] = [];
  const granted = new Set<string>();
  for (const statement of parsed.data.Statement) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of statement.Action) {
      if (action.includes('*')) problems.push(`Action "${action}" is a wildcard`);
      for (const resource of statement.Resource) granted.add(`${action} on ${resource}`);
    }
  }
  const wanted = new Set(expected.map((g) => `${g.action} on ${g.resource}`));
  for (const grant of wanted) if (!granted.has(grant)) problems.push(`missing: ${grant}`);
  for (const grant of granted) if (!wanted.has(grant)) problems.push(`broader than needed: ${grant}`);
  return problems;
}

/** DataFlowApi methods (shared/nas/types.ts) and the RAM action each needs. */
const PORT_METHOD_ACTIONS: ReadonlyMap<string, string> = new Map([
  ['createDataFlowTask', 'nas:CreateDataFlowTask'],
  ['createDataFlowSubTask', 'nas:CreateDataFlowSubTask'],
  ['describeDataFlowTasks', 'nas:DescribeDataFlowTasks'],
  ['describeDataFlowSubTasks', 'nas:DescribeDataFlowSubTasks'],
  ['describeDataFlows', 'nas:DescribeDataFlows'],
  ['cancelDataFlowTask', 'nas:CancelDataFlowTask'],
  ['cancelDataFlowSubTask', 'nas:CancelDataFlowSubTask'],
]);
/**
 * S3 commands sent to OSS and the OSS RAM action each needs (ListObjectsV2 is authorised as ListObjects,
 * HeadObject as GetObject). reconcile's state store uses GetObject and PutObject.
 */
const S3_COMMAND_ACTIONS: Readonly<Record<string, string>> = {
  ListObjectsV2Command: 'oss:ListObjects',
  ListObjectsCommand: 'oss:ListObjects',
  GetObjectCommand: 'oss:GetObject',
  HeadObjectCommand: 'oss:GetObject',
  PutObjectCommand: 'oss:PutObject',
  DeleteObjectCommand: 'oss:DeleteObject',
};

/**
 * OSS operations of the SDK-free object writer (shared/oss/s3-object.ts, the event function's manifest
 * writer), called as `s3ObjectCall('<Operation>', …)`, and the RAM action each needs.
 */
const OBJECT_WRITER_ACTIONS: Readonly<Record<string, string>> = {
  PutObject: 'oss:PutObject',
  DeleteObject: 'oss:DeleteObject',
};

const SourceMap = z.looseObject({
  sources: z.array(z.string()),
  sourcesContent: z.array(z.string().nullable()).optional(),
});

/**
 * RAM actions the code bundled into one function calls, read from the bundle's source map (the exact set
 * of source files esbuild put in it). A call is `.method(` of a DataFlowApi method — the NAS adapter defines
 * them as `method: (…) => call('Action', …)`, which is not a call — the use of an S3 command class, or an
 * `s3ObjectCall('<Operation>'` of the SDK-free object writer.
 * Dependencies under node_modules are not scanned.
 */
export function actionsCalledByBundle(bundlePath: string): { actions: Set<string>; sources: string[] } {
  const mapPath = `${bundlePath}.map`;
  if (!existsSync(mapPath)) throw new Error(`${mapPath} does not exist: run \`npm run build\``);
  const map = SourceMap.parse(JSON.parse(readFileSync(mapPath, 'utf8')));
  const actions = new Set<string>();
  const sources: string[] = [];
  map.sources.forEach((source, i) => {
    if (source.includes('node_modules/')) return;
    sources.push(source);
    const text = map.sourcesContent?.[i] ?? readFileSync(resolve(dirname(mapPath), source), 'utf8');
    for (const [, method] of text.matchAll(/\.\s*([A-Za-z]+)\s*\(/g)) {
      const action = method === undefined ? undefined : PORT_METHOD_ACTIONS.get(method);
      if (action !== undefined) actions.add(action);
    }
    for (const [command, action] of Object.entries(S3_COMMAND_ACTIONS)) {
      if (new RegExp(`\\b${command}\\b`).test(text)) actions.add(action);
    }
    for (const [, operation] of text.matchAll(/\bs3ObjectCall\(\s*'([A-Za-z]+)'/g)) {
      const action = operation === undefined ? undefined : OBJECT_WRITER_ACTIONS[operation];
      if (action !== undefined) actions.add(action);
    }
  });
  return { actions, sources };
}
