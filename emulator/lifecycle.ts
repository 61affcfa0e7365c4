/**
 * Moves tasks and sub-tasks through their documented states on the emulator clock, and does their work
 * (copying files between the local bucket and file-system directories) at the moment they finish.
 *
 * Batch task (Import/Export/Evict/Inventory): Pending → Executing → Completed | Failed.
 * Streaming task (StreamImport/StreamExport): Pending → Executing, and stays there until cancelled.
 * Any task being cancelled: Canceling → Canceled.
 * Sub-task: CREATED → RUNNING → COMPLETE | FAILED; CancelDataFlowSubTask: CANCELING → CANCELED; a sub-task
 * still CREATED/RUNNING when its streaming task ends becomes EXPIRED (ASSUMED, see README).
 * Durations are options (`LifecycleTimings`); they are not documented — the real service takes as long as
 * the data needs. A batch task costs a per-task overhead plus a per-file and a per-byte cost; its files
 * land one after another in that time, and ProgressStats follow them. Transitions are applied lazily
 * (before every request, on `tick()`), in time order, so results do not depend on when the emulator looks
 * (one approximation: inside one tick, a batch task's files due before a sub-task event are copied after
 * it — only a test racing both onto one destination path in one tick could tell).
 */
import * as fs from 'node:fs';
import type { Random } from './random.js';
import { readManifestDir } from './manifests.js';
import { importKey, type DataFlowRecord, type EmulatorState, type ReportRecord, type SubTaskRecord, type TaskRecord } from './state.js';
import {
  MANIFEST_NAME_BASE,
  isImport,
  resolveBatchEntryPaths,
  resolveSubTaskPaths,
  taskRoots,
  joinStorePath,
  type EntryPathBase,
  type StoreLocation,
  type SubTaskPathBase,
} from './paths.js';
import {
  bucketNameOf,
  copyFileKeepingTime,
  crc64OfFile,
  listFilesRecursive,
  localPathOf,
  statOrUndefined,
  type StorageRoots,
} from './storage.js';

/** How long each state lasts, in emulator-clock ms. */
export interface LifecycleTimings {
  /** Batch task Pending → Executing. */
  readonly batchPendingMs: number;
  /** Batch task: per-task overhead of Executing (the whole Executing time when the costs below are 0). */
  readonly batchExecutingMs: number;
  /** Batch task: added Executing time per file of its list (default 0). */
  readonly batchPerFileMs?: number;
  /** Batch task: added Executing time per byte, e.g. 1e-6 = 1 ms per MB ≈ 1 GB/s (default 0). */
  readonly batchPerByteMs?: number;
  /** Streaming task Pending → Executing (may be 0: Executing at once). */
  readonly streamPendingMs: number;
  /** Canceling → Canceled (the docs say cancelling "generally takes 5 to 10 minutes"; default is short). */
  readonly cancelingMs: number;
  /** Sub-task CREATED → RUNNING. */
  readonly subTaskCreatedMs: number;
  /** Sub-task RUNNING → COMPLETE/FAILED. */
  readonly subTaskRunningMs: number;
  /** Sub-task CANCELING → CANCELED (default 200). */
  readonly subTaskCancelingMs?: number;
}

export const DEFAULT_TIMINGS: Required<LifecycleTimings> = Object.freeze({
  batchPendingMs: 1_000,
  batchExecutingMs: 2_000,
  batchPerFileMs: 0,
  batchPerByteMs: 0,
  streamPendingMs: 500,
  cancelingMs: 1_000,
  subTaskCreatedMs: 200,
  subTaskRunningMs: 500,
  subTaskCancelingMs: 200,
});

