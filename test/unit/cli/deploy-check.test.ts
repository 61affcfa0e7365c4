/**
 * `cpfs-ingest deploy-check` (npm run deploy:check): the variables s.yaml reads, checked offline with the
 * functions' own configuration loader, every problem at once.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { checkDeployVariables } from '../../../cli/commands/deploy-check.js';
import type { CliIo } from '../../../cli/io.js';
import { main } from '../../../cli/main.js';
import { ConfigError } from '../../../shared/errors.js';

const GOOD = {
  OSS_BUCKET: 'my-bucket',
  CPFS_FILE_SYSTEM_ID: 'bmcpfs-290w65p03ok64ya',
  CPFS_DATA_FLOW_ID: 'df-194433a5be31',
  CPFS_LOG_PROJECT: 'cpfs-ingest-logs',
  CPFS_LOG_STORE: 'functions',
};

function problemsOf(env: Record<string, string>, readFile?: (p: string) => string): Array<{ field: string; rule: string }> {
  try {
    checkDeployVariables(env, '/nonexistent/deploy', readFile);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

function fakeIo(env: Record<string, string>): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => ((out += s), true) },
    stderr: { write: (s: string) => ((err += s), true) },
    stdin: Object.assign(Readable.from(['']), { isTTY: false }),
    env,
    now: () => Date.UTC(2024, 6, 1),
    onInterrupt: () => () => undefined,
    out: () => out,
    err: () => err,
  };
}

describe('deploy-check', () => {
  it('accepts a complete set and says what will be deployed', () => {
    expect(checkDeployVariables(GOOD, '/nonexistent')).toEqual({
      triggerMode: 'oss', region: 'cn-hangzhou', vpc: false, nasEndpoint: 'https://nas.cn-hangzhou.aliyuncs.com', notes: [],
    });
  });

  it('lists every missing variable together, with CPFS_ROUTES that is not JSON and a bad trigger mode', () => {
    expect(problemsOf({ CPFS_ROUTES: 'not json', CPFS_TRIGGER_MODE: 'sqs' })).toEqual([
      { field: 'OSS_BUCKET', rule: 'is required by s.yaml' },
      { field: 'CPFS_FILE_SYSTEM_ID', rule: 'is required by s.yaml' },
      { field: 'CPFS_DATA_FLOW_ID', rule: 'is required by s.yaml' },
      { field: 'CPFS_LOG_PROJECT', rule: 'is required by s.yaml' },
      { field: 'CPFS_LOG_STORE', rule: 'is required by s.yaml' },
      { field: 'CPFS_TRIGGER_MODE', rule: 'must be oss (native OSS trigger) or mns-batch (alias mns: batches through an MNS queue)' },
      { field: 'CPFS_ROUTES', rule: 'must be valid JSON (an array of {"prefix", "dstDirectory", "conflictPolicy"?})' },
    ]);
  });

  it('checks the functions\' settings with the product loader (values as s.yaml passes them)', () => {
    const fields = problemsOf({ ...GOOD, CPFS_MAX_CONCURRENCY: '0', CPFS_SUBTASK_RATE: '500', CPFS_LOG_LEVEL: 'loud', CPFS_IMPORT_MODE: 'fast', CPFS_REGION: 'Hangzhou' }).map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['CPFS_MAX_CONCURRENCY', 'CPFS_SUBTASK_RATE', 'CPFS_LOG_LEVEL', 'CPFS_IMPORT_MODE', 'CPFS_REGION']));
  });

  it('reads a relative CPFS_ROUTES_FILE from deploy/ and reports what is wrong in it', () => {
    const seen: string[] = [];
    const problems = problemsOf({ ...GOOD, CPFS_ROUTES_FILE: 'routes.json' }, (p) => (seen.push(p), '[{"prefix":"a/","dstDirectory":"no-slash"}]'));
    expect(seen).toEqual(['/nonexistent/deploy/routes.json']);
    expect(problems.map((p) => p.field)).toEqual(['CPFS_ROUTES_FILE[0].dstDirectory']);
  });

  it('mns is mns-batch; a VPC needs its three ids and switches the NAS endpoint to nas-vpc', () => {
    expect(checkDeployVariables({ ...GOOD, CPFS_TRIGGER_MODE: 'mns' }, '/x').triggerMode).toBe('mns-batch');
    expect(problemsOf({ ...GOOD, CPFS_VPC_ID: 'vpc-bp1abc' })).toEqual([
      { field: 'CPFS_VSWITCH_IDS', rule: 'is required with a VPC: comma-separated vSwitch ids (vsw-…)' },
      { field: 'CPFS_SECURITY_GROUP_ID', rule: 'is required with a VPC (sg-…)' },
    ]);
    const inVpc = checkDeployVariables({ ...GOOD, CPFS_VPC_ID: 'vpc-bp1abc', CPFS_VSWITCH_IDS: 'vsw-a1, vsw-b2', CPFS_SECURITY_GROUP_ID: 'sg-c3', CPFS_REGION: 'cn-shanghai' }, '/x');
    expect(inVpc).toMatchObject({ vpc: true, nasEndpoint: 'https://nas-vpc.cn-shanghai.aliyuncs.com' });
  });

  it('notes likely typos of s.yaml inputs and settings, with a suggestion', () => {
    expect(checkDeployVariables({ ...GOOD, CPFS_LOG_PROJCT: 'x' }, '/x').notes).toEqual([
      'CPFS_LOG_PROJCT is neither an s.yaml input nor a function setting and is ignored (did you mean CPFS_LOG_PROJECT?)',
    ]);
  });

  it('through the CLI: exit 2 with every problem; --json puts them in one document', async () => {
    const io = fakeIo({ CPFS_ROUTES: 'not json' });
    expect(await main(['deploy-check'], io)).toBe(2);
    expect(io.err()).toMatch(/OSS_BUCKET: is required by s\.yaml[\s\S]*CPFS_LOG_STORE: is required[\s\S]*CPFS_ROUTES: must be valid JSON/);
    const json = fakeIo({ CPFS_ROUTES: 'not json' });
    expect(await main(['deploy-check', '--json'], json)).toBe(2);
    const doc = JSON.parse(json.out()) as { error: { problems: unknown[] } };
    expect(doc.error.problems).toHaveLength(6);
    const ok = fakeIo(GOOD);
    expect(await main(['deploy-check'], ok)).toBe(0);
    expect(ok.out()).toContain('deploy-check: ok — trigger oss, region cn-hangzhou, no VPC');
  });
});
