/**
 * The backfill core over the emulator's S3-compatible OSS endpoint holding 5,000 objects under two prefixes,
 * submitting into the same emulator through the real NAS client: every object lands exactly once, also when a run
 * is interrupted and when a "crash" loses the checkpoint of pages already submitted.
 * And the reconcile function's BUILT bundle (dist/reconcile/index.js) run twice over a bucket, keeping its
 * state in that bucket.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../../emulator/server.js';
import { backfill, createListingClient, ossPageLister, type BackfillCheckpoint, type CheckpointStore } from '../../../shared/backfill.js';
import { loadConfig } from '../../../shared/config/load-config.js';
import { InstanceState, type IngestDeps } from '../../../shared/ingest/index.js';
import { createLogger } from '../../../shared/log.js';
import { createNasClient, type NasClient } from '../../../shared/nas/client.js';
import { staticCredentials } from '../../../shared/nas/credentials.js';
import { putObjects, S3_TEST_KEY, startS3World, type S3World } from '../../support/s3-server.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RECONCILE_BUNDLE = path.join(REPO_ROOT, 'dist/reconcile/index.js');
const FS = 'bmcpfs-bf00000001';
const FLOW = 'df-bf00000001';
const RECON_FLOW = 'df-bfrecon00001';
const BUCKET = 'backfill-bucket';
const RECON_BUCKET = 'reconcile-bucket';
const PER_PREFIX = 2_500;
const keys = ['left/', 'right/'].flatMap((prefix) => Array.from({ length: PER_PREFIX }, (_, i) => `${prefix}k-${String(i).padStart(6, '0')}.bin`));

let emulator: EmulatorHandle;
let s3: S3World;
const clients: NasClient[] = [];

beforeAll(async () => {
  s3 = await startS3World([BUCKET, RECON_BUCKET], {
    seed: 11,
    fileSystems: [{ id: FS, version: '2.6.0' }],
    dataFlows: [
      { id: FLOW, fileSystemId: FS, sourceStorage: `oss://${BUCKET}` },
      { id: RECON_FLOW, fileSystemId: FS, sourceStorage: `oss://${RECON_BUCKET}` },
    ],
    // The client's own limiter is off below; the emulator's per-second sub-task quota would only slow the test.
    quotas: { CreateDataFlowSubTask: null },
    timings: { streamPendingMs: 0, subTaskCreatedMs: 10, subTaskRunningMs: 10 },
    autoTickMs: 100,
  });
  emulator = s3.emulator;
  putObjects(s3.bucketDirs[BUCKET] as string, keys.map((key) => ({ key, body: 'x' })));
  putObjects(s3.bucketDirs[BUCKET] as string, [{ key: 'unlisted/z.bin' }]);
});
afterAll(async () => {
  for (const client of clients) client.close();
  await s3?.stop();
});

/** What one process of the CLI or the function builds: fresh instance state every time. */
function freshDeps(): IngestDeps {
  const config = loadConfig({ CPFS_FILE_SYSTEM_ID: FS, CPFS_DATA_FLOW_ID: FLOW, NAS_ENDPOINT: emulator.url, OSS_BUCKET: BUCKET, OSS_S3_ENDPOINT: s3.endpoint, CPFS_MAX_CONCURRENCY: '32' });
  const api = createNasClient({ endpoint: config.nasEndpoint, credentials: staticCredentials(S3_TEST_KEY), rateLimits: false });
  clients.push(api);
  return { config, api, logger: createLogger({ write: () => undefined }), state: new InstanceState(), now: Date.now };
}

function lister(deps: IngestDeps) {
  return ossPageLister({ client: createListingClient(deps.config, S3_TEST_KEY, { internal: false }), bucket: BUCKET, pageSize: 500 });
}

function subTaskCounts(flow: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const sub of emulator.state.subTasks.values()) if (sub.dataFlowId === flow) counts.set(sub.srcFilePath, (counts.get(sub.srcFilePath) ?? 0) + 1);
  return counts;
}

describe('backfill over the emulator\'s S3 endpoint into its NAS side', () => {
  it('lands 5,000 objects under two prefixes exactly once across an interrupt and a lost checkpoint', { timeout: 120_000 }, async () => {
    let saved: BackfillCheckpoint | undefined;
    let dropSaves = false;
    const store: CheckpointStore = {
      load: async () => saved,
      save: async (checkpoint) => {
        if (!dropSaves) saved = structuredClone(checkpoint);
      },
    };
    const prefixes = ['left/', 'right/'];

    // Run 1: interrupted after its third page (the in-flight page finishes first).
    const controller = new AbortController();
    let pages = 0;
    const deps1 = freshDeps();
    const first = await backfill({
      bucket: BUCKET, prefixes, list: lister(deps1), deps: deps1, checkpoint: store, signal: controller.signal,
      onProgress: (event) => {
        if (event.type === 'page' && ++pages === 3) controller.abort();
      },
    });
    expect(first.status).toBe('interrupted');
    expect(saved).toMatchObject({ prefixIndex: 0, startAfter: keys[1_499] });
    expect(saved?.totals.submitted).toBe(1_500);

    // Run 2 "crashes": its pages are submitted but none of their checkpoints reach the store.
    dropSaves = true;
    const crashController = new AbortController();
    let crashPages = 0;
    const deps2 = freshDeps();
    await backfill({
      bucket: BUCKET, prefixes, list: lister(deps2), deps: deps2, checkpoint: store, signal: crashController.signal,
      onProgress: (event) => {
        if (event.type === 'page' && ++crashPages === 2) crashController.abort();
      },
    });
    expect(saved?.startAfter).toBe(keys[1_499]);

    // Run 3 resumes from the last saved checkpoint (re-sending run 2's pages) and finishes.
    dropSaves = false;
    const deps3 = freshDeps();
    const last = await backfill({ bucket: BUCKET, prefixes, list: lister(deps3), deps: deps3, checkpoint: store });
    expect(last.status).toBe('complete');
    expect(last.overall.listed).toBe(keys.length);
    expect(last.overall.submitted).toBe(keys.length);
    expect(last.overall.failed + last.overall.rejected).toBe(0);

    const counts = subTaskCounts(FLOW);
    expect(counts.size).toBe(keys.length);
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    expect(counts.has('/unlisted/z.bin')).toBe(false);
    // Run 2's two pages were sent again by run 3, as ClientToken replays.
    expect(emulator.log.forAction('CreateDataFlowSubTask').filter((e) => e.replayed).length).toBeGreaterThanOrEqual(1_000);
  });
});

