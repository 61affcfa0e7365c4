/**
 * Verification: follows every submission of a time window to its end, re-drives what failed, and says
 * what cannot land. One module, used by `cpfs-ingest verify` and by the reconcile function's every tick.
 *
 * Reads (docs/platform.md §1):
 * - DescribeDataFlowSubTasks of the data flow, paged (MaxResults 100). It has its own quota (100/s),
 *   apart from CreateDataFlowSubTask's, so verifying does not slow ingest down. Its ID filters match
 *   part of an id, so every answer is compared exactly here. It has no time filter: the window is
 *   applied here, on CreateTime (see classify.ts `inWindow`).
 * - DescribeDataFlowTasks of the data flow's Import tasks with `WithReports=false` (reports are signed
 *   URLs we never need). No `CreateTimeBegin` filter: its value format is undocumented (and the emulator
 *   does not take it yet); the window is applied here, like the sub-tasks'. Import tasks are few (LINGJUN
 *   keeps at most 4 at a time), so reading them all is cheap.
 *
 * Re-drive (only with `redrive: true`): a FAILED / EXPIRED sub-task is sent again as a new sub-task of
 * the Executing streaming task of the same ConflictPolicy — found or created by ingest's own
 * `resolveStreamTask` — with a ClientToken derived from the failed sub-task's id (classify.ts), so any
 * number of runs re-drive one failure once. A Failed Import task is sent again from its EntryList (with
 * DstDirectory and no Directory: the two are mutually exclusive, docs/platform.md §1), or by its
 * TransferFileListPath while that directory still holds manifests; token from the failed task's id.
 * CANCELED is an operator's decision: reported, never re-driven.
 *
 * With an object reader (OSS_BUCKET set), a failure is first checked against OSS: an object that no
 * longer exists is "gone", not a failure; one that still exists is re-driven with its current size as
 * `Condition.Size` (a changed object is what makes the old condition fail). The reader lists the key rather than
 * HEADing it (object-reader.ts: the reconcile role may list the bucket, not read its objects). Without one the report says
 * the check was skipped, and the re-drive carries no Condition (the data flow imports what OSS holds
 * then; the streaming task's ConflictPolicy decides over an existing file).
 */
import { NasApiError } from '../errors.js';
import { resolveStreamTask, type IngestDeps } from '../ingest/index.js';
import { isCreateDirUnsupported, isRetryableError, isStreamTaskGone, isTokenReusedWithOtherParameters } from '../nas/classify.js';
import type { ConflictPolicy, DataFlowSubTask, DataFlowTask } from '../nas/wire.js';
import { CONFLICT_POLICIES } from '../nas/wire.js';
import { sourceKeyPrefix, streamTaskGroupKey, type StreamTaskGroup } from '../planning/index.js';
import { importDestinationOfElement, STREAM_TASK_DIRECTORY, STREAM_TASK_DST_DIRECTORY } from '../planning/path-base.js';
import {
  classifyAttempts,
  groupAttempts,
  inWindow,
  lagStats,
  objectLag,
  OBJECT_STATES,
  redriveImportToken,
  redriveSubTaskToken,
  type LagStats,
  type ObjectState,
  type TimeWindow,
} from './classify.js';

/** Reads an object's current size from OSS; `undefined` when the object no longer exists. */
export interface ObjectReader {
  head(key: string): Promise<{ readonly size: number } | undefined>;
  /**
   * Whether OSS directory `dir` (a TransferFileListPath: from the bucket root, `/…/`) still holds a `*.csv`
   * manifest directly in it. Absent: the manifest check is skipped and the task re-driven as it was.
   */
  hasManifests?(dir: string): Promise<boolean>;
}

export interface VerifyDeps {
  /** The ingest wiring: configuration, NAS client, logger, instance state (its streaming-task cache), clock. */
  readonly ingest: IngestDeps;
  /** OSS look-ups; absent when OSS_BUCKET is not set (the changed/deleted check is skipped). */
  readonly objects?: ObjectReader | undefined;
  /** Told after every page read (for progress on long windows). */
  readonly onProgress?: ((progress: { readonly subTasksRead: number; readonly tasksRead: number }) => void) | undefined;
}

export interface VerifyOptions {
  readonly window: TimeWindow;
  /** Re-drive FAILED / EXPIRED attempts (else they are only reported). */
  readonly redrive: boolean;
  /** No call starts after this (ms since epoch, on `ingest.now`). */
  readonly deadlineMs: number;
}

