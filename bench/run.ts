/**
 * `npm run bench` (= `npm run build && tsx bench/run.ts`): every figure of the "Benchmarks" issue, with
 * ratios to baselines measured in the same run, printed as a table and written to
 * bench/results/latest.json. See bench/README.md for what each figure means.
 *
 * Flags: --quick (smaller workloads, for trying the bench out; its figures are not the reference ones,
 * so it writes no file unless --out is given), --out <file> (default bench/results/latest.json),
 * --only <sections> (comma-separated: planning,coldStart,efficiency,quota,bulk,burst,verify,memory; writes no
 * file unless --out is given, like --quick), --bulk-objects N, --burst-objects N (larger bulk / burst runs).
 *
 * About 4½ minutes on 2 cores (target < 300 s): the timed sections (planning, cold start, quota use, memory)
 * run alone, one after another; the bulk and burst sections, which count rather than time, run at the same
 * time as each other (~75 s together instead of ~280 s one after the other).
 *
 * Bounded: every child process has a time limit, the emulator children exit when this process goes
 * away, and a watchdog ends the whole run after 9 minutes. Everything talks to 127.0.0.1 only.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleLikeProduct, createScratchDir, removeScratch } from './lib/build.js';
import { formatTable, machineInfo, round, type Figure, type Section } from './lib/report.js';
import { benchBulk } from './phases/bulk.js';
import { benchBurst } from './phases/burst.js';
import { benchColdStart } from './phases/cold-start.js';
import { benchEfficiency } from './phases/efficiency.js';
import { benchMemory } from './phases/memory.js';
import { benchPlanningInChild } from './phases/planning.js';
import { benchQuota } from './phases/quota.js';
import { benchVerify } from './phases/verify.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLE = 'dist/oss-stream-import/index.js';
const CLI = 'dist/cli/cpfs-ingest.js';
const TIME_TARGET_MS = 300_000;
const WATCHDOG_MS = 540_000;

interface Sizes {
  readonly planningRecords: number;
  readonly planningRuns: number;
  readonly streamRecords: number;
  readonly warmRecords: number;
  readonly batchRecords: number;
  /** Peak-RSS ingest runs besides batchRecords, for the growth per record (issue 11: 1,000 and 50,000). */
  readonly memoryGrowthRecords: readonly number[];
  readonly planOnlyKeys: number;
  readonly quotaSingleRecords: number;
  readonly quotaInstances: number;
  readonly quotaRecordsPerInstance: number;
  readonly coldStartRepetitions: number;
  readonly backfillKeys: number;
  readonly backfillChunk: number;
  /** Objects per bulk-shape backfill (phases/bulk.ts); the issue's figure is 1,000,000 (`--bulk-objects`). */
  readonly bulkObjects: number;
  /** Objects for the per-object shape in phases/bulk.ts, extrapolated to bulkObjects. */
  readonly bulkObjectsSample: number;
  /** Objects of the function burst (phases/burst.ts, 10,000-record batches); the issue's figure is 1,000,000 (`--burst-objects`). */
  readonly burstObjects: number;
}

const FULL: Sizes = {
  planningRecords: 10_000,
  planningRuns: 9,
  streamRecords: 5_000,
  warmRecords: 500,
  batchRecords: 10_000,
  memoryGrowthRecords: [1_000, 50_000],
  planOnlyKeys: 100_000,
  // ≥ 10 s of sustained submission at ~86–93 sub-tasks/s.
  quotaSingleRecords: 1_100,
  quotaInstances: 3,
  // 3 × 450 records at the shared 100/s: ≥ 13 s.
  quotaRecordsPerInstance: 450,
  coldStartRepetitions: 30,
  backfillKeys: 1_000_000,
  backfillChunk: 10_000,
  // Against the emulator with its duration model: 100,000 objects take ~75 s (the entrylist shape's 100
  // Imports, 4 at a time), concurrently with the burst phase; the 1,000,000 figures are extrapolated
  // (measure them with --bulk-objects 1000000).
  bulkObjects: 100_000,
  bulkObjectsSample: 2_000,
  // 5 batches (≈ 26 s of sub-task quota per shape, ~70 s for the entrylist shape's slot waits; the shapes and
  // the bulk phase run at once); 1,000,000 figures extrapolated.
  burstObjects: 50_000,
};

