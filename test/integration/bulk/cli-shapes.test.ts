/**
 * `cpfs-ingest backfill --shape …` (the built binary) listing the emulator's S3-compatible endpoint and submitting
 * into its NAS OpenAPI: the entrylist and directory shapes end to end, auto's choice printed at start, and the flag's
 * refusals. The manifest shape is in cli-manifest.test.ts, the batch-slot wait in cli-slots.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putObjects } from '../../support/s3-server.js';
import { assertBuilt, runCli, startWorld, WORLD, type World } from '../cli/harness.js';

const keys = Array.from({ length: 300 }, (_, i) => `ds/sub-${i % 3}/obj-${String(i).padStart(5, '0')}.txt`);

let world: World;
let scratch: string;
beforeAll(async () => {
  assertBuilt();
  world = await startWorld();
  scratch = mkdtempSync(path.join(tmpdir(), 'cli-bulk-'));
  putObjects(world.bucketDir, keys.map((key) => ({ key })));
});
afterAll(async () => {
  await world?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const importTasks = () => [...world.emulator.state.tasks.values()].filter((t) => t.action === 'Import');

describe('cpfs-ingest backfill --shape', () => {
  it('entrylist: every object in exactly one accepted EntryList, no sub-task', async () => {
    const env = world.env;
    const before = importTasks().length;
    const result = await runCli(['backfill', '--shape', 'entrylist', '--prefix', 'ds/', '--page-size', '100', '--checkpoint', path.join(scratch, 'el.json'), '--json'], env);
    expect(result.stderr).toContain('shape: entrylist (requested)');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { status: string; overall: { submitted: number }; bulk: { tasksAccepted: number } };
    expect(summary.status).toBe('complete');
    expect(summary.overall.submitted).toBe(keys.length);
    const tasks = importTasks().slice(before);
    expect(tasks).toHaveLength(3);
    const entries = tasks.flatMap((t) => t.entryList ?? []);
    expect(entries.sort()).toEqual(keys.map((k) => `/${k}`).sort());
    expect(tasks.every((t) => t.sentDirectory === undefined)).toBe(true);
    expect(world.emulator.state.subTasks.size).toBe(0);
  });

  it('auto picks a Directory import for a plain prefix, prints why, and a re-run is already complete', async () => {
    const env = world.env;
    const before = importTasks().length;
    const checkpoint = path.join(scratch, 'dir.json');
    const result = await runCli(['backfill', '--prefix', 'ds/sub-1/', '--checkpoint', checkpoint], env);
    expect(result.stderr).toMatch(/^shape: directory \(auto: /m);
    expect(result.code).toBe(0);
    const tasks = importTasks().slice(before);
    expect(tasks.map((t) => [t.directory, t.dstDirectory, t.entryList])).toEqual([['/ds/sub-1/', '/ds/sub-1/', undefined]]);
    const again = await runCli(['backfill', '--prefix', 'ds/sub-1/', '--checkpoint', checkpoint], env);
    expect(again.stdout).toContain('already complete');
    expect(importTasks().length).toBe(before + 1);
  });

  it('auto with --since cannot use a Directory import and says so', async () => {
    const env = world.env;
    const result = await runCli(['backfill', '--shape', 'directory', '--prefix', 'ds/', '--since', '2023-01-01T00:00:00Z'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--shape directory: --since is set');
    const bogus = await runCli(['backfill', '--shape', 'bogus', '--prefix', 'ds/'], env);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('--shape must be one of auto, objects, entrylist, manifest, directory');
    const help = await runCli(['backfill', '--help'], env);
    expect(help.stdout).toMatch(/directory\s+one Import per prefix/);
    expect(help.stdout).toContain('cannot apply --since');
  });

  it('on CPFS for LINGJUN before 2.6 (no CreateDirIfNotExist) the Imports are sent without the flag, accepted, and the lists land', async () => {
    // The 2.4 file system refuses CreateDirIfNotExist (InvalidFilesystemVersion.NotSupport): the first request
    // learns it, every later one is sent without it; the flag never reaches an accepted task.
    const env = { ...world.env, CPFS_FILE_SYSTEM_ID: WORLD.lingjun24, CPFS_DATA_FLOW_ID: WORLD.lingjun24Flow };
    const older = () => importTasks().filter((t) => t.dataFlowId === WORLD.lingjun24Flow);
    for (const shape of ['directory', 'entrylist'] as const) {
      const result = await runCli(['backfill', '--shape', shape, '--prefix', 'ds/sub-2/', '--page-size', '50', '--checkpoint', path.join(scratch, `older-${shape}.json`), '--json'], env);
      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout) as { status: string; overall: { submitted: number } };
      expect(summary).toMatchObject({ status: 'complete', overall: { submitted: shape === 'entrylist' ? 100 : expect.any(Number) } });
    }
    const tasks = older();
    expect(tasks.map((t) => t.sentDirectory ?? `entrylist of ${t.entryList?.length}`)).toEqual(['/ds/sub-2/', 'entrylist of 50', 'entrylist of 50']);
    expect(tasks.every((t) => !t.createDirIfNotExist)).toBe(true);
    // Accepted is not landed: the EntryLists (DstDirectory the existing root) run to Completed. (Without the
    // flag the platform creates no directory, emulator/README.md: the Directory Import lands only where its
    // destination already exists — else it ends Failed, which `verify` reports.)
    const lists = tasks.slice(1);
    const deadline = Date.now() + 10_000;
    while (lists.some((t) => t.status !== 'Completed' && t.status !== 'Failed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(lists.map((t) => t.status)).toEqual(['Completed', 'Completed']);
  });
});
