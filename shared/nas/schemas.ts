/**
 * Request schemas of the seven NAS OpenAPI data-flow operations this project calls. Every documented
 * limit (docs/platform.md §1, the CreateDataFlowTask reference page, the Describe* pages) is checked here,
 * before anything is signed or sent, so a bad request fails fast with a `ValidationError` naming the
 * wire field and the rule instead of costing a quota token and a round trip.
 *
 * Field names in errors are wire names, flattened the way they are sent: `Condition.Size`,
 * `Filters.1.Key` (1-based, like the wire).
 *
 * Error reporting choice: `validateRequest` collects EVERY issue of one request. The thrown
 * `ValidationError` carries the first issue in `field`/`rule`, its `message` lists all issues
 * (`Field: rule; Field: rule`), and `cause` holds the full `ValidationIssue[]` list.
 *
 * Written with `zod/mini` (FC bundle size). Mini registers no locale, so every issue that can reach a
 * `ValidationError` must carry its own message (`error:` on each schema, `message` on each custom
 * issue); `unrecognized_keys` is worded in `findRequestIssues`.
 */
import * as z from 'zod/mini';
import { ValidationError } from '../errors.js';
import type {
  CancelDataFlowSubTaskParams,
  CancelDataFlowTaskParams,
  CreateDataFlowSubTaskParams,
  CreateDataFlowTaskParams,
  DescribeDataFlowSubTasksParams,
  DescribeDataFlowTasksParams,
  DescribeDataFlowsParams,
  NasOperationName,
} from './types.js';
import { CONFLICT_POLICIES, DATA_TYPES, TASK_ACTIONS } from './wire.js';
import { FILE_SYSTEM_ID_RULE, fileSystemKindOf } from '../cpfs/file-system.js';
import { MAX_ENTRY_LIST_BYTES, MAX_INCLUDES_CHARS, MAX_PATH_CHARS } from '../cpfs/limits.js';
import { cpfsPathLength } from '../cpfs/path-rules.js';
import { findLoneSurrogate, utf8ByteLength } from '../cpfs/utf8.js';

/** One broken rule: the wire field and the rule in plain words. */
export interface ValidationIssue {
  readonly field: string;
  readonly rule: string;
}

// ---------------------------------------------------------------------------------------------
// Documented limits, as named constants. The CPFS path, id and size limits live in shared/cpfs/.
// ---------------------------------------------------------------------------------------------

/**
 * Directory, EntryList and TransferFileListPath are mutually exclusive: a CreateDataFlowTask request may
 * carry only one of them (docs/platform.md §1, newer API texts). DstDirectory is not in this set.
 */
export const EXCLUSIVE_SOURCE_PARAMETERS = ['Directory', 'EntryList', 'TransferFileListPath'] as const;
/** ClientToken: ASCII only, at most 64 characters. */
export const MAX_CLIENT_TOKEN_CHARS = 64;
/** `*Ids` filter values list at most 10 comma-separated ids (Describe* pages). */
export const MAX_FILTER_IDS = 10;

/**
 * MaxResults ranges. DescribeDataFlowTasks 10–100 and DescribeDataFlowSubTasks 20–100 are in
 * docs/platform.md §1; DescribeDataFlows 10–100 (default 20) was read on Alibaba's DescribeDataFlows API page
 * (help.aliyun.com "api-describedataflows": "取值范围:10~100。默认值:20").
 */
export const MAX_RESULTS_RANGE = {
  DescribeDataFlowTasks: { min: 10, max: 100 },
  DescribeDataFlowSubTasks: { min: 20, max: 100 },
  DescribeDataFlows: { min: 10, max: 100 },
} as const;

/** Filter keys documented per Describe* operation. `…Ids` keys take ≤ 10 comma-separated ids. */
export const FILTER_KEYS = {
  DescribeDataFlowTasks: [
    'DataFlowIds', 'TaskIds', 'Originator', 'TaskActions', 'DataTypes', 'Status',
    'CreateTimeBegin', 'CreateTimeEnd', 'StartTimeBegin', 'StartTimeEnd', 'EndTimeBegin', 'EndTimeEnd',
  ],
  DescribeDataFlowSubTasks: ['DataFlowIds', 'DataFlowTaskIds', 'DataFlowSubTaskIds', 'Status', 'SrcFilePath', 'DstFilePath'],
  // SourceStoragePath appears in the LINGJUN edition of the page ("supports fuzzy match").
  DescribeDataFlows: [
    'DataFlowIds', 'FsetIds', 'FileSystemPath', 'SourceStorage', 'SourceStoragePath', 'ThroughputList', 'Description', 'Status',
  ],
} as const;