export interface LifecycleOptions {
  readonly timings: LifecycleTimings;
  readonly storage: StorageRoots;
  readonly subTaskPathBase: SubTaskPathBase;
  /**
   * Granularity at which `Condition.ModifyTime` (ns) is compared with the source's mtime. ASSUMED 1 s:
   * OSS's Last-Modified has one-second precision, so a client can only know the time to the second.
   */
  readonly modifyTimePrecisionNs: bigint;
  readonly random: Random;
  /** UNVERIFIED reading of EntryList elements (paths.ENTRY_LIST_ELEMENT_BASE). */
  readonly entryPathBase: EntryPathBase;
  /** Whether this finishing sub-task fails by injection (an ErrorMsg) or not (undefined). */
  readonly injectedSubTaskFailure: () => string | undefined;
}

interface LifecycleEvent {
  readonly at: number;
  apply(): void;
  /** The record's next event after `apply()`, if any. */
  next(): LifecycleEvent | undefined;
}

/** A binary min-heap of events ordered by time, then by insertion. */
class EventHeap {
  private readonly items: Array<{ event: LifecycleEvent; seq: number }> = [];
  private seq = 0;

  push(event: LifecycleEvent): void {
    this.items.push({ event, seq: this.seq++ });
    let i = this.items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): LifecycleEvent | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (!top || !last) return undefined;
    if (this.items.length > 0) {
      this.items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.items.length && this.less(l, m)) m = l;
        if (r < this.items.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top.event;
  }

  private less(a: number, b: number): boolean {
    const x = this.items[a];
    const y = this.items[b];
    if (!x || !y) return false;
    return x.event.at < y.event.at || (x.event.at === y.event.at && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const x = this.items[a];
    const y = this.items[b];
    if (!x || !y) return;
    this.items[a] = y;
    this.items[b] = x;
  }
}

type PlannedFile =
  | { readonly source: StoreLocation; readonly destination: StoreLocation; readonly size: number }
  | { readonly problem: string; readonly shownAs: string; readonly size: 0 };

/** A batch task's file list while it executes: file i lands at `doneAt[i]` (emulator ms). */
interface BatchPlan {
  readonly files: PlannedFile[];
  readonly doneAt: Float64Array;
  /** Files processed so far. */
  cursor: number;
  failures: number;
  firstFailure?: string;
  /** A problem that fails every file (missing destination directory, bad manifest). */
  readonly fatal?: string;
}

/** Applies lifecycle transitions to the state. */
export class LifecycleEngine {
  private readonly plans = new Map<string, BatchPlan>();

  private readonly resolvedTimings: Required<LifecycleTimings>;

  constructor(
    private readonly state: EmulatorState,
    private readonly options: LifecycleOptions,
  ) {
    this.resolvedTimings = { ...DEFAULT_TIMINGS, ...options.timings };
  }

  get timings(): Required<LifecycleTimings> {
    return this.resolvedTimings;
  }

  /** Applies every transition due at or before `nowMs`, earliest first, then refreshes progress. */
  tick(nowMs: number): void {
    // A min-heap on (time, arrival order): a follow-up event (e.g. RUNNING → COMPLETE after CREATED →
    // RUNNING) joins the queue when it is also due, so everything is applied in time order.
    const heap = new EventHeap();
    for (const e of this.pendingEvents()) if (e.at <= nowMs) heap.push(e);
    for (let event = heap.pop(); event; event = heap.pop()) {
      event.apply();
      const next = event.next();
      if (next && next.at <= nowMs) heap.push(next);
    }
    this.refreshProgress(nowMs);
  }

  /** The time of the next scheduled transition, or undefined when nothing is in flight. */
  nextTransitionAt(): number | undefined {
    let best: number | undefined;
    for (const e of this.pendingEvents()) if (best === undefined || e.at < best) best = e.at;
    return best;
  }

  /** The time of the last currently scheduled transition (later ones may follow from it). */
  lastTransitionAt(): number | undefined {
    let best: number | undefined;
    for (const e of this.pendingEvents()) if (best === undefined || e.at > best) best = e.at;
    return best;
  }

  /** True when no task or sub-task will change state by itself (streaming tasks may stay Executing). */
  isIdle(): boolean {
    return this.nextTransitionAt() === undefined;
  }

  /** Marks a task Canceling (the API path); it becomes Canceled after `cancelingMs`. */
  requestCancel(task: TaskRecord, nowMs: number): void {
    task.status = 'Canceling';
    task.cancelRequestedAt = nowMs;
  }

