/**
 * `cpfs-ingest plan` (the built binary) on 100,000 keys from stdin: the report is complete and correct, and
 * the emulator the configuration points at receives no request at all.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, startWorld, WORLD, type World } from './harness.js';

const KEYS = 100_000;
const ROUTES = JSON.stringify([
  { prefix: 'images/', dstDirectory: '/datasets/images/' },
  { prefix: 'ckpt/', dstDirectory: '/ckpt/', conflictPolicy: 'OVERWRITE_EXISTING' },
]);

/** 100,000 keys: mostly routed, plus a known number of each kind of rejection. */
function keyLines(): { text: string; noRoute: number; invalid: number; markers: number } {
  const lines: string[] = [];
  let noRoute = 0;
  let invalid = 0;
  let markers = 0;
  for (let i = 0; i < KEYS; i++) {
    if (i % 1000 === 1) {
      lines.push(`misc/file-${i}.bin`);
      noRoute++;
    } else if (i % 1000 === 2) {
      lines.push(`images/bad//name-${i}.png`);
      invalid++;
    } else if (i % 1000 === 3) {
      lines.push(`images/folder-${i}/`);
      markers++;
    } else {
      lines.push(i % 2 === 0 ? `images/set-${i % 97}/img-${i}.png` : `ckpt/run-${i % 13}/step-${i}.pt`);
    }
  }
  return { text: `${lines.join('\n')}\n`, noRoute, invalid, markers };
}

let world: World;
let scratch: string;
beforeAll(async () => {
  assertBuilt();
  world = await startWorld();
  scratch = mkdtempSync(path.join(tmpdir(), 'cli-plan-'));
});
afterAll(async () => {
  await world?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

describe('cpfs-ingest plan', () => {
  const keys = keyLines();
  const env = () => ({ ...world.env, CPFS_ROUTES: ROUTES });

  it('plans 100,000 keys from stdin, reports every rejection, and sends nothing', async () => {
    world.emulator.log.clear();
    const result = await runCli(['plan', '--json'], env(), keys.text);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1); // some keys are rejected
    const report = JSON.parse(result.stdout) as {
      sent: string;
      mode: string;
      keys: number;
      chunks: number;
      planned: number;
      rejected: number;
      notImported: number;
      byKind: Record<string, number>;
      routes: Array<{ prefix: string; objects: number }>;
      streamTasks: Array<{ conflictPolicy: string; subTasks: number }>;
      plannedObjects: unknown[];
      rejectedKeys: Array<{ key: string; kind: string; reason: string }>;
    };
    expect(report.keys).toBe(KEYS);
    expect(report.chunks).toBe(100);
    expect(report.mode).toBe('stream');
    expect(report.byKind).toEqual({ 'directory-marker': keys.markers, 'invalid-path': keys.invalid, 'no-route': keys.noRoute });
    expect(report.rejected).toBe(keys.noRoute + keys.invalid);
    expect(report.planned).toBe(KEYS - keys.noRoute - keys.invalid - keys.markers);
    expect(report.rejectedKeys).toHaveLength(keys.noRoute + keys.invalid + keys.markers);
    expect(report.rejectedKeys.find((r) => r.kind === 'invalid-path')?.reason).toContain('empty name');
    expect(report.routes.reduce((n, r) => n + r.objects, 0)).toBe(report.planned);
    expect(report.streamTasks.map((t) => t.conflictPolicy).sort()).toEqual(['KEEP_LATEST', 'OVERWRITE_EXISTING']);
    expect(report.plannedObjects).toHaveLength(20);
    // Not one request reached the NAS endpoint the configuration names.
    expect(world.emulator.log.entries).toEqual([]);
  });

  it('prints a human report from --keys FILE with batch packing, again without any request', async () => {
    const file = path.join(scratch, 'keys.txt');
    writeFileSync(file, keys.text);
    world.emulator.log.clear();
    const result = await runCli(['plan', '--keys', file, '--mode', 'batch', '--limit', '3'], env());
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Plan (dry run: nothing was sent to NAS)');
    expect(result.stdout).toMatch(/keys\s+100,000 in 100 chunks/);
    expect(result.stdout).toMatch(/Import tasks \(batch/);
    expect(result.stdout).toMatch(/tasks \d+, EntryList bytes/);
    expect(result.stdout).toContain('Planned objects (first 3 of');
    expect(result.stdout).toContain(`Rejected or not imported (${keys.noRoute + keys.invalid + keys.markers}, every one)`);
    expect(result.stdout).toMatch(/misc\/file-1\.bin\s+no-route/);
    expect(world.emulator.log.entries).toEqual([]);
  });

  it('exits 0 when nothing is rejected, and 2 on a configuration error', async () => {
    const ok = await runCli(['plan'], env(), 'images/a.png\nckpt/b.pt\n');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('/datasets/images/a.png');
    const bad = await runCli(['plan'], { ...env(), CPFS_FILE_SYSTEM_ID: WORLD.cpfs, CPFS_DATA_FLOW_ID: WORLD.cpfsFlow, CPFS_IMPORT_MODE: 'stream' }, 'a\n');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('CPFS_IMPORT_MODE');
    expect(world.emulator.log.entries).toEqual([]);
  });
});