const STREAMING_ACTIONS: ReadonlySet<string> = new Set(['StreamImport', 'StreamExport']);
const CPFS_ONLY_ACTIONS: ReadonlySet<string> = new Set(['Evict', 'Inventory']);

// ---------------------------------------------------------------------------------------------
// Pure rule functions: each returns the list of broken rules (empty = fine). Exported so that
// planning code can check a path before it builds a request.
// ---------------------------------------------------------------------------------------------

/** True when the string has no lone surrogate, i.e. it can be encoded as UTF-8 without loss. */
function isValidUtf8Text(value: string): boolean {
  return findLoneSurrogate(value) < 0;
}

function hasDotDotSegment(path: string): boolean {
  return path.split('/').includes('..');
}

/** Rules shared by every path parameter: length, UTF-8, no `..` segment. */
function commonPathProblems(value: string): string[] {
  const problems: string[] = [];
  const chars = cpfsPathLength(value);
  if (chars < 1 || chars > MAX_PATH_CHARS) problems.push(`must be 1 to ${MAX_PATH_CHARS} characters long (it has ${chars})`);
  if (!isValidUtf8Text(value)) problems.push('must be valid UTF-8 text (it contains an unpaired surrogate)');
  // The docs forbid "/../" for DstDirectory; a ".." segment anywhere would escape the mapped root, so
  // it is refused for every path we send.
  if (hasDotDotSegment(value)) problems.push('must not contain a ".." path segment');
  return problems;
}

/**
 * Directory / DstDirectory of CreateDataFlowTask: 1–1023 characters, UTF-8, starts AND ends with `/`,
 * no `..` segment, one directory.
 *
 * "Only one directory can be listed at a time" is read as: the value is a single path, so the
 * characters that would make it look like a list — commas and line breaks (and NUL, never valid in a
 * path) — are refused. A real directory whose name contains a comma therefore cannot be a task
 * Directory; map its parent instead.
 */
export function directoryProblems(value: string): string[] {
  const problems = commonPathProblems(value);
  if (!value.startsWith('/') || !value.endsWith('/')) problems.push('must start and end with "/"');
  if (/[,\r\n\0]/.test(value)) problems.push('must name one directory: no commas, line breaks or NUL characters');
  return problems;
}

/** SrcFilePath / DstFilePath of CreateDataFlowSubTask: 1–1023 characters, starts with `/`, ends with a file name. */
export function filePathProblems(value: string): string[] {
  const problems = commonPathProblems(value);
  if (!value.startsWith('/')) problems.push('must start with "/"');
  if (value.endsWith('/')) problems.push('must end with a file name, not "/"');
  if (/[\r\n\0]/.test(value)) problems.push('must not contain line breaks or NUL characters');
  return problems;
}


/**
 * EntryList: a JSON array of strings, ≤ 65536 bytes of UTF-8 counted on the serialized JSON exactly as
 * sent (so `\"` and `\uXXXX` escapes count), each path 1–1023 characters starting with `/`.
 * At most the first five bad entries are described, to keep messages short.
 */
