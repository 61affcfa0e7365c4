/**
 * Quota use: sustained CreateDataFlowSubTask submissions per second against the emulator enforcing the
 * documented 100/s quota (its default), on the real wall clock — the one place where real time matters.
 *
 * Each function instance is a child process running the built bundle (dist/oss-stream-import/index.js)
 * with its own environment and therefore its own per-instance rate limiter, exactly as FC runs it. The
 * emulator runs in another process. From the emulator's log:
 * - sustained rate = (accepted sub-tasks − 1) / (last accepted − first accepted), as a fraction of 100/s;
 * - Throttling answers seen, and how many were absorbed (the same ClientToken was accepted later);
 * - from the handler: records not submitted (a throttle that surfaced to the caller).
 *
 * Scenarios: one instance with the default configuration (the target: ≥ 90 % of the quota, no
 * throttling error surfacing); one instance with CPFS_SUBTASK_RATE=97 (context); N instances at once
 * sharing the quota (each limits itself, so together they over-ask: throttling is expected).
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { HandlerRunResult } from '../lib/child-protocol.js';
import { readResult, runNode } from '../lib/children.js';
import { startRemoteEmulator } from '../lib/emulator-client.js';
import type { LogEntry } from '../lib/emulator-protocol.js';
import { benchKeys, mnsBatchPayload } from '../lib/payload.js';
import { round, type Figure, type Section } from '../lib/report.js';
import { benchWorld, instanceEnv, isThrottle } from '../lib/world.js';
import { CONFIG_DEFAULTS } from '../../shared/config/load-config.js';

export interface QuotaOptions {
  readonly emulatorHost: string;
  readonly invokeScript: string;
  readonly bundle: string;
  readonly scratchDir: string;
  /** Records for the single-instance runs (≥ 10 s at ~90/s). */
  readonly singleRecords: number;
  readonly instances: number;
  /** Records per instance in the shared run. */
  readonly recordsPerInstance: number;
}

const QUOTA_PER_SECOND = 100;
const FUNCTION_TIMEOUT_S = 120;

export interface SubTaskFlow {
  readonly accepted: number;
  readonly spanMs: number;
  readonly perSecond: number;
  readonly fractionOfQuota: number;
  /** Most sub-tasks accepted in any 1 s window (the emulator never lets this exceed 100). */
  readonly maxInAnySecond: number;
  readonly throttled: number;
  readonly throttledAbsorbed: number;
  readonly otherErrors: number;
}

/** Reads the CreateDataFlowSubTask flow out of the emulator log. */
export function subTaskFlow(log: readonly LogEntry[]): SubTaskFlow {
  const entries = log.filter((e) => e.action === 'CreateDataFlowSubTask');
  const accepted = entries.filter((e) => e.status === 200).map((e) => e.t).sort((a, b) => a - b);
  const acceptedTokens = new Set(entries.filter((e) => e.status === 200 && e.token !== undefined).map((e) => e.token));
  const throttles = entries.filter(isThrottle);
  const spanMs = accepted.length > 1 ? (accepted[accepted.length - 1] as number) - (accepted[0] as number) : 0;
  const perSecond = spanMs > 0 ? ((accepted.length - 1) / spanMs) * 1000 : 0;
  let maxInAnySecond = 0;
  for (let lo = 0, hi = 0; hi < accepted.length; hi++) {
    while ((accepted[hi] as number) - (accepted[lo] as number) >= 1000) lo++;
    maxInAnySecond = Math.max(maxInAnySecond, hi - lo + 1);
  }
  return {
    accepted: accepted.length,
    spanMs,
    perSecond,
    fractionOfQuota: perSecond / QUOTA_PER_SECOND,
    maxInAnySecond,
    throttled: throttles.length,
    throttledAbsorbed: throttles.filter((e) => e.token !== undefined && acceptedTokens.has(e.token)).length,
    otherErrors: entries.filter((e) => e.status !== 200 && !isThrottle(e)).length,
  };
}

interface Scenario {
  readonly flow: SubTaskFlow;
  readonly runs: HandlerRunResult[];
  readonly records: number;
  readonly submitted: number;
  readonly surfaced: number;
}