  /** Admin: a task ends Canceled (or Failed, with `errorMsg`) at once; its unfinished sub-tasks EXPIRE. */
  forceEnd(task: TaskRecord, nowMs: number, status: 'Canceled' | 'Failed', errorMsg?: string): void {
    if (task.status === 'Executing' && !task.streaming) this.advanceBatch(task, nowMs);
    task.status = status;
    task.endedAt = nowMs;
    if (errorMsg !== undefined) task.errorMsg = errorMsg;
    this.plans.delete(task.id);
    this.expireSubTasks(task, nowMs);
  }

  /** CancelDataFlowSubTask: CREATED/RUNNING → CANCELING; CANCELED after `subTaskCancelingMs`. */
  requestSubTaskCancel(sub: SubTaskRecord, nowMs: number): void {
    sub.status = 'CANCELING';
    sub.cancelRequestedAt = nowMs;
  }

  /**
   * A streaming task that ended leaves its CREATED/RUNNING sub-tasks EXPIRED (ASSUMED: the status exists,
   * the docs do not say when it is used; a tunnel that closed cannot carry them any more).
   */
  private expireSubTasks(task: TaskRecord, nowMs: number): void {
    if (!task.streaming) return;
    for (const sub of this.state.subTasks.values()) {
      if (sub.taskId === task.id && (sub.status === 'CREATED' || sub.status === 'RUNNING')) {
        sub.status = 'EXPIRED';
        sub.endedAt = nowMs;
        sub.errorMsg = `streaming task ${task.id} ended (${task.status}) before the sub-task finished`;
      }
    }
  }

  private pendingEvents(): LifecycleEvent[] {
    const events: LifecycleEvent[] = [];
    for (const task of this.state.tasks.values()) {
      const e = this.taskEvent(task);
      if (e) events.push(e);
    }
    for (const sub of this.state.subTasks.values()) {
      // Most sub-tasks are finished; skip them before building anything (this runs on every request).
      if (sub.status !== 'CREATED' && sub.status !== 'RUNNING' && sub.status !== 'CANCELING') continue;
      const e = this.subTaskEvent(sub);
      if (e) events.push(e);
    }
    return events;
  }

  private taskEvent(task: TaskRecord): LifecycleEvent | undefined {
    const next = (): LifecycleEvent | undefined => this.taskEvent(task);
    switch (task.status) {
      case 'Pending':
        return { at: task.executingAt, apply: () => this.startTask(task), next };
      case 'Executing':
        if (task.streaming || task.finishAt === undefined) return undefined;
        return { at: task.finishAt, apply: () => this.finishBatchTask(task), next };
      case 'Canceling': {
        const at = (task.cancelRequestedAt ?? task.createdAt) + this.resolvedTimings.cancelingMs;
        return {
          at,
          apply: () => {
            task.status = 'Canceled';
            task.endedAt = at;
            this.plans.delete(task.id);
            this.expireSubTasks(task, at);
          },
          next,
        };
      }
      default:
        return undefined;
    }
  }

  private subTaskEvent(sub: SubTaskRecord): LifecycleEvent | undefined {
    const next = (): LifecycleEvent | undefined => this.subTaskEvent(sub);
    if (sub.status === 'CREATED') {
      return {
        at: sub.runningAt,
        apply: () => {
          sub.status = 'RUNNING';
          sub.startedAt = sub.runningAt;
        },
        next,
      };
    }
    if (sub.status === 'RUNNING') return { at: sub.finishAt, apply: () => this.finishSubTask(sub), next };
    if (sub.status === 'CANCELING') {
      const at = (sub.cancelRequestedAt ?? sub.createdAt) + this.resolvedTimings.subTaskCancelingMs;
      return {
        at,
        apply: () => {
          sub.status = 'CANCELED';
          sub.endedAt = at;
        },
        next,
      };
    }
    return undefined;
  }

