/**
 * Bulk backfill shapes (issue 10): a backfill of N objects through each shape of `backfill --shape`, run
 * in-process through the product's own backfill code (shared/backfill.ts → shared/bulk/run.ts), with
 * - listing: N synthetic keys generated page by page (1,000 per page, never held together);
 * - NAS: a counting in-memory DataFlowApi (below). NOT the emulator: on this branch the emulator has no
 *   TransferFileListPath and no task-duration model yet. Calls are counted at the DataFlowApi port, so they
 *   are what the product would send; task durations are not modelled (a task is Completed the second time it is
 *   looked at), so the Describe counts are a lower bound and "time to all-COMPLETE" is not measured here;
 * - manifests: an in-memory store that parses every part it receives.
 * Figures per shape: NAS API calls, quota-seconds (for each API, calls ÷ its documented quota; the largest is
 * the least wall time the quotas allow — docs/platform.md §1 Quotas), peak live heap (after a GC), objects
 * imported exactly once (every key counted from what was sent: EntryLists, manifest rows, sub-tasks; the
 * directory shape sends no names, so it is not countable here).
 * The objects shape is run at a smaller size and extrapolated linearly — printed as an extrapolation.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { backfill, type PageLister } from '../../shared/backfill.js';
import { parseManifest } from '../../shared/bulk/csv.js';
import type { ManifestStore } from '../../shared/bulk/manifest-store.js';
import { chooseShape } from '../../shared/bulk/shape.js';
import type { BackfillShape } from '../../shared/bulk/shape.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { InstanceState } from '../../shared/ingest/index.js';
import { createLogger } from '../../shared/log.js';
import type { CallOptions, CreateDataFlowSubTaskParams, CreateDataFlowTaskParams, DataFlowApi, DescribeDataFlowTasksParams, OperationName } from '../../shared/nas/types.js';
import type { DataFlowTask } from '../../shared/nas/wire.js';
import type { ListedPage } from '../../shared/oss/listing.js';
import { round, type Figure, type Section } from '../lib/report.js';

export interface BulkBenchOptions {
  /** Objects per bulk-shape backfill (issue target: 1,000,000). */
  readonly objects: number;
  /** Objects for the per-object shape, extrapolated to `objects`. */
  readonly objectsShapeSample: number;
}

