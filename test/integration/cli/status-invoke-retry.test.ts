/**
 * `invoke`, `status` (tasks, sub-tasks, `--key`) and `retry-task` through the built binary against the
 * emulator. Report links of LINGJUN batch tasks are signed URLs: status must never print them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putObjects } from '../../support/s3-server.js';
import { nativeEnvelope, objectCreatedEvent, toPayload } from '../../support/event-factories.js';
import { assertBuilt, runCli, startWorld, WORLD, type World } from './harness.js';

let world: World;
let scratch: string;
beforeAll(async () => {
  assertBuilt();
  world = await startWorld();
  scratch = mkdtempSync(path.join(tmpdir(), 'cli-status-'));
  putObjects(world.bucketDir, ['in/a.txt', 'in/b.txt', 'batch/c.txt'].map((key) => ({ key, body: `content of ${key}` })));
});
afterAll(async () => {
  await world?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

function eventFile(name: string, keys: string[]): string {
  const file = path.join(scratch, name);
  const payload = toPayload(nativeEnvelope(keys.map((key) => objectCreatedEvent({ key, bucket: WORLD.bucket, size: `content of ${key}`.length }))));
  writeFileSync(file, payload);
  return file;
}

describe('invoke and status --key', () => {
  it('submits an event through the function path and finds each object by key', async () => {
    const invoked = await runCli(['invoke', '--event', eventFile('stream.json', ['in/a.txt', 'in/b.txt', 'in/bad//x.txt'])], world.env);
    expect(invoked.code).toBe(1); // one key is rejected
    expect(invoked.stdout).toMatch(/submitted\s+in\/a\.txt\s+\/in\/a\.txt -> \/in\/a\.txt/);
    expect(invoked.stdout).toMatch(/rejected\s+in\/bad\/\/x\.txt\s+invalid-path/);
    expect(invoked.stdout).toContain('submitted 2, ignored 0, duplicate 0, rejected 1, failed 0');
    await world.emulator.waitForIdle();

    const found = await runCli(['status', '--key', 'in/a.txt', '--json'], world.env);
    expect(found.code).toBe(0);
    const where = JSON.parse(found.stdout) as { srcFilePath: string; subTasks: Array<{ status: string; dstFilePath: string; percent: number }> };
    expect(where.srcFilePath).toBe('/in/a.txt');
    expect(where.subTasks).toEqual([expect.objectContaining({ status: 'COMPLETE', dstFilePath: '/in/a.txt', percent: 100 })]);
    // The lookup is the platform's own record: a SrcFilePath filter.
    const lookup = world.emulator.log.forAction('DescribeDataFlowSubTasks').at(-1);
    expect(lookup?.params).toMatchObject({ 'Filters.2.Key': 'SrcFilePath', 'Filters.2.Value': '/in/a.txt' });

    const text = await runCli(['status', '--key', 'in/b.txt'], world.env);
    expect(text.stdout).toMatch(/COMPLETE\s+100 %/);
    const missing = await runCli(['status', '--key', 'in/never.txt'], world.env);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('no sub-task has this SrcFilePath');
    const rejected = await runCli(['status', '--key', 'in/bad//x.txt'], world.env);
    expect(rejected.code).toBe(1);
    expect(rejected.stdout).toContain('would not be imported (invalid-path');
  });

  it('exits 2 for a missing --event and 3 when the endpoint cannot be reached', async () => {
    const usage = await runCli(['invoke'], world.env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--event FILE (or - for stdin) is required');
    const down = await runCli(['invoke', '--event', '-', '--timeout', '5'], { ...world.env, NAS_ENDPOINT: 'http://127.0.0.1:9' }, toPayload(nativeEnvelope([objectCreatedEvent({ key: 'in/a.txt', bucket: WORLD.bucket })])).toString('utf8'));
    expect(down.code).toBe(3);
    expect(down.stdout).toMatch(/failed\s+in\/a\.txt\s+\S+ \(retryable\)/);
  });
});

describe('status of tasks', () => {
  it('shows a LINGJUN batch task with its report names but never the signed report URLs', async () => {
    const env = { ...world.env, CPFS_IMPORT_MODE: 'batch' };
    const invoked = await runCli(['invoke', '--event', eventFile('batch.json', ['batch/c.txt'])], env);
    expect(invoked.code).toBe(0);
    await world.emulator.waitForIdle();
    const batchTask = [...world.emulator.state.tasks.values()].find((t) => t.action === 'Import');
    expect(batchTask?.reports?.[0]?.path).toMatch(/Signature=/); // the emulator does hand out signed URLs

    for (const args of [['status'], ['status', '--json'], ['status', '--task', batchTask?.id ?? '', '--json']]) {
      const result = await runCli(args, env);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout).toContain(batchTask?.id);
      expect(result.stdout).toContain('TotalFilesReport');
      for (const leak of ['Signature', 'OSSAccessKeyId', 'Expires=', 'https://', '.dataflow-reports', 'STS.emulatorReportKey']) {
        expect(result.stdout + result.stderr, `${args.join(' ')}: ${leak}`).not.toContain(leak);
      }
    }
    // The reports were asked for (WithReports), so it is status that drops them.
    expect(world.emulator.log.forAction('DescribeDataFlowTasks').at(-1)?.params['WithReports']).toBe('true');

    const json = JSON.parse((await runCli(['status', '--json'], env)).stdout) as { tasks: Array<{ taskId: string; action: string; subTasks?: { counts: Record<string, number> } }> };
    const stream = json.tasks.find((t) => t.action === 'StreamImport');
    expect(stream?.subTasks?.counts).toEqual({ COMPLETE: 2 });
  });
});

describe('retry-task', () => {
  it('re-runs a failed batch Import task once per attempt number', async () => {
    const env = { ...world.env, CPFS_FILE_SYSTEM_ID: WORLD.cpfs, CPFS_DATA_FLOW_ID: WORLD.cpfsFlow };
    expect((await runCli(['invoke', '--event', eventFile('missing.json', ['in/missing.txt'])], env)).code).toBe(0);
    await world.emulator.waitForIdle();
    const failed = [...world.emulator.state.tasks.values()].find((t) => t.fileSystemId === WORLD.cpfs && t.status === 'Failed');
    expect(failed).toBeDefined();

    const first = JSON.parse((await runCli(['retry-task', failed?.id ?? '', '--json'], env)).stdout) as { retried: boolean; taskId: string; clientToken: string };
    expect(first.retried).toBe(true);
    expect(world.emulator.state.tasks.get(first.taskId)?.srcTaskId).toBe(failed?.id);
    expect(first.clientToken).toMatch(/^cpfs-retry-[0-9a-f]{48}$/);
    const repeat = JSON.parse((await runCli(['retry-task', failed?.id ?? '', '--json'], env)).stdout) as { taskId: string };
    expect(repeat.taskId).toBe(first.taskId);
    const second = JSON.parse((await runCli(['retry-task', failed?.id ?? '', '--attempt', '2', '--json'], env)).stdout) as { taskId: string };
    expect(second.taskId).not.toBe(first.taskId);

    await world.emulator.waitForIdle();
    const completedStream = [...world.emulator.state.tasks.values()].find((t) => t.streaming);
    const refused = await runCli(['retry-task', completedStream?.id ?? ''], world.env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('only batch Import tasks can be re-run');
    const unknown = await runCli(['retry-task', 'task-0000000000000000'], env);
    expect(unknown.code).toBe(1);
    expect((await runCli(['retry-task'], env)).code).toBe(2);
  });
});