const QUICK: Sizes = {
  planningRecords: 10_000,
  planningRuns: 3,
  streamRecords: 300,
  warmRecords: 100,
  batchRecords: 10_000,
  memoryGrowthRecords: [1_000, 50_000],
  planOnlyKeys: 100_000,
  quotaSingleRecords: 200,
  quotaInstances: 3,
  quotaRecordsPerInstance: 100,
  coldStartRepetitions: 5,
  backfillKeys: 100_000,
  backfillChunk: 10_000,
  bulkObjects: 10_000,
  bulkObjectsSample: 500,
  burstObjects: 10_000,
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, out: { type: 'string' }, only: { type: 'string' }, 'bulk-objects': { type: 'string' }, 'burst-objects': { type: 'string' } }, strict: true });
  process.chdir(ROOT);
  const bulkObjects = values['bulk-objects'] === undefined ? undefined : Number(values['bulk-objects']);
  if (bulkObjects !== undefined && (!Number.isInteger(bulkObjects) || bulkObjects < 1)) throw new Error('--bulk-objects must be a whole number ≥ 1');
  const burstObjects = values['burst-objects'] === undefined ? undefined : Number(values['burst-objects']);
  if (burstObjects !== undefined && (!Number.isInteger(burstObjects) || burstObjects < 10_000 || burstObjects % 10_000 !== 0)) throw new Error('--burst-objects must be a multiple of 10000 (one MNS batch)');
  const sizes = { ...(values.quick ? QUICK : FULL), ...(bulkObjects !== undefined ? { bulkObjects } : {}), ...(burstObjects !== undefined ? { burstObjects } : {}) };
  const only = values.only === undefined ? undefined : new Set(values.only.split(',').map((s) => s.trim()));
  const want = (section: string): boolean => only === undefined || only.has(section);
  const partial = values.quick === true || only !== undefined || bulkObjects !== undefined || burstObjects !== undefined;
  const outFile = values.out !== undefined ? path.resolve(values.out) : partial ? undefined : path.resolve('bench/results/latest.json');
  if (!existsSync(BUNDLE)) throw new Error(`bench: ${BUNDLE} is missing; run \`npm run build\` first (npm run bench does)`);

  // Larger bulk / burst runs get ~2 / ~4 ms per object on top of the usual limit (as their emulator children do).
  const watchdogMs = WATCHDOG_MS + (bulkObjects ?? 0) * 2 + (burstObjects ?? 0) * 4;
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: still running after ${watchdogMs / 1000} s; giving up\n`);
    process.exit(2);
  }, watchdogMs);
  watchdog.unref();

  const started = Date.now();
  const scratch = createScratchDir();
  const sections: Section[] = [];
  const step = (name: string) => process.stderr.write(`bench: ${name} (${Math.round((Date.now() - started) / 1000)} s)\n`);
  try {
    step('bundling the child-process scripts');
    const host = (await bundleLikeProduct('bench/children/emulator-host.ts', path.join(scratch, 'emulator-host.js'))).outfile;
    const invoke = (await bundleLikeProduct('bench/children/invoke-handler.ts', path.join(scratch, 'invoke-handler.js'))).outfile;
    const backfill = (await bundleLikeProduct('bench/children/plan-backfill.ts', path.join(scratch, 'plan-backfill.js'))).outfile;
    const planning = (await bundleLikeProduct('bench/children/planning.ts', path.join(scratch, 'planning.js'))).outfile;
    const rssPreload = (await bundleLikeProduct('bench/children/rss-on-exit.ts', path.join(scratch, 'rss-on-exit.js'))).outfile;
    const stagesScript = (await bundleLikeProduct('bench/children/memory-stages.ts', path.join(scratch, 'memory-stages.js'))).outfile;

    step('planning throughput');
    if (want('planning')) sections.push(await benchPlanningInChild(planning, scratch, { records: sizes.planningRecords, runs: sizes.planningRuns, warmups: 2 }));
    step('cold start');
    if (want('coldStart')) sections.push(
      await benchColdStart({
        bundle: BUNDLE,
        productEntry: 'functions/oss-stream-import/index.ts',
        popCoreEntry: 'bench/pop-core-variant/handler.ts',
        scratchDir: scratch,
        repetitions: sizes.coldStartRepetitions,
      }),
    );
    step('request efficiency');
    if (want('efficiency')) sections.push(
      await benchEfficiency({
        emulatorHost: host,
        streamRecords: sizes.streamRecords,
        warmRecords: sizes.warmRecords,
        batchRecords: sizes.batchRecords,
        planOnlyKeys: sizes.planOnlyKeys,
      }),
    );
    step('quota use (real clock)');
    if (want('quota')) sections.push(
      await benchQuota({
        emulatorHost: host,
        invokeScript: invoke,
        bundle: path.resolve(BUNDLE),
        scratchDir: scratch,
        singleRecords: sizes.quotaSingleRecords,
        instances: sizes.quotaInstances,
        recordsPerInstance: sizes.quotaRecordsPerInstance,
      }),
    );
    if (want('bulk') || want('burst')) {
      // Counted, not timed (calls, quota-seconds, emulated time, exactly-once, per-process memory): the two
      // phases run at the same time, every shape in a client process and an emulator process of its own. Most of
      // their wall time is waiting on the emulators' quotas and duration model, not CPU.
      step(`${[want('bulk') ? 'bulk backfill shapes' : '', want('burst') ? 'function bursts' : ''].filter(Boolean).join(' + ')} (concurrently)`);
      const bulkHost = (await bundleLikeProduct('bench/children/bulk-emulator-host.ts', path.join(scratch, 'bulk-emulator-host.js'))).outfile;
      const shapeScript = (await bundleLikeProduct('bench/children/bulk-shape.ts', path.join(scratch, 'bulk-shape.js'))).outfile;
      const [bulk, burst] = await Promise.all([
        want('bulk') ? benchBulk({ objects: sizes.bulkObjects, objectsShapeSample: sizes.bulkObjectsSample, hostScript: bulkHost, shapeScript, scratch }) : undefined,
        want('burst') ? benchBurst({ objects: sizes.burstObjects, hostScript: bulkHost, shapeScript, scratch }) : undefined,
      ]);
      if (bulk) sections.push(bulk);
      if (burst) sections.push(burst);
    }
    if (want('verify')) { step('verify'); sections.push(await benchVerify({ objects: values.quick === true ? 1_000 : 5_000 })); }
    step('memory');
    if (want('memory')) sections.push(
      await benchMemory({
        emulatorHost: host,
        invokeScript: invoke,
        stagesScript,
        backfillScript: backfill,
        rssPreload,
        cli: path.resolve(CLI),
        bundle: path.resolve(BUNDLE),
        scratchDir: scratch,
        batchRecords: sizes.batchRecords,
        growthRecords: sizes.memoryGrowthRecords,
        backfillKeys: sizes.backfillKeys,
        backfillChunk: sizes.backfillChunk,
      }),
    );
  } finally {
    removeScratch(scratch);
  }

  const durationMs = Date.now() - started;
  const total: Figure = {
    id: 'bench.durationSeconds',
    label: 'whole bench, wall time',
    value: durationMs / 1000,
    unit: 's',
    target: '< 300 s',
    pass: durationMs < TIME_TARGET_MS,
  };
  const all: Section[] = [...sections, { name: 'bench', figures: [total], details: {}, notes: [], durationMs }];

  const machine = machineInfo();
  process.stdout.write(`\ncpfs-ingest bench — ${new Date().toISOString()} — ${machine['cpus']} CPUs, Node ${process.version}, load ${machine['loadAverage1m']}${values.quick ? ' — QUICK (not reference figures)' : ''}${only ? ` — only ${[...only].join(', ')}` : ''}\n\n`);
  process.stdout.write(formatTable(all) + '\n\n');
  for (const section of all) for (const note of section.notes) process.stdout.write(`- ${section.name}: ${note}\n`);

  const results = {
    schema: 1,
    date: new Date().toISOString(),
    quick: values.quick === true,
    ...(only ? { only: [...only] } : {}),
    machine,
    durationSeconds: round(durationMs / 1000),
    sizes,
    figures: all.flatMap((s) =>
      s.figures.map(({ digits: _digits, ...f }) => ({ section: s.name, ...f, value: round(f.value, 6), ...(f.ratio ? { ratio: { ...f.ratio, value: round(f.ratio.value, 6) } } : {}) })),
    ),
    sections: Object.fromEntries(all.map((s) => [s.name, { durationSeconds: round(s.durationMs / 1000), notes: s.notes, details: s.details }])),
  };
  if (outFile === undefined) return;
  mkdirSync(path.dirname(outFile), { recursive: true });
  const tmp = `${outFile}.tmp`;
  writeFileSync(tmp, JSON.stringify(results, null, 2) + '\n');
  renameSync(tmp, outFile);
  process.stdout.write(`\nwritten: ${path.relative(ROOT, outFile)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
