/**
 * Moves tasks and sub-tasks through their documented states on the emulator clock, and does their work
 * (copying files between the local bucket and file-system directories) at the moment they finish.
 *
 * Batch task (Import/Export/Evict/Inventory): Pending → Executing → Completed | Failed.
 * Streaming task (StreamImport/StreamExport): Pending → Executing, and stays there until cancelled.
 * Any task being cancelled: Canceling → Canceled.
 * Sub-task: CREATED → RUNNING → COMPLETE | FAILED.
 * Durations are options (`LifecycleTimings`); they are not documented — the real service takes as long as
 * the data needs. Transitions are applied lazily (before every request, on `tick()`), in time order, so
 * results do not depend on when the emulator looks.
 */
import * as fs from 'node:fs';
import type { Random } from './random.js';
import type { DataFlowRecord, EmulatorState, ReportRecord, SubTaskRecord, TaskRecord } from './state.js';
import {
  isImport,
  resolveBatchEntryPaths,
  resolveSubTaskPaths,
  taskRoots,
  joinStorePath,
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
  /** Batch task Executing → Completed/Failed. */
  readonly batchExecutingMs: number;
  /** Streaming task Pending → Executing (may be 0: Executing at once). */
  readonly streamPendingMs: number;
  /** Canceling → Canceled (the docs say cancelling "generally takes 5 to 10 minutes"; default is short). */
  readonly cancelingMs: number;
  /** Sub-task CREATED → RUNNING. */
  readonly subTaskCreatedMs: number;
  /** Sub-task RUNNING → COMPLETE/FAILED. */
  readonly subTaskRunningMs: number;
}