/** One object as verification found it. */
export interface VerifiedObject {
  readonly state: ObjectState;
  readonly mode: 'stream' | 'batch';
  /** The OSS key. */
  readonly key: string;
  /** DstFilePath (stream) or DstDirectory + the entry's path below Directory (batch), relative to FileSystemPath. */
  readonly destination: string;
  /** The latest attempt's service status (sub-task or Import task status). */
  readonly status: string;
  /** The latest attempt's number within the object's current version (1 = first submission). */
  readonly attempt: number;
  /** The latest attempt: sub-task id (stream) or Import task id (batch). */
  readonly id: string;
  readonly errorMsg?: string;
  /** The sub-task / Import task created by the re-drive (absent when another run re-drove it first). */
  readonly redriveId?: string;
  /** OSS size differs from what the failed attempt saw. */
  readonly changed?: true;
  /** Why a failure was not re-driven, or other context. */
  readonly note?: string;
}

export interface VerifyReport {
  readonly window: { readonly since: string; readonly until: string };
  readonly counts: Readonly<Record<ObjectState, number>>;
  /** Every object of the window. */
  readonly objects: readonly VerifiedObject[];
  /** Time from the object's modification (or first attempt) to its COMPLETE sub-task's end. */
  readonly lag?: LagStats & { readonly fromModifyTime: number; readonly fromCreateTime: number };
  /** Whether changed / deleted objects were checked against OSS. */
  readonly ossCheck: 'done' | 'skipped';
  readonly calls: { readonly describeSubTasks: number; readonly describeTasks: number; readonly creates: number };
  /** Set when the check itself hit trouble; `retryable` makes the CLI exit 3. */
  readonly trouble?: { readonly code: string; readonly message: string; readonly retryable: boolean };
}

const SUB_TASK_PAGE = 100;
const TASK_PAGE = 100;


/** Stops the run: the rest cannot be checked (the answer is retryable or not). */
class Trouble extends Error {
  constructor(readonly code: string, message: string, readonly retryable: boolean) {
    super(message);
  }
}

function troubleOf(error: unknown): Trouble {
  if (error instanceof Trouble) return error;
  const code = error instanceof NasApiError ? error.code : ((error as { code?: unknown }).code as string | undefined) ?? (error instanceof Error ? error.name : 'Unexpected');
  return new Trouble(String(code), error instanceof Error ? error.message : String(error), isRetryableError(error) || (error as { retryable?: unknown }).retryable === true);
}

