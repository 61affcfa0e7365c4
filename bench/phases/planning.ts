/**
 * Planning throughput: records per second through parse → route → validate → plan for one 10,000-record
 * MNS queue batch, against a bare `JSON.parse` of the same payload (the floor: no pipeline can read the
 * payload faster than the parser that reads its outer layer).
 *
 * - stream pipeline: `parseEvents` + `planSubmissions` + `groupByStreamTask`
 * - batch pipeline:  `parseEvents` + `planSubmissions` + `planImportBatches`
 * - floor:           `JSON.parse(payload.toString('utf8'))` (the outer CloudEvent array only)
 * - decode floor:    the floor plus base64-decoding and JSON-parsing every message body, i.e. the
 *                    unavoidable decoding work before any validation (context, no target)
 *
 * Runs are interleaved (floor, decode floor, stream, batch, floor, …) after warm-up, and each figure is
 * the median of its runs, so a burst of load on the machine hits every variant alike. The bench runs
 * this in a child process on esbuild-bundled code (bench/children/planning.ts), as the function runs.
 */
import * as path from 'node:path';
import { parseEvents } from '../../shared/events/parse-events.js';
import { groupByStreamTask, planImportBatches, planSubmissions } from '../../shared/planning/index.js';
import type { PlanningSettings } from '../../shared/planning/types.js';
import { readResult, runNode } from '../lib/children.js';
import { BENCH_BUCKET, BENCH_ROUTES, benchKeys, mnsBatchPayload } from '../lib/payload.js';
import { median, round, type Figure, type Section } from '../lib/report.js';

export interface PlanningOptions {
  readonly records: number;
  readonly runs: number;
  readonly warmups: number;
}

const SETTINGS: PlanningSettings = {
  fileSystemId: 'bmcpfs-bench00000001',
  dataFlowId: 'df-bench00000001',
  sourceStoragePath: '/',
  routes: BENCH_ROUTES,
  defaultConflictPolicy: 'KEEP_LATEST',
  bucket: BENCH_BUCKET,
};

function timeMs(fn: () => unknown): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The outer array parsed, then every message body decoded the way OSS wrote it (base64 of JSON). */
function decodeFloor(payload: Buffer): number {
  const batch = JSON.parse(payload.toString('utf8')) as Array<{ data: { messageBody: string } }>;
  let events = 0;
  for (const message of batch) {
    const inner = JSON.parse(Buffer.from(message.data.messageBody, 'base64').toString('utf8')) as { events: unknown[] };
    events += inner.events.length;
  }
  return events;
}

export async function benchPlanning(options: PlanningOptions): Promise<Section> {
  const started = Date.now();
  const payload = mnsBatchPayload(benchKeys(options.records));
  const stages = { parse: [] as number[], plan: [] as number[], group: [] as number[], batches: [] as number[] };
  let planned = 0;
  let streamGroups = 0;
  let importBatches = 0;

  const streamPipeline = (): void => {
    const parsed = parseEvents(payload, { keyEncoding: 'raw' });
    const plan = planSubmissions(parsed.records, SETTINGS);
    streamGroups = groupByStreamTask(plan.items).length;
    planned = plan.items.length;
  };
  const batchPipeline = (): void => {
    const parsed = parseEvents(payload, { keyEncoding: 'raw' });
    const plan = planSubmissions(parsed.records, SETTINGS);
    importBatches = planImportBatches(plan.items).batches.length;
  };
  // Stage split, measured on separate runs so that the pipeline timings carry no extra clock reads.
  const stagedRun = (): void => {
    let parsed: ReturnType<typeof parseEvents> | undefined;
    let plan: ReturnType<typeof planSubmissions> | undefined;
    stages.parse.push(timeMs(() => (parsed = parseEvents(payload, { keyEncoding: 'raw' }))));
    stages.plan.push(timeMs(() => (plan = planSubmissions(parsed?.records ?? [], SETTINGS))));
    stages.group.push(timeMs(() => groupByStreamTask(plan?.items ?? [])));
    stages.batches.push(timeMs(() => planImportBatches(plan?.items ?? [])));
  };

  const floor: number[] = [];
  const decode: number[] = [];
  const stream: number[] = [];
  const batch: number[] = [];
  for (let i = 0; i < options.warmups; i++) {
    JSON.parse(payload.toString('utf8'));
    decodeFloor(payload);
    streamPipeline();
    batchPipeline();
  }
  for (let i = 0; i < options.runs; i++) {
    floor.push(timeMs(() => JSON.parse(payload.toString('utf8'))));
    decode.push(timeMs(() => decodeFloor(payload)));
    stream.push(timeMs(streamPipeline));
    batch.push(timeMs(batchPipeline));
  }
  for (let i = 0; i < Math.max(3, Math.floor(options.runs / 2)); i++) stagedRun();

  const n = options.records;
  const perSecond = (ms: number) => (n / ms) * 1000;
  const floorMs = median(floor);
  const figures: Figure[] = [
    {
      id: 'planning.stream.recordsPerSecond',
      label: `planning, stream (parse+plan+group), ${n.toLocaleString('en-US')}-record MNS batch`,
      value: perSecond(median(stream)),
      unit: 'records/s',
      ratio: { value: median(stream) / floorMs, against: 'the time of JSON.parse' },
    },
    {
      id: 'planning.batch.recordsPerSecond',
      label: 'planning, batch (parse+plan+planImportBatches)',
      value: perSecond(median(batch)),
      unit: 'records/s',
      ratio: { value: median(batch) / floorMs, against: 'the time of JSON.parse' },
    },
    {
      id: 'planning.floor.jsonParse.recordsPerSecond',
      label: 'floor: bare JSON.parse of the same payload',
      value: perSecond(floorMs),
      unit: 'records/s',
    },
    {
      id: 'planning.floor.decode.recordsPerSecond',
      label: 'context: JSON.parse + base64/JSON of each message body',
      value: perSecond(median(decode)),
      unit: 'records/s',
      ratio: { value: median(decode) / floorMs, against: 'the time of JSON.parse' },
    },
  ];
  return {
    name: 'planning',
    figures,
    details: {
      records: n,
      payloadBytes: payload.length,
      runs: options.runs,
      warmups: options.warmups,
      plannedObjects: planned,
      streamGroups,
      importBatches,
      medianMs: {
        jsonParse: round(floorMs),
        decodeFloor: round(median(decode)),
        streamPipeline: round(median(stream)),
        batchPipeline: round(median(batch)),
      },
      stageMedianMs: {
        parseEvents: round(median(stages.parse)),
        planSubmissions: round(median(stages.plan)),
        groupByStreamTask: round(median(stages.group)),
        planImportBatches: round(median(stages.batches)),
      },
      runsMs: { jsonParse: floor.map(round), decodeFloor: decode.map(round), stream: stream.map(round), batch: batch.map(round) },
    },
    notes: [],
    durationMs: Date.now() - started,
  };
}

/** Runs {@link benchPlanning} in a child process (the bundled bench/children/planning.ts). */
export async function benchPlanningInChild(script: string, scratchDir: string, options: PlanningOptions): Promise<Section> {
  const resultFile = path.join(scratchDir, 'planning.json');
  const run = await runNode(script, [String(options.records), String(options.runs), String(options.warmups), resultFile], {}, 180_000);
  return readResult<Section>(resultFile, run, 'planning');
}
