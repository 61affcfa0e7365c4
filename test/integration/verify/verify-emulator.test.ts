/**
 * `cpfs-ingest verify` against the NAS emulator: real sub-tasks that FAIL in the emulator (the source
 * changed after the event, so Condition.Size no longer matches; the source is missing), re-driven exactly
 * once across concurrent and repeated runs, permanent after 3 failures, CANCELED left alone, and — with an
 * object reader — deleted objects reported as gone. The CLI runs in-process (`main` with a captured io).
 *
 * TEST-ONLY SETUP: EXPIRED and CANCELED sub-tasks are made by writing the emulator's state directly
 * (`forceStatus`) until the emulator ends sub-tasks that way itself.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import type { CliIo } from '../../../cli/io.js';
import { ingest } from '../../../shared/ingest/index.js';
import { createRuntime } from '../../../shared/runtime.js';
import { verify, type ObjectReader } from '../../../shared/verify/index.js';
import { nativeEnvelope, objectCreatedEvent } from '../../support/event-factories.js';
import { startWorld, WORLD, type World } from '../cli/harness.js';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

function put(w: World, key: string, content: string): void {
  mkdirSync(path.dirname(path.join(w.bucketDir, key)), { recursive: true });
  writeFileSync(path.join(w.bucketDir, key), content);
}

/** Sends ObjectCreated events for `objects` through the function's own use case. */
async function ingestEvents(w: World, objects: ReadonlyArray<{ key: string; size: number }>): Promise<void> {
  const runtime = createRuntime({ env: w.env, write: () => undefined });
  try {
    const events = objects.map((o) => objectCreatedEvent({ bucket: WORLD.bucket, key: o.key, size: o.size }));
    const report = await ingest(nativeEnvelope(events), { config: runtime.config, api: runtime.api, logger: runtime.logger, state: runtime.state, now: runtime.now }, { deadlineMs: Date.now() + 30_000 });
    expect(report.counts.submitted).toBe(objects.length);
  } finally {
    runtime.api.close();
  }
}

/** TEST-ONLY: puts a sub-task into a state the emulator does not produce by itself yet. */
function forceStatus(w: World, srcFilePath: string, status: 'EXPIRED' | 'CANCELED'): string {
  const sub = [...w.emulator.state.subTasks.values()].find((s) => s.srcFilePath === srcFilePath);
  if (sub === undefined) throw new Error(`no sub-task for ${srcFilePath}`);
  (sub as { status: string }).status = status;
  return sub.id;
}

function subTasksOf(w: World, srcFilePath: string) {
  return [...w.emulator.state.subTasks.values()].filter((s) => s.srcFilePath === srcFilePath);
}

async function cli(w: World, args: readonly string[], env: Record<string, string> = w.env): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (chunk: string) => ((stdout += chunk), true) },
    stderr: { write: (chunk: string) => ((stderr += chunk), true) },
    stdin: new PassThrough(),
    env,
    now: Date.now,
    onInterrupt: () => () => undefined,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