/**
 * Live heap, not heap with garbage: heapUsed right after a full GC. `--expose-gc` is turned on at run time so
 * the bench needs no node flag; the GC runs only every SAMPLE_EVERY pages.
 */
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
const SAMPLE_EVERY = 50;
/** What "flat" is held to: a page of 1,000 objects and a 100,000-row part are a few MiB. */
const HEAP_BOUND_MIB = 32;
function liveHeap(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

const PREFIX = 'bulk/';
const PAGE = 1000;
const keyOf = (i: number) => `${PREFIX}k-${String(i).padStart(8, '0')}.bin`;
const indexOf = (name: string): number => Number(/k-(\d{8})\.bin$/.exec(name)?.[1] ?? Number.NaN);

/** Documented quotas per second (docs/platform.md §1 Quotas). */
const QUOTA_PER_SECOND: Partial<Record<OperationName, number>> = {
  CreateDataFlowTask: 2,
  CreateDataFlowSubTask: 100,
  DescribeDataFlowTasks: 2,
  DescribeDataFlowSubTasks: 100,
  DescribeDataFlows: 2,
};

function lister(n: number): PageLister {
  return async function* (request) {
    let start = 0;
    if (request.startAfter !== undefined) start = indexOf(request.startAfter) + 1;
    for (let i = start; i < n; i += PAGE) {
      const end = Math.min(n, i + PAGE);
      const objects = [];
      for (let j = i; j < end; j += 1) objects.push({ key: keyOf(j), size: 1024, eTag: 'E', lastModified: new Date('2024-01-01T00:00:00Z') });
      const page: ListedPage = { objects, lastKey: keyOf(end - 1), skippedFolderMarkers: 0, skippedNotModifiedSince: 0 };
      yield page;
    }
  };
}

/** Counts calls, remembers tokens, completes an Import the second time it is described. */
class CountingApi implements DataFlowApi {
  readonly calls = new Map<OperationName, number>();
  private readonly tasks = new Map<string, { status: string; seen: number; action: string; directory: string; dstDirectory: string; policy?: string }>();
  private readonly tokens = new Map<string, string>();
  private seq = 0;
  constructor(private readonly onEntries: (names: string[]) => void) {}
  private count(op: OperationName) {
    this.calls.set(op, (this.calls.get(op) ?? 0) + 1);
  }
  total(): number {
    return [...this.calls.values()].reduce((a, b) => a + b, 0);
  }
  async createDataFlowTask(params: CreateDataFlowTaskParams, _o?: CallOptions) {
    this.count('CreateDataFlowTask');
    const token = params.ClientToken;
    const known = token === undefined ? undefined : this.tokens.get(token);
    if (known !== undefined) return { RequestId: 'r', TaskId: known };
    const id = `task-${String(++this.seq).padStart(12, '0')}`;
    const action = params.TaskAction ?? 'Import';
    this.tasks.set(id, {
      status: action === 'StreamImport' ? 'Executing' : 'Pending', seen: 0, action,
      directory: params.Directory ?? '/', dstDirectory: params.DstDirectory ?? '/', ...(params.ConflictPolicy !== undefined ? { policy: params.ConflictPolicy } : {}),
    });
    if (token !== undefined) this.tokens.set(token, id);
    if (params.EntryList !== undefined) this.onEntries((JSON.parse(params.EntryList) as string[]).map((e) => e.slice(1)));
    return { RequestId: 'r', TaskId: id };
  }
  async createDataFlowSubTask(params: CreateDataFlowSubTaskParams, _o?: CallOptions) {
    this.count('CreateDataFlowSubTask');
    this.onEntries([params.SrcFilePath.slice(1)]);
    return { RequestId: 'r', DataFlowSubTaskId: `sub-${++this.seq}` };
  }
  async describeDataFlowTasks(params: DescribeDataFlowTasksParams, _o?: CallOptions) {
    this.count('DescribeDataFlowTasks');
    const ids = params.Filters?.find((f) => f.Key === 'TaskIds')?.Value.split(',');
    const Task: DataFlowTask[] = [];
    for (const [id, t] of this.tasks) {
      if (ids !== undefined && !ids.includes(id)) continue;
      Task.push({ TaskId: id, Status: t.status, TaskAction: t.action, DataFlowId: 'df-bench0001', Directory: t.directory, DstDirectory: t.dstDirectory, CreateTime: '2024-07-01 12:00:00', ...(t.policy !== undefined ? { ConflictPolicy: t.policy } : {}) });
      t.seen += 1;
      if (t.action === 'Import' && t.seen >= 1) t.status = 'Completed';
    }
    return { RequestId: 'r', TaskInfo: { Task } };
  }
  async describeDataFlowSubTasks() {
    this.count('DescribeDataFlowSubTasks');
    return { RequestId: 'r', DataFlowSubTask: { DataFlowSubTask: [] } } as never;
  }
  async describeDataFlows(): Promise<never> {
    throw new Error('not used');
  }
  async cancelDataFlowTask(): Promise<never> {
    throw new Error('not used');
  }
}

interface ShapeRun {
  readonly shape: BackfillShape;
  readonly objects: number;
  readonly status: string;
  readonly nasCalls: number;
  readonly callsByOperation: Record<string, number>;
  readonly quotaSeconds: number;
  readonly peakHeapMiB: number;
  readonly countedOnce: number;
  readonly countedMoreThanOnce: number;
  readonly missing: number;
  readonly manifestParts: number;
  readonly durationMs: number;
}

async function runShape(shape: BackfillShape, n: number): Promise<ShapeRun> {
  const seen = new Uint8Array(n);
  const mark = (names: string[]) => {
    for (const name of names) {
      const i = indexOf(name);
      if (Number.isInteger(i) && i >= 0 && i < n) seen[i] = Math.min(255, (seen[i] as number) + 1);
    }
  };
  const api = new CountingApi(mark);
  let parts = 0;
  const manifests: ManifestStore = {
    async put(_key, body) {
      parts += 1;
      mark(parseManifest(body).map((r) => r.name));
    },
    async delete() {},
  };
  const config = loadConfig({ CPFS_FILE_SYSTEM_ID: 'bmcpfs-bench0001', CPFS_DATA_FLOW_ID: 'df-bench0001', FC_REGION: 'cn-hangzhou', OSS_BUCKET: 'bench-bucket', CPFS_IMPORT_MODE: 'stream' });
  const decision = shape === 'directory'
    ? chooseShape({ requested: 'directory', prefixes: [PREFIX], hasExclude: false, planning: config.planning, fileSystemKind: config.fileSystemKind, bucketConfigured: true })
    : undefined;
  const baseHeap = liveHeap();
  let peakHeap = baseHeap;
  let pages = 0;
  const started = performance.now();
  const summary = await backfill({
    bucket: 'bench-bucket',
    prefixes: [PREFIX],
    list: lister(n),
    deps: { config, api, logger: createLogger({ write: () => undefined }), state: new InstanceState(), now: Date.now, sleep: async () => undefined },
    shape,
    ...(decision?.directoryImports !== undefined ? { directoryImports: decision.directoryImports } : {}),
    manifests,
    pollMs: 0,
    onProgress: (event) => {
      if (event.type === 'page' && ++pages % SAMPLE_EVERY !== 0) return;
      peakHeap = Math.max(peakHeap, liveHeap());
    },
  });
  const durationMs = performance.now() - started;
  let once = 0;
  let more = 0;
  let missing = 0;
  for (const count of seen) {
    if (count === 1) once += 1;
    else if (count > 1) more += 1;
    else missing += 1;
  }
  const byOp = Object.fromEntries(api.calls);
  const quotaSeconds = Math.max(0, ...[...api.calls].map(([op, calls]) => calls / (QUOTA_PER_SECOND[op] ?? Number.POSITIVE_INFINITY)));
  return {
    shape, objects: n, status: summary.status, nasCalls: api.total(), callsByOperation: byOp, quotaSeconds,
    peakHeapMiB: (peakHeap - baseHeap) / 1024 / 1024, countedOnce: once, countedMoreThanOnce: more, missing, manifestParts: parts, durationMs,
  };
}

export async function benchBulk(options: BulkBenchOptions): Promise<Section> {
  const started = performance.now();
  const n = options.objects;
  const runs: ShapeRun[] = [];
  for (const shape of ['directory', 'manifest', 'entrylist'] as const) runs.push(await runShape(shape, n));
  // Flat memory: the same shapes at a tenth of the objects.
  const small: ShapeRun[] = [];
  for (const shape of ['manifest', 'entrylist'] as const) small.push(await runShape(shape, Math.max(1, Math.floor(n / 10))));
  const sample = await runShape('objects', Math.min(n, options.objectsShapeSample));
  const scale = n / sample.objects;

  const figures: Figure[] = [];
  for (const r of runs) {
    // The issue's ≤ 1,000-call target is for the backfill, i.e. the shape auto picks (directory or manifest);
    // entrylist is the fallback and needs one Import per ~64 KB of names, so it is shown without a target.
    const targeted = r.shape !== 'entrylist';
    figures.push({ id: `bulk.${r.shape}.nasCalls`, label: `${r.shape}: NAS calls for ${n.toLocaleString('en')} objects`, value: r.nasCalls, unit: 'calls', ...(targeted ? { target: '≤ 1,000', pass: r.nasCalls <= 1000 && r.status === 'complete' } : {}) });
    figures.push({ id: `bulk.${r.shape}.quotaSeconds`, label: `${r.shape}: quota-seconds (slowest API)`, value: r.quotaSeconds, unit: 's' });
    // Flat memory: bounded by one listing page plus (manifest) one part of ≤ 100,000 rows, whatever N is.
    figures.push({ id: `bulk.${r.shape}.peakHeapMiB`, label: `${r.shape}: peak live heap above start (after GC, every ${SAMPLE_EVERY} pages)`, value: r.peakHeapMiB, unit: 'MiB', target: `< ${HEAP_BOUND_MIB} MiB`, pass: r.peakHeapMiB < HEAP_BOUND_MIB });
    if (r.shape !== 'directory') {
      figures.push({ id: `bulk.${r.shape}.exactlyOnce`, label: `${r.shape}: objects sent exactly once (missing ${r.missing}, repeated ${r.countedMoreThanOnce})`, value: r.countedOnce, unit: 'objects', target: `= ${n}`, pass: r.countedOnce === n });
    }
  }
  for (const s of small) {
    const big = runs.find((r) => r.shape === s.shape) as ShapeRun;
    figures.push({ id: `bulk.${s.shape}.heapGrowth`, label: `${s.shape}: peak live heap at N ÷ at N/10${s.shape === 'manifest' ? ' (a part holds up to 100,000 rows)' : ''}`, value: big.peakHeapMiB / Math.max(s.peakHeapMiB, 1), unit: '×' });
  }
  const how = scale === 1 ? 'measured' : `EXTRAPOLATED ×${round(scale)} from ${sample.objects.toLocaleString('en')}`;
  figures.push({ id: 'bulk.objects.nasCalls', label: `objects: NAS calls for ${n.toLocaleString('en')}, ${how}`, value: sample.nasCalls * scale, unit: 'calls' });
  figures.push({ id: 'bulk.objects.quotaSeconds', label: `objects: quota-seconds, ${how}`, value: sample.quotaSeconds * scale, unit: 's' });
  figures.push({ id: 'bulk.objects.exactlyOnce', label: `objects (sample of ${sample.objects.toLocaleString('en')}): sent exactly once`, value: sample.countedOnce, unit: 'objects', target: `= ${sample.objects}`, pass: sample.countedOnce === sample.objects });

  return {
    name: 'bulk backfill',
    figures,
    details: { runs, small, objectsSample: sample },
    notes: [
      'NAS calls counted at the DataFlowApi port against an in-memory service, not the emulator (no TransferFileListPath / duration model on this branch); Describe counts are a lower bound (tasks complete at their first look).',
      'emulated time to all-COMPLETE: not measured until the emulator duration model merges.',
      ...(scale === 1 ? [] : [`objects shape: run at ${sample.objects.toLocaleString('en')} objects; its figures for ${n.toLocaleString('en')} are a linear EXTRAPOLATION.`]),
      ...(n < 1_000_000 ? [`run at ${n.toLocaleString('en')} objects (the issue's size is 1,000,000: \`npm run bench -- --bulk-objects 1000000\`); NAS calls scale ~linearly for entrylist and stay constant for manifest/directory.`] : []),
      'directory shape: one Import names no objects; exactly-once is the service\'s to check.',
    ],
    durationMs: performance.now() - started,
  };
}
