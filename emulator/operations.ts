/**
 * The six NAS OpenAPI data-flow actions, over the emulator state. Each handler validates its parameters in
 * the order written below, throws EmulatorApiError with the documented (or, where the docs are silent,
 * the README-listed assumed) code, and returns the success body (RequestId is added by the caller).
 *
 * Success bodies follow `shared/nas/wire.ts` field for field (`FilesystemId` in tasks, `TaskInfo.Task[]`,
 * `DataFlowSubTask.DataFlowSubTask[]`, `DataFlowInfo.DataFlow[]`).
 */
import { createHash } from 'node:crypto';
import {
  CONFLICT_POLICIES,
  DATA_FLOW_STATUSES,
  DATA_TYPES,
  SUB_TASK_STATUSES,
  TASK_ACTIONS,
  TASK_STATUSES,
  type ConflictPolicy,
  type DataType,
  type TaskAction,
} from '../shared/nas/wire.js';
import type { EmulatorOperationName as OperationName } from './actions.js';
import { formatApiTime } from './clock.js';
import { apiError } from './errors.js';
import type { LifecycleEngine } from './lifecycle.js';
import { readFilters, type FilterParam } from './params.js';
import {
  checkCharacters,
  joinStorePath,
  MAX_PATH_CHARS,
  parseEntryList,
  parseIncludes,
  validateDirectory,
  validateFilePath,
} from './paths.js';
import type { Random } from './random.js';
import {
  ACTIVE_SUB_TASK_STATUSES,
  ACTIVE_TASK_STATUSES,
  compareVersions,
  MIN_DATA_FLOW_VERSION,
  MIN_STREAMING_VERSION,
  type DataFlowRecord,
  type EmulatorState,
  type FileSystemRecord,
  type SubTaskRecord,
  type TaskRecord,
} from './state.js';

/** What a handler may use. */
export interface OperationContext {
  readonly state: EmulatorState;
  readonly engine: LifecycleEngine;
  readonly nowMs: number;
  readonly random: Random;
  readonly accountId: string;
  /** Parameter names whose bytes were not valid UTF-8. */
  readonly invalidUtf8: ReadonlySet<string>;
}

export type OperationHandler = (ctx: OperationContext, params: Readonly<Record<string, string>>) => Record<string, unknown>;

/**
 * LINGJUN: at most 4 batch tasks per data flow. Whether the limit counts concurrent or all tasks is
 * UNVERIFIED; the emulator counts tasks in Pending/Executing (concurrent) and answers a fifth with
 * 403 OperationDenied.DependencyViolation (ASSUMED code: the seed lists no quota code, and the running
 * tasks are what the new one depends on). Streaming tasks are not limited.
 */
export const LINGJUN_MAX_ACTIVE_BATCH_TASKS = 4;

const STREAM_ACTIONS: ReadonlySet<string> = new Set(['StreamImport', 'StreamExport']);
const TASK_ID = /^task-[0-9a-z]{1,64}$/;

// ---------------------------------------------------------------------------------------------------
// Parameter helpers

/** A parameter's value; `''` counts as absent (an empty form field is not a value). */
function str(params: Readonly<Record<string, string>>, name: string): string | undefined {
  const v = params[name];
  return v === undefined || v === '' ? undefined : v;
}

/** Parameters whose absence is a documented `Missing<Name>` error. */
type RequiredId = 'FileSystemId' | 'DataFlowId' | 'TaskId' | 'DataFlowTaskId' | 'DataFlowSubTaskId';

/** The value of required parameters, in order; the first absent (or empty) one is its `Missing<Name>` (400). */
function required<const N extends readonly RequiredId[]>(params: Readonly<Record<string, string>>, ...names: N): { [K in keyof N]: string } {
  return names.map((name) => {
    const value = str(params, name);
    if (value === undefined) throw apiError(`Missing${name}` as const);
    return value;
  }) as { [K in keyof N]: string };
}

function bool(params: Readonly<Record<string, string>>, name: string): boolean | undefined {
  const v = str(params, name);
  if (v === undefined) return undefined;
  if (/^true$/i.test(v)) return true;
  if (/^false$/i.test(v)) return false;
  throw apiError('InvalidParameter.InvalidFormat', `${name} must be true or false.`);
}

function intInRange(
  params: Readonly<Record<string, string>>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const v = str(params, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw apiError('InvalidParameter.InvalidFormat', `${name} must be an integer from ${min} to ${max}.`);
  }
  return Number(v);
}

/**
 * IllegalCharacters for any parameter whose bytes were not UTF-8, or which holds control characters
 * (EntryList's JSON may hold whitespace between elements; its elements are checked after parsing).
 */
function checkAllCharacters(ctx: OperationContext, params: Readonly<Record<string, string>>): void {
  for (const name of ctx.invalidUtf8) throw apiError('IllegalCharacters', `${name} is not valid UTF-8.`);
  for (const [name, value] of Object.entries(params)) {
    if (name !== 'EntryList') checkCharacters(name, value, false);
  }
}