export const DEFAULT_TIMINGS: LifecycleTimings = Object.freeze({
  batchPendingMs: 1_000,
  batchExecutingMs: 2_000,
  streamPendingMs: 500,
  cancelingMs: 1_000,
  subTaskCreatedMs: 200,
  subTaskRunningMs: 500,
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

interface PlannedFile {
  readonly source: StoreLocation;
  readonly destination: StoreLocation;
  readonly size: number;
}

/** Applies lifecycle transitions to the state. */
export class LifecycleEngine {
  private readonly plans = new Map<string, PlannedFile[]>();

  constructor(
    private readonly state: EmulatorState,
    private readonly options: LifecycleOptions,
  ) {}

  get timings(): LifecycleTimings {
    return this.options.timings;
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

  /** Admin: a task (and its unfinished sub-tasks) ends Canceled at once. */
  forceCancel(task: TaskRecord, nowMs: number): void {
    task.status = 'Canceled';
    task.endedAt = nowMs;
    this.plans.delete(task.id);
    for (const sub of this.state.subTasks.values()) {
      if (sub.taskId === task.id && (sub.status === 'CREATED' || sub.status === 'RUNNING')) {
        sub.status = 'CANCELED';
        sub.endedAt = nowMs;
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
      if (sub.status !== 'CREATED' && sub.status !== 'RUNNING') continue;
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
        const at = (task.cancelRequestedAt ?? task.createdAt) + this.options.timings.cancelingMs;
        return {
          at,
          apply: () => {
            task.status = 'Canceled';
            task.endedAt = at;
            this.plans.delete(task.id);
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
    return undefined;
  }

  private startTask(task: TaskRecord): void {
    task.status = 'Executing';
    task.startedAt = task.executingAt;
    if (task.streaming) return;
    task.finishAt = task.executingAt + this.options.timings.batchExecutingMs;
    const dataFlow = this.state.dataFlows.get(task.dataFlowId);
    const plan = dataFlow ? this.planBatch(dataFlow, task) : [];
    this.plans.set(task.id, plan);
    task.stats.filesTotal = plan.length;
    task.stats.bytesTotal = plan.reduce((sum, f) => sum + f.size, 0);
  }

  /** Lists the files a batch task will move, with their sizes where the source is a real directory. */
  private planBatch(dataFlow: DataFlowRecord, task: TaskRecord): PlannedFile[] {
    if (task.action === 'Evict' || task.action === 'Inventory') return [];
    const sizeOf = (loc: StoreLocation): number => {
      const p = localPathOf(this.options.storage, dataFlow, loc);
      const st = p === undefined ? undefined : statOrUndefined(p);
      return st?.isFile() ? Number(st.size) : 0;
    };
    if (task.entryList) {
      return task.entryList.map((entry) => {
        const { source, destination } = resolveBatchEntryPaths(dataFlow, task, entry);
        return { source, destination, size: sizeOf(source) };
      });
    }
    // No EntryList: the whole source directory.
    const roots = taskRoots(dataFlow, task);
    const sourceDir = localPathOf(this.options.storage, dataFlow, roots.source);
    if (sourceDir === undefined) return [];
    return listFilesRecursive(sourceDir).map((rel) => {
      const source: StoreLocation = { store: roots.source.store, path: joinStorePath(roots.source.path, rel) };
      const destination: StoreLocation = { store: roots.destination.store, path: joinStorePath(roots.destination.path, rel) };
      return { source, destination, size: sizeOf(source) };
    });
  }

  private finishBatchTask(task: TaskRecord): void {
    const endAt = task.finishAt ?? task.executingAt;
    const plan = this.plans.get(task.id) ?? [];
    this.plans.delete(task.id);
    const dataFlow = this.state.dataFlows.get(task.dataFlowId);
    let done = 0;
    let bytesDone = 0;
    const failures: string[] = [];
    const destinationProblem = dataFlow ? this.destinationDirProblem(dataFlow, task) : undefined;
    for (const file of plan) {
      if (!dataFlow) break;
      const outcome = destinationProblem
        ? { ok: false as const, reason: destinationProblem }
        : this.moveFile(dataFlow, task, file.source, file.destination);
      if (outcome.ok) {
        done += 1;
        bytesDone += outcome.bytes;
      } else {
        failures.push(`${file.source.path}: ${outcome.reason}`);
      }
    }
    task.stats.filesDone = done;
    task.stats.bytesDone = bytesDone;
    task.stats.actualFiles = done;
    task.stats.actualBytes = bytesDone;
    task.progress = 100;
    task.endedAt = endAt;
    const allFailed = plan.length > 0 && done === 0;
    task.status = allFailed ? 'Failed' : 'Completed';
    if (failures.length > 0) {
      task.errorMsg = `${failures.length} of ${plan.length} files failed; first: ${failures[0]}`;
    }
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

  /** Moves one file under the task's ConflictPolicy. Simulated stores succeed with what is known. */
  private moveFile(
    dataFlow: DataFlowRecord,
    task: TaskRecord,
    source: StoreLocation,
    destination: StoreLocation,
  ): { ok: true; bytes: number; sourceStat?: fs.BigIntStats; sourcePath?: string } | { ok: false; reason: string } {
    const srcPath = localPathOf(this.options.storage, dataFlow, source);
    if (srcPath === undefined) return { ok: true, bytes: 0 };
    const st = statOrUndefined(srcPath);
    if (!st?.isFile()) return { ok: false, reason: 'source does not exist' };
    const dstPath = localPathOf(this.options.storage, dataFlow, destination);
    if (dstPath === undefined) return { ok: true, bytes: Number(st.size), sourceStat: st, sourcePath: srcPath };
    const existing = statOrUndefined(dstPath);
    if (existing?.isDirectory()) return { ok: false, reason: 'destination is a directory' };
    if (existing) {
      const policy = task.conflictPolicy ?? 'SKIP_THE_FILE';
      const skip = policy === 'SKIP_THE_FILE' || (policy === 'KEEP_LATEST' && existing.mtimeNs >= st.mtimeNs);
      if (skip) return { ok: true, bytes: 0, sourceStat: st, sourcePath: srcPath };
    }
    try {
      copyFileKeepingTime(srcPath, dstPath);
    } catch (e) {
      return { ok: false, reason: `copy failed (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
    }
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
    const { source, destination } = resolveSubTaskPaths(dataFlow, task, sub, this.options.subTaskPathBase);
    const srcPath = localPathOf(this.options.storage, dataFlow, source);
    if (srcPath !== undefined) {
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
    const outcome = this.moveFile(dataFlow, task, source, destination);
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
