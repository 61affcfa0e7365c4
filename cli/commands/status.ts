/**
 * `cpfs-ingest status`: recent data-flow tasks and their sub-tasks, with progress and failures; and
 * `status --key KEY`: where one object is, from the platform's own record (DescribeDataFlowSubTasks filtered
 * by the SrcFilePath the planning code computes for the key).
 *
 * Signed URLs are never printed: task views are built field by field from a whitelist, so `Reports` and
 * `ReportPath` (signed OSS links of LINGJUN batch-task reports) are dropped — only report *names* are shown —
 * and free text (ErrorMsg) is passed through the logger's redaction of signed-URL parameters.
 */
import type { Config } from '../../shared/config/load-config.js';
import { redactText } from '../../shared/log.js';
import type { NasClient } from '../../shared/nas/client.js';
import type { DataFlowSubTask, DataFlowTask } from '../../shared/nas/wire.js';
import { BACKFILL_EVENT_NAME } from '../../shared/oss/listing.js';
import { latestAttempt, UNSUCCESSFUL_SUB_TASK_STATUSES } from '../../shared/verify/classify.js';
import { planSubmissions } from '../../shared/planning/index.js';
import { COMMON_HELP, intFlag, parseCommandArgs } from '../args.js';
import { EXIT, EXIT_CODES_HELP } from '../exit-codes.js';
import { formatBytes, formatCount, formatTable, println, printJson, type CliIo } from '../io.js';
import { cliEnv, cliRuntime } from '../wiring.js';

export const STATUS_HELP = `Usage: cpfs-ingest status [--limit N] [--task ID] [options]
       cpfs-ingest status --key KEY [options]

Without --key: the most recent tasks of the data flow (DescribeDataFlowTasks), newest first, with files and
bytes done and errors; for streaming tasks, their sub-tasks (DescribeDataFlowSubTasks) by status, and the
failed ones with ErrorMsg. Report links (signed URLs) are never printed, only the names of the reports.

With --key KEY: where that object is. Computes the SrcFilePath the function sends for KEY (same planning
code) and finds its sub-task(s) through DescribeDataFlowSubTasks' SrcFilePath filter: status, progress,
destination path. Batch Import tasks do not list their entries, so objects sent in batch mode are not found.

Options:
  --limit N           tasks to show (default 10)
  --task ID           only this task
  --max-subtasks N    sub-tasks read per streaming task shown (default 500)
  --failures N        failed sub-tasks listed per task (default 20)
  --key KEY           the OSS key to look for
${COMMON_HELP}

${EXIT_CODES_HELP}
  (status --key: 1 when the key would be rejected, no sub-task has its SrcFilePath, or the latest
   attempt is FAILED, EXPIRED or CANCELED)`;

/** The fields of a task that are safe to show. Built from a whitelist: nothing else is ever copied. */
export interface TaskView {
  readonly taskId: string;
  readonly action?: string;
  readonly status: string;
  readonly conflictPolicy?: string;
  readonly directory?: string;
  readonly dstDirectory?: string;
  readonly createTime?: string;
  readonly endTime?: string;
  readonly filesDone?: number;
  readonly filesTotal?: number;
  readonly bytesDone?: number;
  readonly bytesTotal?: number;
  readonly errorMsg?: string;
  /** Names of the reports the service holds for the task; their links are signed URLs and are not shown. */
  readonly reports?: string[];
}

export interface SubTaskView {
  readonly subTaskId: string;
  readonly taskId?: string;
  readonly status: string;
  /** 0–100 (the API's 0–10000 scaled). */
  readonly percent?: number;
  readonly srcFilePath?: string;
  readonly dstFilePath?: string;
  readonly bytesDone?: number;
  readonly bytesTotal?: number;
  readonly createTime?: string;
  readonly endTime?: string;
  readonly errorMsg?: string;
}

const defined = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