/** ClientToken: ASCII only, at most 64 characters (docs). */
function clientTokenOf(params: Readonly<Record<string, string>>): string | undefined {
  const token = str(params, 'ClientToken');
  if (token !== undefined && (token.length > 64 || !/^[\x20-\x7e]+$/.test(token))) {
    throw apiError('InvalidParameter.InvalidFormat', 'ClientToken must be at most 64 ASCII characters.');
  }
  return token;
}

function requireFileSystem(ctx: OperationContext, id: string): FileSystemRecord {
  const fs = ctx.state.fileSystems.get(id);
  if (!fs) throw apiError('InvalidFileSystem.NotFound');
  if (compareVersions(fs.version, MIN_DATA_FLOW_VERSION[fs.kind]) < 0) {
    throw apiError(
      'InvalidFilesystemVersion.NotSupport',
      `Data flows need ${fs.kind === 'lingjun' ? 'CPFS for LINGJUN' : 'CPFS'} ${MIN_DATA_FLOW_VERSION[fs.kind]} or later.`,
    );
  }
  return fs;
}

/** Sub-task APIs: CPFS for LINGJUN 2.6.0 and later only. */
function requireStreamingFileSystem(ctx: OperationContext, id: string): FileSystemRecord {
  const fs = requireFileSystem(ctx, id);
  if (fs.kind !== 'lingjun') {
    throw apiError('OperationDenied.DataFlowNotSupported', 'Streaming sub-tasks exist only on CPFS for LINGJUN.');
  }
  if (compareVersions(fs.version, MIN_STREAMING_VERSION) < 0) {
    throw apiError('InvalidFilesystemVersion.NotSupport', `Streaming needs CPFS for LINGJUN ${MIN_STREAMING_VERSION} or later.`);
  }
  return fs;
}

function requireDataFlow(ctx: OperationContext, fs: FileSystemRecord, id: string): DataFlowRecord {
  const df = ctx.state.dataFlows.get(id);
  if (!df || df.fileSystemId !== fs.id) throw apiError('InvalidDataFlow.NotFound');
  return df;
}

function requireTask(ctx: OperationContext, df: DataFlowRecord, id: string): TaskRecord {
  const task = ctx.state.tasks.get(id);
  if (!task || task.dataFlowId !== df.id || task.accountId !== ctx.accountId) throw apiError('InvalidTaskId.NotFound');
  return task;
}

function newTaskId(ctx: OperationContext): string {
  for (;;) {
    const id = `task-${ctx.random.hex(16)}`;
    if (!ctx.state.tasks.has(id)) return id;
  }
}

function newSubTaskId(ctx: OperationContext): string {
  for (;;) {
    const id = `subTaskId-${ctx.random.alnum(19)}`;
    if (!ctx.state.subTasks.has(id)) return id;
  }
}

// ---------------------------------------------------------------------------------------------------
// CreateDataFlowTask

/** Resolves SrcTaskId (see README for the split of the three "not found / invalid" codes). */
function copyFromSourceTask(ctx: OperationContext, df: DataFlowRecord, srcTaskId: string): TaskRecord {
  if (!TASK_ID.test(srcTaskId)) throw apiError('InvalidSrcTaskId.TaskIdInvalid', 'SrcTaskId is not a task id.');
  const src = ctx.state.tasks.get(srcTaskId);
  // ASSUMED split: NotFound = no such task at all; TaskIdNotFound = a task, but of another data flow;
  // TaskIdInvalid = malformed id, or a streaming task (whose settings cannot be copied).
  if (!src || src.accountId !== ctx.accountId) throw apiError('InvalidSrcTaskId.NotFound');
  if (src.dataFlowId !== df.id) throw apiError('InvalidSrcTaskId.TaskIdNotFound', 'The task belongs to another data flow.');
  if (src.streaming) throw apiError('InvalidSrcTaskId.TaskIdInvalid', 'A streaming task cannot be copied.');
  return src;
}

