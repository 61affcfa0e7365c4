/**
 * Bulk backfill shapes (issue 10): a backfill of N objects through each shape of `backfill --shape`, run
 * through the product's own backfill code (shared/backfill.ts → shared/bulk/run.ts) and its real NAS client
 * and S3 client, against the emulator in a child process (bench/children/bulk-emulator-host.ts) with its
 * task-duration model switched on. Per shape, a fresh emulator, and a client process of its own
 * (bench/children/bulk-shape.ts, bundled, plain `node`): the shapes run at the same time in two lanes —
 * entrylist alone (the longest, ~70 s), directory → manifest → objects in the other — and the bench runs the
 * burst phase alongside (bench/run.ts). Everything figured here is counted per emulator or per process, so
 * the runs do not mix; what the overlap costs is CPU contention, which can stretch the emulated times (~3 %
 * on the entrylist shape) and thin out the manifest shape's 500 ms polls (19–21 Describes instead of 21–23):
 * - bucket: the N objects exist as (empty) files in the emulator's bucket directory (a Directory Import lists them,
 *   manifest and EntryList Imports stat them); manifests are PutObject'ed there through the emulator's S3
 *   endpoint and deleted after their task completes. The file system is simulated: an import is counted;
 * - listing: the N keys are generated page by page (1,000 a page, never held together) instead of listed
 *   through ListObjectsV2 — the listing costs the same for every shape and is not a NAS call;
 * - figures: NAS API calls (the emulator's request log), quota-seconds (per API, calls ÷ its documented
 *   quota; the largest is the least wall time the quotas allow — docs/platform.md §1 Quotas), emulated time
 *   from the first request to the last Import task / sub-task ended (all COMPLETE), peak RSS and peak live
 *   heap of the shape's client process, and objects imported exactly once (the emulator's per-file import counts).
 *
 * Duration model (BULK_TIMINGS, emulator clock = wall clock): a batch task waits 0.5 s Pending, then takes a
 * 2 s overhead plus 0.1 ms per file plus 1 ns per byte (~1 GB/s). These are illustrative costs chosen so the
 * phase runs in a bench of minutes (~75 s here, the entrylist shape's), not measured service figures; what they show is the SHAPE of
 * the cost: a manifest or Directory task pays the overhead once, EntryList Imports pay it once per ~1,000
 * objects in rounds of at most 4 (the batch-slot limit), sub-tasks pay the 100/s quota per object.
 * Sizes that cannot run here are printed as linear EXTRAPOLATIONS, labelled so.
 */
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_EMULATOR_KEY } from '../../emulator/server.js';
import { backfill, type PageLister } from '../../shared/backfill.js';
import { s3ManifestStore } from '../../shared/bulk/manifest-store.js';
import { chooseShape, type BackfillShape } from '../../shared/bulk/shape.js';
import { loadConfig } from '../../shared/config/load-config.js';
import { InstanceState } from '../../shared/ingest/index.js';
import { createLogger } from '../../shared/log.js';
import { createNasClient } from '../../shared/nas/client.js';
import { staticCredentials } from '../../shared/nas/credentials.js';
import type { ListedPage } from '../../shared/oss/listing.js';
import { createOssS3Client } from '../../shared/oss/s3-client.js';
import { BULK_TIMINGS, bucketDirectory, cpuMs, inLanes, runShapeInChild, startPhaseHost, type PhaseWorld, type ShapeRunCommon } from '../lib/bulk-host.js';
import { documentedPerSecond } from '../lib/quota.js';
import { round, type Figure, type Section } from '../lib/report.js';

export interface BulkBenchOptions {
  /** Objects per bulk-shape backfill (the issue's figure: 1,000,000; `--bulk-objects`). */
  readonly objects: number;
  /** Objects for the per-object shape (100 sub-tasks/s of quota), extrapolated to `objects`. */
  readonly objectsShapeSample: number;
  /** The bundled bench/children/bulk-emulator-host.ts. */
  readonly hostScript: string;
  /** The bundled bench/children/bulk-shape.ts: each shape's client runs in one. */
  readonly shapeScript: string;
  /** A scratch directory for the bucket's files (used when there is no tmpfs: lib/bulk-host.ts bucketDirectory). */
  readonly scratch: string;
}

/** What the bulk phase asks of a bench/children/bulk-shape.ts process: one backfill of `n` objects. */
export interface BulkShapeRequest {
  readonly phase: 'bulk';
  readonly shape: BackfillShape;
  readonly n: number;
  /** The phase's object count (the emulator child's lifetime limit grows with it). */
  readonly objects: number;
  readonly hostScript: string;
  readonly bucketDir: string;
}

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
const SAMPLE_EVERY = 10;
/** What "flat" is held to: a page of 1,000 objects and a 100,000-row part are a few MiB. */
const HEAP_BOUND_MIB = 32;
const ISSUE_SIZE = 1_000_000;
const POLL_MS = 500;
/**
 * The shapes' lanes (lib/bulk-host.ts inLanes): entrylist, the longest, alone; the others after one another.
 * The manifest shape comes second so that its 500 ms polls — a count — run after the start, when the clients
 * of both phases start at once.
 */
