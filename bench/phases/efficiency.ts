/**
 * Request efficiency: how many NAS API calls the product makes per object, counted in the emulator's
 * request log, against a naive handler that sends one Import task per object (bench/naive-handler.ts).
 *
 * - stream mode (LINGJUN 2.6): the product's `ingest()` on a cold instance (no streaming task known
 *   yet), then a second invocation on the same warm instance.
 * - batch mode (general-purpose CPFS): CreateDataFlowTask calls against the lower bound
 *   ⌈total EntryList bytes / 65,535⌉ (an EntryList is "less than 64 KB"), and the fill of each EntryList (`entryListStats`), once with every
 *   key in one Import group (no routes) and once with the three bench routes (three groups).
 * - naive: one CreateDataFlowTask(Import) per object.
 *
 * Counting, not pacing: the client's rate limiter is off and the emulator quota of the action being
 * counted is lifted, so the run is quick; quotas are measured in the quota phase. Stream and naive runs
 * use fewer records than batch because the emulator's per-request cost grows with the number of tasks
 * and sub-tasks it holds (see the bench README).
 */
import { loadConfig } from '../../shared/config/load-config.js';
import { ingest, InstanceState, type IngestReport } from '../../shared/ingest/index.js';
import { createLogger } from '../../shared/log.js';
import { createNasClient } from '../../shared/nas/client.js';
import { staticCredentials } from '../../shared/nas/credentials.js';
import type { DataFlowApi } from '../../shared/nas/types.js';
import { entryListStats, MAX_ENTRY_LIST_BYTES, planImportBatches, planSubmissions } from '../../shared/planning/index.js';
import { DEFAULT_EMULATOR_KEY } from '../../emulator/server.js';
import { naiveIngest, type NaiveReport } from '../naive-handler.js';
import { startRemoteEmulator } from '../lib/emulator-client.js';
import type { HostEmulatorOptions, LogEntry } from '../lib/emulator-protocol.js';
import { BENCH_BUCKET, benchKeys, mnsBatchPayload } from '../lib/payload.js';
import { round, type Figure, type Section } from '../lib/report.js';
import { benchWorld, countByAction, instanceEnv, WORLD, type InstanceEnvOptions } from '../lib/world.js';

export interface EfficiencyOptions {
  readonly emulatorHost: string;
  /** Records of the cold stream invocation and of the naive run. */
  readonly streamRecords: number;
  /** Records of the second (warm) stream invocation. */
  readonly warmRecords: number;
  /** Records of each batch run. */
  readonly batchRecords: number;
  /** Keys of the planning-only EntryList fill figure. */
  readonly planOnlyKeys: number;
}

const DOCUMENTED = { subTasksPerSecond: 100, tasksPerSecond: 120 / 60 };

/** An EntryList as sent, with the Import group it belongs to (the per-request parameters). */
interface SentList {
  readonly group: string;
  readonly entryList: string;
}

/** Passes every call through, keeping the EntryList (and its group) of each CreateDataFlowTask made. */
function recordingEntryLists(api: DataFlowApi, sink: SentList[]): DataFlowApi {
  return {
    ...api,
    createDataFlowTask: (params, options) => {
      if (params.EntryList !== undefined && params.DryRun !== true) {
        // Import groups: (ConflictPolicy, DstDirectory); an Import with an EntryList names no Directory.
        sink.push({ group: `${params.ConflictPolicy ?? ''} ${params.DstDirectory ?? ''}`, entryList: params.EntryList });
      }
      return api.createDataFlowTask(params, options);
    },
  };
}

interface Run {
  readonly reports: IngestReport[];
  /** The whole request log, and where each invocation's requests end in it. */
  readonly log: LogEntry[];
  readonly logEnds: number[];
  readonly sent: SentList[];
}

/** Starts an emulator, runs `payloads` through one product instance in turn, returns reports and log. */
async function runProduct(host: string, world: HostEmulatorOptions, env: InstanceEnvOptions, payloads: Buffer[]): Promise<Run> {
  const emulator = await startRemoteEmulator(host, world);
  const api = createNasClient({ endpoint: emulator.url, credentials: staticCredentials(DEFAULT_EMULATOR_KEY), rateLimits: false });
  try {
    const config = loadConfig(instanceEnv(emulator.url, env));
    const sent: SentList[] = [];
    const deps = { config, api: recordingEntryLists(api, sent), logger: createLogger({ write: () => {} }), state: new InstanceState(), now: Date.now };
    const reports: IngestReport[] = [];
    const logEnds: number[] = [];
    for (const payload of payloads) {
      reports.push(await ingest(payload, deps, { deadlineMs: Date.now() + 180_000 }));
      logEnds.push((await emulator.log()).length);
    }
    return { reports, log: await emulator.log(), logEnds, sent };
  } finally {
    api.close();
    await emulator.stop();
  }
}

