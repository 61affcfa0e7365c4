/**
 * `cpfs-ingest cancel` through the built binary against the emulator: one task (CancelDataFlowTask) or one
 * sub-task (CancelDataFlowSubTask), --dry-run, --json, --help, and the refusals.
 *
 * The sub-task cases need the emulator's CancelDataFlowSubTask (issue 8, emulator side); until it is in,
 * they fail with the emulator's answer to an unknown action.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNasClient } from '../../../shared/nas/client.js';
import { staticCredentials } from '../../../shared/nas/credentials.js';
import { assertBuilt, runCli, SHARED_KEY, startWorld, WORLD, type World } from './harness.js';

let world: World;
beforeAll(async () => {
  assertBuilt();
  world = await startWorld();
});
afterAll(async () => {
  await world?.cleanup();
});

function client() {
  return createNasClient({ endpoint: world.emulator.url, credentials: staticCredentials(SHARED_KEY), rateLimits: false });
}

async function streamTask(conflictPolicy: 'KEEP_LATEST' | 'SKIP_THE_FILE' | 'OVERWRITE_EXISTING'): Promise<string> {
  const api = client();
  try {
    const created = await api.createDataFlowTask({
      FileSystemId: WORLD.lingjun, DataFlowId: WORLD.lingjunFlow, TaskAction: 'StreamImport', DataType: 'MetaAndData',
      Directory: '/', DstDirectory: '/', ConflictPolicy: conflictPolicy,
    });
    return created.TaskId as string;
  } finally {
    api.close();
  }
}

async function taskStatus(taskId: string): Promise<string | undefined> {
  const api = client();
  try {
    const answer = await api.describeDataFlowTasks({ FileSystemId: WORLD.lingjun, Filters: [{ Key: 'TaskIds', Value: taskId }] });
    return answer.TaskInfo?.Task?.find((t) => t.TaskId === taskId)?.Status;
  } finally {
    api.close();
  }
}

describe('cpfs-ingest cancel', () => {
  it('--help names both forms, --dry-run and --json', async () => {
    const help = await runCli(['cancel', '--help'], world.env);
    expect(help.code).toBe(0);
    for (const text of ['--task TASK_ID', '--sub-task SUB_TASK_ID', '--dry-run', '--json', 'CancelDataFlowSubTask']) expect(help.stdout).toContain(text);
    const main = await runCli(['--help'], world.env);
    expect(main.stdout).toMatch(/cancel\s+cancel one task or one sub-task/);
  });

  it('refuses a command line without --task, or with a malformed id, before sending anything (exit 2)', async () => {
    const before = world.emulator.log.entries.length;
    expect((await runCli(['cancel'], world.env)).code).toBe(2);
    expect((await runCli(['cancel', '--task', 'nope'], world.env)).code).toBe(2);
    expect((await runCli(['cancel', '--task', 'task-1', '--sub-task', 'a b'], world.env)).code).toBe(2);
    expect(world.emulator.log.entries.length).toBe(before);
  });

  it('--dry-run sends DryRun=true and cancels nothing', async () => {
    const taskId = await streamTask('SKIP_THE_FILE');
    const result = await runCli(['cancel', '--task', taskId, '--dry-run', '--json'], world.env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ cancelled: false, dryRun: true, taskId });
    const sent = world.emulator.log.forAction('CancelDataFlowTask').at(-1);
    expect(sent?.params).toMatchObject({ TaskId: taskId, DryRun: 'true', FileSystemId: WORLD.lingjun, DataFlowId: WORLD.lingjunFlow });
    expect(sent?.params['ClientToken']).toMatch(/^cpfs-cancel-[0-9a-f]{48}$/);
    expect(await taskStatus(taskId)).toBe('Executing');
  });

  it('cancels one streaming task without sub-tasks', async () => {
    const taskId = await streamTask('OVERWRITE_EXISTING');
    const result = await runCli(['cancel', '--task', taskId], world.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`cancel requested: task ${taskId}`);
    expect(['Canceling', 'Canceled']).toContain(await taskStatus(taskId));
  });

  it('an unknown task is refused by the service: exit 1 with its code', async () => {
    const result = await runCli(['cancel', '--task', 'task-ffffffffffffffff', '--json'], world.env);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ cancelled: false, taskId: 'task-ffffffffffffffff', retryable: false });
  });

  it('sends CancelDataFlowSubTask for one sub-task (needs the emulator side of issue 8)', async () => {
    const taskId = await streamTask('KEEP_LATEST');
    const result = await runCli(['cancel', '--task', taskId, '--sub-task', 'subTaskId-0000000000000000000', '--dry-run', '--json'], world.env);
    const sent = world.emulator.log.forAction('CancelDataFlowSubTask').at(-1);
    expect(sent?.params).toMatchObject({ DataFlowTaskId: taskId, DataFlowSubTaskId: 'subTaskId-0000000000000000000', DryRun: 'true' });
    // The emulator answers the unknown sub-task; the request itself is what the contract asks for.
    expect([0, 1]).toContain(result.code);
  });
});