const BULK_LANES = [['entrylist'], ['directory', 'manifest', 'objects']] as const satisfies readonly (readonly BackfillShape[])[];
const WORLD: PhaseWorld = { fileSystemId: 'bmcpfs-bench0001', dataFlowId: 'df-bench0001', bucket: 'bench-bucket', prefix: 'bulk/' };
const { fileSystemId: FS_ID, dataFlowId: FLOW_ID, bucket: BUCKET, prefix: PREFIX } = WORLD;
const PAGE = 1000;
const keyOf = (i: number) => `${PREFIX}k-${String(i).padStart(8, '0')}.bin`;
// Empty files: an inode each and no data block, so writing and removing 100,000 of them stays cheap.
const OBJECT_BODY = '';
const OBJECT_TIME = new Date('2024-01-01T00:00:00Z');
const indexOf = (name: string): number => Number(/k-(\d{8})\.bin$/.exec(name)?.[1] ?? Number.NaN);


function lister(n: number): PageLister {
  return async function* (request) {
    let start = 0;
    if (request.startAfter !== undefined) start = indexOf(request.startAfter) + 1;
    for (let i = start; i < n; i += PAGE) {
      const end = Math.min(n, i + PAGE);
      const objects = [];
      for (let j = i; j < end; j += 1) objects.push({ key: keyOf(j), size: OBJECT_BODY.length, eTag: 'E', lastModified: OBJECT_TIME });
      const page: ListedPage = { objects, lastKey: keyOf(end - 1), skippedFolderMarkers: 0, skippedNotModifiedSince: 0 };
      yield page;
    }
  };
}

/**
 * Writes the N objects as files (once, shared by every shape's emulator: they only read them), with the size and modification time
 * the generated listing reports: sub-tasks carry them as Condition, and the emulator checks it.
 */
function writeBucket(dir: string, n: number): void {
  mkdirSync(path.join(dir, PREFIX), { recursive: true });
  for (let i = 0; i < n; i += 1) {
    const file = path.join(dir, keyOf(i));
    writeFileSync(file, OBJECT_BODY);
    utimesSync(file, OBJECT_TIME, OBJECT_TIME);
  }
}


export interface ShapeRun extends ShapeRunCommon {
  readonly shape: BackfillShape;
  readonly objects: number;
  readonly status: string;
  readonly nasCalls: number;
  readonly callsByOperation: Record<string, number>;
  readonly quotaSeconds: number;
  /** Emulator clock: first request of the run → last task / sub-task ended. */
  readonly timeToAllCompleteS: number;
  readonly allEnded: boolean;
  readonly peakRssMiB: number;
  readonly peakHeapMiB: number;
}