function requireAllSubmitted(report: IngestReport, expected: number, what: string): void {
  if (report.counts.submitted !== expected) {
    throw new Error(`bench: ${what}: ${report.counts.submitted} of ${expected} records submitted (${JSON.stringify(report.counts)})`);
  }
}

export async function benchEfficiency(options: EfficiencyOptions): Promise<Section> {
  const started = Date.now();
  const notes: string[] = [];

  // --- stream mode: cold instance, then warm --------------------------------------------------------
  const coldKeys = benchKeys(options.streamRecords, 11);
  const warmKeys = benchKeys(options.warmRecords, 11, options.streamRecords);
  const stream = await runProduct(
    options.emulatorHost,
    benchWorld({ quotas: { CreateDataFlowSubTask: null } }),
    { kind: 'lingjun' },
    [mnsBatchPayload(coldKeys), mnsBatchPayload(warmKeys)],
  );
  const [cold, warm] = stream.reports as [IngestReport, IngestReport];
  requireAllSubmitted(cold, options.streamRecords, 'stream, cold');
  requireAllSubmitted(warm, options.warmRecords, 'stream, warm');
  const coldEnd = stream.logEnds[0] ?? 0;
  const coldLog = stream.log.slice(0, coldEnd);
  const warmLog = stream.log.slice(coldEnd);
  const coldByAction = countByAction(coldLog);
  const warmByAction = countByAction(warmLog);
  const coldPerObject = coldLog.length / options.streamRecords;
  const warmPerObject = warmLog.length / options.warmRecords;

  // --- batch mode: one group, then the routed groups -------------------------------------------------
  const batchKeys = benchKeys(options.batchRecords, 11);
  const batchPayload = mnsBatchPayload(batchKeys);
  const single = await runProduct(options.emulatorHost, benchWorld(), { kind: 'cpfs', routes: false }, [batchPayload]);
  const routed = await runProduct(options.emulatorHost, benchWorld(), { kind: 'cpfs', routes: true }, [batchPayload]);
  requireAllSubmitted(single.reports[0] as IngestReport, options.batchRecords, 'batch, one group');
  requireAllSubmitted(routed.reports[0] as IngestReport, options.batchRecords, 'batch, routed');
  const one = batchFigures(single);
  const three = batchFigures(routed);
  const routedGroups = three.groups.size;

  // --- "enough keys": the planning core alone on 100,000 keys (a payload that size would be ~150 MB) ----
  const manyKeys = planOnlyFill(options.planOnlyKeys);

  // --- naive: one Import task per object --------------------------------------------------------------
  const naiveEmulator = await startRemoteEmulator(options.emulatorHost, benchWorld({ quotas: { CreateDataFlowTask: null } }));
  const naiveApi = createNasClient({ endpoint: naiveEmulator.url, credentials: staticCredentials(DEFAULT_EMULATOR_KEY), rateLimits: false });
  let naiveLog: LogEntry[];
  let naive: NaiveReport;
  try {
    const config = loadConfig(instanceEnv(naiveEmulator.url, { kind: 'cpfs', routes: true }));
    naive = await naiveIngest(mnsBatchPayload(coldKeys), config, naiveApi, Date.now() + 180_000);
    naiveLog = await naiveEmulator.log();
  } finally {
    naiveApi.close();
    await naiveEmulator.stop();
  }
  if (naive.submitted !== options.streamRecords) throw new Error(`bench: naive handler submitted ${naive.submitted} of ${options.streamRecords}`);
  const naivePerObject = naiveLog.length / options.streamRecords;
  const batchPerObject = three.calls / options.batchRecords;

  // Seconds of the documented quota that 10,000 objects need (the binding limit of each approach).
  const per10k = 10_000;
  const quotaSeconds = {
    stream: ((coldByAction['CreateDataFlowSubTask']?.requests ?? 0) / options.streamRecords) * per10k / DOCUMENTED.subTasksPerSecond,
    batch: batchPerObject * per10k / DOCUMENTED.tasksPerSecond,
    naive: naivePerObject * per10k / DOCUMENTED.tasksPerSecond,
  };

  const n = (v: number) => v.toLocaleString('en-US');
  const figures: Figure[] = [
    {
      id: 'efficiency.stream.cold.callsPerObject',
      label: `stream: API calls per object, cold instance, ${n(options.streamRecords)} records`,
      value: coldPerObject,
      unit: 'calls/object',
      digits: 4,
      ratio: { value: coldPerObject / naivePerObject, against: "the naive handler's calls" },
    },
    {
      id: 'efficiency.stream.warm.callsPerObject',
      label: `stream: API calls per object, warm instance, ${n(options.warmRecords)} records`,
      value: warmPerObject,
      unit: 'calls/object',
      digits: 4,
      ratio: { value: warmPerObject / naivePerObject, against: "the naive handler's calls" },
    },
    {
      id: 'efficiency.batch.oneGroup.calls',
      label: `batch, 1 group, ${n(options.batchRecords)} records: CreateDataFlowTask calls`,
      value: one.calls,
      unit: 'calls',
      ratio: { value: one.calls / one.lowerBound, against: `lower bound (${one.lowerBound})` },
      target: '= lower bound',
      pass: one.calls === one.lowerBound,
    },
    {
      id: 'efficiency.batch.oneGroup.meanFill',
      label: 'batch, 1 group: mean EntryList fill (all lists)',
      value: one.stats.meanFill,
      unit: '%',
      // At ⌈bytes / 64 KB⌉ lists no packing fills them better: the last one holds the remainder.
      ratio: { value: one.stats.meanFill / bestFill(one.stats.totalBytes), against: 'the best possible fill' },
    },
    {
      id: 'efficiency.batch.oneGroup.meanFillFullLists',
      label: "batch, 1 group: mean fill (all lists but the last)",
      value: one.fullListsFill,
      unit: '%',
      target: '≥ 95 %',
      pass: one.fullListsFill >= 0.95,
    },
    {
      id: 'efficiency.batch.plan100k.meanFill',
      label: `batch plan only, ${n(manyKeys.entries)} keys, 1 group: mean fill (all lists)`,
      value: manyKeys.meanFill,
      unit: '%',
      ratio: { value: manyKeys.count / Math.ceil(manyKeys.totalBytes / MAX_ENTRY_LIST_BYTES), against: 'lower bound of lists' },
      target: '≥ 95 %',
      pass: manyKeys.meanFill >= 0.95,
    },
    {
      id: 'efficiency.batch.routed.calls',
      label: `batch, ${routedGroups} routed groups: CreateDataFlowTask calls`,
      value: three.calls,
      unit: 'calls',
      ratio: { value: three.calls / three.lowerBound, against: `lower bound (${three.lowerBound})` },
      target: `≤ lower bound + ${routedGroups}`,
      pass: three.calls <= three.lowerBound + routedGroups,
    },
    {
      id: 'efficiency.batch.routed.meanFill',
      label: `batch, ${routedGroups} routed groups: mean fill (all lists)`,
      value: three.stats.meanFill,
      unit: '%',
      ratio: { value: three.stats.meanFill / bestFill(three.stats.totalBytes), against: 'the best possible fill' },
    },
    {
      id: 'efficiency.batch.routed.meanFillFullLists',
      label: `batch, ${routedGroups} routed groups: mean fill (all but each group's last)`,
      value: three.fullListsFill,
      unit: '%',
      target: '≥ 95 %',
      pass: three.fullListsFill >= 0.95,
    },
    {
      id: 'efficiency.naive.callsPerObject',
      label: `naive (1 Import task/object), ${n(options.streamRecords)} records`,
      value: naivePerObject,
      unit: 'calls/object',
      digits: 4,
      ratio: { value: naivePerObject / batchPerObject, against: 'the calls of batch mode' },
    },
    {
      id: 'efficiency.quotaSeconds.per10k.stream',
      label: 'quota time per 10,000 objects: stream (100 sub-tasks/s)',
      value: quotaSeconds.stream,
      unit: 's',
      ratio: { value: quotaSeconds.naive / quotaSeconds.stream, against: 'faster than naive' },
    },
    {
      id: 'efficiency.quotaSeconds.per10k.batch',
      label: 'quota time per 10,000 objects: batch (120 tasks/60 s)',
      value: quotaSeconds.batch,
      unit: 's',
      ratio: { value: quotaSeconds.naive / quotaSeconds.batch, against: 'faster than naive' },
    },
    {
      id: 'efficiency.quotaSeconds.per10k.naive',
      label: 'quota time per 10,000 objects: naive (120 tasks/60 s)',
      value: quotaSeconds.naive,
      unit: 's',
    },
  ];
  notes.push(
    `stream: the cold invocation's extra calls are ${JSON.stringify(extrasOf(coldByAction))} (finding or creating one streaming task per ConflictPolicy); a warm instance reuses them`,
  );
  return {
    name: 'efficiency',
    figures,
    details: {
      stream: { records: options.streamRecords, cold: coldByAction, warmRecords: options.warmRecords, warm: warmByAction },
      batchOneGroup: batchDetails(options.batchRecords, one),
      batchRouted: batchDetails(options.batchRecords, three),
      planOnly: { keys: options.planOnlyKeys, entryLists: roundStats(manyKeys), lowerBound: Math.ceil(manyKeys.totalBytes / MAX_ENTRY_LIST_BYTES) },
      naive: { records: options.streamRecords, requests: countByAction(naiveLog), report: naive },
      quotaSecondsPer10k: { stream: round(quotaSeconds.stream), batch: round(quotaSeconds.batch), naive: round(quotaSeconds.naive) },
    },
    notes,
    durationMs: Date.now() - started,
  };
}