/** A task as shown: whitelisted fields, report names only, free text redacted. */
export function taskView(task: DataFlowTask): TaskView {
  const names = (task.Reports?.Report ?? []).map((r) => r.Name).filter((n): n is string => typeof n === 'string');
  return defined({
    taskId: task.TaskId,
    action: task.TaskAction,
    status: task.Status,
    conflictPolicy: task.ConflictPolicy,
    directory: task.Directory,
    dstDirectory: task.DstDirectory,
    createTime: task.CreateTime,
    endTime: task.EndTime,
    filesDone: task.ProgressStats?.FilesDone,
    filesTotal: task.ProgressStats?.FilesTotal,
    bytesDone: task.ProgressStats?.BytesDone,
    bytesTotal: task.ProgressStats?.BytesTotal,
    errorMsg: task.ErrorMsg === undefined ? undefined : redactText(task.ErrorMsg),
    reports: names.length > 0 || task.ReportPath !== undefined ? (names.length > 0 ? names : ['report']) : undefined,
  });
}

/** A sub-task as shown. */
export function subTaskView(sub: DataFlowSubTask): SubTaskView {
  return defined({
    subTaskId: sub.DataFlowSubTaskId,
    taskId: sub.DataFlowTaskId,
    status: sub.Status,
    percent: sub.Progress === undefined ? undefined : sub.Progress / 100,
    srcFilePath: sub.SrcFilePath,
    dstFilePath: sub.DstFilePath,
    bytesDone: sub.ProgressStats?.BytesDone,
    bytesTotal: sub.ProgressStats?.BytesTotal,
    createTime: sub.CreateTime,
    endTime: sub.EndTime,
    errorMsg: sub.ErrorMsg === undefined ? undefined : redactText(sub.ErrorMsg),
  });
}

export async function runStatus(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    key: { type: 'string' },
    limit: { type: 'string' },
    task: { type: 'string' },
    'max-subtasks': { type: 'string' },
    failures: { type: 'string' },
  });
  if (values.help) {
    println(io, STATUS_HELP);
    return EXIT.OK;
  }
  const limit = intFlag('limit', values.limit, 10, 1, 1000);
  const maxSubTasks = intFlag('max-subtasks', values['max-subtasks'], 500, 0, 100_000);
  const maxFailures = intFlag('failures', values.failures, 20, 0, 10_000);
  const env = cliEnv(io, values);
  const { config, api } = cliRuntime(env, { io, verbose: values.verbose, interactive: true });
  try {
    if (values.key !== undefined) return await statusOfKey(values.key, config, api, io, values.json ?? false);
    return await recentTasks(config, api, io, { limit, maxSubTasks, maxFailures, json: values.json ?? false, ...(values.task !== undefined ? { taskId: values.task } : {}) });
  } finally {
    api.close();
  }
}