/** One shape's backfill, client side (in its own process: bench/children/bulk-shape.ts). */
export async function runBulkShape(request: BulkShapeRequest): Promise<ShapeRun> {
  const { shape, n, bucketDir } = request;
  const options = request;
  const host = await startPhaseHost(options.hostScript, WORLD, bucketDir, { label: 'bulk', maxLifetimeMs: 600_000 + options.objects * 2 });
  const credentials = { accessKeyId: DEFAULT_EMULATOR_KEY.accessKeyId, accessKeySecret: DEFAULT_EMULATOR_KEY.accessKeySecret };
  const api = createNasClient({ endpoint: host.url, credentials: staticCredentials(credentials) });
  const s3 = createOssS3Client({ region: 'cn-hangzhou', endpoint: host.url, credentials, forcePathStyle: true, maxAttempts: 3 });
  const started = performance.now();
  try {
    const config = loadConfig({ CPFS_FILE_SYSTEM_ID: FS_ID, CPFS_DATA_FLOW_ID: FLOW_ID, FC_REGION: 'cn-hangzhou', OSS_BUCKET: BUCKET, CPFS_IMPORT_MODE: 'stream' });
    const decision = shape === 'directory'
      ? chooseShape({ requested: 'directory', prefixes: [PREFIX], hasExclude: false, planning: config.planning, fileSystemKind: config.fileSystemKind, bucketConfigured: true })
      : undefined;
    const t0 = (await host.summary()).now;
    collect();
    const baseHeap = process.memoryUsage().heapUsed;
    let peakHeap = baseHeap;
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 100);
    let pages = 0;
    const summary = await backfill({
      bucket: BUCKET,
      prefixes: [PREFIX],
      list: lister(n),
      deps: { config, api, logger: createLogger({ write: () => undefined }), state: new InstanceState(), now: Date.now },
      shape,
      ...(decision?.directoryImports !== undefined ? { directoryImports: decision.directoryImports } : {}),
      manifests: s3ManifestStore(s3, BUCKET),
      pollMs: POLL_MS,
      onProgress: (event) => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        if (event.type !== 'page' || ++pages % SAMPLE_EVERY !== 0) return;
        collect();
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      },
    });
    clearInterval(sampler);
    // directory / entrylist / objects return once submitted: wait (real time) for the emulator to end them.
    let state = await host.summary();
    for (let waited = 0; waited < 120_000 && (state.importTasksEnded < state.importTasks || state.subTasksEnded < state.subTasks); waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      state = await host.summary();
    }
    const calls = state.calls;
    const nasCalls = Object.values(calls).reduce((a, b) => a + b, 0);
    const quotaSeconds = Math.max(0, ...Object.entries(calls).map(([op, c]) => c / documentedPerSecond(op)));
    const allEnded = state.importTasksEnded === state.importTasks && state.subTasksEnded === state.subTasks;
    return {
      shape, objects: n, status: summary.status, nasCalls, callsByOperation: calls, quotaSeconds,
      timeToAllCompleteS: ((state.lastEndedAt ?? state.now) - t0) / 1000, allEnded,
      peakRssMiB: peakRss / 1024 / 1024, peakHeapMiB: (peakHeap - baseHeap) / 1024 / 1024,
      importedOnce: state.importedOnce, importedMoreThanOnce: state.importedMoreThanOnce, missing: n - state.importedOnce - state.importedMoreThanOnce,
      importTasks: state.importTasks, errors: [...state.errorMessages, ...(summary.error !== undefined ? [`${summary.error.code}: ${summary.error.message}`] : [])],
      wallMs: performance.now() - started,
      clientCpuMs: cpuMs(process.cpuUsage()),
      emulatorCpuMs: state.cpuMs,
    };
  } finally {
    api.close();
    s3.destroy();
    await host.stop();
  }
}