const createDataFlowTask: OperationHandler = (ctx, p) => {
  const fileSystemId = str(p, 'FileSystemId');
  if (!fileSystemId) throw apiError('MissingFileSystemId');
  const dataFlowId = str(p, 'DataFlowId');
  if (!dataFlowId) throw apiError('MissingDataFlowId');
  checkAllCharacters(ctx, p);
  const fs = requireFileSystem(ctx, fileSystemId);
  const df = requireDataFlow(ctx, fs, dataFlowId);
  clientTokenOf(p);
  const dryRun = bool(p, 'DryRun') ?? false;

  let actionRaw = str(p, 'TaskAction');
  let dataTypeRaw = str(p, 'DataType');
  let copiedEntries: readonly string[] | undefined;
  const srcTaskId = str(p, 'SrcTaskId');
  if (srcTaskId !== undefined) {
    const src = copyFromSourceTask(ctx, df, srcTaskId);
    actionRaw = src.action;
    dataTypeRaw = src.dataType;
    copiedEntries = src.entryList;
  }

  if (actionRaw === undefined) throw apiError('InvalidTaskAction.NotSupported', 'TaskAction is required unless SrcTaskId is given.');
  if (!(TASK_ACTIONS as readonly string[]).includes(actionRaw)) throw apiError('InvalidTaskAction.NotSupported');
  const action = actionRaw as TaskAction;
  const streaming = STREAM_ACTIONS.has(action);
  // ASSUMED: Evict and Inventory are documented for CPFS only; on LINGJUN they are "not allowed".
  if (fs.kind === 'lingjun' && (action === 'Evict' || action === 'Inventory')) {
    throw apiError('InvalidTaskAction.PermissionDenied', `${action} is not available on CPFS for LINGJUN.`);
  }
  if (streaming && fs.kind === 'cpfs') {
    // ASSUMED code: streaming is a LINGJUN feature; on a CPFS data flow the operation "is not supported".
    throw apiError('OperationDenied.DataFlowNotSupported', `${action} needs CPFS for LINGJUN ${MIN_STREAMING_VERSION} or later.`);
  }
  if (streaming && compareVersions(fs.version, MIN_STREAMING_VERSION) < 0) {
    throw apiError('InvalidFilesystemVersion.NotSupport', `${action} needs CPFS for LINGJUN ${MIN_STREAMING_VERSION} or later.`);
  }

  const dataType = (dataTypeRaw ?? 'MetaAndData') as DataType;
  if (!(DATA_TYPES as readonly string[]).includes(dataType)) throw apiError('InvalidDataType.NotSupported');
  if (fs.kind === 'lingjun' && dataType !== 'MetaAndData') {
    throw apiError('InvalidDataType.NotSupported', 'CPFS for LINGJUN supports MetaAndData only.');
  }

  const policyRaw = str(p, 'ConflictPolicy');
  if (policyRaw === undefined && fs.kind === 'lingjun') throw apiError('MissingConflictPolicy');
  if (policyRaw !== undefined && !(CONFLICT_POLICIES as readonly string[]).includes(policyRaw)) {
    throw apiError('InvalidParameter.InvalidFormat', `ConflictPolicy must be one of ${CONFLICT_POLICIES.join(', ')}.`);
  }
  const conflictPolicy = policyRaw as ConflictPolicy | undefined;

  const createDir = bool(p, 'CreateDirIfNotExist');
  if (createDir === true && fs.kind === 'cpfs') {
    throw apiError('OperationDenied.DataFlowNotSupported', 'CreateDirIfNotExist is a CPFS for LINGJUN parameter.');
  }
  if (createDir === true && compareVersions(fs.version, MIN_STREAMING_VERSION) < 0) {
    throw apiError('InvalidFilesystemVersion.NotSupport', `CreateDirIfNotExist needs CPFS for LINGJUN ${MIN_STREAMING_VERSION} or later.`);
  }

  // Docs (newer API texts, docs/platform.md §1): Directory, EntryList and TransferFileListPath are
  // mutually exclusive. Checked on what the request carries, plus an EntryList copied by SrcTaskId.
  const sentDirectory = str(p, 'Directory');
  const fileListPath = str(p, 'TransferFileListPath');
  const exclusive = [
    ...(sentDirectory !== undefined ? ['Directory'] : []),
    ...(str(p, 'EntryList') !== undefined || copiedEntries !== undefined ? ['EntryList'] : []),
    ...(fileListPath !== undefined ? ['TransferFileListPath'] : []),
  ];
  if (exclusive.length > 1) {
    throw apiError('InvalidParameter.Conflict', `The request carries ${exclusive.join(' and ')}.`);
  }

  const directory = sentDirectory ?? '/';
  if (p['Directory'] !== undefined) validateDirectory('Directory', p['Directory']);
  const dstDirectory = str(p, 'DstDirectory') ?? '/';
  if (p['DstDirectory'] !== undefined) validateDirectory('DstDirectory', p['DstDirectory']);

  let entryList: readonly string[] | undefined = copiedEntries;
  const entryRaw = p['EntryList'];
  if (copiedEntries === undefined && entryRaw !== undefined) entryList = parseEntryList(entryRaw);

  // TransferFileListPath: LINGJUN only, Import and Export only, an OSS directory (docs/platform.md §1).
  if (fileListPath !== undefined) {
    if (fs.kind !== 'lingjun') {
      throw apiError('OperationDenied.DataFlowNotSupported', 'TransferFileListPath is a CPFS for LINGJUN parameter.');
    }
    if (action !== 'Import' && action !== 'Export') {
      throw apiError('InvalidParameter.InvalidFormat', 'TransferFileListPath is accepted for Import and Export only.');
    }
    validateDirectory('TransferFileListPath', fileListPath);
  }
  // Includes: LINGJUN only, only together with Directory (docs/platform.md §1).
  const includesRaw = str(p, 'Includes');
  let includes: string[] | undefined;
  if (includesRaw !== undefined) {
    if (fs.kind !== 'lingjun') throw apiError('OperationDenied.DataFlowNotSupported', 'Includes is a CPFS for LINGJUN parameter.');
    if (sentDirectory === undefined) throw apiError('InvalidParameter.InvalidFormat', 'Includes is accepted only together with Directory.');
    if (streaming) throw apiError('InvalidParameter.InvalidFormat', 'Includes is not accepted for streaming tasks.');
    includes = parseIncludes(includesRaw);
  }
  if (streaming && entryList !== undefined) {
    // ASSUMED: a streaming task is a tunnel; files come one by one as sub-tasks.
    throw apiError('InvalidParameter.InvalidFormat', 'EntryList is not accepted for streaming tasks.');
  }
  if (action === 'Export' && entryList) {
    for (const entry of entryList) {
      if ([...joinStorePath(df.fileSystemPath, entry)].length > MAX_PATH_CHARS) {
        throw apiError('InvalidParameter.InvalidFormat', `The absolute path of an exported file exceeds ${MAX_PATH_CHARS} characters.`);
      }
    }
  }

  if (df.status !== 'Running') {
    throw apiError('OperationDenied.InvalidState', `Data flow ${df.id} is ${df.status}; tasks need Running.`);
  }
  if (fs.kind === 'lingjun' && !streaming) {
    let active = 0;
    for (const t of ctx.state.tasks.values()) {
      if (t.dataFlowId === df.id && !t.streaming && ACTIVE_TASK_STATUSES.has(t.status)) active += 1;
    }
    if (active >= LINGJUN_MAX_ACTIVE_BATCH_TASKS) {
      throw apiError(
        'OperationDenied.DependencyViolation',
        `Data flow ${df.id} already has ${active} batch tasks in Pending/Executing (limit ${LINGJUN_MAX_ACTIVE_BATCH_TASKS}).`,
      );
    }
  }
  if (dryRun) return {};

  const timings = ctx.engine.timings;
  const task: TaskRecord = {
    id: newTaskId(ctx),
    accountId: ctx.accountId,
    dataFlowId: df.id,
    fileSystemId: fs.id,
    action,
    dataType,
    directory,
    ...(sentDirectory !== undefined ? { sentDirectory } : {}),
    dstDirectory,
    ...(entryList ? { entryList: [...entryList] } : {}),
    ...(includes ? { includes } : {}),
    ...(fileListPath !== undefined ? { transferFileListPath: fileListPath } : {}),
    ...(conflictPolicy ? { conflictPolicy } : {}),
    createDirIfNotExist: createDir ?? false,
    streaming,
    ...(srcTaskId ? { srcTaskId } : {}),
    status: 'Pending',
    createdAt: ctx.nowMs,
    executingAt: ctx.nowMs + (streaming ? timings.streamPendingMs : timings.batchPendingMs),
    progress: 0,
    stats: { filesTotal: 0, filesDone: 0, bytesTotal: 0, bytesDone: 0, actualFiles: 0, actualBytes: 0 },
  };
  ctx.state.tasks.set(task.id, task);
  ctx.engine.tick(ctx.nowMs); // a zero delay makes the task Executing at once
  return { TaskId: task.id };
};