async function recentTasks(
  config: Config,
  api: NasClient,
  io: CliIo,
  options: { limit: number; maxSubTasks: number; maxFailures: number; json: boolean; taskId?: string },
): Promise<number> {
  const tasks: DataFlowTask[] = [];
  let nextToken: string | undefined;
  // DescribeDataFlowTasks has no documented order: read up to 1,000 tasks and sort by CreateTime.
  for (let page = 0; page < 10; page += 1) {
    const answer = await api.describeDataFlowTasks({
      FileSystemId: config.fileSystemId,
      Filters: [{ Key: 'DataFlowIds', Value: config.dataFlowId }, ...(options.taskId !== undefined ? [{ Key: 'TaskIds', Value: options.taskId }] : [])],
      MaxResults: 100,
      WithReports: true,
      ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
    });
    tasks.push(...(answer.TaskInfo?.Task ?? []).filter((t) => options.taskId === undefined || t.TaskId === options.taskId));
    nextToken = answer.NextToken || undefined;
    if (nextToken === undefined) break;
  }
  const shown = tasks
    .map((task, order) => ({ task, order }))
    .sort((a, b) => ((b.task.CreateTime ?? '') < (a.task.CreateTime ?? '') ? -1 : (b.task.CreateTime ?? '') > (a.task.CreateTime ?? '') ? 1 : b.order - a.order))
    .slice(0, options.limit)
    .map(({ task }) => task);

  const views = shown.map(taskView);
  const subTasks = new Map<string, { counts: Record<string, number>; read: number; complete: boolean; bytesDone: number; bytesTotal: number; failed: SubTaskView[] }>();
  const streaming = shown.filter((t) => t.TaskAction === 'StreamImport' || t.TaskAction === 'StreamExport');
  if (config.fileSystemKind === 'lingjun' && options.maxSubTasks > 0) {
    for (const task of streaming) subTasks.set(task.TaskId, await summariseSubTasks(config, api, task.TaskId, options.maxSubTasks, options.maxFailures));
  }

  if (options.json) {
    printJson(io, {
      fileSystemId: config.fileSystemId,
      dataFlowId: config.dataFlowId,
      tasks: views.map((view) => ({ ...view, ...(subTasks.has(view.taskId) ? { subTasks: subTasks.get(view.taskId) } : {}) })),
    });
    return EXIT.OK;
  }
  if (views.length === 0) {
    println(io, `No tasks on data flow ${config.dataFlowId} of ${config.fileSystemId}${options.taskId ? ` with id ${options.taskId}` : ''}.`);
    return options.taskId !== undefined ? EXIT.FAILED : EXIT.OK;
  }
  println(io, `Data flow ${config.dataFlowId} on ${config.fileSystemId}: ${views.length} most recent task(s) of ${tasks.length}, newest first`);
  println(
    io,
    formatTable(
      ['task', 'action', 'status', 'policy', 'files', 'bytes', 'created', 'ended'],
      views.map((v) => [
        v.taskId,
        v.action ?? '-',
        v.status,
        v.conflictPolicy ?? '-',
        v.filesTotal === undefined ? '-' : `${formatCount(v.filesDone ?? 0)}/${formatCount(v.filesTotal)}`,
        v.bytesTotal === undefined ? '-' : `${formatBytes(v.bytesDone ?? 0)}/${formatBytes(v.bytesTotal)}`,
        v.createTime ?? '-',
        v.endTime ?? '-',
      ]),
    ),
  );
  for (const view of views) {
    if (view.errorMsg !== undefined) println(io, `  ${view.taskId}: ${view.errorMsg}`);
    if (view.reports !== undefined) println(io, `  ${view.taskId}: reports ${view.reports.join(', ')} (links are signed URLs and are not shown; open them in the console)`);
  }
  for (const [taskId, summary] of subTasks) {
    println(io);
    const counts = Object.entries(summary.counts).map(([status, n]) => `${status} ${formatCount(n)}`).join(', ') || 'none';
    println(io, `Sub-tasks of ${taskId}${summary.complete ? '' : ` (first ${formatCount(summary.read)})`}: ${counts}; ${formatBytes(summary.bytesDone)} of ${formatBytes(summary.bytesTotal)}`);
    if (summary.failed.length > 0) {
      println(io, indent(formatTable(['sub-task', 'status', 'SrcFilePath', 'DstFilePath', 'error'], summary.failed.map((s) => [s.subTaskId, s.status, s.srcFilePath ?? '-', s.dstFilePath ?? '-', s.errorMsg ?? '-']))));
    }
  }
  return EXIT.OK;
}

async function summariseSubTasks(config: Config, api: NasClient, taskId: string, maxSubTasks: number, maxFailures: number) {
  const counts: Record<string, number> = {};
  const failed: SubTaskView[] = [];
  let read = 0;
  let bytesDone = 0;
  let bytesTotal = 0;
  let nextToken: string | undefined;
  do {
    const answer = await api.describeDataFlowSubTasks({
      FileSystemId: config.fileSystemId,
      Filters: [{ Key: 'DataFlowIds', Value: config.dataFlowId }, { Key: 'DataFlowTaskIds', Value: taskId }],
      MaxResults: 100,
      ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
    });
    for (const sub of answer.DataFlowSubTask?.DataFlowSubTask ?? []) {
      if (sub.DataFlowTaskId !== undefined && sub.DataFlowTaskId !== taskId) continue;
      read += 1;
      counts[sub.Status] = (counts[sub.Status] ?? 0) + 1;
      bytesDone += sub.ProgressStats?.BytesDone ?? 0;
      bytesTotal += sub.ProgressStats?.BytesTotal ?? 0;
      if ((sub.Status === 'FAILED' || sub.Status === 'EXPIRED') && failed.length < maxFailures) failed.push(subTaskView(sub));
    }
    nextToken = answer.NextToken || undefined;
  } while (nextToken !== undefined && read < maxSubTasks);
  return { counts, read, complete: nextToken === undefined, bytesDone, bytesTotal, failed };
}