export async function benchBulk(options: BulkBenchOptions): Promise<Section> {
  const started = performance.now();
  const n = options.objects;
  const bucketDir = bucketDirectory('bulk-bucket', options.scratch, n);
  writeBucket(bucketDir, n);
  let runs: ShapeRun[];
  let sample: ShapeRun;
  try {
    // The lanes at once (BULK_LANES), each client in its own process with its own emulator (its own quotas,
    // clock and request log): what is measured is counted per emulator or per process, so it does not mix. The
    // shapes only read the bucket's objects; the manifest shape writes under .cpfs-ingest/, which no other lists.
    const inChild = (shape: BackfillShape, objects: number) => runShapeInChild<ShapeRun>(
      options.shapeScript,
      { phase: 'bulk', shape, n: objects, objects: options.objects, hostScript: options.hostScript, bucketDir } satisfies BulkShapeRequest,
      { label: `bulk ${shape}`, timeoutMs: 660_000 + options.objects * 2 },
    );
    const done = await inLanes(BULK_LANES, (shape) => inChild(shape, shape === 'objects' ? Math.min(n, options.objectsShapeSample) : n));
    const got = (shape: BackfillShape): ShapeRun => {
      const run = done.get(shape);
      if (run === undefined) throw new Error(`bench: bulk ${shape} has no result`);
      return run;
    };
    runs = (['manifest', 'directory', 'entrylist'] as const).map(got);
    sample = got('objects');
  } finally {
    rmSync(bucketDir, { recursive: true, force: true });
  }

  const figures: Figure[] = [];
  const toIssue = ISSUE_SIZE / n;
  const atIssue = n >= ISSUE_SIZE ? 'measured' : `EXTRAPOLATED ×${round(toIssue)} from ${n.toLocaleString('en')}`;
  for (const r of runs) {
    const creates = r.callsByOperation['CreateDataFlowTask'] ?? 0;
    const others = r.nasCalls - creates;
    // To 1,000,000: EntryList Imports grow with the objects; manifest/directory keep one Import per group, and
    // the waiting Describes grow with the task's duration (per-file cost) — both scaled linearly here.
    const callsAtIssue = n >= ISSUE_SIZE ? r.nasCalls : (r.shape === 'entrylist' ? creates * toIssue : creates) + others * toIssue;
    const targeted = r.shape !== 'entrylist';
    figures.push({ id: `bulk.${r.shape}.nasCalls`, label: `${r.shape}: NAS calls for ${n.toLocaleString('en')} objects (${JSON.stringify(r.callsByOperation)})`, value: r.nasCalls, unit: 'calls' });
    figures.push({
      id: `bulk.${r.shape}.nasCallsAt1M`, label: `${r.shape}: NAS calls for 1,000,000 objects, ${atIssue}`, value: callsAtIssue, unit: 'calls',
      ...(targeted ? { target: '≤ 1,000', pass: callsAtIssue <= 1000 && r.status === 'complete' } : {}),
    });
    figures.push({ id: `bulk.${r.shape}.quotaSeconds`, label: `${r.shape}: quota-seconds (slowest API)`, value: r.quotaSeconds, unit: 's' });
    figures.push({ id: `bulk.${r.shape}.timeToAllComplete`, label: `${r.shape}: emulated time to all-COMPLETE (${r.importTasks} Import task(s)${r.allEnded ? '' : ', NOT all ended'})`, value: r.timeToAllCompleteS, unit: 's' });
    figures.push({ id: `bulk.${r.shape}.peakRssMiB`, label: `${r.shape}: peak RSS of the client process`, value: r.peakRssMiB, unit: 'MiB' });
    figures.push({ id: `bulk.${r.shape}.peakHeapMiB`, label: `${r.shape}: peak live heap above start (after GC, every ${SAMPLE_EVERY} pages)`, value: r.peakHeapMiB, unit: 'MiB', target: `< ${HEAP_BOUND_MIB} MiB`, pass: r.peakHeapMiB < HEAP_BOUND_MIB });
    figures.push({
      id: `bulk.${r.shape}.exactlyOnce`, label: `${r.shape}: imported exactly once in the emulator (missing ${r.missing}, more than once ${r.importedMoreThanOnce})`,
      value: r.importedOnce, unit: 'objects', target: `= ${n}`, pass: r.importedOnce === n && r.importedMoreThanOnce === 0,
    });
  }
  const scale = n / sample.objects;
  const how = scale === 1 ? 'measured' : `EXTRAPOLATED ×${round(scale)} from ${sample.objects.toLocaleString('en')}`;
  figures.push({ id: 'bulk.objects.nasCalls', label: `objects: NAS calls for ${n.toLocaleString('en')}, ${how}`, value: sample.nasCalls * scale, unit: 'calls' });
  figures.push({ id: 'bulk.objects.nasCallsAt1M', label: `objects: NAS calls for 1,000,000, EXTRAPOLATED ×${round(ISSUE_SIZE / sample.objects)} from ${sample.objects.toLocaleString('en')}`, value: (sample.nasCalls * ISSUE_SIZE) / sample.objects, unit: 'calls' });
  figures.push({ id: 'bulk.objects.quotaSeconds', label: `objects: quota-seconds, ${how}`, value: sample.quotaSeconds * scale, unit: 's' });
  figures.push({ id: 'bulk.objects.timeToAllComplete', label: `objects: emulated time to all-COMPLETE, ${how}`, value: sample.timeToAllCompleteS * scale, unit: 's' });
  figures.push({
    id: 'bulk.objects.exactlyOnce', label: `objects (sample of ${sample.objects.toLocaleString('en')}): imported exactly once in the emulator`,
    value: sample.importedOnce, unit: 'objects', target: `= ${sample.objects}`, pass: sample.importedOnce === sample.objects && sample.importedMoreThanOnce === 0,
  });

  return {
    name: 'bulk backfill',
    figures,
    details: { timings: BULK_TIMINGS, pollMs: POLL_MS, lanes: BULK_LANES, runs, objectsSample: sample },
    notes: [
      `each shape in a client process of its own (bundled, plain node; its peak RSS and heap are that process's) with an emulator process of its own; the shapes run at once in lanes (${BULK_LANES.map((lane) => lane.join(' → ')).join(' | ')}), alongside the burst phase — the emulated times include that CPU contention.`,
      `against the emulator in a child process (LINGJUN 2.6), duration model on: Pending ${BULK_TIMINGS.batchPendingMs} ms, overhead ${BULK_TIMINGS.batchExecutingMs} ms per batch task, ${BULK_TIMINGS.batchPerFileMs} ms per file, ${BULK_TIMINGS.batchPerByteMs} ms per byte — illustrative costs, not service measurements.`,
      `bulk tasks are followed every ${POLL_MS} ms; the Describe calls of the wait are part of the NAS call count.`,
      ...(n < ISSUE_SIZE ? [`run at ${n.toLocaleString('en')} objects; the 1,000,000 figures are linear EXTRAPOLATIONS (\`npm run bench -- --only bulk --bulk-objects 1000000\` measures them).`] : []),
      `objects shape: run at ${sample.objects.toLocaleString('en')} objects (100 sub-tasks/s of quota); larger figures are EXTRAPOLATIONS.`,
      'listing: keys generated page by page (not ListObjectsV2); the objects exist as files in the emulator\'s bucket.',
      ...[...runs, sample].filter((r) => r.errors.length > 0).map((r) => `${r.shape}: ${r.errors.join('; ')}`),
    ],
    durationMs: performance.now() - started,
  };
}
