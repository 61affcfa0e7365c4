/**
 * `cpfs-ingest retry-task TASK_ID`: re-runs a failed batch Import task with CreateDataFlowTask `SrcTaskId`
 * (the service copies TaskAction, DataType and EntryList from it; Directory, DstDirectory and ConflictPolicy
 * are sent again from the source task).
 *
 * ClientToken: `cpfs-retry-` + 48 hex of SHA-256 over (file system, data flow, source task id, attempt).
 * Running the same command twice (a double start, or a repeat after a network error) therefore returns the
 * same new task instead of starting two; `--attempt N` (default 1) asks for a further, distinct retry — e.g.
 * when the first retry failed too.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../../shared/config/load-config.js';
import { isCreateDirUnsupported, isTokenReusedWithOtherParameters } from '../../shared/nas/classify.js';
import type { NasClient } from '../../shared/nas/client.js';
import type { CreateDataFlowTaskParams } from '../../shared/nas/types.js';
import { CONFLICT_POLICIES, type ConflictPolicy, type DataFlowTask } from '../../shared/nas/wire.js';
import { COMMON_HELP, intFlag, parseCommandArgs, UsageError } from '../args.js';
import { EXIT, EXIT_CODES_HELP } from '../exit-codes.js';
import { println, printJson, type CliIo } from '../io.js';
import { cliEnv, cliRuntime } from '../wiring.js';

export const RETRY_TASK_HELP = `Usage: cpfs-ingest retry-task TASK_ID [--attempt N] [--force] [options]

Re-runs a failed batch Import task of the configured data flow: CreateDataFlowTask with SrcTaskId=TASK_ID
(the service copies the action, data type and EntryList), the source task's Directory, DstDirectory and
ConflictPolicy, and a ClientToken derived from the file system, data flow, TASK_ID and the attempt number:
repeating the command returns the same new task; --attempt 2, 3, … starts a further retry.

Options:
  --attempt N    which retry of TASK_ID this is, 1-1000 (default 1)
  --force        also re-run a task that is not Failed (e.g. Completed with some files failed)
${COMMON_HELP}

${EXIT_CODES_HELP}
  (retry-task: 1 when the task is not found, is not a batch Import task, or is not Failed without --force)`;

/** Prefix of retry ClientTokens; with 48 hex characters the token is 59 ≤ 64 ASCII characters. */
export const RETRY_TOKEN_PREFIX = 'cpfs-retry-';

/** The ClientToken of retry number `attempt` of `srcTaskId` (see the module comment). */
export function retryClientToken(fileSystemId: string, dataFlowId: string, srcTaskId: string, attempt: number): string {
  const digest = createHash('sha256').update(JSON.stringify(['v1', 'retry', fileSystemId, dataFlowId, srcTaskId, attempt]), 'utf8').digest('hex');
  return `${RETRY_TOKEN_PREFIX}${digest.slice(0, 48)}`;
}

export async function runRetryTask(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { attempt: { type: 'string' }, force: { type: 'boolean' } }, true);
  if (values.help) {
    println(io, RETRY_TASK_HELP);
    return EXIT.OK;
  }
  if (positionals.length !== 1) throw new UsageError('give exactly one TASK_ID');
  const srcTaskId = positionals[0] as string;
  if (!/^task-[0-9A-Za-z]+$/.test(srcTaskId)) throw new UsageError('TASK_ID must look like task-… (letters and digits)');
  const attempt = intFlag('attempt', values.attempt, 1, 1, 1000);
  const env = cliEnv(io, values);
  const { config, api } = cliRuntime(env, { io, verbose: values.verbose, interactive: true });
  try {
    const source = await findTask(config, api, srcTaskId);
    const refusal = source === undefined
      ? `no task ${srcTaskId} on data flow ${config.dataFlowId} of ${config.fileSystemId}`
      : source.TaskAction !== 'Import'
        ? `${srcTaskId} is a ${source.TaskAction ?? 'task of unknown action'} task; only batch Import tasks can be re-run (SrcTaskId does not copy streaming tasks)`
        : source.Status !== 'Failed' && !values.force
          ? `${srcTaskId} is ${source.Status}, not Failed${source.Status === 'Completed' ? ' (use --force to re-run it anyway, e.g. when some files failed)' : ''}`
          : undefined;
    if (refusal !== undefined || source === undefined) {
      if (values.json) printJson(io, { retried: false, srcTaskId, reason: refusal });
      else println(io, `not retried: ${refusal}`);
      return EXIT.FAILED;
    }
    const clientToken = retryClientToken(config.fileSystemId, config.dataFlowId, srcTaskId, attempt);
    const taskId = await createRetry(config, api, source, clientToken);
    if (values.json) printJson(io, { retried: true, srcTaskId, attempt, taskId, clientToken, dryRun: config.dryRun });
    else println(io, `${config.dryRun ? 'validated (CPFS_DRY_RUN, nothing created)' : `retry ${attempt} of ${srcTaskId}: task ${taskId ?? '?'}`} (ClientToken ${clientToken})`);
    return EXIT.OK;
  } finally {
    api.close();
  }
}

async function findTask(config: Config, api: NasClient, taskId: string): Promise<DataFlowTask | undefined> {
  let nextToken: string | undefined;
  do {
    const answer = await api.describeDataFlowTasks({
      FileSystemId: config.fileSystemId,
      Filters: [{ Key: 'DataFlowIds', Value: config.dataFlowId }, { Key: 'TaskIds', Value: taskId }],
      MaxResults: 100,
      ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
    });
    // The TaskIds filter matches "an ID or part of one": keep the exact id only.
    const exact = (answer.TaskInfo?.Task ?? []).find((t) => t.TaskId === taskId);
    if (exact !== undefined) return exact;
    nextToken = answer.NextToken || undefined;
  } while (nextToken !== undefined);
  return undefined;
}

async function createRetry(config: Config, api: NasClient, source: DataFlowTask, clientToken: string): Promise<string | undefined> {
  const policy = (CONFLICT_POLICIES as readonly string[]).includes(source.ConflictPolicy ?? '') ? (source.ConflictPolicy as ConflictPolicy) : config.defaultConflictPolicy;
  const params: CreateDataFlowTaskParams = {
    FileSystemId: config.fileSystemId,
    DataFlowId: config.dataFlowId,
    SrcTaskId: source.TaskId,
    ...(source.Directory !== undefined ? { Directory: source.Directory } : {}),
    ...(source.DstDirectory !== undefined ? { DstDirectory: source.DstDirectory } : {}),
    ConflictPolicy: policy,
    ClientToken: clientToken,
    ...(config.dryRun ? { DryRun: true } : {}),
  };
  const lingjun = config.fileSystemKind === 'lingjun';
  try {
    // As the function does: CreateDirIfNotExist on LINGJUN (2.6+), without it when the version refuses it.
    return (await api.createDataFlowTask(lingjun ? { ...params, CreateDirIfNotExist: true } : params)).TaskId;
  } catch (error) {
    // IdempotentParameterMismatch: an earlier run of this retry succeeded without the parameter (older version).
    const refusedCreateDir = isCreateDirUnsupported(error) || isTokenReusedWithOtherParameters(error);
    if (!(lingjun && refusedCreateDir)) throw error;
    return (await api.createDataFlowTask(params)).TaskId;
  }
}