async function statusOfKey(key: string, config: Config, api: NasClient, io: CliIo, json: boolean): Promise<number> {
  const plan = planSubmissions([{ bucket: config.bucket ?? '', key, eventName: BACKFILL_EVENT_NAME }], config.planning);
  const rejected = plan.rejected[0];
  const item = plan.items[0];
  if (item === undefined) {
    const reason = rejected ? `${rejected.kind}: ${rejected.reason}` : 'not planned';
    if (json) printJson(io, { key, planned: false, reason });
    else println(io, `${key} would not be imported (${reason}), so no sub-task can exist for it.`);
    return EXIT.FAILED;
  }
  const where = { key, srcFilePath: item.srcFilePath, dstFilePath: item.dstFilePath, conflictPolicy: item.conflictPolicy };
  if (config.fileSystemKind === 'general') {
    if (json) printJson(io, { ...where, planned: true, subTasks: [], note: 'cpfs-… file systems import through batch Import tasks, which do not list their entries' });
    else println(io, `${key} -> SrcFilePath ${item.srcFilePath}, DstFilePath ${item.dstFilePath}; cpfs-… file systems import through batch Import tasks, which do not list their entries: see \`cpfs-ingest status\`.`);
    return EXIT.FAILED;
  }
  const found: SubTaskView[] = [];
  const attempts: DataFlowSubTask[] = [];
  let nextToken: string | undefined;
  do {
    const answer = await api.describeDataFlowSubTasks({
      FileSystemId: config.fileSystemId,
      Filters: [{ Key: 'DataFlowIds', Value: config.dataFlowId }, { Key: 'SrcFilePath', Value: item.srcFilePath }],
      MaxResults: 100,
      ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
    });
    for (const sub of answer.DataFlowSubTask?.DataFlowSubTask ?? []) {
      // The SrcFilePath filter may match part of a path: keep exact matches only.
      if (sub.SrcFilePath !== undefined && sub.SrcFilePath !== item.srcFilePath) continue;
      if (sub.DataFlowId !== undefined && sub.DataFlowId !== config.dataFlowId) continue;
      attempts.push(sub);
      found.push(subTaskView(sub));
    }
    nextToken = answer.NextToken || undefined;
  } while (nextToken !== undefined);

  // The latest attempt decides (same order as `cpfs-ingest verify`, shared/verify/classify.ts).
  const latest = latestAttempt(attempts);
  const landed = latest !== undefined && !UNSUCCESSFUL_SUB_TASK_STATUSES.has(latest.Status);
  if (json) {
    printJson(io, { ...where, planned: true, subTasks: found, ...(latest !== undefined ? { latest: { subTaskId: latest.DataFlowSubTaskId, status: latest.Status } } : {}) });
  } else {
    println(io, `${key}`);
    println(io, `  SrcFilePath  ${item.srcFilePath}`);
    println(io, `  DstFilePath  ${item.dstFilePath} (relative to the data flow's FileSystemPath)`);
    println(io, `  policy       ${item.conflictPolicy}`);
    if (found.length === 0) {
      println(io, '  no sub-task has this SrcFilePath: not submitted yet, submitted in a batch Import task, or no longer kept by the service');
    } else {
      println(io);
      println(
        io,
        indent(
          formatTable(
            ['sub-task', 'task', 'status', 'progress', 'bytes', 'DstFilePath', 'created', 'ended', 'error'],
            found.map((s) => [
              s.subTaskId,
              s.taskId ?? '-',
              s.status,
              s.percent === undefined ? '-' : `${s.percent.toFixed(s.percent % 1 === 0 ? 0 : 2)} %`,
              s.bytesTotal === undefined ? '-' : `${formatBytes(s.bytesDone ?? 0)}/${formatBytes(s.bytesTotal)}`,
              s.dstFilePath ?? '-',
              s.createTime ?? '-',
              s.endTime ?? '-',
              s.errorMsg ?? '',
            ]),
          ),
        ),
      );
    }
  }
  if (latest !== undefined && !landed) {
    if (!json) println(io, `\n  latest attempt ${latest.DataFlowSubTaskId} is ${latest.Status}: \`cpfs-ingest verify --redrive\` re-drives FAILED / EXPIRED ones`);
  }
  return landed ? EXIT.OK : EXIT.FAILED;
}

function indent(text: string): string {
  return text.split('\n').map((line) => `  ${line}`).join('\n');
}
