/**
 * `cpfs-ingest verify`: follows every submission of a window to its end (shared/verify), optionally
 * re-drives what failed, and prints a table per state, the objects that did not land, and the lag.
 */
import { redactText } from '../../shared/log.js';
import { OBJECT_STATES, s3ObjectReader, verify, type VerifiedObject, type VerifyReport } from '../../shared/verify/index.js';
import { COMMON_HELP, parseCommandArgs, timeFlag } from '../args.js';
import { EXIT, EXIT_CODES_HELP } from '../exit-codes.js';
import { formatCount, formatTable, println, type CliIo } from '../io.js';
import { ingestDeps } from '../../shared/runtime.js';
import { cliEnv, cliListingClient, cliRuntime } from '../wiring.js';

export const VERIFY_HELP = `Usage: cpfs-ingest verify [--since TIME|AGE] [--redrive] [options]

Follows every object submitted in the window to its end: reads the data flow's sub-tasks
(DescribeDataFlowSubTasks) and Import tasks (DescribeDataFlowTasks) and classifies each object as complete,
in-progress, failed (with the service's ErrorMsg), re-driven, permanent (failed 3 times), gone (deleted
from OSS) or canceled (by an operator: never re-driven). Prints the lag from the object's modification (or
first submission) to its sub-task's COMPLETE as p50 / p95 / max.

With --redrive, a FAILED or EXPIRED sub-task is submitted again through the Executing streaming task of its
ConflictPolicy (a Failed Import task from its EntryList + DstDirectory, or by its TransferFileListPath while
the manifests still exist), with a ClientToken derived from the failed id: any number of runs, concurrent or
repeated, re-drive each failure once. With OSS_BUCKET set, a failed object is
first looked up in OSS: deleted → gone; otherwise re-driven with its current size.

Times: the service writes times without a zone; they are read as UTC and the window is widened by 14 h on
each side (the largest zone offset), so an object is never missed whatever zone the service meant.

Options:
  --since TIME|AGE  window start: ISO 8601 or an age such as 30m, 12h, 7d (default 24h)
  --redrive         re-drive FAILED / EXPIRED attempts (else only report them)
${COMMON_HELP.replace('(one JSON document on stdout)', '(one JSON object per line: each object, then a summary)')}

${EXIT_CODES_HELP}
  (verify: 0 nothing failed without a re-drive; 1 something is permanently failed, or failed and not
   re-driven; 3 the check itself hit retryable trouble: run it again)`;

/** Objects shown in the failure table. */
const SHOWN_STATES: ReadonlySet<string> = new Set(['failed', 'permanent', 're-driven', 'gone', 'canceled']);
/** Progress on stderr every this many pages. */
const PROGRESS_EVERY_PAGES = 10;

export async function runVerify(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, { since: { type: 'string' }, redrive: { type: 'boolean' } });
  if (values.help) {
    println(io, VERIFY_HELP);
    return EXIT.OK;
  }
  const nowMs = io.now();
  const since = timeFlag('since', values.since ?? '24h', nowMs);
  const env = cliEnv(io, values);
  const runtime = cliRuntime(env, { io, verbose: values.verbose });
  const { config } = runtime;
  const objects = config.bucket !== undefined ? s3ObjectReader(cliListingClient(runtime), config.bucket) : undefined;
  let pages = 0;
  try {
    const report = await verify(
      {
        ingest: ingestDeps(runtime, runtime.logger),
        objects,
        onProgress: ({ subTasksRead, tasksRead }) => {
          pages += 1;
          if (pages % PROGRESS_EVERY_PAGES === 0) io.stderr.write(`verify: ${formatCount(subTasksRead)} sub-tasks, ${formatCount(tasksRead)} tasks read…\n`);
        },
      },
      { window: { sinceMs: since.getTime(), untilMs: nowMs }, redrive: values.redrive ?? false, deadlineMs: Number.MAX_SAFE_INTEGER },
    );
    if (values.json) printLines(io, report);
    else printReport(io, report, config.dataFlowId, values.redrive ?? false);
    return verifyExitCode(report);
  } finally {
    runtime.api.close();
  }
}

/** 1 when something is permanently failed (or failed and not re-driven); 3 for retryable trouble; else 0. */
export function verifyExitCode(report: VerifyReport): number {
  if (report.counts.permanent > 0) return EXIT.FAILED;
  if (report.trouble !== undefined) return report.trouble.retryable ? EXIT.RETRYABLE : EXIT.FAILED;
  if (report.counts.failed > 0) return EXIT.FAILED;
  return EXIT.OK;
}

function shown(o: VerifiedObject): VerifiedObject {
  return o.errorMsg === undefined ? o : { ...o, errorMsg: redactText(o.errorMsg) };
}

function printLines(io: CliIo, report: VerifyReport): void {
  for (const o of report.objects) io.stdout.write(`${JSON.stringify({ type: 'object', ...shown(o) })}\n`);
  const { objects: _objects, ...summary } = report;
  io.stdout.write(`${JSON.stringify({ type: 'summary', ...summary })}\n`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

function printReport(io: CliIo, report: VerifyReport, dataFlowId: string, redrive: boolean): void {
  println(io, `Data flow ${dataFlowId}: objects submitted ${report.window.since} – ${report.window.until} (service times read as UTC, ±14 h kept)`);
  println(io, formatTable(['state', 'objects'], OBJECT_STATES.map((s) => [s, formatCount(report.counts[s])])));
  const rows = report.objects.filter((o) => SHOWN_STATES.has(o.state)).map(shown);
  if (rows.length > 0) {
    println(io);
    println(
      io,
      formatTable(
        ['state', 'key', 'destination', 'status', 'attempt', 'ErrorMsg / note'],
        rows.map((o) => [o.state, o.key, o.destination, o.status, String(o.attempt), [o.errorMsg, o.note, o.changed ? 'object changed since' : undefined].filter(Boolean).join('; ') || '-']),
      ),
    );
  }
  println(io);
  if (report.lag !== undefined) {
    const basis = report.lag.fromCreateTime > 0 ? ` (${formatCount(report.lag.fromCreateTime)} of ${formatCount(report.lag.count)} measured from the first submission: no modification time in the answer)` : '';
    println(io, `Lag to COMPLETE: p50 ${seconds(report.lag.p50Ms)}, p95 ${seconds(report.lag.p95Ms)}, max ${seconds(report.lag.maxMs)} over ${formatCount(report.lag.count)} objects${basis}`);
  }
  println(io, report.ossCheck === 'done' ? 'Changed / deleted objects: checked in OSS.' : 'Changed / deleted objects: check skipped (OSS_BUCKET is not set).');
  if (!redrive && report.counts.failed > 0) println(io, `${formatCount(report.counts.failed)} failed object(s) not re-driven: run again with --redrive.`);
  println(io, `API calls: ${report.calls.describeSubTasks} DescribeDataFlowSubTasks, ${report.calls.describeTasks} DescribeDataFlowTasks, ${report.calls.creates} creates.`);
  if (report.trouble !== undefined) println(io, `Stopped early: ${report.trouble.code}${report.trouble.retryable ? ' (retryable: run again)' : ''}: ${redactText(report.trouble.message)}`);
}