export function entryListProblems(value: string): string[] {
  const problems: string[] = [];
  if (!isValidUtf8Text(value)) problems.push('must be valid UTF-8 text (it contains an unpaired surrogate)');
  const bytes = utf8ByteLength(value);
  if (bytes > MAX_ENTRY_LIST_BYTES) problems.push(`must be at most ${MAX_ENTRY_LIST_BYTES} bytes of UTF-8 (it is ${bytes} bytes)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    problems.push('must be a JSON array of strings (it is not valid JSON)');
    return problems;
  }
  if (!Array.isArray(parsed)) {
    problems.push('must be a JSON array of strings');
    return problems;
  }
  if (parsed.length === 0) problems.push('must list at least one path');
  const entryProblems: string[] = [];
  parsed.forEach((entry: unknown, index) => {
    const label = `entry ${index + 1}`;
    if (typeof entry !== 'string') {
      entryProblems.push(`${label} must be a string`);
      return;
    }
    const chars = cpfsPathLength(entry);
    if (chars < 1 || chars > MAX_PATH_CHARS) entryProblems.push(`${label} must be 1 to ${MAX_PATH_CHARS} characters long (it has ${chars})`);
    else if (!entry.startsWith('/')) entryProblems.push(`${label} must start with "/"`);
    if (!isValidUtf8Text(entry)) entryProblems.push(`${label} must be valid UTF-8 text (it contains an unpaired surrogate)`);
  });
  problems.push(...entryProblems.slice(0, 5));
  if (entryProblems.length > 5) problems.push(`…and ${entryProblems.length - 5} more bad entries`);
  return problems;
}

/**
 * TransferFileListPath: an existing OSS directory holding `*.csv` lists — starts and ends with `/`,
 * 1–1023 characters (docs/platform.md §1). Same text rules as a Directory otherwise.
 */
export function transferFileListPathProblems(value: string): string[] {
  const problems = commonPathProblems(value);
  if (!value.startsWith('/') || !value.endsWith('/')) problems.push('must start and end with "/"');
  if (/[\r\n\0]/.test(value)) problems.push('must not contain line breaks or NUL characters');
  return problems;
}

/**
 * Includes: a JSON list of sub-folders to transfer, each 1–1023 characters starting and ending with `/`,
 * at most 3,000 characters in total (docs/platform.md §1). "In total" is read as the JSON text as sent
 * (brackets and quotes included), the stricter of the two readings.
 */
export function includesProblems(value: string): string[] {
  const problems: string[] = [];
  const chars = cpfsPathLength(value);
  if (chars > MAX_INCLUDES_CHARS) problems.push(`must be at most ${MAX_INCLUDES_CHARS} characters in total (it has ${chars})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    problems.push('must be a JSON array of directory paths (it is not valid JSON)');
    return problems;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    problems.push('must be a non-empty JSON array of directory paths');
    return problems;
  }
  parsed.forEach((entry: unknown, index) => {
    const label = `entry ${index + 1}`;
    if (typeof entry !== 'string') {
      problems.push(`${label} must be a string`);
      return;
    }
    const length = cpfsPathLength(entry);
    if (length < 1 || length > MAX_PATH_CHARS) problems.push(`${label} must be 1 to ${MAX_PATH_CHARS} characters long (it has ${length})`);
    else if (!entry.startsWith('/') || !entry.endsWith('/')) problems.push(`${label} must start and end with "/"`);
  });
  return problems;
}

/** DataFlowSubTaskId: the format is not documented; an id-like token (letters, digits, `-`, `_`). */
export function subTaskIdProblems(value: string): string[] {
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(value) ? [] : ['must be a data flow sub-task id (letters, digits, "-" or "_", at most 128 characters)'];
}

/** ClientToken: 1–64 characters, ASCII only (printable: control characters are refused too). */
export function clientTokenProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length < 1 || value.length > MAX_CLIENT_TOKEN_CHARS) {
    problems.push(`must be 1 to ${MAX_CLIENT_TOKEN_CHARS} characters long (it has ${value.length})`);
  }
  if (!/^[\x20-\x7e]*$/.test(value)) problems.push('must contain only printable ASCII characters');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// zod building blocks with plain-words messages.
// ---------------------------------------------------------------------------------------------

const requiredOr = (rule: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : rule);

function checkedString(check: (value: string) => readonly string[]) {
  return z.string({ error: requiredOr('must be a string') }).check(
    z.superRefine((value, ctx) => {
      for (const rule of check(value)) ctx.addIssue({ code: 'custom', message: rule });
    }),
  );
}

function idWithPrefix(prefix: string, what: string) {
  const pattern = new RegExp(`^${prefix}[A-Za-z0-9][A-Za-z0-9-]*$`);
  return checkedString((v) => (pattern.test(v) ? [] : [`must look like "${prefix}…" (${what})`]));
}

const fileSystemIdSchema = checkedString((v) => (fileSystemKindOf(v) !== undefined ? [] : [FILE_SYSTEM_ID_RULE]));
const lingjunFileSystemIdSchema = checkedString((v) =>
  fileSystemKindOf(v) === 'lingjun'
    ? []
    : ['must be bmcpfs-… followed by lowercase letters and digits: sub-tasks exist only on CPFS for LINGJUN (V2.6.0 and later)'],
);
const dataFlowIdSchema = idWithPrefix('df-', 'a data flow id');
const taskIdSchema = idWithPrefix('task-', 'a data flow task id');
const clientTokenSchema = checkedString(clientTokenProblems);
const booleanSchema = z.boolean({ error: requiredOr('must be true or false') });
const nextTokenSchema = checkedString((v) => (v.length > 0 ? [] : ['must not be empty (omit it for the first page)']));

