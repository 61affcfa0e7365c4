/**
 * `cpfs-ingest`: the operator CLI. Bundled by `npm run build` to dist/cli/cpfs-ingest.js (the package's
 * `bin`). Commands live in cli/commands/; exit codes in cli/exit-codes.ts; configuration is the functions'
 * own (environment, optionally overlaid by `--config FILE`).
 */
import { closestName, unknownVariableNotes } from '../shared/config/load-config.js';
import { ConfigError, CpfsIngestError, ValidationError } from '../shared/errors.js';
import { redactText } from '../shared/log.js';
import { CREDENTIAL_ENV } from '../shared/nas/credentials.js';
import { COMMON_HELP, parseCommandArgs, UsageError } from './args.js';
import { BACKFILL_HELP, runBackfill } from './commands/backfill.js';
import { CANCEL_HELP, runCancel } from './commands/cancel.js';
import { DEPLOY_CHECK_HELP, DEPLOY_VARIABLES, runDeployCheck } from './commands/deploy-check.js';
import { DOCTOR_HELP, runDoctor } from './commands/doctor.js';
import { INVOKE_HELP, runInvoke } from './commands/invoke.js';
import { PLAN_HELP, runPlan } from './commands/plan.js';
import { RECONCILE_HELP, runReconcileCommand } from './commands/reconcile.js';
import { RETRY_TASK_HELP, runRetryTask } from './commands/retry-task.js';
import { runStatus, STATUS_HELP } from './commands/status.js';
import { runVerify, VERIFY_HELP } from './commands/verify.js';
import { runDemo } from './demo.js';
import { resolveEnv } from './config-source.js';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { println, printJson, processIo, type CliIo } from './io.js';

export const DEMO_HELP = `Usage: cpfs-ingest demo [--watch DIR] [--keep] [--out FILE] [--json] [--verbose]

Runs the end-to-end demo against the embedded NAS OpenAPI emulator (what \`npm start\` runs).

Options:
  --watch DIR   watch DIR and ingest the files dropped into it
  --keep        keep the demo's temporary directories
  --out FILE    also write the demo report to FILE
  --json        machine-readable report
  --verbose     also print every record in full (the table is cut to the terminal width, 100 when not a terminal)
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
    ...(values.verbose !== undefined ? { verbose: values.verbose } : {}),
    ...(io.stdout.isTTY && io.stdout.columns ? { columns: io.stdout.columns } : {}),
  });
}

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

export const COMMANDS: Readonly<Record<string, { run: Command; summary: string; help: string }>> = {
  invoke: { run: runInvoke, summary: 'run the function on an event, locally, against the configured endpoint', help: INVOKE_HELP },
  plan: { run: runPlan, summary: 'dry run: routing, grouping, packing and rejections for keys (sends nothing)', help: PLAN_HELP },
  doctor: { run: runDoctor, summary: 'check configuration, credentials, data flow, file system version', help: DOCTOR_HELP },
  status: { run: runStatus, summary: 'recent tasks and sub-tasks; --key KEY: where is this object', help: STATUS_HELP },
  backfill: { run: runBackfill, summary: 'list a prefix of the bucket and submit what is found (resumable)', help: BACKFILL_HELP },
  reconcile: { run: runReconcileCommand, summary: 'one run of the reconcile function, here (state shared with the deployed one)', help: RECONCILE_HELP },
  verify: { run: runVerify, summary: 'follow submissions to COMPLETE; --redrive re-submits failures (exactly once)', help: VERIFY_HELP },
  'retry-task': { run: runRetryTask, summary: 're-run a failed batch Import task (SrcTaskId)', help: RETRY_TASK_HELP },
  cancel: { run: runCancel, summary: 'cancel one task or one sub-task (--dry-run: validate only)', help: CANCEL_HELP },
  'deploy-check': { run: runDeployCheck, summary: 'offline: every problem of the variables s.yaml reads (npm run deploy:check)', help: DEPLOY_CHECK_HELP },
  demo: { run: runDemoCommand, summary: 'the end-to-end demo on the local emulator (npm start)', help: DEMO_HELP },
};

export const MAIN_HELP = `Usage: cpfs-ingest <command> [options]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`).join('\n')}

Configuration: the functions' environment variables (CPFS_FILE_SYSTEM_ID, CPFS_DATA_FLOW_ID, NAS_ENDPOINT or
FC_REGION, OSS_BUCKET, …; see shared/config/README.md), from the environment and/or --config FILE.
Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET (, ALIBABA_CLOUD_SECURITY_TOKEN).
\`cpfs-ingest <command> --help\` for each command.

${COMMON_HELP}

${EXIT_CODES_HELP}`;

/** Commands that report unknown CPFS_* variables themselves (or do not read the configuration). */
const OWN_NOTES = new Set(['doctor', 'deploy-check', 'demo']);

