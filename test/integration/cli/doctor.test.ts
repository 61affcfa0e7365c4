/**
 * `cpfs-ingest doctor` (the built binary) against the emulator: each broken set-up fails the check named
 * for it, with a fix; a sound one passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, startWorld, WORLD, type World } from './harness.js';

interface Check {
  name: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

let world: World;
beforeAll(async () => {
  assertBuilt();
  world = await startWorld();
});
afterAll(async () => {
  await world?.cleanup();
});

/** The oss-listing check is left out (OSS_BUCKET unset) unless a test is about the bucket. */
async function doctor(overrides: Record<string, string>, withText = false): Promise<{ code: number | null; checks: Check[]; stdout: string }> {
  const env = { ...world.env, OSS_BUCKET: '', ...overrides };
  const json = await runCli(['doctor', '--json'], env);
  const parsed = JSON.parse(json.stdout) as { ok: boolean; checks: Check[] };
  expect(parsed.ok).toBe(json.code === 0);
  if (!withText) return { code: json.code, checks: parsed.checks, stdout: '' };
  const text = await runCli(['doctor'], env);
  expect(text.code).toBe(json.code);
  return { code: json.code, checks: parsed.checks, stdout: text.stdout };
}
const failed = (checks: Check[]) => checks.filter((c) => c.status === 'fail').map((c) => c.name);
const check = (checks: Check[], name: string) => checks.find((c) => c.name === name);

describe('cpfs-ingest doctor', () => {
  it('passes every NAS check on a sound LINGJUN 2.6 set-up', async () => {
    const { code, checks } = await doctor({});
    expect(failed(checks)).toEqual([]);
    expect(code).toBe(0);
    expect(check(checks, 'stream-import-supported')?.status).toBe('pass');
    expect(check(checks, 'dry-run-create-task')?.detail).toContain('StreamImport');
    // Doctor creates nothing: only reads and DryRun calls.
    expect(world.emulator.log.entries.filter((e) => e.action === 'CreateDataFlowTask' && e.params['DryRun'] !== 'true')).toEqual([]);
    expect(world.emulator.state.tasks.size).toBe(0);
  });

  it('passes oss-listing against the emulator\'s S3 endpoint, and names it for a bucket the endpoint does not have', async () => {
    const { code, checks } = await doctor({ OSS_BUCKET: WORLD.bucket });
    expect(failed(checks)).toEqual([]);
    expect(code).toBe(0);
    expect(check(checks, 'oss-listing')).toMatchObject({ status: 'pass', detail: expect.stringContaining(`oss://${WORLD.bucket}/`) });

    const other = await doctor({ OSS_BUCKET: 'no-such-bucket' });
    expect(check(other.checks, 'oss-listing')).toMatchObject({ status: 'fail', detail: expect.stringContaining('NoSuchBucket') });
  });

  it('names data-flow-running for a Stopped data flow', async () => {
    const { code, checks, stdout } = await doctor({ CPFS_DATA_FLOW_ID: WORLD.stoppedFlow }, true);
    expect(code).toBe(1);
    expect(failed(checks)).toEqual(['data-flow-running']);
    expect(check(checks, 'data-flow-running')?.detail).toContain('Stopped');
    expect(stdout).toMatch(/FAIL\s+data-flow-running\s+data flow is Stopped/);
    expect(stdout).toContain('fix: start the data flow');
  });

  it('names stream-import-supported for a cpfs- file system with StreamImport forced', async () => {
    const { code, checks, stdout } = await doctor({ CPFS_FILE_SYSTEM_ID: WORLD.cpfs, CPFS_DATA_FLOW_ID: WORLD.cpfsFlow, CPFS_IMPORT_MODE: 'stream' }, true);
    expect(code).toBe(1);
    expect(failed(checks)).toEqual(['config', 'stream-import-supported']);
    expect(check(checks, 'stream-import-supported')?.detail).toContain('no StreamImport');
    expect(stdout).toMatch(/FAIL\s+stream-import-supported/);
    // The other checks still ran, as for batch.
    expect(check(checks, 'data-flow-running')?.status).toBe('pass');
    expect(check(checks, 'dry-run-create-task')?.detail).toContain('(Import)');
  });

  it('names the LINGJUN version problem: older than 2.6 with stream forced', async () => {
    const { checks } = await doctor({ CPFS_FILE_SYSTEM_ID: WORLD.lingjun24, CPFS_DATA_FLOW_ID: WORLD.lingjun24Flow, CPFS_IMPORT_MODE: 'stream' });
    expect(failed(checks)).toEqual(['stream-import-supported']);
    expect(check(checks, 'stream-import-supported')?.detail).toContain('older than 2.6');
    expect(check(checks, 'stream-import-supported')?.fix).toContain('batch');
    const auto = await doctor({ CPFS_FILE_SYSTEM_ID: WORLD.lingjun24, CPFS_DATA_FLOW_ID: WORLD.lingjun24Flow });
    expect(auto.code).toBe(0);
    expect(check(auto.checks, 'stream-import-supported')?.status).toBe('warn');
    expect(check(auto.checks, 'dry-run-create-task')?.detail).toContain('(Import)');
  });

  it('names source-storage-path for a SourceStoragePath mismatch', async () => {
    const { code, checks } = await doctor({ CPFS_DATA_FLOW_ID: WORLD.pathFlow });
    expect(code).toBe(1);
    expect(failed(checks)).toEqual(['source-storage-path']);
    expect(check(checks, 'source-storage-path')?.fix).toBe('set CPFS_SOURCE_STORAGE_PATH=/data/');
  });

  it('names source-bucket when OSS_BUCKET is not the data flow bucket', async () => {
    const { checks } = await doctor({ OSS_BUCKET: 'another-bucket', OSS_S3_ENDPOINT: 'http://127.0.0.1:9' });
    expect(failed(checks)).toContain('source-bucket');
    expect(check(checks, 'source-bucket')?.fix).toBe(`set OSS_BUCKET=${WORLD.bucket}`);
  });

  it('names credentials-accepted for an unknown AccessKey and for a wrong secret, without printing the secret', async () => {
    const unknown = await doctor({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI-nobody' });
    expect(unknown.code).toBe(1);
    expect(failed(unknown.checks)).toEqual(['credentials-accepted']);
    expect(check(unknown.checks, 'credentials-accepted')?.detail).toContain('InvalidAccessKeyId.NotFound');
    expect(check(unknown.checks, 'credentials-accepted')?.fix).toContain('ALIBABA_CLOUD_ACCESS_KEY_ID');

    const wrongSecret = await doctor({ ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'not-the-secret-xyz' }, true);
    expect(failed(wrongSecret.checks)).toEqual(['credentials-accepted']);
    expect(check(wrongSecret.checks, 'credentials-accepted')?.detail).toContain('SignatureDoesNotMatch');
    expect(check(wrongSecret.checks, 'credentials-accepted')?.fix).toContain('ALIBABA_CLOUD_ACCESS_KEY_SECRET');
    expect(wrongSecret.stdout).not.toContain('not-the-secret-xyz');
  });

  it('names credentials when none are set, and config when a variable is wrong', async () => {
    const none = await doctor({ ALIBABA_CLOUD_ACCESS_KEY_ID: '', ALIBABA_CLOUD_ACCESS_KEY_SECRET: '' });
    expect(failed(none.checks)).toEqual(['credentials']);
    const bad = await doctor({ CPFS_DATA_FLOW_ID: 'flow-1' });
    expect(failed(bad.checks)).toEqual(['config']);
    expect(check(bad.checks, 'config')?.detail).toContain('CPFS_DATA_FLOW_ID');
  });
});
