/**
 * `cpfs-ingest invoke --event FILE|-`: runs the function's own invocation path (`runIngestInvocation`, the
 * same wiring the FC handler builds) on an event, locally, against the configured NAS endpoint, and prints
 * one outcome per record.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../shared/errors.js';
import type { IngestReport, RecordOutcome } from '../../shared/ingest/index.js';
import { fromEnv } from '../../shared/nas/credentials.js';
import { runIngestInvocation, withoutSecrets } from '../../shared/runtime.js';
import { COMMON_HELP, intFlag, parseCommandArgs, UsageError } from '../args.js';
import { EXIT, EXIT_CODES_HELP } from '../exit-codes.js';
import { formatCount, formatTable, println, printJson, type CliIo } from '../io.js';
import { cliConfig, cliEnv, cliRuntime } from '../wiring.js';

export const INVOKE_HELP = `Usage: cpfs-ingest invoke --event FILE|- [options]

Runs the ingest function's handler path on an event (any envelope FC delivers: native OSS, CloudEvent,
MNS batch) against the configured NAS endpoint, with credentials from the environment, and prints one
outcome per record. Real calls: use CPFS_DRY_RUN=true to have the service only validate them.

Options:
  --event FILE      the event payload; "-" reads stdin
  --timeout SEC     the invocation's time budget, as FC's function timeout (default 300)
${COMMON_HELP}

${EXIT_CODES_HELP}
  (invoke: 1 when a record was rejected or failed for good, 3 when one failed retryably — FC would retry)`;

export async function runInvoke(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, { event: { type: 'string' }, timeout: { type: 'string' } });
  if (values.help) {
    println(io, INVOKE_HELP);
    return EXIT.OK;
  }
  if (values.event === undefined) throw new UsageError('--event FILE (or - for stdin) is required');
  const timeoutSeconds = intFlag('timeout', values.timeout, 300, 1, 86_400);
  const env = cliEnv(io, values);
  // Missing credentials are a configuration error (exit 2, naming the variables), reported with every other
  // problem — not a failed record: locally, the environment is the only source (no FC context).
  const problems: ConfigError['problems'][number][] = [];
  try {
    cliConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  try {
    await fromEnv(env)();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const payload = values.event === '-' ? await readAll(io.stdin) : readEventFile(values.event);

  const runtime = cliRuntime(env, { io, verbose: values.verbose });
  let report: IngestReport;
  try {
    const context = { requestId: `cli-${randomUUID()}`, function: { name: 'cpfs-ingest-cli', timeout: timeoutSeconds } };
    // Printed whole below: like the function's result, with no current secret in it.
    report = withoutSecrets(runtime, await runIngestInvocation(runtime, payload, context, io.now()));
  } finally {
    runtime.api.close();
  }

  if (values.json) {
    printJson(io, { mode: report.mode, dryRun: report.dryRun, counts: report.counts, retryableFailures: report.retryableFailures, outcomes: report.outcomes });
  } else {
    println(io, `mode ${report.mode}${report.dryRun ? ' (CPFS_DRY_RUN: validated by the service, nothing imported)' : ''}`);
    println(io, formatTable(['status', 'key', 'detail'], report.outcomes.map(outcomeRow)));
    println(io);
    println(io, Object.entries(report.counts).map(([status, n]) => `${status} ${formatCount(n)}`).join(', '));
  }
  if (report.retryableFailures > 0) return EXIT.RETRYABLE;
  return report.counts.rejected + report.counts.failed > 0 ? EXIT.FAILED : EXIT.OK;
}

function outcomeRow(outcome: RecordOutcome): string[] {
  switch (outcome.status) {
    case 'submitted':
      return [
        'submitted',
        outcome.key,
        `${outcome.srcFilePath} -> ${outcome.dstFilePath} (${outcome.conflictPolicy}${outcome.taskId ? `, task ${outcome.taskId}` : ''}${outcome.subTaskId ? `, sub-task ${outcome.subTaskId}` : ''})`,
      ];
    case 'failed':
      return ['failed', outcome.key, `${outcome.code}${outcome.retryable ? ' (retryable)' : ''}: ${outcome.message}`];
    case 'rejected':
      return ['rejected', outcome.key ?? '-', `${outcome.kind}: ${outcome.reason}`];
    default:
      return [outcome.status, outcome.key ?? '-', outcome.reason];
  }
}

function readEventFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : 'read error';
    throw new UsageError(`--event: cannot read ${path} (${code})`);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