function lines(stdout: string): Array<Record<string, unknown>> {
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function stateOf(stdout: string): Record<string, string> {
  return Object.fromEntries(lines(stdout).filter((l) => l['type'] === 'object').map((l) => [l['key'] as string, l['state'] as string]));
}

function withoutBucket(env: Record<string, string>): Record<string, string> {
  const { OSS_BUCKET: _omit, ...rest } = env;
  return rest;
}

describe('cpfs-ingest verify against the emulator', () => {
  it('re-drives exactly the failures, once, across concurrent and repeated runs; 3 failures make it permanent', async () => {
    const w = (world = await startWorld());
    const env = withoutBucket(w.env);
    put(w, 'ok.bin', '12345');
    put(w, 'changed.bin', 'grown after the event'); // the event says 5 bytes: Condition.Size fails
    put(w, 'expired.bin', '12345');
    put(w, 'canceled.bin', '12345');
    // missing.bin: never written, so every attempt fails
    await ingestEvents(w, ['ok.bin', 'changed.bin', 'missing.bin', 'expired.bin', 'canceled.bin'].map((key) => ({ key, size: 5 })));
    await w.emulator.waitForIdle();
    expect(subTasksOf(w, '/changed.bin')[0]).toMatchObject({ status: 'FAILED' });
    forceStatus(w, '/expired.bin', 'EXPIRED');
    forceStatus(w, '/canceled.bin', 'CANCELED');

    const report = await cli(w, ['verify', '--json'], env);
    expect(report.code).toBe(1);
    expect(stateOf(report.stdout)).toEqual({ 'ok.bin': 'complete', 'changed.bin': 'failed', 'missing.bin': 'failed', 'expired.bin': 'failed', 'canceled.bin': 'canceled' });
    const changed = lines(report.stdout).find((l) => l['key'] === 'changed.bin');
    expect(changed).toMatchObject({ status: 'FAILED', attempt: 1, destination: '/changed.bin' });
    expect(String(changed?.['errorMsg'])).toContain('Condition.Size');
    expect(lines(report.stdout).at(-1)).toMatchObject({ type: 'summary', ossCheck: 'skipped' });

    // Three runs at once: each failure is re-driven once.
    const runs = await Promise.all([1, 2, 3].map(() => cli(w, ['verify', '--redrive', '--json'], env)));
    for (const run of runs) {
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(stateOf(run.stdout)).toMatchObject({ 'changed.bin': 're-driven', 'missing.bin': 're-driven', 'expired.bin': 're-driven', 'canceled.bin': 'canceled' });
    }
    for (const src of ['/changed.bin', '/missing.bin', '/expired.bin']) expect(subTasksOf(w, src), src).toHaveLength(2);
    expect(subTasksOf(w, '/canceled.bin')).toHaveLength(1);
    expect(subTasksOf(w, '/ok.bin')).toHaveLength(1);

    // The re-drives carry no Condition (no OSS_BUCKET): the changed object now lands.
    await w.emulator.waitForIdle();
    expect(subTasksOf(w, '/changed.bin').map((s) => s.status)).toEqual(['FAILED', 'COMPLETE']);
    expect(subTasksOf(w, '/expired.bin').map((s) => s.status)).toEqual(['EXPIRED', 'COMPLETE']);

    // A repeated run re-drives missing.bin (attempt 2 failed) once more; the third failure is permanent.
    const second = await cli(w, ['verify', '--redrive', '--json'], env);
    expect(stateOf(second.stdout)).toMatchObject({ 'changed.bin': 'complete', 'missing.bin': 're-driven' });
    await w.emulator.waitForIdle();
    const third = await cli(w, ['verify', '--redrive', '--json'], env);
    expect(third.code).toBe(1);
    const missing = lines(third.stdout).find((l) => l['key'] === 'missing.bin');
    expect(missing).toMatchObject({ state: 'permanent', attempt: 3 });
    expect(String(missing?.['errorMsg'])).toContain('does not exist');
    const again = await cli(w, ['verify', '--redrive'], env);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/permanent\s+1/);
    expect(again.stdout).toContain('check skipped (OSS_BUCKET is not set)');
    expect(subTasksOf(w, '/missing.bin')).toHaveLength(3);
    expect(subTasksOf(w, '/canceled.bin')).toHaveLength(1);

    // status --key: non-zero when the latest attempt did not land.
    expect((await cli(w, ['status', '--key', 'ok.bin'], env)).code).toBe(0);
    expect((await cli(w, ['status', '--key', 'missing.bin'], env)).code).toBe(1);
    expect((await cli(w, ['status', '--key', 'canceled.bin'], env)).code).toBe(1);
    expect((await cli(w, ['status', '--key', 'changed.bin'], env)).code).toBe(0);
  }, 60_000);

  it('with an object reader: deleted objects are gone, changed ones re-driven with their current size', async () => {
    const w = (world = await startWorld());
    put(w, 'deleted.bin', '12345');
    put(w, 'grown.bin', '12345');
    await ingestEvents(w, [{ key: 'deleted.bin', size: 5 }, { key: 'grown.bin', size: 5 }]);
    // After the event: one object is deleted, the other rewritten before the copy.
    rmSync(path.join(w.bucketDir, 'deleted.bin'));
    put(w, 'grown.bin', 'now it is longer');
    await w.emulator.waitForIdle();

    // The emulator's bucket is a directory: this reader stands in for OSS.
    const objects: ObjectReader = {
      head: async (key) => {
        try {
          return { size: statSync(path.join(w.bucketDir, key)).size };
        } catch {
          return undefined;
        }
      },
    };
    const runtime = createRuntime({ env: withoutBucket(w.env), write: () => undefined });
    try {
      const deps = { ingest: { config: runtime.config, api: runtime.api, logger: runtime.logger, state: runtime.state, now: runtime.now }, objects };
      const window = { sinceMs: Date.now() - 3_600_000, untilMs: Date.now() + 60_000 };
      const report = await verify(deps, { window, redrive: true, deadlineMs: Date.now() + 30_000 });
      const byKey = Object.fromEntries(report.objects.map((o) => [o.key, o]));
      expect(byKey['deleted.bin']).toMatchObject({ state: 'gone' });
      expect(byKey['grown.bin']).toMatchObject({ state: 're-driven' });
      expect(report.ossCheck).toBe('done');
      expect(subTasksOf(w, '/deleted.bin')).toHaveLength(1);
      const redrive = subTasksOf(w, '/grown.bin')[1];
      expect(redrive?.conditionSize).toBe('now it is longer'.length);
      await w.emulator.waitForIdle();
      expect(subTasksOf(w, '/grown.bin').map((s) => s.status)).toEqual(['FAILED', 'COMPLETE']);
      const after = await verify(deps, { window, redrive: true, deadlineMs: Date.now() + 30_000 });
      expect(after.counts).toMatchObject({ complete: 1, gone: 1, 're-driven': 0, failed: 0 });
      expect(after.lag?.count).toBe(1);
    } finally {
      runtime.api.close();
    }
  }, 60_000);
});
