/**
 * `cpfs-ingest reconcile`: one run of the reconcile function (functions/reconcile/) from an operator's
 * machine, with the function's own code and configuration: it reads and writes the same state object in the
 * bucket (`.cpfs-ingest/reconcile-state.json`), so a local run and the deployed timer continue each other's
 * sweeps. Against the local emulator it is the way to try reconcile at all.
 */
import { ossPageLister } from '../../shared/backfill.js';
import { ossStateStore } from '../../functions/reconcile/oss-state-store.js';
import { runReconcile, type ReconcileReport } from '../../functions/reconcile/reconcile.js';
import { STATE_KEY } from '../../functions/reconcile/state.js';
import { COMMON_HELP, durationFlag, parseCommandArgs } from '../args.js';
import { EXIT, EXIT_CODES_HELP } from '../exit-codes.js';
import { formatCount, println, printJson, type CliIo } from '../io.js';
import { ingestDeps } from '../../shared/runtime.js';
import { cliEnv, cliListingClient, cliRuntime } from '../wiring.js';

export const RECONCILE_HELP = `Usage: cpfs-ingest reconcile [--max-duration D] [options]

Runs the reconcile function once, here: sweeps OSS_BUCKET (CPFS_RECONCILE_PREFIXES, else the route prefixes,
else the SourceStoragePath prefix) for objects modified since the last complete sweep minus
CPFS_RECONCILE_SAFETY_MARGIN_SECONDS, and submits them as the function submits events (objects already
imported are ClientToken replays). State: the object oss://OSS_BUCKET/${STATE_KEY}, shared with the
deployed reconcile function (a local run continues its sweep, and the other way round); needs GetObject and
PutObject on it.

Options:
  --max-duration D   stop after D (e.g. 10m) and save the sweep for the next run, exit 3 (default 15m,
                     the function's longest timeout)
${COMMON_HELP}

${EXIT_CODES_HELP}
  (reconcile: 1 when some objects were rejected or failed for good; 3 when the sweep stopped early)`;

/** A run is bounded like the function's (FC's timeout); the next run resumes. */
const DEFAULT_MAX_DURATION_MS = 15 * 60_000;

export async function runReconcileCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, { 'max-duration': { type: 'string' } });
  if (values.help) {
    println(io, RECONCILE_HELP);
    return EXIT.OK;
  }
  const startMs = io.now();
  const deadlineMs = startMs + (values['max-duration'] === undefined ? DEFAULT_MAX_DURATION_MS : durationFlag('max-duration', values['max-duration']));
  const env = cliEnv(io, values);
  const runtime = cliRuntime(env, { io, verbose: values.verbose, require: ['OSS_BUCKET'] });
  const bucket = runtime.config.bucket as string;
  const client = cliListingClient(runtime);
  let report: ReconcileReport;
  try {
    report = await runReconcile(
      {
        // The CLI's clock (io.now) drives the sweep; the NAS client keeps the runtime's.
        ingest: { ...ingestDeps(runtime, runtime.logger), now: io.now },
        list: ossPageLister({ client, bucket }),
        store: ossStateStore({ client, bucket }),
      },
      { deadlineMs },
    );
  } finally {
    runtime.api.close();
    client.destroy();
  }

  if (values.json) printJson(io, report);
  else printReport(io, report);
  const problems = report.run.rejected + report.run.failed;
  switch (report.status) {
    case 'complete':
      return problems > 0 ? EXIT.FAILED : EXIT.OK;
    case 'error':
      return report.error?.retryable === false ? EXIT.FAILED : EXIT.RETRYABLE;
    default:
      return EXIT.RETRYABLE;
  }
}

function printReport(io: CliIo, report: ReconcileReport): void {
  const r = report.run;
  println(io, `reconcile ${report.status}${report.sweep.resumed ? ' (resumed a sweep)' : ''}: oss://${report.bucket}/ prefixes ${report.prefixes.map((p) => JSON.stringify(p)).join(', ')}`);
  println(io, `  since      ${report.sweep.since}`);
  println(io, `  this run   ${formatCount(r.listed)} listed, ${formatCount(r.submitted)} submitted, ${formatCount(r.skippedNotModifiedSince)} older, ${formatCount(r.rejected)} rejected, ${formatCount(r.failed)} failed`);
  for (const record of report.reported.slice(0, 20)) {
    println(io, record.status === 'rejected' ? `  rejected   ${record.key}  ${record.kind}: ${record.reason}` : `  failed     ${record.key}  ${record.code}: ${record.message}`);
  }
  if (report.error !== undefined) println(io, `  error      ${report.error.code}: ${report.error.message}`);
  println(io, report.sweep.complete ? `  watermark  ${report.watermark ?? '-'} (the next run looks back from here)` : '  the sweep is saved; the next run resumes it');
}