/** The fill ⌈bytes / 65,535⌉ lists would have if every byte were packed: the ceiling of any packing. */
function bestFill(totalBytes: number): number {
  return totalBytes / (Math.ceil(totalBytes / MAX_ENTRY_LIST_BYTES) * MAX_ENTRY_LIST_BYTES);
}

/** EntryList stats of `planImportBatches` over `count` bench keys with no routes (one group). */
function planOnlyFill(count: number): ReturnType<typeof entryListStats> {
  const settings = { fileSystemId: WORLD.cpfs, dataFlowId: WORLD.cpfsFlow, sourceStoragePath: '/', routes: [], defaultConflictPolicy: 'KEEP_LATEST' } as const;
  const records = benchKeys(count, 13).map((key, i) => ({ bucket: BENCH_BUCKET, key, size: 1024 + (i % 4096), eventName: 'ObjectCreated:PutObject' }));
  const plan = planImportBatches(planSubmissions(records, settings).items);
  return entryListStats(plan.batches.map((b) => b.entryList));
}

interface BatchFigures {
  /** CreateDataFlowTask requests in the emulator log (retries included). */
  readonly calls: number;
  /** CreateDataFlowTask calls the use case made (each may be several requests). */
  readonly clientCalls: number;
  readonly stats: ReturnType<typeof entryListStats>;
  /** ⌈total EntryList bytes / 65,535⌉ over all lists. */
  readonly lowerBound: number;
  readonly groups: Map<string, string[]>;
  /** Σ over groups of ⌈group bytes / 65,535⌉: what any packing that keeps groups apart needs. */
  readonly perGroupLowerBound: number;
  /** Mean fill of every list but the last of its group (the last holds what is left over). */
  readonly fullListsFill: number;
}

