/**
 * The verify pass that ends a fault-matrix run (issue 12): `verify` with re-drive, then the emulator
 * settles, again — until nothing is in progress, failed-and-not-re-driven or just re-driven — bounded by
 * {@link MAX_VERIFY_ROUNDS}. Runs with whatever faults the emulator still injects (a round that meets
 * trouble counts as a round; the next one goes on).
 */
import { createRuntime, type Runtime } from '../../shared/runtime.js';
import { verify, type VerifyReport } from '../../shared/verify/index.js';
import { WORLD_CREDENTIALS, type IngestWorld } from '../support/reliability-world.js';

/** Rounds at most: 3 attempts per object, plus rounds lost to injected transport faults. */
export const MAX_VERIFY_ROUNDS = 12;

export interface VerifyPass {
  readonly rounds: number;
  readonly reports: readonly VerifyReport[];
  /** Sub-tasks re-driven over all rounds. */
  readonly redriven: number;
}

/**
 * A runtime for the verify pass (the reconcile function's, in effect): the world's configuration with the
 * role's STS credentials in the environment (a runtime outside an FC invocation has no context), logging
 * into the world's log lines so the no-secrets check covers it. Close its `api` when done.
 */
export function verifyRuntime(w: IngestWorld): Runtime {
  return createRuntime({
    env: {
      ...w.env,
      ALIBABA_CLOUD_ACCESS_KEY_ID: WORLD_CREDENTIALS.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: WORLD_CREDENTIALS.accessKeySecret,
      ALIBABA_CLOUD_SECURITY_TOKEN: WORLD_CREDENTIALS.securityToken,
    },
    write: (line) => w.logLines.push(line),
  });
}

export async function verifyUntilSettled(w: IngestWorld, runtime: Runtime): Promise<VerifyPass> {
  const reports: VerifyReport[] = [];
  let redriven = 0;
  for (let round = 1; round <= MAX_VERIFY_ROUNDS; round++) {
    w.emulator.settle();
    const now = Date.now();
    const report = await verify(
      { ingest: { config: runtime.config, api: runtime.api, logger: runtime.logger, state: runtime.state, now: Date.now } },
      { window: { sinceMs: now - 3_600_000, untilMs: now + 60_000 }, redrive: true, deadlineMs: now + 60_000 },
    );
    reports.push(report);
    redriven += report.objects.filter((o) => o.redriveId !== undefined).length;
    const c = report.counts;
    if (report.trouble === undefined && c['in-progress'] === 0 && c.failed === 0 && c['re-driven'] === 0) return { rounds: round, reports, redriven };
  }
  return { rounds: MAX_VERIFY_ROUNDS + 1, reports, redriven };
}
