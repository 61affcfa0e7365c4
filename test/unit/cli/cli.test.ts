/**
 * The CLI's pure parts and its dispatch, in process with a fake CliIo: configuration files, flag parsing,
 * exit codes, the whitelist that keeps signed URLs out of `status`, retry ClientTokens, checkpoint files.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { durationFlag, intFlag, timeFlag, UsageError } from '../../../cli/args.js';
import { fileCheckpointStore } from '../../../cli/checkpoint-file.js';
import { retryClientToken } from '../../../cli/commands/retry-task.js';
import { subTaskView, taskView } from '../../../cli/commands/status.js';
import { parseConfigFile, resolveEnv } from '../../../cli/config-source.js';
import { EXIT } from '../../../cli/exit-codes.js';
import type { CliIo } from '../../../cli/io.js';
import { main } from '../../../cli/main.js';
import { emptyTotals } from '../../../shared/backfill.js';
import { ConfigError, ValidationError } from '../../../shared/errors.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'cli-unit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function fakeIo(env: Record<string, string>, stdin = ''): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => ((out += s), true) },
    stderr: { write: (s: string) => ((err += s), true) },
    stdin: Object.assign(Readable.from([stdin]), { isTTY: false }),
    env,
    now: () => Date.UTC(2024, 6, 1),
    onInterrupt: () => () => undefined,
    out: () => out,
    err: () => err,
  };
}

const env = { CPFS_FILE_SYSTEM_ID: 'bmcpfs-unit0001', CPFS_DATA_FLOW_ID: 'df-unit0001', NAS_ENDPOINT: 'http://127.0.0.1:9' };

describe('--config files', () => {
  it('reads a JSON object, turning numbers, booleans and route tables into variable text', () => {
    expect(parseConfigFile('{"CPFS_DRY_RUN": true, "CPFS_MAX_CONCURRENCY": 4, "CPFS_ROUTES": [{"prefix":"a/","dstDirectory":"/a/"}]}', 'c.json')).toEqual({
      CPFS_DRY_RUN: 'true', CPFS_MAX_CONCURRENCY: '4', CPFS_ROUTES: '[{"prefix":"a/","dstDirectory":"/a/"}]',
    });
  });

  it('reads NAME=value lines with comments, export and quotes', () => {
    expect(parseConfigFile('# target\nexport CPFS_FILE_SYSTEM_ID=bmcpfs-x1\n\nCPFS_ROUTES=\'[{"prefix":"a/"}]\'\nNAS_ENDPOINT = "http://127.0.0.1:1"\r\n', 'c.env')).toEqual({
      CPFS_FILE_SYSTEM_ID: 'bmcpfs-x1', CPFS_ROUTES: '[{"prefix":"a/"}]', NAS_ENDPOINT: 'http://127.0.0.1:1',
    });
  });

  it('names the bad line or key, never the value', () => {
    const error = (() => { try { parseConfigFile('GOOD=1\nthis is secret-ish\n', 'c.env'); } catch (e) { return e; } return undefined; })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([{ field: 'c.env:2', rule: 'must be NAME=value' }]);
    expect((error as ConfigError).message).not.toContain('secret-ish');
    expect(() => parseConfigFile('{"A": null}', 'c.json')).toThrow(/must not be null/);
    expect(() => parseConfigFile('[1]', 'c.json')).toThrow(ConfigError);
  });

  it('lets the file win over the environment, and keeps what the file does not set', () => {
    const file = path.join(scratch, 'cfg.env');
    writeFileSync(file, 'CPFS_IMPORT_MODE=batch\n');
    expect(resolveEnv({ CPFS_IMPORT_MODE: 'stream', OTHER: 'x' }, file)).toEqual({ CPFS_IMPORT_MODE: 'batch', OTHER: 'x' });
    expect(() => resolveEnv({}, path.join(scratch, 'missing.env'))).toThrow(/--config: cannot read .*ENOENT/);
  });
});

describe('flags', () => {
  it('parses whole numbers, times and durations with errors naming the flag', () => {
    expect(intFlag('limit', '25', 20, 0, 100)).toBe(25);
    expect(intFlag('limit', undefined, 20, 0, 100)).toBe(20);
    expect(() => intFlag('limit', '1e3', 20, 0, 100)).toThrow(new UsageError('--limit must be a whole number from 0 to 100'));
    const now = Date.UTC(2024, 6, 1);
    expect(timeFlag('since', '2h', now).getTime()).toBe(now - 7_200_000);
    expect(timeFlag('since', '2024-06-01T00:00:00Z', now).toISOString()).toBe('2024-06-01T00:00:00.000Z');
    expect(() => timeFlag('since', 'yesterday', now)).toThrow(/--since must be an ISO 8601 time/);
    expect(durationFlag('max-duration', '45m')).toBe(2_700_000);
    expect(() => durationFlag('max-duration', '0s')).toThrow(UsageError);
  });
});

describe('main: dispatch and exit codes', () => {
  it('prints help (0), and refuses unknown commands and flags (2)', async () => {
    const help = fakeIo(env);
    expect(await main(['--help'], help)).toBe(EXIT.OK);
    expect(help.out()).toContain('Usage: cpfs-ingest <command>');
    for (const command of ['invoke', 'plan', 'doctor', 'status', 'backfill', 'retry-task', 'demo']) {
      const io = fakeIo(env);
      expect(await main([command, '--help'], io), command).toBe(EXIT.OK);
      expect(io.out(), command).toContain(`cpfs-ingest ${command}`);
    }
    const unknown = fakeIo(env);
    expect(await main(['frobnicate'], unknown)).toBe(EXIT.USAGE);
    expect(unknown.err()).toContain('unknown command "frobnicate"');
    const badFlag = fakeIo(env);
    expect(await main(['plan', '--colour'], badFlag)).toBe(EXIT.USAGE);
    expect(badFlag.err()).toContain("Unknown option '--colour'");
    expect(await main([], fakeIo(env))).toBe(EXIT.USAGE);
  });

  it('reports every configuration problem with exit 2, never a secret', async () => {
    const io = fakeIo({ CPFS_FILE_SYSTEM_ID: 'nope', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'very-secret-value' });
    expect(await main(['plan'], io)).toBe(EXIT.USAGE);
    expect(io.err()).toContain('CPFS_FILE_SYSTEM_ID: must be bmcpfs-');
    expect(io.err()).toContain('CPFS_DATA_FLOW_ID: is required');
    expect(io.err()).not.toContain('very-secret-value');
  });

  it('plans keys from stdin in process: exit 0 when none is rejected, 1 when one is', async () => {
    const ok = fakeIo(env, 'a/b.txt\n');
    expect(await main(['plan', '--json'], ok)).toBe(EXIT.OK);
    expect(JSON.parse(ok.out())).toMatchObject({ keys: 1, planned: 1, sent: 'nothing' });
    const bad = fakeIo(env, 'a/b.txt\nbad//key\n');
    expect(await main(['plan'], bad)).toBe(EXIT.FAILED);
    expect(bad.out()).toMatch(/bad\/\/key\s+invalid-path/);
  });
});

describe('main: the first-hour bugs of issue 9', () => {
  it('an unknown command gets a "did you mean" (and none when nothing is close)', async () => {
    const typo = fakeIo(env);
    expect(await main(['stauts'], typo)).toBe(EXIT.USAGE);
    expect(typo.err()).toContain('unknown command "stauts" (did you mean status?)');
    const far = fakeIo(env);
    expect(await main(['frobnicate'], far)).toBe(EXIT.USAGE);
    expect(far.err()).not.toContain('did you mean');
  });

  it('status with the secret unset names the variable and keeps "must" (not "[REDACTED] be set")', async () => {
    const io = fakeIo({ ...env, ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI-unit' });
    expect(await main(['status'], io)).toBe(EXIT.USAGE);
    expect(io.err()).toContain('ALIBABA_CLOUD_ACCESS_KEY_SECRET: must be set');
    expect(io.err()).not.toContain('[REDACTED]');
  });

  it('invoke with no credentials is a configuration error naming both variables, before anything is read or sent', async () => {
    const event = path.join(scratch, 'event.json');
    writeFileSync(event, '{"events":[]}');
    const io = fakeIo(env);
    expect(await main(['invoke', '--event', event], io)).toBe(EXIT.USAGE);
    expect(io.err()).toContain('ALIBABA_CLOUD_ACCESS_KEY_ID: must be set');
    expect(io.err()).toContain('ALIBABA_CLOUD_ACCESS_KEY_SECRET: must be set');
    expect(io.out()).toBe('');
    // With configuration problems too, all are reported at once.
    const both = fakeIo({ CPFS_DATA_FLOW_ID: 'df-unit0001', NAS_ENDPOINT: 'http://127.0.0.1:9' });
    expect(await main(['invoke', '--event', event], both)).toBe(EXIT.USAGE);
    expect(both.err()).toMatch(/CPFS_FILE_SYSTEM_ID: is required[\s\S]*ALIBABA_CLOUD_ACCESS_KEY_ID: must be set/);
  });

  it('with --json, an error is one JSON document on stdout and a short line on stderr', async () => {
    const io = fakeIo({ CPFS_FILE_SYSTEM_ID: 'nope', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'very-secret-value' });
    expect(await main(['plan', '--json'], io)).toBe(EXIT.USAGE);
    const doc = JSON.parse(io.out()) as { ok: boolean; exitCode: number; error: { kind: string; problems: Array<{ field: string }> } };
    expect(doc).toMatchObject({ ok: false, command: 'plan', exitCode: 2, error: { kind: 'configuration', code: 'ConfigError' } });
    expect(doc.error.problems.map((p) => p.field)).toEqual(expect.arrayContaining(['CPFS_FILE_SYSTEM_ID', 'CPFS_DATA_FLOW_ID']));
    expect(io.err().trim().split('\n')).toEqual(['cpfs-ingest plan: configuration problems (details: the JSON on stdout)']);
    expect(io.out() + io.err()).not.toContain('very-secret-value');

    const usage = fakeIo(env);
    expect(await main(['plan', '--json', '--colour'], usage)).toBe(EXIT.USAGE);
    expect(JSON.parse(usage.out())).toMatchObject({ ok: false, error: { kind: 'usage', message: expect.stringContaining('--colour') } });

    const unknown = fakeIo(env);
    expect(await main(['stauts', '--json'], unknown)).toBe(EXIT.USAGE);
    expect(JSON.parse(unknown.out())).toMatchObject({ ok: false, error: { kind: 'usage', message: 'unknown command "stauts" (did you mean status?)' } });
  });

  it('every command warns about unknown CPFS_* variables (environment and --config file), with a suggestion', async () => {
    const file = path.join(scratch, 'typo.env');
    writeFileSync(file, 'CPFS_IMPORT_MOD=batch\n');
    const io = fakeIo({ ...env, CPFS_DRY_RUNN: 'true' }, 'a/b.txt\n');
    expect(await main(['plan', '--config', file], io)).toBe(EXIT.OK);
    expect(io.err()).toContain('warning: CPFS_DRY_RUNN is not a cpfs-ingest setting and is ignored (did you mean CPFS_DRY_RUN?)');
    expect(io.err()).toContain('warning: CPFS_IMPORT_MOD is not a cpfs-ingest setting and is ignored (did you mean CPFS_IMPORT_MODE?)');
    const status = fakeIo({ ...env, CPFS_DRY_RUNN: 'true' });
    await main(['status'], status);
    expect(status.err()).toContain('did you mean CPFS_DRY_RUN?');
  });
});

describe('status views', () => {
  it('keep report names and drop every signed URL field', () => {
    const signed = 'https://b.oss-cn-hangzhou.aliyuncs.com/r.csv?Expires=1&OSSAccessKeyId=STS.x&Signature=abc%3D';
    const view = taskView({
      TaskId: 'task-1', Status: 'Completed', TaskAction: 'Import', ReportPath: signed,
      Reports: { Report: [{ Name: 'TotalFilesReport', Path: signed }, { Name: 'FailedFilesReport', Path: signed }] },
      ErrorMsg: `see ${signed}`, ProgressStats: { FilesDone: 1, FilesTotal: 2 },
    });
    expect(view.reports).toEqual(['TotalFilesReport', 'FailedFilesReport']);
    expect(view).toMatchObject({ taskId: 'task-1', filesDone: 1, filesTotal: 2 });
    const text = JSON.stringify(view);
    expect(text).not.toContain('Signature=abc');
    expect(text).not.toContain('STS.x');
    expect(Object.keys(view)).not.toContain('ReportPath');
    expect(subTaskView({ DataFlowSubTaskId: 's-1', Status: 'RUNNING', Progress: 2550 }).percent).toBe(25.5);
  });
});

describe('retry ClientToken', () => {
  it('is ASCII, at most 64 characters, stable per attempt and distinct across attempts and tasks', () => {
    const a1 = retryClientToken('bmcpfs-x', 'df-x', 'task-1', 1);
    expect(a1).toMatch(/^cpfs-retry-[0-9a-f]{48}$/);
    expect(a1.length).toBeLessThanOrEqual(64);
    expect(retryClientToken('bmcpfs-x', 'df-x', 'task-1', 1)).toBe(a1);
    expect(retryClientToken('bmcpfs-x', 'df-x', 'task-1', 2)).not.toBe(a1);
    expect(retryClientToken('bmcpfs-x', 'df-x', 'task-2', 1)).not.toBe(a1);
  });
});

describe('checkpoint file', () => {
  it('saves atomically (no temporary file left) and loads back; refuses a foreign file', async () => {
    const file = path.join(scratch, 'cp.json');
    const store = fileCheckpointStore(file);
    expect(await store.load()).toBeUndefined();
    const checkpoint = { version: 1 as const, bucket: 'b-1', prefixes: ['a/'], prefixIndex: 0, startAfter: 'a/k', totals: emptyTotals(), updatedAt: '2024-07-01T00:00:00.000Z' };
    await store.save(checkpoint);
    await store.save({ ...checkpoint, startAfter: 'a/l' });
    expect(await store.load()).toEqual({ ...checkpoint, startAfter: 'a/l' });
    expect(readdirSync(scratch).filter((name) => name.includes('.tmp'))).toEqual([]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ startAfter: 'a/l' });
    writeFileSync(file, '{"hello":1}');
    await expect(store.load()).rejects.toThrow(ValidationError);
  });
});