// ---------------------------------------------------------------------------------------------------
// CreateDataFlowSubTask

const createDataFlowSubTask: OperationHandler = (ctx, p) => {
  const fileSystemId = str(p, 'FileSystemId');
  if (!fileSystemId) throw apiError('MissingFileSystemId');
  const dataFlowId = str(p, 'DataFlowId');
  if (!dataFlowId) throw apiError('MissingDataFlowId');
  const taskId = str(p, 'DataFlowTaskId');
  if (!taskId) throw apiError('MissingDataFlowTaskId');
  const srcFilePath = p['SrcFilePath'];
  if (srcFilePath === undefined || srcFilePath === '') throw apiError('MissingSrcFilePath');
  const dstFilePath = p['DstFilePath'];
  if (dstFilePath === undefined || dstFilePath === '') throw apiError('MissingDstFilePath');
  checkAllCharacters(ctx, p);
  const fs = requireStreamingFileSystem(ctx, fileSystemId);
  const df = requireDataFlow(ctx, fs, dataFlowId);
  clientTokenOf(p);
  const dryRun = bool(p, 'DryRun') ?? false;
  validateFilePath('SrcFilePath', srcFilePath, true);
  validateFilePath('DstFilePath', dstFilePath, true);
  const size = intInRange(p, 'Condition.Size', 0, Number.MAX_SAFE_INTEGER);
  const modifyTimeRaw = str(p, 'Condition.ModifyTime');
  if (modifyTimeRaw !== undefined && !/^\d{1,20}$/.test(modifyTimeRaw)) {
    throw apiError('InvalidParameter.InvalidFormat', 'Condition.ModifyTime must be nanoseconds since the epoch.');
  }
  const task = requireTask(ctx, df, taskId);
  if (!task.streaming) {
    // ASSUMED code: sub-tasks belong to streaming tasks only ("only data flow streaming task IDs").
    throw apiError('OperationDenied.DataFlowNotSupported', 'DataFlowTaskId must be a StreamImport or StreamExport task.');
  }
  if (df.status !== 'Running') throw apiError('OperationDenied.InvalidState', `Data flow ${df.id} is ${df.status}.`);
  if (task.status !== 'Executing') {
    throw apiError('OperationDenied.InvalidState', `Streaming task ${task.id} is ${task.status}; sub-tasks need Executing.`);
  }
  if (dryRun) return {};

  const timings = ctx.engine.timings;
  const runningAt = ctx.nowMs + timings.subTaskCreatedMs;
  const sub: SubTaskRecord = {
    id: newSubTaskId(ctx),
    accountId: ctx.accountId,
    taskId: task.id,
    dataFlowId: df.id,
    fileSystemId: fs.id,
    srcFilePath,
    dstFilePath,
    ...(size !== undefined ? { conditionSize: size } : {}),
    ...(modifyTimeRaw !== undefined ? { conditionModifyTimeNs: BigInt(modifyTimeRaw) } : {}),
    status: 'CREATED',
    createdAt: ctx.nowMs,
    runningAt,
    finishAt: runningAt + timings.subTaskRunningMs,
    progress: 0,
    bytesTotal: size ?? 0,
    bytesDone: 0,
  };
  ctx.state.subTasks.set(sub.id, sub);
  ctx.engine.tick(ctx.nowMs);
  return { DataFlowSubTaskId: sub.id };
};