function enumSchema<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: requiredOr(`must be one of ${values.join(', ')}`) });
}

function integerSchema(min: number, max: number, rule: string) {
  return z.number({ error: requiredOr(rule) }).check(
    z.superRefine((v, ctx) => {
      if (!Number.isInteger(v) || v < min || v > max) ctx.addIssue({ code: 'custom', message: rule });
    }),
  );
}

function maxResultsSchema(op: keyof typeof MAX_RESULTS_RANGE) {
  const { min, max } = MAX_RESULTS_RANGE[op];
  return integerSchema(min, max, `must be an integer from ${min} to ${max}`);
}

function filtersSchema(op: keyof typeof FILTER_KEYS) {
  const keys: readonly string[] = FILTER_KEYS[op];
  const filter = z.strictObject(
    {
      Key: checkedString((k) => (keys.includes(k) ? [] : [`must be one of ${keys.join(', ')}`])),
      Value: checkedString((v) => (v.length > 0 ? [] : ['must not be empty'])),
    },
    { error: requiredOr('must be an object {Key, Value}') },
  );
  return z
    .readonly(z.array(filter, { error: requiredOr('must be an array of {Key, Value}') }))
    .check(
      z.superRefine(
        (filters: unknown, ctx) => {
          if (!Array.isArray(filters)) return;
          filters.forEach((f: unknown, i) => {
            if (!isRecord(f) || typeof f['Key'] !== 'string' || typeof f['Value'] !== 'string') return;
            if (!f['Key'].endsWith('Ids')) return;
            const ids = f['Value'].split(',');
            if (ids.length > MAX_FILTER_IDS) {
              ctx.addIssue({ code: 'custom', path: [i, 'Value'], message: `must list at most ${MAX_FILTER_IDS} comma-separated ids (it lists ${ids.length})` });
            }
            if (ids.some((id) => id.trim() === '')) {
              ctx.addIssue({ code: 'custom', path: [i, 'Value'], message: 'must not contain an empty id between commas' });
            }
          });
        },
        { when: () => true },
      ),
    );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Runs cross-field rules even when some single-field rule already failed, so all issues are reported. */
function crossFieldRules(rules: (params: Record<string, unknown>, add: (field: string, rule: string) => void) => void) {
  return z.superRefine(
    (params: unknown, ctx) => {
      if (!isRecord(params)) return;
      rules(params, (field, rule) => ctx.addIssue({ code: 'custom', path: [field], message: rule }));
    },
    { when: (payload) => isRecord(payload.value) },
  );
}

const objectError = (op: string) => ({ error: requiredOr(`the ${op} parameters must be an object`) });

// ---------------------------------------------------------------------------------------------
// The request schemas, each built on its first use (`z.lazy`), not when the bundle is loaded (issue 11,
// cold start): an invocation builds only those of the calls it makes.
// ---------------------------------------------------------------------------------------------

/** CreateDataFlowTask request (seed document, corrected by the newer API texts of docs/platform.md §1). */
export const CreateDataFlowTaskRequest = z.lazy(() =>
  z
  .strictObject(
    {
      FileSystemId: fileSystemIdSchema,
      DataFlowId: dataFlowIdSchema,
      SrcTaskId: z.optional(taskIdSchema),
      TaskAction: z.optional(enumSchema(TASK_ACTIONS)),
      DataType: z.optional(enumSchema(DATA_TYPES)),
      Directory: z.optional(checkedString(directoryProblems)),
      DstDirectory: z.optional(checkedString(directoryProblems)),
      EntryList: z.optional(checkedString(entryListProblems)),
      TransferFileListPath: z.optional(checkedString(transferFileListPathProblems)),
      Includes: z.optional(checkedString(includesProblems)),
      ConflictPolicy: z.optional(enumSchema(CONFLICT_POLICIES)),
      CreateDirIfNotExist: z.optional(booleanSchema),
      DryRun: z.optional(booleanSchema),
      ClientToken: z.optional(clientTokenSchema),
    },
    objectError('CreateDataFlowTask'),
  )
  .check(
    crossFieldRules((p, add) => {
      const kind = fileSystemKindOf(p['FileSystemId']);
      const action = p['TaskAction'];
      const sources = EXCLUSIVE_SOURCE_PARAMETERS.filter((name) => p[name] !== undefined);
      if (sources.length > 1) {
        add(sources.join(', '), `are mutually exclusive: send only one of ${EXCLUSIVE_SOURCE_PARAMETERS.join(', ')}`);
      }
      if (p['TransferFileListPath'] !== undefined) {
        if (kind !== 'lingjun') add('TransferFileListPath', 'is supported only on CPFS for LINGJUN file systems (bmcpfs-…)');
        if (action !== 'Import' && action !== 'Export') add('TransferFileListPath', 'is allowed only with TaskAction Import or Export');
      }
      if (p['Includes'] !== undefined) {
        if (kind !== 'lingjun') add('Includes', 'is supported only on CPFS for LINGJUN file systems (bmcpfs-…)');
        if (p['Directory'] === undefined) add('Includes', 'is allowed only together with Directory');
      }
      if (typeof action === 'string') {
        if (kind === 'lingjun' && CPFS_ONLY_ACTIONS.has(action)) {
          add('TaskAction', 'Evict and Inventory are supported only on CPFS file systems (cpfs-…)');
        }
        if (kind === 'general' && STREAMING_ACTIONS.has(action)) {
          add('TaskAction', 'StreamImport and StreamExport are supported only on CPFS for LINGJUN file systems (bmcpfs-…)');
        }
        if (p['SrcTaskId'] !== undefined && STREAMING_ACTIONS.has(action)) {
          add('SrcTaskId', 'must not be used with a streaming TaskAction (StreamImport/StreamExport)');
        }
      }
      if (kind === 'lingjun' && typeof p['DataType'] === 'string' && p['DataType'] !== 'MetaAndData') {
        add('DataType', 'must be MetaAndData on CPFS for LINGJUN file systems (bmcpfs-…)');
      }
      if (kind === 'lingjun' && p['SrcTaskId'] === undefined && p['ConflictPolicy'] === undefined) {
        add('ConflictPolicy', 'is required on CPFS for LINGJUN file systems (bmcpfs-…)');
      }
      // CreateDirIfNotExist exists only on LINGJUN ≥ 2.6.0; `false` is the default, so only `true` is refused.
      if (kind === 'general' && p['CreateDirIfNotExist'] === true) {
        add('CreateDirIfNotExist', 'is supported only on CPFS for LINGJUN file systems (bmcpfs-…)');
      }
    }),
  )
);

/** CreateDataFlowSubTask request (LINGJUN ≥ 2.6.0 only). */
export const CreateDataFlowSubTaskRequest = z.lazy(() =>
  z.strictObject(
  {
    FileSystemId: lingjunFileSystemIdSchema,
    DataFlowId: dataFlowIdSchema,
    DataFlowTaskId: taskIdSchema,
    SrcFilePath: checkedString(filePathProblems),
    DstFilePath: checkedString(filePathProblems),
    Condition: z.optional(
      z.strictObject(
        {
          Size: z.optional(integerSchema(0, Number.MAX_SAFE_INTEGER, 'must be an integer ≥ 0 (bytes)')),
          // ns since the epoch exceed 2^53: any integer-valued number is accepted and sent exactly as held.
          ModifyTime: z.optional(integerSchema(0, Number.MAX_VALUE, 'must be an integer ≥ 0 (nanoseconds since the epoch)')),
        },
        { error: requiredOr('must be an object {Size?, ModifyTime?}') },
      ),
    ),
    DryRun: z.optional(booleanSchema),
    ClientToken: z.optional(clientTokenSchema),
  },
  objectError('CreateDataFlowSubTask'),
)
);

/** DescribeDataFlowTasks request. */
export const DescribeDataFlowTasksRequest = z.lazy(() =>
  z.strictObject(
  {
    FileSystemId: fileSystemIdSchema,
    Filters: z.optional(filtersSchema('DescribeDataFlowTasks')),
    MaxResults: z.optional(maxResultsSchema('DescribeDataFlowTasks')),
    NextToken: z.optional(nextTokenSchema),
    WithReports: z.optional(booleanSchema),
  },
  objectError('DescribeDataFlowTasks'),
)
);

/** DescribeDataFlowSubTasks request (LINGJUN ≥ 2.6.0 only). */
export const DescribeDataFlowSubTasksRequest = z.lazy(() =>
  z.strictObject(
  {
    FileSystemId: lingjunFileSystemIdSchema,
    Filters: z.optional(filtersSchema('DescribeDataFlowSubTasks')),
    MaxResults: z.optional(maxResultsSchema('DescribeDataFlowSubTasks')),
    NextToken: z.optional(nextTokenSchema),
  },
  objectError('DescribeDataFlowSubTasks'),
)
);

/** DescribeDataFlows request. */
export const DescribeDataFlowsRequest = z.lazy(() =>
  z.strictObject(
  {
    FileSystemId: fileSystemIdSchema,
    Filters: z.optional(filtersSchema('DescribeDataFlows')),
    MaxResults: z.optional(maxResultsSchema('DescribeDataFlows')),
    NextToken: z.optional(nextTokenSchema),
  },
  objectError('DescribeDataFlows'),
)
);

/** CancelDataFlowTask request. */
export const CancelDataFlowTaskRequest = z.lazy(() =>
  z.strictObject(
  {
    FileSystemId: fileSystemIdSchema,
    DataFlowId: dataFlowIdSchema,
    TaskId: taskIdSchema,
    DryRun: z.optional(booleanSchema),
    ClientToken: z.optional(clientTokenSchema),
  },
  objectError('CancelDataFlowTask'),
)
);

/** CancelDataFlowSubTask request (LINGJUN ≥ 2.6.0 only; every id required, docs/platform.md §1). */
export const CancelDataFlowSubTaskRequest = z.lazy(() =>
  z.strictObject(
  {
    FileSystemId: lingjunFileSystemIdSchema,
    DataFlowId: dataFlowIdSchema,
    DataFlowTaskId: taskIdSchema,
    DataFlowSubTaskId: checkedString(subTaskIdProblems),
    DryRun: z.optional(booleanSchema),
    ClientToken: z.optional(clientTokenSchema),
  },
  objectError('CancelDataFlowSubTask'),
)
);

/** The request schema of each operation. */
export const REQUEST_SCHEMAS = {
  CreateDataFlowTask: CreateDataFlowTaskRequest,
  CreateDataFlowSubTask: CreateDataFlowSubTaskRequest,
  DescribeDataFlowTasks: DescribeDataFlowTasksRequest,
  DescribeDataFlowSubTasks: DescribeDataFlowSubTasksRequest,
  DescribeDataFlows: DescribeDataFlowsRequest,
  CancelDataFlowTask: CancelDataFlowTaskRequest,
  CancelDataFlowSubTask: CancelDataFlowSubTaskRequest,
} as const satisfies Record<NasOperationName, z.ZodMiniType>;

/** Every operation name, in a stable order. */
export const OPERATION_NAMES = Object.keys(REQUEST_SCHEMAS) as readonly NasOperationName[];

/** The port's parameter type of each operation (shared/nas/types.ts). */
export interface ParamsByOperation {
  CreateDataFlowTask: CreateDataFlowTaskParams;
  CreateDataFlowSubTask: CreateDataFlowSubTaskParams;
  DescribeDataFlowTasks: DescribeDataFlowTasksParams;
  DescribeDataFlowSubTasks: DescribeDataFlowSubTasksParams;
  DescribeDataFlows: DescribeDataFlowsParams;
  CancelDataFlowTask: CancelDataFlowTaskParams;
  CancelDataFlowSubTask: CancelDataFlowSubTaskParams;
}

function fieldOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(request)';
  // Array indexes are shown 1-based, as they are flattened on the wire (`Filters.1.Key`).
  return path.map((p) => (typeof p === 'number' ? String(p + 1) : String(p))).join('.');
}

/** Lists every broken rule of one request (empty when valid). */
export function findRequestIssues(operation: NasOperationName, params: unknown): ValidationIssue[] {
  const result = REQUEST_SCHEMAS[operation].safeParse(params);
  if (result.success) return [];
  const issues: ValidationIssue[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({ field: fieldOf([...issue.path, key]), rule: `is not a parameter of ${operation}` });
      }
    } else {
      issues.push({ field: fieldOf(issue.path), rule: issue.message });
    }
  }
  return issues;
}

/**
 * Checks one request against every documented rule before it is sent. Returns the parameters typed
 * as the port's parameter type; throws one `ValidationError` carrying all issues (see module doc).
 */
export function validateRequest<Op extends NasOperationName>(operation: Op, params: unknown): ParamsByOperation[Op] {
  const issues = findRequestIssues(operation, params);
  const first = issues[0];
  if (first) {
    const error = new ValidationError(first.field, first.rule, { cause: issues });
    if (issues.length > 1) error.message = issues.map((i) => `${i.field}: ${i.rule}`).join('; ');
    throw error;
  }
  return params as ParamsByOperation[Op];
}