/** Runs one verification over `options.window`. Never throws for the service's answers: trouble is in the report. */
export async function verify(deps: VerifyDeps, options: VerifyOptions): Promise<VerifyReport> {
  const { config, api } = deps.ingest;
  const calls = { describeSubTasks: 0, describeTasks: 0, creates: 0 };
  const objects: VerifiedObject[] = [];
  const lags: Array<{ ms: number; basis: 'modify-time' | 'create-time' }> = [];
  let trouble: Trouble | undefined;
  let subTasksRead = 0;
  let tasksRead = 0;
  const progress = () => deps.onProgress?.({ subTasksRead, tasksRead });
  const checkDeadline = () => {
    if (deps.ingest.now() >= options.deadlineMs) throw new Trouble('DeadlineExceeded', 'the deadline arrived before verification finished', true);
  };
  const call = { deadlineMs: options.deadlineMs };
  const keyPrefix = sourceKeyPrefix(config.sourceStoragePath);
  const keyOfSrc = (src: string) => `${keyPrefix}${src.replace(/^\//, '')}`;
  let streamPolicies: Map<string, ConflictPolicy> | undefined;

  /** Every StreamImport task's ConflictPolicy, read once when the first re-drive needs it. */
  async function policyOfStreamTask(taskId: string | undefined): Promise<ConflictPolicy | undefined> {
    if (streamPolicies === undefined) {
      streamPolicies = new Map();
      for await (const task of listTasks('StreamImport')) {
        if ((CONFLICT_POLICIES as readonly string[]).includes(task.ConflictPolicy ?? '')) streamPolicies.set(task.TaskId, task.ConflictPolicy as ConflictPolicy);
      }
    }
    return taskId === undefined ? undefined : streamPolicies.get(taskId);
  }

  async function* listTasks(action: 'Import' | 'StreamImport'): AsyncGenerator<DataFlowTask> {
    let nextToken: string | undefined;
    do {
      checkDeadline();
      const page = await api.describeDataFlowTasks(
        {
          FileSystemId: config.fileSystemId,
          Filters: [
            { Key: 'DataFlowIds', Value: config.dataFlowId },
            { Key: 'TaskActions', Value: action },
          ],
          MaxResults: TASK_PAGE,
          WithReports: false,
          ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
        },
        call,
      );
      calls.describeTasks += 1;
      for (const task of page.TaskInfo?.Task ?? []) {
        // Filters match loosely: keep only exact matches.
        if ((task.DataFlowId === undefined || task.DataFlowId === config.dataFlowId) && task.TaskAction === action) {
          tasksRead += 1;
          yield task;
        }
      }
      progress();
      nextToken = page.NextToken || undefined;
    } while (nextToken !== undefined);
  }

  async function readSubTasks(): Promise<DataFlowSubTask[]> {
    const all: DataFlowSubTask[] = [];
    let nextToken: string | undefined;
    do {
      checkDeadline();
      const page = await api.describeDataFlowSubTasks(
        {
          FileSystemId: config.fileSystemId,
          Filters: [{ Key: 'DataFlowIds', Value: config.dataFlowId }],
          MaxResults: SUB_TASK_PAGE,
          ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
        },
        call,
      );
      calls.describeSubTasks += 1;
      for (const sub of page.DataFlowSubTask?.DataFlowSubTask ?? []) {
        if (sub.DataFlowId !== undefined && sub.DataFlowId !== config.dataFlowId) continue;
        if (sub.FileSystemId !== undefined && sub.FileSystemId !== config.fileSystemId) continue;
        all.push(sub);
      }
      subTasksRead = all.length;
      progress();
      nextToken = page.NextToken || undefined;
    } while (nextToken !== undefined);
    return all;
  }

  /** OSS check of a failure: gone, or the current size (undefined without a reader). */
  async function lookUp(key: string): Promise<{ gone: true } | { gone: false; size?: number }> {
    if (deps.objects === undefined) return { gone: false };
    checkDeadline();
    try {
      const head = await deps.objects.head(key);
      return head === undefined ? { gone: true } : { gone: false, size: head.size };
    } catch (error) {
      throw troubleOf(error);
    }
  }

  async function redriveSubTask(failed: DataFlowSubTask, size: number | undefined): Promise<{ id?: string; note?: string }> {
    const policy = (await policyOfStreamTask(failed.DataFlowTaskId)) ?? config.planning.defaultConflictPolicy;
    const group: StreamTaskGroup = {
      groupKey: streamTaskGroupKey(config.fileSystemId, config.dataFlowId, policy),
      fileSystemId: config.fileSystemId,
      dataFlowId: config.dataFlowId,
      conflictPolicy: policy,
      directory: STREAM_TASK_DIRECTORY,
      dstDirectory: STREAM_TASK_DST_DIRECTORY,
      items: [],
    };
    for (let round = 0; ; round += 1) {
      checkDeadline();
      const taskId = await resolveStreamTask(group, deps.ingest, { deadlineMs: options.deadlineMs });
      if (taskId === undefined) return { note: 'dry run: nothing re-driven' };
      try {
        const answer = await api.createDataFlowSubTask(
          {
            FileSystemId: config.fileSystemId,
            DataFlowId: config.dataFlowId,
            DataFlowTaskId: taskId,
            SrcFilePath: failed.SrcFilePath as string,
            DstFilePath: failed.DstFilePath as string,
            ...(size !== undefined ? { Condition: { Size: size } } : {}),
            ClientToken: redriveSubTaskToken(config.fileSystemId, config.dataFlowId, failed.DataFlowSubTaskId),
          },
          call,
        );
        calls.creates += 1;
        return answer.DataFlowSubTaskId !== undefined ? { id: answer.DataFlowSubTaskId } : {};
      } catch (error) {
        if (isTokenReusedWithOtherParameters(error)) return { note: ALREADY_REDRIVEN_NOTE };
        if (isStreamTaskGone(error) && round === 0) {
          deps.ingest.state.streamTasks.delete(group.groupKey);
          continue;
        }
        throw troubleOf(error);
      }
    }
  }

  try {
    // ---- stream mode: sub-tasks (CPFS for LINGJUN only; general-purpose CPFS has none).
    if (config.fileSystemKind !== 'general') {
      const subTasks = await readSubTasks();
      for (const attempts of groupAttempts(subTasks).values()) {
        const latest = attempts.at(-1) as DataFlowSubTask;
        if (!inWindow(latest.CreateTime, options.window)) continue;
        if (latest.SrcFilePath === undefined || latest.DstFilePath === undefined) continue;
        const verdict = classifyAttempts(attempts.map((a) => a.Status));
        const base = {
          mode: 'stream' as const,
          key: keyOfSrc(latest.SrcFilePath),
          destination: latest.DstFilePath,
          status: latest.Status,
          attempt: verdict.attempt,
          id: latest.DataFlowSubTaskId,
          ...(latest.ErrorMsg !== undefined ? { errorMsg: latest.ErrorMsg } : {}),
        };
        if (verdict.kind === 'complete') {
          const lag = objectLag(attempts);
          if (lag) lags.push(lag);
          objects.push({ ...base, state: 'complete' });
        } else if (verdict.kind === 'in-progress') {
          objects.push({ ...base, state: 'in-progress' });
        } else if (verdict.kind === 'canceled') {
          objects.push({ ...base, state: 'canceled', note: 'canceled by an operator: not re-driven' });
        } else if (trouble !== undefined) {
          objects.push({ ...base, state: verdict.kind === 'permanent' ? 'permanent' : 'failed', note: 'not checked: verification stopped earlier' });
        } else {
          try {
            const found = await lookUp(base.key);
            if (found.gone) {
              objects.push({ ...base, state: 'gone', note: 'the object no longer exists in OSS' });
            } else if (verdict.kind === 'permanent') {
              objects.push({ ...base, state: 'permanent' });
            } else if (!options.redrive) {
              objects.push({ ...base, state: 'failed' });
            } else {
              const changed = found.size !== undefined && latest.FileDetail?.Size !== undefined && found.size !== latest.FileDetail.Size;
              const result = await redriveSubTask(latest, found.size);
              objects.push({
                ...base,
                state: result.note?.startsWith('dry run') ? 'failed' : 're-driven',
                ...(result.id !== undefined ? { redriveId: result.id } : {}),
                ...(changed ? { changed: true as const } : {}),
                ...(result.note !== undefined ? { note: result.note } : {}),
              });
            }
          } catch (error) {
            trouble = troubleOf(error);
            objects.push({ ...base, state: verdict.kind === 'permanent' ? 'permanent' : 'failed', note: `not re-driven: ${trouble.code}` });
          }
        }
      }
    }

    // ---- batch mode: Import tasks.
    if (trouble === undefined) {
      const tasks: DataFlowTask[] = [];
      for await (const task of listTasks('Import')) tasks.push(task);
      for (const chain of importChains(tasks)) {
        const latest = chain.tasks.at(-1) as DataFlowTask;
        if (!inWindow(latest.CreateTime, options.window)) continue;
        const verdict = classifyAttempts(chain.tasks.map((t) => importStatusAsSubTask(t.Status)));
        // One row per EntryList element; a manifest or Directory task is one row (its objects are not listed).
        const rows: ReadonlyArray<string | undefined> = chain.entries ?? [undefined];
        let redrive: ImportRedrive | undefined;
        if (verdict.kind === 'redrive' && options.redrive && trouble === undefined) {
          try {
            redrive = await redriveImport(latest, chain);
          } catch (error) {
            trouble = troubleOf(error);
          }
        }
        for (const entry of rows) {
          const base = {
            mode: 'batch' as const,
            key: entry !== undefined ? entry.replace(/^\//, '') : chain.manifest !== undefined ? `(manifests ${chain.manifest})` : `(task ${latest.TaskId})`,
            destination: entry === undefined ? (latest.DstDirectory ?? '/') : importDestination(entry, latest, config.sourceStoragePath),
            status: latest.Status,
            attempt: verdict.attempt,
            id: latest.TaskId,
            ...(latest.ErrorMsg !== undefined ? { errorMsg: latest.ErrorMsg } : {}),
          };
          if (verdict.kind === 'complete') objects.push({ ...base, state: 'complete' });
          else if (verdict.kind === 'in-progress') objects.push({ ...base, state: 'in-progress' });
          else if (verdict.kind === 'canceled') objects.push({ ...base, state: 'canceled', note: 'canceled by an operator: not re-driven' });
          else if (verdict.kind === 'permanent') objects.push({ ...base, state: 'permanent' });
          else if (entry !== undefined && redrive?.gone?.has(entry)) objects.push({ ...base, state: 'gone', note: 'the object no longer exists in OSS' });
          else if (redrive !== undefined && redrive.note === undefined) objects.push({ ...base, state: 're-driven', ...(redrive.id !== undefined ? { redriveId: redrive.id } : {}) });
          else if (redrive?.note === ALREADY_REDRIVEN_NOTE) objects.push({ ...base, state: 're-driven', note: redrive.note });
          else {
            const note = redrive?.note ?? (verdict.kind === 'redrive' && !options.redrive ? undefined : noRedriveNote(chain));
            objects.push({ ...base, state: 'failed', ...(note !== undefined ? { note } : {}) });
          }
        }
      }
    }
  } catch (error) {
    trouble = troubleOf(error);
  }

  /**
   * Sends a Failed Import task again, the way ingest and backfill send one (docs/platform.md §1: Directory,
   * EntryList and TransferFileListPath are mutually exclusive): EntryList + DstDirectory, or the same
   * TransferFileListPath + DstDirectory. A task with neither (a Directory import) is not re-driven here.
   */
  async function redriveImport(failed: DataFlowTask, chain: ImportChain): Promise<ImportRedrive> {
    const gone = new Set<string>();
    let source: { EntryList: string } | { TransferFileListPath: string };
    if (chain.entries !== undefined) {
      const keep: string[] = [];
      for (const entry of chain.entries) {
        const found = await lookUp(entry.replace(/^\//, ''));
        if (found.gone) gone.add(entry);
        else keep.push(entry);
      }
      if (keep.length === 0) return { gone, note: 'every entry is gone' };
      source = { EntryList: JSON.stringify(keep) };
    } else if (chain.manifest !== undefined) {
      if (deps.objects?.hasManifests !== undefined) {
        checkDeadline();
        let present: boolean;
        try {
          present = await deps.objects.hasManifests(chain.manifest);
        } catch (error) {
          throw troubleOf(error);
        }
        if (!present) return { note: `the manifests at ${chain.manifest} no longer exist: not re-driven` };
      }
      source = { TransferFileListPath: chain.manifest };
    } else {
      return { note: noRedriveNote(chain) };
    }
    const policy = (CONFLICT_POLICIES as readonly string[]).includes(failed.ConflictPolicy ?? '') ? (failed.ConflictPolicy as ConflictPolicy) : config.planning.defaultConflictPolicy;
    // CreateDirIfNotExist as ingest sends it: LINGJUN ≥ 2.6 only (docs/platform.md §1). The answer does
    // not say whether the failed task carried it; a missing destination directory is what it prevents. A
    // file system before 2.6 refuses it (InvalidFilesystemVersion.NotSupport): learnt once, then sent without.
    const capabilities = deps.ingest.state.capabilities;
    for (;;) {
      const createDir = config.fileSystemKind === 'lingjun' && !capabilities.createDirUnsupported && !capabilities.streamImportUnsupported;
      checkDeadline();
      try {
        const answer = await api.createDataFlowTask(
          {
            FileSystemId: config.fileSystemId,
            DataFlowId: config.dataFlowId,
            TaskAction: 'Import',
            DataType: 'MetaAndData',
            DstDirectory: failed.DstDirectory ?? '/',
            ...source,
            ConflictPolicy: policy,
            ...(createDir ? { CreateDirIfNotExist: true } : {}),
            ClientToken: redriveImportToken(config.fileSystemId, config.dataFlowId, failed.TaskId),
            ...(config.dryRun ? { DryRun: true } : {}),
          },
          call,
        );
        calls.creates += 1;
        return { gone, ...(answer.TaskId !== undefined ? { id: answer.TaskId } : { note: 'dry run: nothing re-driven' }) };
      } catch (error) {
        if (createDir && isCreateDirUnsupported(error)) {
          capabilities.markCreateDirUnsupported();
          continue;
        }
        if (isTokenReusedWithOtherParameters(error)) return { gone, note: ALREADY_REDRIVEN_NOTE };
        throw troubleOf(error);
      }
    }
  }

  const counts = Object.fromEntries(OBJECT_STATES.map((s) => [s, 0])) as Record<ObjectState, number>;
  for (const o of objects) counts[o.state] += 1;
  const stats = lagStats(lags.map((l) => l.ms));
  return {
    window: { since: new Date(options.window.sinceMs).toISOString(), until: new Date(options.window.untilMs).toISOString() },
    counts,
    objects,
    ...(stats !== undefined
      ? { lag: { ...stats, fromModifyTime: lags.filter((l) => l.basis === 'modify-time').length, fromCreateTime: lags.filter((l) => l.basis === 'create-time').length } }
      : {}),
    ossCheck: deps.objects === undefined ? 'skipped' : 'done',
    calls,
    ...(trouble !== undefined ? { trouble: { code: trouble.code, message: trouble.message, retryable: trouble.retryable } } : {}),
  };
}

/** Import task status in the sub-task vocabulary classify.ts speaks. */
function importStatusAsSubTask(status: string): string {
  switch (status) {
    case 'Completed':
      return 'COMPLETE';
    case 'Failed':
      return 'FAILED';
    case 'Canceling':
    case 'Canceled':
      return 'CANCELED';
    default:
      return 'RUNNING';
  }
}

/** An Import task and its re-drives: same EntryList (or TransferFileListPath), DstDirectory and ConflictPolicy. */
export interface ImportChain {
  readonly tasks: DataFlowTask[];
  /** The EntryList's elements; undefined when the answer carries none. */
  readonly entries: readonly string[] | undefined;
  /** The TransferFileListPath of a manifest import (and no EntryList). */
  readonly manifest: string | undefined;
}

interface ImportRedrive {
  readonly id?: string;
  readonly note?: string;
  readonly gone?: ReadonlySet<string>;
}

const ALREADY_REDRIVEN_NOTE = 'already re-driven by another run';

/** Why a failed Import chain is not re-driven by verify (it names neither EntryList nor TransferFileListPath). */
function noRedriveNote(chain: ImportChain): string | undefined {
  return chain.entries === undefined && chain.manifest === undefined ? 'the answer carries no EntryList or TransferFileListPath: re-run it with `cpfs-ingest retry-task`' : undefined;
}

/** The EntryList of an Import task as the answer carries it (a JSON array of strings), if it does. */
export function entriesOf(task: DataFlowTask): string[] | undefined {
  const raw = (task as Record<string, unknown>)['EntryList'];
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) && parsed.every((e): e is string => typeof e === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Groups Import tasks into chains, each in attempt order (CreateTime, then listing order). Directory is not
 * part of the key: an Import with an EntryList or a TransferFileListPath carries none (docs/platform.md §1).
 */
export function importChains(tasks: readonly DataFlowTask[]): ImportChain[] {
  const chains = new Map<string, { tasks: Array<{ task: DataFlowTask; order: number }>; entries: string[] | undefined; manifest: string | undefined }>();
  tasks.forEach((task, order) => {
    const entries = entriesOf(task);
    const manifest = entries === undefined && task.TransferFileListPath ? task.TransferFileListPath : undefined;
    const key =
      entries !== undefined
        ? JSON.stringify(['entries', entries, task.DstDirectory ?? '/', task.ConflictPolicy ?? ''])
        : manifest !== undefined
          ? JSON.stringify(['manifest', manifest, task.DstDirectory ?? '/', task.ConflictPolicy ?? ''])
          : `task:${task.TaskId}`;
    const chain = chains.get(key) ?? { tasks: [], entries, manifest };
    chain.tasks.push({ task, order });
    chains.set(key, chain);
  });
  return [...chains.values()].map((c) => ({
    entries: c.entries,
    manifest: c.manifest,
    tasks: c.tasks
      .sort((a, b) => ((a.task.CreateTime ?? '') < (b.task.CreateTime ?? '') ? -1 : (a.task.CreateTime ?? '') > (b.task.CreateTime ?? '') ? 1 : a.order - b.order))
      .map((x) => x.task),
  }));
}

/**
 * Where an EntryList element lands (relative to FileSystemPath): the reading shared/planning/path-base.ts
 * decides (UNVERIFIED there); an element outside SourceStoragePath is shown below DstDirectory as sent.
 */
function importDestination(entry: string, task: DataFlowTask, sourceStoragePath: string): string {
  const dst = task.DstDirectory ?? '/';
  return importDestinationOfElement(entry, sourceStoragePath, dst) ?? `${dst}${entry.replace(/^\//, '')}`;
}
