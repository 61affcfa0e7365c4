/**
 * `npm run emulator`: starts the NAS OpenAPI emulator on loopback with a demo world — a CPFS for LINGJUN
 * 2.6 file system `bmcpfs-demo00000001` with the Running data flow `df-demo00000001`, and a CPFS (general
 * purpose) `cpfs-demo00000001` with `df-demo00000002` — both reading bucket `oss://demo-bucket`, which the
 * same port also serves as an S3-compatible OSS endpoint (emulator/s3/). Prints the URL and the environment
 * a client needs (also into --write-env FILE), and one line per request; stops on SIGINT/SIGTERM. `--help`: usage.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_EMULATOR_KEY, startEmulator, type EmulatorOptions } from './server.js';

export const DEMO_IDS = Object.freeze({
  lingjunFileSystem: 'bmcpfs-demo00000001',
  lingjunDataFlow: 'df-demo00000001',
  cpfsFileSystem: 'cpfs-demo00000001',
  cpfsDataFlow: 'df-demo00000002',
  bucket: 'demo-bucket',
});

/** Where the sample objects of a fresh bucket directory go (the demo's route prefix). */
export const SAMPLE_PREFIX = 'incoming/';

export const USAGE = `Usage: npm run emulator -- [options]

Starts the NAS OpenAPI emulator (2017-06-26, data-flow APIs) and, on the same port, an S3-compatible OSS
endpoint over its bucket directory, with a demo world: CPFS for LINGJUN 2.6 ${DEMO_IDS.lingjunFileSystem}
(data flow ${DEMO_IDS.lingjunDataFlow}) and CPFS ${DEMO_IDS.cpfsFileSystem} (data flow ${DEMO_IDS.cpfsDataFlow}), both
importing from oss://${DEMO_IDS.bucket}. Runs until Ctrl-C.

Options (environment variable in brackets):
  --port N           port on 127.0.0.1 (EMULATOR_PORT; default 0 = any free port)
  --bucket-dir DIR   directory of oss://${DEMO_IDS.bucket} (EMULATOR_BUCKET_DIR; default a fresh temp directory
                     holding a few sample objects under ${SAMPLE_PREFIX})
  --fs-dir DIR       directory of the file systems (EMULATOR_FS_DIR; default a fresh temp directory)
  --time-scale X     speed of the emulator clock (EMULATOR_TIME_SCALE; default 1)
  --seed N           seed of ids and request ids (EMULATOR_SEED)
  --write-env FILE   also write the export lines to FILE once listening (then \`. FILE\` in another shell)
  --quiet            no line per request
  -h, --help         this help
Fresh temp directories are removed when it stops (Ctrl-C / SIGTERM); directories given by flags are kept.
The local test key's secret is EMULATOR_ACCESS_KEY_SECRET (default ${DEFAULT_EMULATOR_KEY.accessKeySecret}).

Prints, and writes to --write-env FILE, the variables cpfs-ingest needs:
  NAS_ENDPOINT, ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, CPFS_FILE_SYSTEM_ID,
  CPFS_DATA_FLOW_ID, OSS_BUCKET, OSS_S3_ENDPOINT (the same URL as NAS_ENDPOINT).`;


/** A few objects in a fresh bucket directory, so that backfill and reconcile have something to find. */
export function writeSampleObjects(bucketDir: string, nowMs: number): string[] {
  const keys = ['sample-0001.txt', 'sample-0002.txt', 'images/cat 01.jpg', '数据/样本.bin'].map((k) => SAMPLE_PREFIX + k);
  for (const key of keys) {
    const file = path.join(bucketDir, ...key.split('/'));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `sample object ${key}\n`);
    // A minute old: inside reconcile's default look-back on its first run.
    const when = new Date(nowMs - 60_000);
    utimesSync(file, when, when);
  }
  return keys;
}

/** The `export NAME=value` lines a client needs (values are plain: URLs, ids, the local test key). */
export function exportLines(url: string, accessKeySecret: string): string[] {
  return [
    `export NAS_ENDPOINT=${url}`,
    `export ALIBABA_CLOUD_ACCESS_KEY_ID=${DEFAULT_EMULATOR_KEY.accessKeyId}`,
    `export ALIBABA_CLOUD_ACCESS_KEY_SECRET=${accessKeySecret}`,
    `export CPFS_FILE_SYSTEM_ID=${DEMO_IDS.lingjunFileSystem}`,
    `export CPFS_DATA_FLOW_ID=${DEMO_IDS.lingjunDataFlow}`,
    `export OSS_BUCKET=${DEMO_IDS.bucket}`,
    `export OSS_S3_ENDPOINT=${url}`,
  ];
}

export interface MainSettings {
  readonly help: boolean;
  readonly envFile?: string;
  readonly port: number;
  readonly bucketDir?: string;
  readonly fsDir?: string;
  readonly timeScale: number;
  readonly seed?: number;
  readonly quiet: boolean;
  readonly accessKeySecret: string;
}

function numberSetting(name: string, raw: string | undefined, check: (n: number) => boolean): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) throw new Error(`${name}: invalid value ${JSON.stringify(raw)}`);
  return n;
}

