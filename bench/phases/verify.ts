/**
 * Verification (issue 12): what `cpfs-ingest verify` (and every reconcile tick) costs, and the lag figures
 * it reports — measured against the in-process emulator, counting the requests the emulator received.
 *
 * 1. Cost: N sub-tasks (N = 5,000 in the full run, scaled linearly: verify reads pages of 100) are created in one streaming task, directly through a
 *    NAS client without a rate limit (the quota is not the point here; emulator quotas off), 1 % of them
 *    made to FAIL by the emulator's sub-task fault injection. Then `verify` with re-drive runs once over
 *    the window. Figures, scaled to 10,000 objects checked: NAS API calls per action, and quota-seconds
 *    (calls ÷ the action's documented quota per second — docs/platform.md §1 Quotas; the largest is the least
 *    wall time the quotas allow, as each action has its own quota). The re-drives' creates are included.
 * 2. Lag: the demo world (cli/demo.ts's DEMO_WORLD and DEMO_OBJECTS, the emulator's default lifecycle timings
 *    on the wall clock): its objects are put in the bucket, their events go through ingest, the emulator
 *    settles, and `verify` reports the lag from each object's modification time (FileDetail.ModifyTime) to its
 *    sub-task's COMPLETE as p50 / p95 / max. The service's times have whole seconds, so these figures do too;
 *    the emulator's lifecycle durations are a model (emulator/README.md), not the service's.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEMO_OBJECTS, DEMO_WORLD, demoEmulatorOptions } from '../../cli/demo.js';
import { NO_QUOTAS, startEmulator, type EmulatorHandle } from '../../emulator/server.js';
import { ingest } from '../../shared/ingest/index.js';
import { createNasClient } from '../../shared/nas/client.js';
import { createRuntime, type Runtime } from '../../shared/runtime.js';
import { verify, type VerifyReport } from '../../shared/verify/index.js';
import { objectCreatedEvent, nativeEnvelope } from '../../test/support/event-factories.js';
import { documentedPerSecond } from '../lib/quota.js';
import { round, type Figure, type Section } from '../lib/report.js';

export interface VerifyBenchOptions {
  /** Sub-tasks checked in the cost run (the figures are scaled to 10,000: the emulator slows down with many sub-tasks). */
  readonly objects: number;
}

const KEY = { accessKeyId: 'LTAI-bench-verify', accessKeySecret: 'bench-verify-secret-0123456789' } as const;
const PER_10K = 10_000;
const FAILURE_RATE = 0.01;
function runtimeFor(emulator: EmulatorHandle, env: Record<string, string>): Runtime {
  return createRuntime({
    env: { NAS_ENDPOINT: emulator.url, ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret, ...env },
    write: () => undefined,
  });
}

async function runVerify(runtime: Runtime, redrive: boolean): Promise<VerifyReport> {
  const now = Date.now();
  return verify(
    { ingest: { config: runtime.config, api: runtime.api, logger: runtime.logger, state: runtime.state, now: Date.now } },
    { window: { sinceMs: now - 3_600_000, untilMs: now + 60_000 }, redrive, deadlineMs: now + 300_000 },
  );
}

/** Requests the emulator received (and ran) per action. */
function callsByAction(emulator: EmulatorHandle): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of emulator.log.entries) counts[entry.action] = (counts[entry.action] ?? 0) + 1;
  return counts;
}

