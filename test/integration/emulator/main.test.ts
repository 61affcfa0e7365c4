import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DescribeDataFlowsResponse } from '../../../shared/nas/wire.js';
import { DEMO_IDS, parseMainSettings } from '../../../emulator/main.js';
import { createEmulatorCaller } from '../../support/emulator-request.js';

describe('emulator/main.ts settings', () => {
  it('reads flags before the environment and defaults the rest', () => {
    expect(parseMainSettings(['--port', '8123', '--time-scale', '60'], { EMULATOR_PORT: '9000', EMULATOR_FS_DIR: '/tmp/fs' })).toMatchObject({
      port: 8123,
      timeScale: 60,
      fsDir: '/tmp/fs',
      quiet: false,
      accessKeySecret: 'emulator-local-test-secret',
    });
    expect(parseMainSettings([], {})).toMatchObject({ port: 0, timeScale: 1 });
  });

  it('takes --help and --write-env', () => {
    expect(parseMainSettings(['--help'], {}).help).toBe(true);
    expect(parseMainSettings(['-h'], {}).help).toBe(true);
    expect(parseMainSettings(['--write-env', 'x.env'], {}).envFile).toBe(path.resolve('x.env'));
  });

  it('names a bad setting', () => {
    expect(() => parseMainSettings(['--time-scale', '0'], {})).toThrow(/--time-scale/);
    expect(() => parseMainSettings([], { EMULATOR_PORT: 'http' })).toThrow(/--port/);
    expect(() => parseMainSettings(['--colour'], {})).toThrow();
  });
});

describe('npm run emulator (emulator/main.ts as a process)', () => {
  it('prints its usage for --help and exits 0; a bad flag exits 2 pointing at --help', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/main.ts', ...args], { cwd: path.resolve(import.meta.dirname, '../../..'), stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.once('error', reject);
        child.once('close', (code) => resolve({ code, stdout, stderr }));
      });
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run emulator -- [options]');
    for (const text of ['--port', '--bucket-dir', '--write-env', 'OSS_BUCKET', 'OSS_S3_ENDPOINT', 'NAS_ENDPOINT']) expect(help.stdout).toContain(text);
    const bad = await run(['--colour']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--help');
  });

  it('prints the URL and exports, serves the demo world, and stops on SIGTERM', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'nas-emulator-main-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/main.ts', '--quiet', '--bucket-dir', path.join(root, 'b'), '--fs-dir', path.join(root, 'f')], {
      cwd: path.resolve(import.meta.dirname, '../../..'),
      env: { ...process.env, EMULATOR_ACCESS_KEY_SECRET: 'main-test-secret' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const stdout = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (c: Buffer) => {
          text += c.toString();
          if (text.includes('OSS_S3_ENDPOINT=')) resolve(text);
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${text}`)));
      });
      const env = Object.fromEntries([...stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
      expect(env).toMatchObject({
        ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI-emulator',
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'main-test-secret',
        CPFS_FILE_SYSTEM_ID: DEMO_IDS.lingjunFileSystem,
        CPFS_DATA_FLOW_ID: DEMO_IDS.lingjunDataFlow,
        OSS_BUCKET: DEMO_IDS.bucket,
      });
      expect(env['NAS_ENDPOINT']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(env['OSS_S3_ENDPOINT']).toBe(env['NAS_ENDPOINT']);

      const call = createEmulatorCaller({ url: env['NAS_ENDPOINT'] ?? '' }, { accessKeyId: 'LTAI-emulator', accessKeySecret: 'main-test-secret' });
      const res = await call('DescribeDataFlows', { FileSystemId: DEMO_IDS.lingjunFileSystem });
      expect(DescribeDataFlowsResponse.parse(res.body).DataFlowInfo?.DataFlow?.[0]).toMatchObject({
        DataFlowId: DEMO_IDS.lingjunDataFlow,
        Status: 'Running',
        SourceStorage: `oss://${DEMO_IDS.bucket}`,
      });

      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  });
});