  private startTask(task: TaskRecord): void {
    task.status = 'Executing';
    task.startedAt = task.executingAt;
    if (task.streaming) return;
    const dataFlow = this.state.dataFlows.get(task.dataFlowId);
    const { files, fatal } = dataFlow ? this.planBatch(dataFlow, task) : { files: [] as PlannedFile[], fatal: undefined };
    const t = this.resolvedTimings;
    // Duration model: overhead first, then the files one after another, each costing perFile + size·perByte.
    const doneAt = new Float64Array(files.length);
    let elapsed = 0;
    let bytesTotal = 0;
    for (let i = 0; i < files.length; i++) {
      const size = files[i]?.size ?? 0;
      bytesTotal += size;
      elapsed += t.batchPerFileMs + size * t.batchPerByteMs;
      doneAt[i] = task.executingAt + t.batchExecutingMs + Math.ceil(elapsed);
    }
    task.finishAt = task.executingAt + t.batchExecutingMs + Math.ceil(elapsed);
    const destinationProblem = dataFlow ? this.destinationDirProblem(dataFlow, task) : undefined;
    const fatalProblem = fatal ?? destinationProblem;
    this.plans.set(task.id, { files, doneAt, cursor: 0, failures: 0, ...(fatalProblem ? { fatal: fatalProblem } : {}) });
    task.stats.filesTotal = files.length;
    task.stats.bytesTotal = bytesTotal;
  }

  /** Lists the files a batch task will move, with their sizes where the source is a real directory. */
  private planBatch(dataFlow: DataFlowRecord, task: TaskRecord): { files: PlannedFile[]; fatal?: string } {
    if (task.action === 'Evict' || task.action === 'Inventory') return { files: [] };
    const sizeOf = (loc: StoreLocation): number => {
      const p = localPathOf(this.options.storage, dataFlow, loc);
      const st = p === undefined ? undefined : statOrUndefined(p);
      return st?.isFile() ? Number(st.size) : 0;
    };
    const mapped = (entry: string, base: EntryPathBase): PlannedFile => {
      const m = resolveBatchEntryPaths(dataFlow, task, entry, base);
      if ('problem' in m) return { problem: m.problem, shownAs: entry, size: 0 };
      return { source: m.source, destination: m.destination, size: sizeOf(m.source) };
    };
    if (task.entryList) return { files: task.entryList.map((entry) => mapped(entry, this.options.entryPathBase)) };

    const roots = taskRoots(dataFlow, task);
    /** Every file below `relDir` (relative to the task's source root), as a mapped file. */
    const underDirectory = (relDir: string): PlannedFile[] => {
      const sourceDir = localPathOf(this.options.storage, dataFlow, { store: roots.source.store, path: joinStorePath(roots.source.path, relDir) });
      if (sourceDir === undefined) return [];
      return listFilesRecursive(sourceDir).map((file) => {
        const rel = joinStorePath(relDir, file);
        const source: StoreLocation = { store: roots.source.store, path: joinStorePath(roots.source.path, rel) };
        const destination: StoreLocation = { store: roots.destination.store, path: joinStorePath(roots.destination.path, rel) };
        return { source, destination, size: sizeOf(source) };
      });
    };

    if (task.transferFileListPath !== undefined) {
      const manifestDir = localPathOf(this.options.storage, dataFlow, { store: 'bucket', path: task.transferFileListPath });
      const read = readManifestDir(manifestDir, task.transferFileListPath);
      if ('problem' in read) return { files: [], fatal: read.problem };
      const files: PlannedFile[] = [];
      for (const row of read.rows) {
        if (row.type === 'file') {
          files.push(mapped('/' + row.name, MANIFEST_NAME_BASE));
          continue;
        }
        // A dir row: every file below it. Map the directory itself, then list what is under it.
        const m = resolveBatchEntryPaths(dataFlow, task, '/' + row.name, MANIFEST_NAME_BASE);
        if ('problem' in m) {
          files.push({ problem: m.problem, shownAs: row.name, size: 0 });
          continue;
        }
        const rootWithSlash = roots.source.path.endsWith('/') ? roots.source.path : roots.source.path + '/';
        files.push(...underDirectory(m.source.path.slice(rootWithSlash.length - 1)));
      }
      return { files };
    }
    // A Directory import: the whole directory, or only its Includes sub-folders.
    if (task.includes) return { files: task.includes.flatMap((inc) => underDirectory(inc)) };
    return { files: underDirectory('/') };
  }