/** Reads flags first, then the environment; throws naming the bad setting. */
export function parseMainSettings(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): MainSettings {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      'bucket-dir': { type: 'string' },
      'fs-dir': { type: 'string' },
      'time-scale': { type: 'string' },
      seed: { type: 'string' },
      quiet: { type: 'boolean' },
      'write-env': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const port = numberSetting('--port', values.port ?? env['EMULATOR_PORT'], (n) => Number.isInteger(n) && n >= 0 && n < 65536) ?? 0;
  const timeScale = numberSetting('--time-scale', values['time-scale'] ?? env['EMULATOR_TIME_SCALE'], (n) => n > 0) ?? 1;
  const seed = numberSetting('--seed', values.seed ?? env['EMULATOR_SEED'], Number.isInteger);
  const bucketDir = values['bucket-dir'] ?? (env['EMULATOR_BUCKET_DIR'] || undefined);
  const fsDir = values['fs-dir'] ?? (env['EMULATOR_FS_DIR'] || undefined);
  const envFile = values['write-env'];
  return {
    help: values.help ?? false,
    ...(envFile ? { envFile: path.resolve(envFile) } : {}),
    port,
    timeScale,
    quiet: values.quiet ?? false,
    accessKeySecret: env['EMULATOR_ACCESS_KEY_SECRET'] || DEFAULT_EMULATOR_KEY.accessKeySecret,
    ...(seed !== undefined ? { seed } : {}),
    ...(bucketDir ? { bucketDir: path.resolve(bucketDir) } : {}),
    ...(fsDir ? { fsDir: path.resolve(fsDir) } : {}),
  };
}

/** The emulator options of the demo world. */
export function demoEmulatorOptions(settings: MainSettings, bucketDir: string, fsDir: string): EmulatorOptions {
  return {
    port: settings.port,
    timeScale: settings.timeScale,
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    keys: [{ accessKeyId: DEFAULT_EMULATOR_KEY.accessKeyId, accessKeySecret: settings.accessKeySecret }],
    buckets: { [DEMO_IDS.bucket]: bucketDir },
    fileSystems: [
      { id: DEMO_IDS.lingjunFileSystem, version: '2.6.0', dir: path.join(fsDir, DEMO_IDS.lingjunFileSystem) },
      { id: DEMO_IDS.cpfsFileSystem, version: '2.3.0', dir: path.join(fsDir, DEMO_IDS.cpfsFileSystem) },
    ],
    dataFlows: [
      { id: DEMO_IDS.lingjunDataFlow, fileSystemId: DEMO_IDS.lingjunFileSystem, sourceStorage: `oss://${DEMO_IDS.bucket}` },
      { id: DEMO_IDS.cpfsDataFlow, fileSystemId: DEMO_IDS.cpfsFileSystem, sourceStorage: `oss://${DEMO_IDS.bucket}` },
    ],
  };
}

async function main(): Promise<void> {
  let settings: MainSettings;
  try {
    settings = parseMainSettings(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`emulator: ${(e as Error).message}\n(see npm run emulator -- --help)\n`);
    process.exitCode = 2;
    return;
  }
  if (settings.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const scratch = settings.bucketDir && settings.fsDir ? undefined : mkdtempSync(path.join(tmpdir(), 'cpfs-ingest-emulator-'));
  const bucketDir = settings.bucketDir ?? path.join(scratch ?? '', 'bucket');
  const fsDir = settings.fsDir ?? path.join(scratch ?? '', 'fs');
  mkdirSync(bucketDir, { recursive: true });
  mkdirSync(fsDir, { recursive: true });
  const samples = settings.bucketDir === undefined ? writeSampleObjects(bucketDir, Date.now()) : [];

  const emulator = await startEmulator({
    ...demoEmulatorOptions(settings, bucketDir, fsDir),
    ...(settings.quiet
      ? {}
      : {
          onRequest: (e) =>
            process.stderr.write(`${new Date(e.timeMs).toISOString()} ${e.action || '-'} ${e.status ?? 'dropped'}${e.code ? ` ${e.code}` : ''}\n`),
          onS3Request: (e) =>
            process.stderr.write(
              `${new Date(e.timeMs).toISOString()} S3 ${e.operation}${e.bucket ? ` ${e.bucket}` : ''}${e.key ? `/${e.key}` : ''} ${e.status}${e.code ? ` ${e.code}` : ''}\n`,
            ),
        }),
  });
  const exports = exportLines(emulator.url, settings.accessKeySecret);
  if (settings.envFile !== undefined) {
    // Written whole, then renamed: a shell sourcing it never sees half of it.
    const temporary = `${settings.envFile}.${process.pid}.tmp`;
    writeFileSync(temporary, `# cpfs-ingest emulator on ${emulator.url}: a local test key, valid only against it\n${exports.join('\n')}\n`, { mode: 0o600 });
    renameSync(temporary, settings.envFile);
  }
  process.stdout.write(
    [
      `NAS OpenAPI emulator (2017-06-26) listening on ${emulator.url} (time scale ${settings.timeScale})`,
      `  S3-compatible OSS endpoint on the same URL (SigV4, path-style): oss://${DEMO_IDS.bucket} -> ${bucketDir}`,
      ...(samples.length > 0 ? [`  ${samples.length} sample objects under oss://${DEMO_IDS.bucket}/${SAMPLE_PREFIX}`] : []),
      `  ${DEMO_IDS.lingjunFileSystem} (CPFS for LINGJUN 2.6.0, data flow ${DEMO_IDS.lingjunDataFlow}) -> ${path.join(fsDir, DEMO_IDS.lingjunFileSystem)}`,
      `  ${DEMO_IDS.cpfsFileSystem} (CPFS 2.3.0, data flow ${DEMO_IDS.cpfsDataFlow}) -> ${path.join(fsDir, DEMO_IDS.cpfsFileSystem)}`,
      '',
      '# a local test key, valid only against this emulator:',
      ...exports,
      ...(settings.envFile !== undefined ? [`# (also written to ${settings.envFile})`] : []),
      '',
    ].join('\n'),
  );

  const shutdown = (signal: string): void => {
    process.stderr.write(`emulator: ${signal}, stopping\n`);
    emulator.stop().then(
      () => {
        // The temp directories it made are its own; directories named by flags are the user's.
        if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (invokedDirectly) void main();