/** What a failed command prints with `--json`: one document on stdout (and a short line on stderr). */
export interface JsonError {
  readonly ok: false;
  readonly command: string;
  readonly exitCode: number;
  readonly error: {
    readonly kind: 'usage' | 'configuration' | 'validation' | 'remote' | 'unexpected';
    readonly code?: string;
    readonly retryable?: boolean;
    readonly message: string;
    readonly problems?: ReadonlyArray<{ field: string; rule: string }>;
  };
}

/** Runs the CLI; returns the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    println(io, MAIN_HELP);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const json = rest.includes('--json');
  const secrets = [io.env[CREDENTIAL_ENV.accessKeySecret], io.env[CREDENTIAL_ENV.securityToken]].filter((s): s is string => typeof s === 'string' && s !== '');
  const redact = (text: string) => redactText(text, secrets);

  const command = COMMANDS[name];
  if (command === undefined) {
    const guess = closestName(name, Object.keys(COMMANDS), 2);
    const message = `unknown command "${name.slice(0, 64)}"${guess ? ` (did you mean ${guess}?)` : ''}`;
    if (json) printJson(io, { ok: false, command: name.slice(0, 64), exitCode: EXIT.USAGE, error: { kind: 'usage', message } } satisfies JsonError);
    io.stderr.write(`cpfs-ingest: ${message}\n${json ? '' : `\n${MAIN_HELP}\n`}`);
    return EXIT.USAGE;
  }
  if (!OWN_NOTES.has(name) && !rest.includes('--help') && !rest.includes('-h')) warnUnknownVariables(io, rest);

  const fail = (exitCode: number, error: JsonError['error'], text: string): number => {
    const safe = { ...error, message: redact(error.message) };
    if (json) {
      printJson(io, { ok: false, command: name, exitCode, error: safe } satisfies JsonError);
      io.stderr.write(`cpfs-ingest ${name}: ${redact(firstLine(text))} (details: the JSON on stdout)\n`);
    } else {
      io.stderr.write(`cpfs-ingest ${name}: ${redact(text)}\n`);
    }
    return exitCode;
  };
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      return fail(EXIT.USAGE, { kind: 'usage', message: error.message }, `${error.message}\n(see cpfs-ingest ${name} --help)`);
    }
    if (error instanceof ConfigError) {
      const problems = error.problems.map((p) => ({ field: redact(p.field), rule: redact(p.rule) }));
      return fail(
        EXIT.USAGE,
        { kind: 'configuration', code: error.code, message: `${problems.length} configuration problem(s)`, problems },
        `configuration problems:\n${problems.map((p) => `  ${p.field}: ${p.rule}`).join('\n')}`,
      );
    }
    if (error instanceof ValidationError) {
      return fail(EXIT.USAGE, { kind: 'validation', code: error.code, message: error.message }, error.message);
    }
    if (error instanceof CpfsIngestError) {
      return fail(
        error.retryable ? EXIT.RETRYABLE : EXIT.FAILED,
        { kind: 'remote', code: error.code, retryable: error.retryable, message: error.message },
        `${error.code}${error.retryable ? ' (retryable)' : ''}: ${error.message}`,
      );
    }
    const message = error instanceof Error ? (io.env['CPFS_INGEST_DEBUG'] ? (error.stack ?? error.message) : error.message) : String(error);
    return fail(EXIT.FAILED, { kind: 'unexpected', message }, `unexpected error: ${message}`);
  }
}

function firstLine(text: string): string {
  const [line = ''] = text.split('\n');
  return line.endsWith(':') ? line.slice(0, -1) : line;
}

/**
 * Every command warns about `CPFS_*` variables no setting reads (typos), from the environment and the
 * `--config` file, on stderr — so that a misspelt setting is not silently ignored. A file that cannot be
 * read is left for the command to report.
 */
function warnUnknownVariables(io: CliIo, args: readonly string[]): void {
  const index = args.findIndex((a) => a === '--config' || a.startsWith('--config='));
  const arg = index < 0 ? undefined : args[index];
  const file = arg === undefined ? undefined : arg.startsWith('--config=') ? arg.slice('--config='.length) : args[index + 1];
  let env = io.env;
  try {
    env = resolveEnv(io.env, file);
  } catch {
    // The command reports the file's problems.
  }
  // s.yaml's own inputs (CPFS_LOG_PROJECT, CPFS_REGION, …) are often exported in the same shell: not typos.
  const deployInputs: readonly string[] = DEPLOY_VARIABLES;
  for (const note of unknownVariableNotes(env)) {
    if (!deployInputs.some((name) => note.startsWith(`${name} `))) io.stderr.write(`cpfs-ingest: warning: ${note}\n`);
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