async function costRun(n: number, root: string): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const fileSystemId = 'bmcpfs-benchverify01';
  const dataFlowId = 'df-benchverify01';
  const bucketDir = path.join(root, 'cost-bucket');
  mkdirSync(bucketDir, { recursive: true });
  const emulator = await startEmulator({
    seed: 12,
    keys: [KEY],
    bucketDir,
    fileSystemDir: path.join(root, 'cost-fs'),
    fileSystems: [{ id: fileSystemId, version: '2.6.0' }],
    dataFlows: [{ id: dataFlowId, fileSystemId, sourceStorage: 'oss://bench-verify' }],
    quotas: NO_QUOTAS,
    timings: { streamPendingMs: 0 },
    autoTickMs: false,
  });
  const client = createNasClient({ endpoint: emulator.url, credentials: async () => KEY, rateLimits: false });
  const runtime = runtimeFor(emulator, { CPFS_FILE_SYSTEM_ID: fileSystemId, CPFS_DATA_FLOW_ID: dataFlowId });
  try {
    for (let i = 0; i < n; i++) writeFileSync(path.join(bucketDir, `o-${i}.bin`), 'x');
    const { TaskId } = await client.createDataFlowTask({ FileSystemId: fileSystemId, DataFlowId: dataFlowId, TaskAction: 'StreamImport', ConflictPolicy: 'KEEP_LATEST', Directory: '/', DstDirectory: '/', ClientToken: 'bench-verify-stream' });
    emulator.settle();
    // Sub-tasks finish while others are still being created (the emulator advances on every request):
    // the failure rate is on from the start.
    emulator.faults.reseed(12);
    emulator.faults.setSubTaskFailureRate(FAILURE_RATE);
    const deadlineMs = Date.now() + 600_000;
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < n; i = next++) {
        await client.createDataFlowSubTask(
          { FileSystemId: fileSystemId, DataFlowId: dataFlowId, DataFlowTaskId: TaskId as string, SrcFilePath: `/o-${i}.bin`, DstFilePath: `/o-${i}.bin`, ClientToken: `bench-verify-${i}` },
          { deadlineMs },
        );
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    emulator.settle();
    emulator.faults.setSubTaskFailureRate(0);
    const failed = [...emulator.state.subTasks.values()].filter((s) => s.status === 'FAILED').length;

    emulator.log.clear();
    const started = performance.now();
    const report = await runVerify(runtime, true);
    const wallMs = performance.now() - started;
    const calls = callsByAction(emulator);
    const checked = report.objects.length;
    const scale = PER_10K / checked;
    const total = Object.values(calls).reduce((a, b) => a + b, 0);
    const quotaSeconds = Object.fromEntries(Object.entries(calls).map(([action, count]) => [action, count / documentedPerSecond(action)]));
    const bound = Math.max(0, ...Object.values(quotaSeconds));
    const figures: Figure[] = [
      { id: 'verify.callsPer10kObjects', label: `verify --redrive: NAS API calls per 10,000 objects checked (${round(FAILURE_RATE * 100, 3)} % failed, re-driven)`, value: total * scale, unit: 'calls' },
      { id: 'verify.describeSubTasksPer10kObjects', label: 'of which DescribeDataFlowSubTasks (pages of 100)', value: (calls['DescribeDataFlowSubTasks'] ?? 0) * scale, unit: 'calls' },
      { id: 'verify.quotaSecondsPer10kObjects', label: 'quota-seconds per 10,000 objects (largest per-action calls ÷ quota/s)', value: bound * scale, unit: 's' },
      { id: 'verify.wallSecondsPer10kObjects', label: 'verify wall time per 10,000 objects (loopback emulator)', value: (wallMs / 1000) * scale, unit: 's' },
    ];
    return {
      figures,
      details: { objectsChecked: checked, subTasksFailedBefore: failed, counts: report.counts, callsByAction: calls, quotaSecondsByAction: quotaSeconds, reportCalls: report.calls, wallMs: round(wallMs, 6) },
    };
  } finally {
    client.close();
    runtime.api.close();
    await emulator.stop();
  }
}

async function demoLagRun(root: string): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const bucketDir = path.join(root, 'demo-bucket');
  const emulator = await startEmulator(demoEmulatorOptions(KEY, bucketDir, path.join(root, 'demo-fs')));
  const runtime = runtimeFor(emulator, {
    CPFS_FILE_SYSTEM_ID: DEMO_WORLD.fileSystemId,
    CPFS_DATA_FLOW_ID: DEMO_WORLD.dataFlowId,
    CPFS_SOURCE_STORAGE_PATH: DEMO_WORLD.sourceStoragePath,
    CPFS_ROUTES: JSON.stringify(DEMO_WORLD.routes),
  });
  try {
    const landing = DEMO_OBJECTS.filter((o) => o.expect === 'land');
    const events = [];
    for (const object of landing) {
      const body = Buffer.from(`demo object ${object.key}\n`);
      const file = path.join(bucketDir, ...object.key.split('/'));
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, body);
      events.push(objectCreatedEvent({ bucket: DEMO_WORLD.bucket, key: object.key, size: body.length }));
    }
    const deps = { config: runtime.config, api: runtime.api, logger: runtime.logger, state: runtime.state, now: runtime.now };
    const ingested = await ingest(nativeEnvelope(events), deps, { deadlineMs: Date.now() + 60_000 });
    await emulator.waitForIdle();
    const report = await runVerify(runtime, false);
    const lag = report.lag;
    const figures: Figure[] =
      lag === undefined
        ? []
        : [
            { id: 'verify.demoLagP50', label: `demo world: lag to COMPLETE p50 (${lag.count} objects)`, value: lag.p50Ms / 1000, unit: 's' },
            { id: 'verify.demoLagP95', label: 'demo world: lag to COMPLETE p95', value: lag.p95Ms / 1000, unit: 's' },
            { id: 'verify.demoLagMax', label: 'demo world: lag to COMPLETE max', value: lag.maxMs / 1000, unit: 's' },
          ];
    return { figures, details: { objects: landing.length, submitted: ingested.counts.submitted, counts: report.counts, lag } };
  } finally {
    runtime.api.close();
    await emulator.stop();
  }
}

export async function benchVerify(options: VerifyBenchOptions): Promise<Section> {
  const started = Date.now();
  const root = mkdtempSync(path.join(tmpdir(), 'cpfs-bench-verify-'));
  try {
    const cost = await costRun(options.objects, root);
    const lag = await demoLagRun(root);
    const notes = [
      `cost measured over ${options.objects.toLocaleString('en-US')} sub-tasks and scaled to 10,000; calls counted by the emulator (DescribeDataFlowSubTasks pages of 100, DescribeDataFlowTasks for the Import tasks and the streaming tasks' policies, the re-drives' creates)`,
      'DescribeDataFlowTasks calls are per run, not per object (Import tasks, streaming policies): scaling them to 10,000 overstates them, and they set the quota-seconds bound (2/s quota)',
      'lag: service times have whole seconds, and the emulator\'s lifecycle durations are a model (emulator/README.md), not the service\'s',
    ];
    if (lag.figures.length === 0) notes.push('demo world: verify found no COMPLETE sub-task to measure a lag on');
    return { name: 'verify', figures: [...cost.figures, ...lag.figures], details: { cost: cost.details, demoLag: lag.details }, notes, durationMs: Date.now() - started };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