describe('the reconcile bundle', () => {
  function invokeBundle(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const script = `
      const { handler } = require(${JSON.stringify(RECONCILE_BUNDLE)});
      const context = { requestId: 'r-1', function: { name: 'reconcile', timeout: 60 }, credentials: ${JSON.stringify(S3_TEST_KEY)} };
      handler(Buffer.from('{}'), context).then(
        (report) => { process.stdout.write('\\nREPORT ' + JSON.stringify(report) + '\\n'); },
        (error) => { process.stdout.write('\\nREPORT ' + JSON.stringify({ thrown: error.message }) + '\\n'); process.exitCode = 1; });`;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.once('error', reject);
      // The function's JSON log lines share stdout (as in FC); the report is the line marked REPORT.
      child.once('close', (code) => resolve({ code, stdout: /^REPORT (.*)$/m.exec(stdout)?.[1] ?? stdout, stderr }));
    });
  }

  it('sweeps objects modified since the watermark, keeps its state in the bucket, and never doubles a sub-task', async () => {
    if (!existsSync(RECONCILE_BUNDLE)) throw new Error(`${RECONCILE_BUNDLE} does not exist: run \`npm run build\` first`);
    const reconDir = s3.bucketDirs[RECON_BUCKET] as string;
    const now = Date.now();
    putObjects(reconDir, Array.from({ length: 40 }, (_, i) => ({ key: `fresh/f-${String(i).padStart(3, '0')}.bin`, lastModified: new Date(now - 60_000) })));
    putObjects(reconDir, Array.from({ length: 5 }, (_, i) => ({ key: `old/o-${i}.bin`, lastModified: new Date(Date.UTC(2020, 0, 1)) })));
    const env = {
      CPFS_FILE_SYSTEM_ID: FS, CPFS_DATA_FLOW_ID: RECON_FLOW, NAS_ENDPOINT: emulator.url, OSS_BUCKET: RECON_BUCKET, OSS_S3_ENDPOINT: s3.endpoint,
      CPFS_RECONCILE_SAFETY_MARGIN_SECONDS: '600',
    };

    const first = await invokeBundle(env);
    expect(first.stderr).not.toMatch(/Error/);
    const report1 = JSON.parse(first.stdout) as { status: string; prefixes: string[]; sweep: { resumed: boolean; complete: boolean }; watermark: string; run: { listed: number; submitted: number; skippedNotModifiedSince: number } };
    expect(report1).toMatchObject({ status: 'complete', prefixes: [''], sweep: { resumed: false, complete: true } });
    expect(report1.run).toMatchObject({ listed: 40, submitted: 40, skippedNotModifiedSince: 5 });
    // Written by the bundle's PutObject through the endpoint, into the bucket directory.
    expect(existsSync(path.join(reconDir, '.cpfs-ingest', 'reconcile-state.json'))).toBe(true);

    putObjects(reconDir, Array.from({ length: 10 }, (_, i) => ({ key: `fresh/g-${i}.bin`, lastModified: new Date(now) })));
    const second = await invokeBundle(env);
    const report2 = JSON.parse(second.stdout) as typeof report1 & { run: { excluded: number } };
    expect(report2.status).toBe('complete');
    // Within the safety margin of the first sweep: the 40 again (replays) and the 10 new; the state object is skipped.
    expect(report2.run).toMatchObject({ listed: 50, submitted: 50, excluded: 1 });
    expect(Date.parse(report2.watermark)).toBeGreaterThan(Date.parse(report1.watermark));

    const counts = subTaskCounts(RECON_FLOW);
    expect(counts.size).toBe(50);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect([...counts.keys()].some((src) => src.includes('.cpfs-ingest') || src.startsWith('/old/'))).toBe(false);

    // A listed key that holds the function's current secret: the report (the FC result, and the thrown error's
    // message) names the refused record with [REDACTED] instead, as the log lines do.
    putObjects(reconDir, [{ key: `bad/${S3_TEST_KEY.accessKeySecret}\u0001.bin`, lastModified: new Date(now) }]);
    const third = await invokeBundle(env);
    expect(third.stdout).not.toContain(S3_TEST_KEY.accessKeySecret);
    const report3 = JSON.parse(third.stdout) as { status: string; reported: Array<{ key: string; status: string }> };
    expect(report3.reported).toContainEqual(expect.objectContaining({ key: 'bad/[REDACTED]\u0001.bin', status: 'rejected' }));
  });
});