// ---------------------------------------------------------------------------------------------------
// Describe*: filters and paging

/** Splits a filter value (`a,b,c`); ID lists allow at most 10 items (docs). */
function filterItems(filter: FilterParam, maxItems?: number): string[] {
  const items = filter.value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (maxItems !== undefined && items.length > maxItems) {
    throw apiError('InvalidParameter.InvalidFormat', `Filter ${filter.key} takes at most ${maxItems} values.`);
  }
  return items;
}

/** Docs: an ID filter value is "an ID or part of an ID" — substring match. */
function idMatches(id: string, items: readonly string[]): boolean {
  return items.some((item) => id.includes(item));
}

function enumItems(filter: FilterParam, allowed: readonly string[]): string[] {
  const items = filterItems(filter);
  const bad = items.filter((i) => !allowed.includes(i));
  if (bad.length > 0) throw apiError('InvalidParameter.InvalidFormat', `Filter ${filter.key} has unknown values: ${bad.join(', ')}.`);
  return items;
}

function parseFilterTime(filter: FilterParam): number {
  const v = filter.value.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?Z?$/.exec(v);
  if (!m) throw apiError('InvalidParameter.InvalidFormat', `Filter ${filter.key} must be a time like 2024-07-01T19:59:29Z.`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
}

type Predicate<T> = (record: T) => boolean;

interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string;
}

/**
 * Pages `items` (creation order — ASSUMED; the docs give no order) with an opaque NextToken bound to the
 * query it came from.
 */
function paginate<T>(items: T[], maxResults: number, nextToken: string | undefined, queryKey: string): Page<T> {
  const fingerprint = createHash('sha256').update(queryKey).digest('hex').slice(0, 12);
  let offset = 0;
  if (nextToken !== undefined) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(nextToken, 'base64url').toString('utf8'));
    } catch {
      decoded = undefined;
    }
    const ok =
      typeof decoded === 'object' &&
      decoded !== null &&
      (decoded as { f?: unknown }).f === fingerprint &&
      Number.isInteger((decoded as { o?: unknown }).o);
    if (!ok) throw apiError('InvalidParameter.InvalidFormat', 'NextToken is not valid for this query.');
    offset = (decoded as { o: number }).o;
  }
  const page = items.slice(offset, offset + maxResults);
  const next =
    offset + maxResults < items.length
      ? Buffer.from(JSON.stringify({ o: offset + maxResults, f: fingerprint })).toString('base64url')
      : undefined;
  return next === undefined ? { items: page } : { items: page, nextToken: next };
}

function queryKeyOf(action: OperationName, fileSystemId: string, filters: readonly FilterParam[], extra = ''): string {
  return JSON.stringify([action, fileSystemId, filters.map((f) => [f.key, f.value]), extra]);
}

function taskFilters(filters: readonly FilterParam[]): Predicate<TaskRecord>[] {
  return filters.map((f): Predicate<TaskRecord> => {
    switch (f.key) {
      case 'DataFlowIds': {
        const items = filterItems(f, 10);
        return (t) => idMatches(t.dataFlowId, items);
      }
      case 'TaskIds': {
        const items = filterItems(f, 10);
        return (t) => idMatches(t.id, items);
      }
      case 'TaskActions': {
        const items = enumItems(f, TASK_ACTIONS);
        return (t) => items.includes(t.action);
      }
      case 'DataTypes': {
        const items = enumItems(f, DATA_TYPES);
        return (t) => items.includes(t.dataType);
      }
      case 'Status': {
        const items = enumItems(f, TASK_STATUSES);
        return (t) => items.includes(t.status);
      }
      case 'Originator': {
        const items = enumItems(f, ['User', 'System']);
        return () => items.includes('User');
      }
      case 'StartTimeBegin': {
        const at = parseFilterTime(f);
        return (t) => t.startedAt !== undefined && t.startedAt >= at;
      }
      case 'StartTimeEnd': {
        const at = parseFilterTime(f);
        return (t) => t.startedAt !== undefined && t.startedAt <= at;
      }
      case 'EndTimeBegin': {
        const at = parseFilterTime(f);
        return (t) => t.endedAt !== undefined && t.endedAt >= at;
      }
      case 'EndTimeEnd': {
        const at = parseFilterTime(f);
        return (t) => t.endedAt !== undefined && t.endedAt <= at;
      }
      default:
        throw apiError('InvalidParameter.InvalidFormat', `Unknown filter key ${f.key}.`);
    }
  });
}