function batchFigures(run: Run): BatchFigures {
  const lists = run.sent.map((s) => s.entryList);
  const stats = entryListStats(lists);
  const groups = new Map<string, string[]>();
  for (const s of run.sent) {
    const group = groups.get(s.group) ?? [];
    group.push(s.entryList);
    groups.set(s.group, group);
  }
  let perGroupLowerBound = 0;
  let fullBytes = 0;
  let fullCount = 0;
  for (const group of groups.values()) {
    const groupStats = entryListStats(group);
    perGroupLowerBound += Math.ceil(groupStats.totalBytes / MAX_ENTRY_LIST_BYTES);
    for (const list of group.slice(0, -1)) {
      fullBytes += Buffer.byteLength(list, 'utf8');
      fullCount += 1;
    }
  }
  return {
    calls: countByAction(run.log)['CreateDataFlowTask']?.requests ?? 0,
    clientCalls: lists.length,
    stats,
    lowerBound: Math.ceil(stats.totalBytes / MAX_ENTRY_LIST_BYTES),
    groups,
    perGroupLowerBound,
    fullListsFill: fullCount === 0 ? stats.meanFill : fullBytes / (fullCount * MAX_ENTRY_LIST_BYTES),
  };
}

function batchDetails(records: number, b: BatchFigures): Record<string, unknown> {
  return {
    records,
    requests: b.calls,
    callsByUseCase: b.clientCalls,
    lowerBound: b.lowerBound,
    groups: [...b.groups.entries()].map(([group, lists]) => ({ group, lists: lists.length, bytes: entryListStats(lists).totalBytes })),
    perGroupLowerBoundSum: b.perGroupLowerBound,
    entryLists: roundStats(b.stats),
    meanFillFullLists: round(b.fullListsFill),
  };
}

function extrasOf(byAction: Record<string, { requests: number }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [action, c] of Object.entries(byAction)) if (action !== 'CreateDataFlowSubTask') out[action] = c.requests;
  return out;
}

function roundStats(stats: ReturnType<typeof entryListStats>): Record<string, number> {
  return {
    count: stats.count,
    entries: stats.entries,
    totalBytes: stats.totalBytes,
    meanFill: round(stats.meanFill),
    meanFillExceptLast: round(stats.meanFillExceptLast),
    minFill: round(stats.minFill),
    maxFill: round(stats.maxFill),
  };
}
