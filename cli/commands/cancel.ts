/**
 * `cpfs-ingest cancel --task TASK_ID [--sub-task SUB_TASK_ID]`: cancels one data-flow task
 * (CancelDataFlowTask) or one sub-task of a streaming task (CancelDataFlowSubTask, CPFS for LINGJUN 2.6+).
 *
 * An operator's command only: the functions never cancel (their role is not granted it; deploy/ has the
 * operator's RAM example that is). `--dry-run` sends `DryRun=true` (so does CPFS_DRY_RUN): the service only
 * checks the request. The ClientToken is derived from (file system, data flow, task, sub-task), so running
 * the same command again after a network error does not count as a second cancel.
 *
 * What the service answers for a task or sub-task that cannot be cancelled (a terminal state; a streaming
 * task that still has running sub-tasks) is printed as it comes, with exit 1: repeating it will not help
 * (shared/nas/classify.ts CANCEL_STATE_CODES).
 */
import { createHash } from 'node:crypto';
import { NasApiError } from '../../shared/errors.js';
import { COMMON_HELP, parseCommandArgs, UsageError } from '../args.js';
import { EXIT, EXIT_CODES_HELP } from '../exit-codes.js';
import { println, printJson, type CliIo } from '../io.js';
import { cliEnv, cliRuntime } from '../wiring.js';

export const CANCEL_HELP = `Usage: cpfs-ingest cancel --task TASK_ID [--sub-task SUB_TASK_ID] [--dry-run] [options]

Cancels one task of the configured data flow (CancelDataFlowTask), or with --sub-task one sub-task of a
streaming task (CancelDataFlowSubTask; CPFS for LINGJUN 2.6+). A sub-task goes CREATED/RUNNING → CANCELING →
CANCELED; a finished one cannot be cancelled, nor a streaming task that still has running sub-tasks
(cancel those first). The functions never cancel: this is the operator's tool.

Options:
  --task TASK_ID           the task (task-…); with --sub-task, the streaming task the sub-task belongs to
  --sub-task SUB_TASK_ID   cancel only this sub-task of TASK_ID
  --dry-run                send DryRun=true: the service checks the request, nothing is cancelled
                           (CPFS_DRY_RUN=true does the same)
${COMMON_HELP}

${EXIT_CODES_HELP}
  (cancel: 1 when the service refuses, e.g. the task or sub-task is unknown or already finished)`;

/** Prefix of cancel ClientTokens; with 48 hex characters the token is 60 ≤ 64 ASCII characters. */
export const CANCEL_TOKEN_PREFIX = 'cpfs-cancel-';

/** The ClientToken of one cancel request (see the module comment). */
export function cancelClientToken(fileSystemId: string, dataFlowId: string, taskId: string, subTaskId: string | undefined): string {
  const digest = createHash('sha256').update(JSON.stringify(['v1', 'cancel', fileSystemId, dataFlowId, taskId, subTaskId ?? null]), 'utf8').digest('hex');
  return `${CANCEL_TOKEN_PREFIX}${digest.slice(0, 48)}`;
}

export async function runCancel(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { task: { type: 'string' }, 'sub-task': { type: 'string' }, 'dry-run': { type: 'boolean' } });
  if (values.help) {
    println(io, CANCEL_HELP);
    return EXIT.OK;
  }
  if (positionals.length > 0) throw new UsageError('unexpected arguments: name the task with --task TASK_ID');
  const taskId = values.task;
  if (taskId === undefined) throw new UsageError('--task TASK_ID is required');
  if (!/^task-[0-9A-Za-z]+$/.test(taskId)) throw new UsageError('--task must look like task-… (letters and digits)');
  const subTaskId = values['sub-task'];
  if (subTaskId !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(subTaskId)) throw new UsageError('--sub-task must be a sub-task id (letters, digits, "-" or "_")');
  const env = cliEnv(io, values);
  const { config, api } = cliRuntime(env, { io, verbose: values.verbose, interactive: true });
  const dryRun = values['dry-run'] === true || config.dryRun;
  const clientToken = cancelClientToken(config.fileSystemId, config.dataFlowId, taskId, subTaskId);
  const target = subTaskId === undefined ? `task ${taskId}` : `sub-task ${subTaskId} of task ${taskId}`;
  const common = { FileSystemId: config.fileSystemId, DataFlowId: config.dataFlowId, ClientToken: clientToken, ...(dryRun ? { DryRun: true } : {}) };
  try {
    const answer = subTaskId === undefined
      ? await api.cancelDataFlowTask({ ...common, TaskId: taskId })
      : await api.cancelDataFlowSubTask({ ...common, DataFlowTaskId: taskId, DataFlowSubTaskId: subTaskId });
    const result = { cancelled: !dryRun, dryRun, taskId, ...(subTaskId !== undefined ? { subTaskId } : {}), requestId: answer.RequestId };
    if (values.json) printJson(io, result);
    else println(io, dryRun ? `validated (DryRun, nothing cancelled): ${target}` : `cancel requested: ${target} (RequestId ${answer.RequestId})`);
    return EXIT.OK;
  } catch (error) {
    if (!(error instanceof NasApiError)) throw error;
    if (values.json) printJson(io, { cancelled: false, dryRun, taskId, ...(subTaskId !== undefined ? { subTaskId } : {}), code: error.code, message: error.message, retryable: error.retryable });
    else println(io, `not cancelled: ${target}: ${error.code}: ${error.message}`);
    return error.retryable ? EXIT.RETRYABLE : EXIT.FAILED;
  } finally {
    api.close();
  }
}