function subTaskFilters(filters: readonly FilterParam[]): Predicate<SubTaskRecord>[] {
  return filters.map((f): Predicate<SubTaskRecord> => {
    switch (f.key) {
      case 'DataFlowIds': {
        const items = filterItems(f, 10);
        return (s) => idMatches(s.dataFlowId, items);
      }
      case 'DataFlowTaskIds': {
        const items = filterItems(f, 10);
        return (s) => idMatches(s.taskId, items);
      }
      case 'DataFlowSubTaskIds': {
        const items = filterItems(f, 10);
        return (s) => idMatches(s.id, items);
      }
      case 'Status': {
        const items = enumItems(f, SUB_TASK_STATUSES);
        return (s) => items.includes(s.status);
      }
      // ASSUMED: exact match on the path as sent (the docs say "filter by source/destination path").
      case 'SrcFilePath':
        return (s) => s.srcFilePath === f.value;
      case 'DstFilePath':
        return (s) => s.dstFilePath === f.value;
      default:
        throw apiError('InvalidParameter.InvalidFormat', `Unknown filter key ${f.key}.`);
    }
  });
}

function dataFlowFilters(filters: readonly FilterParam[]): Predicate<DataFlowRecord>[] {
  return filters.map((f): Predicate<DataFlowRecord> => {
    switch (f.key) {
      case 'DataFlowIds': {
        const items = filterItems(f, 10);
        return (d) => idMatches(d.id, items);
      }
      case 'Status': {
        const items = enumItems(f, DATA_FLOW_STATUSES);
        return (d) => items.includes(d.status);
      }
      case 'SourceStorage':
        return (d) => d.sourceStorage.includes(f.value);
      case 'FileSystemPath':
        return (d) => d.fileSystemPath.includes(f.value);
      case 'Description':
        return (d) => (d.description ?? '').includes(f.value);
      default:
        throw apiError('InvalidParameter.InvalidFormat', `Unknown filter key ${f.key}.`);
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// Wire shapes

function timeFields(created: number, started?: number, ended?: number): Record<string, string> {
  return {
    CreateTime: formatApiTime(created),
    ...(started !== undefined ? { StartTime: formatApiTime(started) } : {}),
    ...(ended !== undefined ? { EndTime: formatApiTime(ended) } : {}),
  };
}

function averageSpeed(bytes: number, started?: number, ended?: number, nowMs?: number): number {
  if (started === undefined) return 0;
  const seconds = ((ended ?? nowMs ?? started) - started) / 1000;
  return seconds > 0 ? Math.round(bytes / seconds) : 0;
}

/** A task as DescribeDataFlowTasks returns it (`DataFlowTask` in shared/nas/wire.ts). */
export function taskToWire(task: TaskRecord, df: DataFlowRecord | undefined, withReports: boolean, nowMs: number): Record<string, unknown> {
  const s = task.stats;
  const remainMs = task.status === 'Executing' && task.finishAt !== undefined ? Math.max(0, task.finishAt - nowMs) : 0;
  return {
    TaskId: task.id,
    DataFlowId: task.dataFlowId,
    FilesystemId: task.fileSystemId,
    TaskAction: task.action,
    DataType: task.dataType,
    Status: task.status,
    ...(task.conflictPolicy ? { ConflictPolicy: task.conflictPolicy } : {}),
    // Newer API texts: the response echoes the file-list parameters. Directory only when it was sent.
    ...(task.sentDirectory !== undefined ? { Directory: task.sentDirectory } : {}),
    DstDirectory: task.dstDirectory,
    ...(task.entryList ? { EntryList: JSON.stringify(task.entryList) } : {}),
    ...(task.includes ? { Includes: JSON.stringify(task.includes) } : {}),
    ...(task.transferFileListPath !== undefined ? { TransferFileListPath: task.transferFileListPath } : {}),
    // ASSUMED: FsPath is the data flow's path in the file system (the docs give the field, not its source).
    ...(df ? { FileSystemPath: df.fileSystemPath, FsPath: df.fileSystemPath, SourceStorage: df.sourceStorage } : {}),
    Originator: 'User',
    Progress: task.progress,
    ProgressStats: {
      FilesTotal: s.filesTotal,
      FilesDone: s.filesDone,
      BytesTotal: s.bytesTotal,
      BytesDone: s.bytesDone,
      ActualFiles: s.actualFiles,
      ActualBytes: s.actualBytes,
      AverageSpeed: averageSpeed(s.bytesDone, task.startedAt, task.endedAt, nowMs),
      RemainTime: Math.ceil(remainMs / 1000),
    },
    ...(task.errorMsg ? { ErrorMsg: task.errorMsg } : {}),
    ...timeFields(task.createdAt, task.startedAt, task.endedAt),
    ...(withReports && task.reports ? { Reports: { Report: task.reports.map((r) => ({ Name: r.name, Path: r.path })) } } : {}),
  };
}

/** A sub-task as DescribeDataFlowSubTasks returns it (`DataFlowSubTask` in shared/nas/wire.ts). */
export function subTaskToWire(sub: SubTaskRecord, nowMs: number): Record<string, unknown> {
  return {
    DataFlowSubTaskId: sub.id,
    DataFlowTaskId: sub.taskId,
    DataFlowId: sub.dataFlowId,
    FileSystemId: sub.fileSystemId,
    SrcFilePath: sub.srcFilePath,
    DstFilePath: sub.dstFilePath,
    Status: sub.status,
    Progress: sub.progress,
    ProgressStats: {
      BytesTotal: sub.bytesTotal,
      BytesDone: sub.bytesDone,
      ActualBytes: sub.bytesDone,
      AverageSpeed: averageSpeed(sub.bytesDone, sub.startedAt, sub.endedAt, nowMs),
    },
    ...(sub.fileDetail
      ? {
          FileDetail: {
            Checksum: sub.fileDetail.checksum,
            // ns since the epoch exceed 2^53; the JSON number loses the last digits, as any JSON client would.
            ModifyTime: Number(sub.fileDetail.modifyTimeNs),
            Size: sub.fileDetail.size,
          },
        }
      : {}),
    ...(sub.errorMsg ? { ErrorMsg: sub.errorMsg } : {}),
    ...timeFields(sub.createdAt, sub.startedAt, sub.endedAt),
  };
}

/** A data flow as DescribeDataFlows returns it (`DataFlow` in shared/nas/wire.ts). */
export function dataFlowToWire(df: DataFlowRecord): Record<string, unknown> {
  return {
    DataFlowId: df.id,
    FileSystemId: df.fileSystemId,
    Status: df.status,
    SourceStorage: df.sourceStorage,
    SourceStoragePath: df.sourceStoragePath,
    FileSystemPath: df.fileSystemPath,
    ...(df.description ? { Description: df.description } : {}),
    CreateTime: formatApiTime(df.createdAt),
    UpdateTime: formatApiTime(df.updatedAt),
  };
}

// ---------------------------------------------------------------------------------------------------
// Describe* and Cancel

const describeDataFlowTasks: OperationHandler = (ctx, p) => {
  const fileSystemId = str(p, 'FileSystemId');
  if (!fileSystemId) throw apiError('MissingFileSystemId');
  checkAllCharacters(ctx, p);
  const fs = requireFileSystem(ctx, fileSystemId);
  const filters = readFilters(p);
  const predicates = taskFilters(filters);
  const maxResults = intInRange(p, 'MaxResults', 10, 100) ?? 20;
  // Newer API texts: WithReports defaults to true on CPFS for LINGJUN (the only kind with reports).
  const withReports = bool(p, 'WithReports') ?? fs.kind === 'lingjun';
  const matching = [...ctx.state.tasks.values()].filter(
    (t) => t.fileSystemId === fs.id && t.accountId === ctx.accountId && predicates.every((pred) => pred(t)),
  );
  const queryKey = queryKeyOf('DescribeDataFlowTasks', fs.id, filters, String(withReports));
  const page = paginate(matching, maxResults, str(p, 'NextToken'), queryKey);
  return {
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
    TaskInfo: { Task: page.items.map((t) => taskToWire(t, ctx.state.dataFlows.get(t.dataFlowId), withReports, ctx.nowMs)) },
  };
};

const describeDataFlowSubTasks: OperationHandler = (ctx, p) => {
  const fileSystemId = str(p, 'FileSystemId');
  if (!fileSystemId) throw apiError('MissingFileSystemId');
  checkAllCharacters(ctx, p);
  const fs = requireStreamingFileSystem(ctx, fileSystemId);
  const filters = readFilters(p);
  const predicates = subTaskFilters(filters);
  const maxResults = intInRange(p, 'MaxResults', 20, 100) ?? 20;
  const matching = [...ctx.state.subTasks.values()].filter(
    (s) => s.fileSystemId === fs.id && s.accountId === ctx.accountId && predicates.every((pred) => pred(s)),
  );
  const page = paginate(matching, maxResults, str(p, 'NextToken'), queryKeyOf('DescribeDataFlowSubTasks', fs.id, filters));
  return {
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
    DataFlowSubTask: { DataFlowSubTask: page.items.map((s) => subTaskToWire(s, ctx.nowMs)) },
  };
};

const describeDataFlows: OperationHandler = (ctx, p) => {
  const fileSystemId = str(p, 'FileSystemId');
  if (!fileSystemId) throw apiError('MissingFileSystemId');
  checkAllCharacters(ctx, p);
  const fs = requireFileSystem(ctx, fileSystemId);
  const filters = readFilters(p);
  const predicates = dataFlowFilters(filters);
  const maxResults = intInRange(p, 'MaxResults', 10, 100) ?? 10;
  const matching = [...ctx.state.dataFlows.values()].filter((d) => d.fileSystemId === fs.id && predicates.every((pred) => pred(d)));
  const page = paginate(matching, maxResults, str(p, 'NextToken'), queryKeyOf('DescribeDataFlows', fs.id, filters));
  return {
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
    DataFlowInfo: { DataFlow: page.items.map(dataFlowToWire) },
  };
};

const cancelDataFlowTask: OperationHandler = (ctx, p) => {
  const [fileSystemId, dataFlowId, taskId] = required(p, 'FileSystemId', 'DataFlowId', 'TaskId');
  checkAllCharacters(ctx, p);
  const fs = requireFileSystem(ctx, fileSystemId);
  const df = requireDataFlow(ctx, fs, dataFlowId);
  clientTokenOf(p);
  const dryRun = bool(p, 'DryRun') ?? false;
  const task = requireTask(ctx, df, taskId);
  // Docs: only Pending or Executing tasks can be cancelled (code ASSUMED: InvalidState).
  if (!ACTIVE_TASK_STATUSES.has(task.status)) {
    throw apiError('OperationDenied.InvalidState', `Task ${task.id} is ${task.status}; only Pending or Executing tasks can be cancelled.`);
  }
  if (task.streaming) {
    for (const sub of ctx.state.subTasks.values()) {
      if (sub.taskId === task.id && ACTIVE_SUB_TASK_STATUSES.has(sub.status)) {
        throw apiError('OperationDenied.DependencyViolation', `Streaming task ${task.id} has sub-tasks in CREATED or RUNNING.`);
      }
    }
  }
  if (dryRun) return {};
  ctx.engine.requestCancel(task, ctx.nowMs);
  ctx.engine.tick(ctx.nowMs);
  return {};
};

/**
 * CancelDataFlowSubTask (docs/platform.md §1): FileSystemId, DataFlowId, DataFlowTaskId and
 * DataFlowSubTaskId are required; DryRun, ClientToken. CREATED/RUNNING → CANCELING → CANCELED.
 * ASSUMED: a sub-task in any other state (CANCELING, or finished) is refused with 403
 * OperationDenied.InvalidState, as CancelDataFlowTask refuses a finished task; an unknown sub-task, or one
 * of another task, is 404 InvalidSubTaskId.NotFound.
 */
const cancelDataFlowSubTask: OperationHandler = (ctx, p) => {
  const [fileSystemId, dataFlowId, taskId, subTaskId] = required(p, 'FileSystemId', 'DataFlowId', 'DataFlowTaskId', 'DataFlowSubTaskId');
  checkAllCharacters(ctx, p);
  const fs = requireStreamingFileSystem(ctx, fileSystemId);
  const df = requireDataFlow(ctx, fs, dataFlowId);
  clientTokenOf(p);
  const dryRun = bool(p, 'DryRun') ?? false;
  const task = requireTask(ctx, df, taskId);
  const sub = ctx.state.subTasks.get(subTaskId);
  if (!sub || sub.taskId !== task.id || sub.accountId !== ctx.accountId) throw apiError('InvalidSubTaskId.NotFound');
  if (!ACTIVE_SUB_TASK_STATUSES.has(sub.status)) {
    throw apiError('OperationDenied.InvalidState', `Sub-task ${sub.id} is ${sub.status}; only CREATED or RUNNING sub-tasks can be cancelled.`);
  }
  if (dryRun) return {};
  ctx.engine.requestSubTaskCancel(sub, ctx.nowMs);
  ctx.engine.tick(ctx.nowMs);
  return {};
};

/** The seven actions by name. */
export const OPERATIONS: Readonly<Record<OperationName, OperationHandler>> = Object.freeze({
  CreateDataFlowTask: createDataFlowTask,
  CreateDataFlowSubTask: createDataFlowSubTask,
  DescribeDataFlowTasks: describeDataFlowTasks,
  DescribeDataFlowSubTasks: describeDataFlowSubTasks,
  DescribeDataFlows: describeDataFlows,
  CancelDataFlowTask: cancelDataFlowTask,
  CancelDataFlowSubTask: cancelDataFlowSubTask,
});

/** Actions whose ClientToken makes them idempotent. */
export const IDEMPOTENT_ACTIONS: ReadonlySet<OperationName> = new Set<OperationName>([
  'CreateDataFlowTask',
  'CreateDataFlowSubTask',
  'CancelDataFlowTask',
  'CancelDataFlowSubTask',
]);

export function isOperationName(value: string): value is OperationName {
  return Object.prototype.hasOwnProperty.call(OPERATIONS, value);
}