async function runScenario(options: QuotaOptions, name: string, instances: number, recordsEach: number, extraEnv: Record<string, string>): Promise<Scenario> {
  const emulator = await startRemoteEmulator(options.emulatorHost, benchWorld());
  try {
    const jobs = Array.from({ length: instances }, (_, i) => {
      // Distinct keys per instance: different objects, as different events would be.
      const payloadFile = path.join(options.scratchDir, `${name}-${i}.payload`);
      writeFileSync(payloadFile, mnsBatchPayload(benchKeys(recordsEach, 23, i * recordsEach)));
      const resultFile = path.join(options.scratchDir, `${name}-${i}.result.json`);
      // One ConflictPolicy, so one streaming task: the flow measured is the rate limiter's, not the
      // set-up of further streaming tasks (which a cold instance does one group after another).
      const env = instanceEnv(emulator.url, { kind: 'lingjun', routes: false, extra: extraEnv });
      return { payloadFile, resultFile, env };
    });
    const runs = await Promise.all(
      jobs.map(async (job, i) => {
        const run = await runNode(options.invokeScript, [options.bundle, job.payloadFile, job.resultFile, String(FUNCTION_TIMEOUT_S)], job.env, (FUNCTION_TIMEOUT_S + 30) * 1000);
        return readResult<HandlerRunResult>(job.resultFile, run, `${name} instance ${i}`);
      }),
    );
    const flow = subTaskFlow(await emulator.log());
    const submitted = runs.reduce((sum, r) => sum + (r.counts['submitted'] ?? 0), 0);
    const surfaced = runs.reduce((sum, r) => sum + (r.counts['failed'] ?? 0), 0);
    return { flow, runs, records: instances * recordsEach, submitted, surfaced };
  } finally {
    await emulator.stop();
  }
}

function scenarioDetails(s: Scenario): Record<string, unknown> {
  return {
    records: s.records,
    submitted: s.submitted,
    failedRecords: s.surfaced,
    flow: { ...s.flow, perSecond: round(s.flow.perSecond), fractionOfQuota: round(s.flow.fractionOfQuota) },
    instances: s.runs.map((r) => ({ ok: r.ok, counts: r.counts, durationMs: r.durationMs, maxRssKb: r.maxRssKb, ...(r.error ? { error: r.error } : {}) })),
  };
}

export async function benchQuota(options: QuotaOptions): Promise<Section> {
  const started = Date.now();
  const single = await runScenario(options, 'single-default', 1, options.singleRecords, {});
  const tuned = await runScenario(options, 'single-rate97', 1, options.singleRecords, { CPFS_SUBTASK_RATE: '97' });
  const shared = await runScenario(options, 'shared', options.instances, options.recordsPerInstance, {});

  const k = options.instances;
  const absorbedShare = (f: SubTaskFlow) => f.throttledAbsorbed / f.throttled;
  const figures: Figure[] = [
    {
      id: 'quota.single.subTasksPerSecond',
      label: `quota: 1 instance, default config (CPFS_SUBTASK_RATE ${CONFIG_DEFAULTS.subTaskRatePerSecond}), ${single.records} records`,
      value: single.flow.perSecond,
      unit: 'sub-tasks/s',
      ratio: { value: single.flow.fractionOfQuota, against: 'the 100/s quota' },
      target: '≥ 0.9× quota',
      pass: single.flow.fractionOfQuota >= 0.9,
    },
    {
      id: 'quota.single.throttles',
      label: 'quota: 1 instance: Throttling answers seen',
      value: single.flow.throttled,
      unit: 'throttles',
      ...(single.flow.throttled > 0 ? { ratio: { value: absorbedShare(single.flow), against: 'absorbed by retries' } } : {}),
    },
    {
      id: 'quota.single.failedRecords',
      label: 'quota: 1 instance: records not submitted',
      value: single.records - single.submitted,
      unit: 'records',
      target: '0 (none surfaced)',
      pass: single.surfaced === 0 && single.submitted === single.records,
    },
    {
      id: 'quota.single97.subTasksPerSecond',
      label: `context: 1 instance, CPFS_SUBTASK_RATE=97 (${tuned.flow.throttled} throttles, ${tuned.records - tuned.submitted} not submitted)`,
      value: tuned.flow.perSecond,
      unit: 'sub-tasks/s',
      ratio: { value: tuned.flow.fractionOfQuota, against: 'the 100/s quota' },
    },
    {
      id: 'quota.shared.subTasksPerSecond',
      label: `quota: ${k} instances at once, ${options.recordsPerInstance} records each`,
      value: shared.flow.perSecond,
      unit: 'sub-tasks/s',
      ratio: { value: shared.flow.fractionOfQuota, against: 'the 100/s quota' },
    },
    {
      id: 'quota.shared.throttles',
      label: `quota: ${k} instances: Throttling answers seen`,
      value: shared.flow.throttled,
      unit: 'throttles',
      ...(shared.flow.throttled > 0 ? { ratio: { value: absorbedShare(shared.flow), against: 'absorbed by retries' } } : {}),
    },
    {
      id: 'quota.shared.failedRecords',
      label: `quota: ${k} instances: records not submitted (FC would replay)`,
      value: shared.records - shared.submitted,
      unit: 'records',
      ratio: { value: (shared.records - shared.submitted) / shared.records, against: 'of the records' },
    },
  ];
  return {
    name: 'quota',
    figures,
    details: {
      quotaPerSecond: QUOTA_PER_SECOND,
      singleDefault: scenarioDetails(single),
      singleRate97: scenarioDetails(tuned),
      shared: { instances: k, ...scenarioDetails(shared) },
    },
    notes: [],
    durationMs: Date.now() - started,
  };
}