  /** Moves the batch task's files that are due by `upTo` (the plan's order = their landing order). */
  private advanceBatch(task: TaskRecord, upTo: number): void {
    const plan = this.plans.get(task.id);
    const dataFlow = this.state.dataFlows.get(task.dataFlowId);
    if (!plan || !dataFlow) return;
    while (plan.cursor < plan.files.length && (plan.doneAt[plan.cursor] ?? Infinity) <= upTo) {
      const file = plan.files[plan.cursor];
      plan.cursor += 1;
      if (!file) continue;
      let failure: string | undefined;
      if (plan.fatal !== undefined) failure = 'source' in file ? `${file.source.path}: ${plan.fatal}` : `${file.shownAs}: ${plan.fatal}`;
      else if (!('source' in file)) failure = `${file.shownAs}: ${file.problem}`;
      else {
        const outcome = this.moveFile(dataFlow, task, file.source, file.destination, task.id);
        if (outcome.ok) {
          task.stats.filesDone += 1;
          task.stats.bytesDone += outcome.bytes;
        } else {
          failure = `${file.source.path}: ${outcome.reason}`;
        }
      }
      if (failure !== undefined) {
        plan.failures += 1;
        plan.firstFailure ??= failure;
      }
    }
    task.stats.actualFiles = task.stats.filesDone;
    task.stats.actualBytes = task.stats.bytesDone;
  }

  private finishBatchTask(task: TaskRecord): void {
    const endAt = task.finishAt ?? task.executingAt;
    this.advanceBatch(task, endAt);
    const plan = this.plans.get(task.id);
    this.plans.delete(task.id);
    const dataFlow = this.state.dataFlows.get(task.dataFlowId);
    const total = plan?.files.length ?? 0;
    const failures = plan?.failures ?? 0;
    task.progress = 100;
    task.endedAt = endAt;
    // A manifest that cannot be read fails the task even though it names no file (ASSUMED, see manifests.ts).
    const allFailed = (total > 0 && failures === total) || (total === 0 && plan?.fatal !== undefined);
    task.status = allFailed ? 'Failed' : 'Completed';
    if (plan?.fatal !== undefined && total === 0) task.errorMsg = plan.fatal;
    else if (failures > 0) task.errorMsg = `${failures} of ${total} files failed; first: ${plan?.firstFailure ?? ''}`;
    const fileSystem = this.state.fileSystems.get(task.fileSystemId);
    if (fileSystem?.kind === 'lingjun' && dataFlow) task.reports = this.fakeReports(dataFlow, task, endAt);
  }

  /**
   * When CreateDirIfNotExist is not set on LINGJUN, an import into a destination directory that does not
   * exist fails (ASSUMED outcome; the parameter's meaning is documented, the failure mode is not).
   */
  private destinationDirProblem(dataFlow: DataFlowRecord, task: TaskRecord): string | undefined {
    const fileSystem = this.state.fileSystems.get(task.fileSystemId);
    if (fileSystem?.kind !== 'lingjun' || task.createDirIfNotExist || !isImport(task)) return undefined;
    const dir = localPathOf(this.options.storage, dataFlow, taskRoots(dataFlow, task).destination);
    if (dir === undefined || statOrUndefined(dir)?.isDirectory()) return undefined;
    return `destination directory ${taskRoots(dataFlow, task).destination.path} does not exist and CreateDirIfNotExist is not true`;
  }

