/**
 * `cpfs-ingest`: the operator CLI. Bundled by `npm run build` to dist/cli/cpfs-ingest.js (the package's
 * `bin`). Commands live in cli/commands/; exit codes in cli/exit-codes.ts; configuration is the functions'
 * own (environment, optionally overlaid by `--config FILE`).
 */
import { ConfigError, CpfsIngestError, ValidationError } from '../shared/errors.js';
import { redactText } from '../shared/log.js';
import { CREDENTIAL_ENV } from '../shared/nas/credentials.js';
import { COMMON_HELP, parseCommandArgs, UsageError } from './args.js';
import { BACKFILL_HELP, runBackfill } from './commands/backfill.js';
import { DOCTOR_HELP, runDoctor } from './commands/doctor.js';
import { INVOKE_HELP, runInvoke } from './commands/invoke.js';
import { PLAN_HELP, runPlan } from './commands/plan.js';
import { RETRY_TASK_HELP, runRetryTask } from './commands/retry-task.js';
import { runStatus, STATUS_HELP } from './commands/status.js';
import { runVerify, VERIFY_HELP } from './commands/verify.js';
import { runDemo } from './demo.js';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { println, processIo, type CliIo } from './io.js';

export const DEMO_HELP = `Usage: cpfs-ingest demo [--watch DIR] [--keep] [--out FILE] [--json]

Runs the end-to-end demo against the embedded NAS OpenAPI emulator (what \`npm start\` runs).

Options:
  --watch DIR   watch DIR and ingest the files dropped into it
  --keep        keep the demo's temporary directories
  --out FILE    also write the demo report to FILE
  --json        machine-readable report
  -h, --help    this help`;

async function runDemoCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, { watch: { type: 'string' }, keep: { type: 'boolean' }, out: { type: 'string' } });
  if (values.help) {
    println(io, DEMO_HELP);
    return EXIT.OK;
  }
  return runDemo({
    ...(values.watch !== undefined ? { watchDir: values.watch } : {}),
    ...(values.json !== undefined ? { json: values.json } : {}),
    ...(values.keep !== undefined ? { keep: values.keep } : {}),
    ...(values.out !== undefined ? { out: values.out } : {}),
  });
}

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

export const COMMANDS: Readonly<Record<string, { run: Command; summary: string; help: string }>> = {
  invoke: { run: runInvoke, summary: 'run the function on an event, locally, against the configured endpoint', help: INVOKE_HELP },
  plan: { run: runPlan, summary: 'dry run: routing, grouping, packing and rejections for keys (sends nothing)', help: PLAN_HELP },
  doctor: { run: runDoctor, summary: 'check configuration, credentials, data flow, file system version', help: DOCTOR_HELP },
  status: { run: runStatus, summary: 'recent tasks and sub-tasks; --key KEY: where is this object', help: STATUS_HELP },
  backfill: { run: runBackfill, summary: 'list a prefix of the bucket and submit what is found (resumable)', help: BACKFILL_HELP },
  verify: { run: runVerify, summary: 'follow submissions to COMPLETE; --redrive re-submits failures (exactly once)', help: VERIFY_HELP },
  'retry-task': { run: runRetryTask, summary: 're-run a failed batch Import task (SrcTaskId)', help: RETRY_TASK_HELP },
  demo: { run: runDemoCommand, summary: 'the end-to-end demo on the local emulator (npm start)', help: DEMO_HELP },
};

export const MAIN_HELP = `Usage: cpfs-ingest <command> [options]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(11)} ${c.summary}`).join('\n')}

Configuration: the functions' environment variables (CPFS_FILE_SYSTEM_ID, CPFS_DATA_FLOW_ID, NAS_ENDPOINT or
FC_REGION, OSS_BUCKET, …; see shared/config/README.md), from the environment and/or --config FILE.
Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET (, ALIBABA_CLOUD_SECURITY_TOKEN).
\`cpfs-ingest <command> --help\` for each command.

${COMMON_HELP}

${EXIT_CODES_HELP}`;

/** Runs the CLI; returns the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    println(io, MAIN_HELP);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr.write(`cpfs-ingest: unknown command "${name}"\n\n${MAIN_HELP}\n`);
    return EXIT.USAGE;
  }
  const secrets = [io.env[CREDENTIAL_ENV.accessKeySecret], io.env[CREDENTIAL_ENV.securityToken]].filter((s): s is string => typeof s === 'string' && s !== '');
  const fail = (text: string) => io.stderr.write(`cpfs-ingest ${name}: ${redactText(text, secrets)}\n`);
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      fail(`${error.message}\n(see cpfs-ingest ${name} --help)`);
      return EXIT.USAGE;
    }
    if (error instanceof ConfigError) {
      fail(`configuration problems:\n${error.problems.map((p) => `  ${p.field}: ${p.rule}`).join('\n')}`);
      return EXIT.USAGE;
    }
    if (error instanceof ValidationError) {
      fail(error.message);
      return EXIT.USAGE;
    }
    if (error instanceof CpfsIngestError) {
      fail(`${error.code}${error.retryable ? ' (retryable)' : ''}: ${error.message}`);
      return error.retryable ? EXIT.RETRYABLE : EXIT.FAILED;
    }
    fail(`unexpected error: ${error instanceof Error ? (io.env['CPFS_INGEST_DEBUG'] ? (error.stack ?? error.message) : error.message) : String(error)}`);
    return EXIT.FAILED;
  }
}

/**
 * The AWS SDK warns on every run that its releases after January 2027 need Node 22; the project targets
 * Node 20 (FC's nodejs20). Its documented switch turns that one warning off so that it does not bury the
 * CLI's output (an explicit setting in the environment is respected).
 */
function silenceNodeVersionWarning(): void {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
}

// The bundle's entry point: run with the process's arguments, then exit with the code once output is flushed.
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) {
  silenceNodeVersionWarning();
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    process.stdout.write('', () => process.exit(code));
  });
}
