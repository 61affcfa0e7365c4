/**
 * Per-process wiring (shared/runtime.ts): the invocation deadline, the sub-task rate limit, and what a
 * cold start does with a bad or noisy configuration.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/load-config.js';
import { ConfigError } from '../../../shared/errors.js';
import { bucketParameters } from '../../../shared/nas/rate-limit.js';
import { createRuntime, invocationDeadline, subTaskRateLimit } from '../../../shared/runtime.js';

const env = {
  CPFS_FILE_SYSTEM_ID: 'bmcpfs-unit00000001',
  CPFS_DATA_FLOW_ID: 'df-unit00000001',
  NAS_ENDPOINT: 'http://127.0.0.1:9',
};

describe('invocationDeadline', () => {
  const config = loadConfig({ ...env, CPFS_DEADLINE_MARGIN_MS: '2000' });

  it('is start + the context’s function.timeout − the margin', () => {
    expect(invocationDeadline(1_000_000, config, { function: { timeout: 30 } })).toBe(1_000_000 + 28_000);
  });

  it('falls back to the cold-start timeout, then to 60 s, when the context has none', () => {
    const withTimeout = loadConfig({ ...env, CPFS_DEADLINE_MARGIN_MS: '2000' }, { fcContext: { function: { timeout: 10 } } });
    expect(invocationDeadline(0, withTimeout, {})).toBe(8_000);
    expect(invocationDeadline(0, config, undefined)).toBe(58_000);
    expect(invocationDeadline(0, config, { function: { timeout: 'soon' } })).toBe(58_000);
  });

  it('never lies before the start', () => {
    expect(invocationDeadline(5_000, config, { function: { timeout: 1 } })).toBe(5_000);
  });
});

describe('subTaskRateLimit', () => {
  it.each([
    [90, { limit: 90, intervalMs: 1000 }],
    [12.5, { limit: 12.5, intervalMs: 1000 }],
    [1, { limit: 1, intervalMs: 1000 }],
    [0.5, { limit: 1, intervalMs: 2000 }],
    [0.3, { limit: 1, intervalMs: 3334 }],
  ])('%s per second → %j, a limit the limiter accepts', (rate, expected) => {
    const limit = subTaskRateLimit(rate);
    expect(limit).toEqual(expected);
    expect(() => bucketParameters(limit)).not.toThrow();
  });
});

describe('CPFS_SUBTASK_RATE above the quota (tests and benchmarks against the local emulator)', () => {
  it('is accepted only with a loopback NAS_ENDPOINT', () => {
    expect(loadConfig({ ...env, CPFS_SUBTASK_RATE: '5000' }).subTaskRatePerSecond).toBe(5000);
    expect(() => loadConfig({ ...env, NAS_ENDPOINT: 'https://nas.cn-hangzhou.aliyuncs.com', CPFS_SUBTASK_RATE: '5000' })).toThrow(/CPFS_SUBTASK_RATE: must be a number above 0 and at most 100/);
    expect(() => loadConfig({ ...env, NAS_ENDPOINT: undefined, FC_REGION: 'cn-hangzhou', CPFS_SUBTASK_RATE: '101' })).toThrow(ConfigError);
  });
});

describe('createRuntime', () => {
  it('builds once from the environment, for any rate the configuration accepts', () => {
    const lines: string[] = [];
    const runtime = createRuntime({ env: { ...env, CPFS_SUBTASK_RATE: '0.5', CPFS_TYPO: 'x' }, write: (l) => lines.push(l) });
    expect(runtime.config.subTaskRatePerSecond).toBe(0.5);
    // Configuration notes are logged at cold start.
    expect(lines.map((l) => JSON.parse(l) as { event: string; note: string })).toEqual([
      expect.objectContaining({ event: 'config.note', note: expect.stringContaining('CPFS_TYPO') }),
    ]);
    runtime.api.close();
  });

  it('takes credentials from the FC context, then the environment; a process without contexts (the CLI) from the environment alone', async () => {
    const fc = createRuntime({ env, write: () => undefined });
    const cli = createRuntime({ env, credentialsFrom: 'env', write: () => undefined });
    const fields = async (runtime: typeof fc): Promise<string[]> => {
      try {
        await runtime.credentials();
      } catch (error) {
        return (error as ConfigError).problems.map((p) => p.field);
      }
      return [];
    };
    // Neither has credentials: the function's error names both sources, the CLI's only the variables to set.
    expect(await fields(fc)).toEqual(['context.credentials.accessKeyId', 'context.credentials.accessKeySecret', 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET']);
    expect(await fields(cli)).toEqual(['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET']);
    // An FC context wins over the environment for the function, and is ignored by the CLI.
    const withKeys = { ...env, ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIenv', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'env-secret' };
    const context = { credentials: { accessKeyId: 'STS.ctx', accessKeySecret: 'ctx-secret', securityToken: 'tok' } };
    const fcWithKeys = createRuntime({ env: withKeys, write: () => undefined });
    const cliWithKeys = createRuntime({ env: withKeys, credentialsFrom: 'env', write: () => undefined });
    fcWithKeys.useContext(context);
    cliWithKeys.useContext(context);
    expect((await fcWithKeys.credentials()).accessKeyId).toBe('STS.ctx');
    expect((await cliWithKeys.credentials()).accessKeyId).toBe('LTAIenv');
    for (const runtime of [fc, cli, fcWithKeys, cliWithKeys]) runtime.api.close();
  });

  it('throws ConfigError naming every problem', () => {
    expect(() => createRuntime({ env: { CPFS_DATA_FLOW_ID: 'nope' }, write: () => undefined })).toThrow(ConfigError);
    try {
      createRuntime({ env: { CPFS_DATA_FLOW_ID: 'nope' }, write: () => undefined });
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.field)).toEqual(expect.arrayContaining(['CPFS_FILE_SYSTEM_ID', 'CPFS_DATA_FLOW_ID']));
    }
  });
});

describe('summaryOf (the handler return value)', () => {
  it('returns every outcome of a small batch, and cuts a big one keeping rejections and failures first', async () => {
    const { summaryOf, MAX_RETURNED_OUTCOMES } = await import('../../../shared/handler-result.js');
    const submitted = (i: number) => ({ status: 'submitted' as const, bucket: 'b', key: `k${i}`, mode: 'stream' as const, conflictPolicy: 'KEEP_LATEST' as const, srcFilePath: `/k${i}`, dstFilePath: `/k${i}` });
    const rejected = { status: 'rejected' as const, bucket: 'b', key: 'bad', kind: 'invalid-path', reason: 'r' };
    const report = (outcomes: Parameters<typeof summaryOf>[0]['outcomes']) => ({ mode: 'stream' as const, outcomes, counts: { submitted: 0, ignored: 0, duplicate: 0, rejected: 0, failed: 0 }, retryableFailures: 0, systemFailures: 0, dryRun: false });
    const small = summaryOf(report([submitted(1), rejected]));
    expect(small.outcomes).toHaveLength(2);
    expect(small.outcomesTruncated).toBeUndefined();
    const big = summaryOf(report([...Array.from({ length: MAX_RETURNED_OUTCOMES + 5 }, (_, i) => submitted(i)), rejected]));
    expect(big.outcomes).toHaveLength(MAX_RETURNED_OUTCOMES);
    expect(big.outcomes[0]).toEqual(rejected);
    expect(big.outcomesTruncated).toBe(true);
  });
});
