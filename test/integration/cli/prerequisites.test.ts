/**
 * deploy/prerequisites.sh --dry-run: the `aliyun` commands it prints are valid shell and name the role with
 * its FC trust policy, the filled-in policy and its attachment, the MNS queues of the mode, the SLS
 * project/logstore and the bucket tag. The printed lines are run by bash against a fake `aliyun` that
 * records its arguments, so quoting is checked too.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './harness.js';

const SCRIPT = path.join(REPO_ROOT, 'deploy/prerequisites.sh');
const scratch = mkdtempSync(path.join(tmpdir(), 'prereq-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ENV = { OSS_BUCKET: 'my-bucket', CPFS_FILE_SYSTEM_ID: 'bmcpfs-290w65p03ok64ya', CPFS_LOG_PROJECT: 'my-logs', CPFS_LOG_STORE: 'cpfs_ingest', CPFS_REGION: 'cn-shanghai' };

function dryRun(extra: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('bash', [SCRIPT, '--dry-run'], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...extra }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the printed commands with a fake `aliyun` first on PATH; returns each call's argv. */
function replay(commands: string): string[][] {
  const bin = mkdtempSync(path.join(scratch, 'bin-'));
  const log = path.join(bin, 'calls.jsonl');
  const fake = path.join(bin, 'aliyun');
  writeFileSync(fake, `#!/usr/bin/env node\nrequire('fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`);
  chmodSync(fake, 0o755);
  execFileSync('bash', ['-euo', 'pipefail', '-c', commands], { env: { PATH: `${bin}:${process.env['PATH'] ?? ''}` } });
  return readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as string[]);
}

const flag = (argv: readonly string[], name: string) => argv[argv.indexOf(name) + 1];

describe('deploy/prerequisites.sh --dry-run', () => {
  it('prints the role, trust policy, policy, attachment, queues, SLS and bucket tag commands (mns-batch)', () => {
    const { status, stdout } = dryRun({ ...ENV, CPFS_TRIGGER_MODE: 'mns', CPFS_ACCOUNT_ID: '1234567890123456' });
    expect(status).toBe(0);
    const calls = replay(stdout);
    expect(calls.map((c) => c.slice(0, 2).join(' '))).toEqual([
      'ram CreateRole', 'ram CreatePolicy', 'ram AttachPolicyToRole',
      'mns-open CreateQueue', 'mns-open CreateQueue', 'mns-open CreateQueue',
      'sls CreateProject', 'sls CreateLogStore',
      'oss bucket-tagging',
    ]);
    const [role, policy, attach, failures, events, deadLetters, project, logstore, tag] = calls as string[][] as [string[], string[], string[], string[], string[], string[], string[], string[], string[]];
    expect(flag(role, '--RoleName')).toBe('cpfs-ingest-fc');
    expect(JSON.parse(flag(role, '--AssumeRolePolicyDocument') ?? '')).toEqual({
      Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['fc.aliyuncs.com'] } }],
    });
    const document = JSON.parse(flag(policy, '--PolicyDocument') ?? '') as { Statement: Array<{ Resource: string }> };
    const resources = document.Statement.map((s) => s.Resource);
    expect(resources).toContain('acs:nas:cn-shanghai:1234567890123456:filesystem/bmcpfs-290w65p03ok64ya');
    expect(resources).toContain('acs:log:cn-shanghai:1234567890123456:project/my-logs/logstore/cpfs_ingest');
    expect(JSON.stringify(document)).not.toMatch(/<[a-z-]+>/);
    expect([flag(attach, '--PolicyName'), flag(attach, '--RoleName'), flag(attach, '--PolicyType')]).toEqual(['cpfs-ingest-fc', 'cpfs-ingest-fc', 'Custom']);
    expect([failures, events, deadLetters].map((q) => flag(q, '--QueueName'))).toEqual(['cpfs-ingest-failures', 'cpfs-ingest-oss-events', 'cpfs-ingest-dead-letters']);
    expect(JSON.parse(flag(project, '--body') ?? '')).toMatchObject({ projectName: 'my-logs' });
    expect(flag(logstore, '--project')).toBe('my-logs');
    expect(JSON.parse(flag(logstore, '--body') ?? '')).toMatchObject({ logstoreName: 'cpfs_ingest' });
    expect(tag.slice(2)).toEqual(['--method', 'put', 'oss://my-bucket', 'cpfs-dataflow#true']);
  });

  it('oss mode creates only the failure queue; the account id stays a placeholder without CPFS_ACCOUNT_ID', () => {
    const { status, stdout } = dryRun(ENV);
    expect(status).toBe(0);
    const calls = replay(stdout);
    expect(calls.filter((c) => c[0] === 'mns-open').map((c) => flag(c, '--QueueName'))).toEqual(['cpfs-ingest-failures']);
    expect(flag(calls[1] ?? [], '--PolicyDocument')).toContain('<account-id>');
  });

  it('refuses to run without the variables s.yaml needs, naming them all (exit 2)', () => {
    const { status, stderr } = dryRun({ OSS_BUCKET: 'b-b-b' });
    expect(status).toBe(2);
    expect(stderr).toContain('set CPFS_FILE_SYSTEM_ID CPFS_LOG_PROJECT CPFS_LOG_STORE');
    expect(dryRun({ ...ENV, CPFS_TRIGGER_MODE: 'sqs' }).status).toBe(2);
  });
});