  /** Counts one import reaching a destination file (see `ImportCount`). */
  private countImport(dataFlow: DataFlowRecord, destination: StoreLocation, outcome: 'written' | 'skipped', by: string): void {
    if (destination.store !== 'fileSystem') return;
    const key = importKey(dataFlow.fileSystemId, destination.path);
    const entry = this.state.imports.get(key) ?? { written: 0, skipped: 0, by: [] };
    entry[outcome] += 1;
    entry.by.push(by);
    this.state.imports.set(key, entry);
  }

  /** Moves one file under the task's ConflictPolicy. Simulated stores succeed with what is known. */
  private moveFile(
    dataFlow: DataFlowRecord,
    task: TaskRecord,
    source: StoreLocation,
    destination: StoreLocation,
    by: string,
  ): { ok: true; bytes: number; sourceStat?: fs.BigIntStats; sourcePath?: string } | { ok: false; reason: string } {
    const srcPath = localPathOf(this.options.storage, dataFlow, source);
    if (srcPath === undefined) {
      this.countImport(dataFlow, destination, 'written', by);
      return { ok: true, bytes: 0 };
    }
    const st = statOrUndefined(srcPath);
    if (!st?.isFile()) return { ok: false, reason: 'source does not exist' };
    const dstPath = localPathOf(this.options.storage, dataFlow, destination);
    if (dstPath === undefined) {
      this.countImport(dataFlow, destination, 'written', by);
      return { ok: true, bytes: Number(st.size), sourceStat: st, sourcePath: srcPath };
    }
    const existing = statOrUndefined(dstPath);
    if (existing?.isDirectory()) return { ok: false, reason: 'destination is a directory' };
    if (existing) {
      const policy = task.conflictPolicy ?? 'SKIP_THE_FILE';
      const skip = policy === 'SKIP_THE_FILE' || (policy === 'KEEP_LATEST' && existing.mtimeNs >= st.mtimeNs);
      if (skip) {
        this.countImport(dataFlow, destination, 'skipped', by);
        return { ok: true, bytes: 0, sourceStat: st, sourcePath: srcPath };
      }
    }
    try {
      copyFileKeepingTime(srcPath, dstPath);
    } catch (e) {
      return { ok: false, reason: `copy failed (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    this.countImport(dataFlow, destination, 'written', by);
    return { ok: true, bytes: Number(st.size), sourceStat: st, sourcePath: srcPath };
  }

  private finishSubTask(sub: SubTaskRecord): void {
    sub.endedAt = sub.finishAt;
    const task = this.state.tasks.get(sub.taskId);
    const dataFlow = this.state.dataFlows.get(sub.dataFlowId);
    if (!task || !dataFlow) {
      this.failSubTask(sub, 'the streaming task no longer exists');
      return;
    }
    const injected = this.options.injectedSubTaskFailure();
    if (injected !== undefined) {
      this.failSubTask(sub, injected);
      return;
    }
    const { source, destination } = resolveSubTaskPaths(dataFlow, task, sub, this.options.subTaskPathBase);
    const srcPath = localPathOf(this.options.storage, dataFlow, source);
    if (srcPath !== undefined) {
      // The source is read when the sub-task runs: an object changed or deleted since the event fails the
      // condition here, however it looked when the sub-task was created.
      const st = statOrUndefined(srcPath);
      if (!st?.isFile()) {
        this.failSubTask(sub, `source file ${source.path} does not exist`);
        return;
      }
      if (sub.conditionSize !== undefined && BigInt(sub.conditionSize) !== st.size) {
        this.failSubTask(sub, `Condition.Size ${sub.conditionSize} does not match the source size ${st.size}`);
        return;
      }
      const precision = this.options.modifyTimePrecisionNs;
      if (sub.conditionModifyTimeNs !== undefined && sub.conditionModifyTimeNs / precision !== st.mtimeNs / precision) {
        this.failSubTask(sub, `Condition.ModifyTime ${sub.conditionModifyTimeNs} does not match the source modify time ${st.mtimeNs}`);
        return;
      }
    }
    const destinationProblem = this.destinationDirProblem(dataFlow, task);
    if (destinationProblem) {
      this.failSubTask(sub, destinationProblem);
      return;
    }
    const outcome = this.moveFile(dataFlow, task, source, destination, `${task.id}/${sub.id}`);
    if (!outcome.ok) {
      this.failSubTask(sub, outcome.reason);
      return;
    }
    const size = outcome.sourceStat ? Number(outcome.sourceStat.size) : (sub.conditionSize ?? 0);
    sub.status = 'COMPLETE';
    sub.progress = 10_000;
    sub.bytesTotal = size;
    sub.bytesDone = size;
    sub.fileDetail = {
      size,
      modifyTimeNs: outcome.sourceStat?.mtimeNs ?? sub.conditionModifyTimeNs ?? BigInt(sub.createdAt) * 1_000_000n,
      checksum: outcome.sourcePath ? `crc64:${crc64OfFile(outcome.sourcePath)}` : 'crc64:0',
    };
  }

  private failSubTask(sub: SubTaskRecord, reason: string): void {
    sub.status = 'FAILED';
    sub.errorMsg = reason;
  }

  /** Keeps Progress/ProgressStats of in-flight records current, and a streaming task's sums. */
  private refreshProgress(nowMs: number): void {
    const fraction = (from: number | undefined, to: number | undefined): number => {
      if (from === undefined || to === undefined || to <= from) return 0;
      return Math.min(1, Math.max(0, (nowMs - from) / (to - from)));
    };
    const streamSums = new Map<string, { total: number; done: number; bytesTotal: number; bytesDone: number }>();
    let lastTaskId: string | undefined;
    let s: { total: number; done: number; bytesTotal: number; bytesDone: number } | undefined;
    for (const sub of this.state.subTasks.values()) {
      if (sub.status === 'RUNNING') sub.progress = Math.min(9_999, Math.floor(fraction(sub.runningAt, sub.finishAt) * 10_000));
      // This loop runs on every request over every sub-task: look the task's sums up only when the task
      // changes (a task's sub-tasks are mostly adjacent), and set them once per task.
      if (sub.taskId !== lastTaskId || s === undefined) {
        lastTaskId = sub.taskId;
        s = streamSums.get(sub.taskId);
        if (s === undefined) {
          s = { total: 0, done: 0, bytesTotal: 0, bytesDone: 0 };
          streamSums.set(sub.taskId, s);
        }
      }
      s.total += 1;
      if (sub.status === 'COMPLETE') {
        s.done += 1;
        s.bytesDone += sub.bytesDone;
      }
      s.bytesTotal += sub.bytesTotal;
    }
    for (const task of this.state.tasks.values()) {
      if (task.streaming) {
        const s = streamSums.get(task.id);
        if (s) {
          task.stats.filesTotal = s.total;
          task.stats.filesDone = s.done;
          task.stats.bytesTotal = s.bytesTotal;
          task.stats.bytesDone = s.bytesDone;
          task.stats.actualFiles = s.done;
          task.stats.actualBytes = s.bytesDone;
        }
      } else if (task.status === 'Executing') {
        // Files land as the duration model says; FilesDone/BytesDone follow them.
        this.advanceBatch(task, nowMs);
        task.progress = Math.min(99, Math.floor(fraction(task.startedAt, task.finishAt) * 100));
      }
    }
  }

  /** Report links of a LINGJUN batch task: fake OSS signed URLs (never to be logged by a client). */
  private fakeReports(dataFlow: DataFlowRecord, task: TaskRecord, atMs: number): ReportRecord[] {
    const bucket = bucketNameOf(dataFlow.sourceStorage);
    const expires = Math.floor(atMs / 1000) + 3600;
    return ['TotalFilesReport', 'FailedFilesReport'].map((name) => {
      const signature = encodeURIComponent(Buffer.from(this.options.random.hex(20), 'hex').toString('base64'));
      return {
        name,
        path:
          `https://${bucket}.oss-cn-hangzhou.aliyuncs.com/.dataflow-reports/${task.id}/${name}.csv` +
          `?Expires=${expires}&OSSAccessKeyId=STS.emulatorReportKey&Signature=${signature}`,
      };
    });
  }
}
