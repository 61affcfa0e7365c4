/**
 * `npm run emulator`: starts the NAS OpenAPI emulator on loopback with a demo world — a CPFS for LINGJUN
 * 2.6 file system `bmcpfs-demo00000001` with the Running data flow `df-demo00000001`, and a CPFS (general
 * purpose) `cpfs-demo00000001` with `df-demo00000002` — both reading bucket `oss://demo-bucket`. Prints the
 * URL and the environment a client needs, and one line per request; stops on SIGINT/SIGTERM.
 *
 * Flags (or environment): --port (EMULATOR_PORT, default 0 = any free port), --bucket-dir
 * (EMULATOR_BUCKET_DIR), --fs-dir (EMULATOR_FS_DIR) — both default to fresh directories under the system
 * temp dir — --time-scale (EMULATOR_TIME_SCALE, default 1), --seed (EMULATOR_SEED), --quiet.
 * The access key is a local test key (LTAI-emulator); EMULATOR_ACCESS_KEY_SECRET overrides its secret.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
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

export interface MainSettings {
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
    },
    strict: true,
  });
  const port = numberSetting('--port', values.port ?? env['EMULATOR_PORT'], (n) => Number.isInteger(n) && n >= 0 && n < 65536) ?? 0;
  const timeScale = numberSetting('--time-scale', values['time-scale'] ?? env['EMULATOR_TIME_SCALE'], (n) => n > 0) ?? 1;
  const seed = numberSetting('--seed', values.seed ?? env['EMULATOR_SEED'], Number.isInteger);
  const bucketDir = values['bucket-dir'] ?? (env['EMULATOR_BUCKET_DIR'] || undefined);
  const fsDir = values['fs-dir'] ?? (env['EMULATOR_FS_DIR'] || undefined);
  return {
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
    process.stderr.write(`emulator: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const scratch = settings.bucketDir && settings.fsDir ? undefined : mkdtempSync(path.join(tmpdir(), 'cpfs-ingest-emulator-'));
  const bucketDir = settings.bucketDir ?? path.join(scratch ?? '', 'bucket');
  const fsDir = settings.fsDir ?? path.join(scratch ?? '', 'fs');
  mkdirSync(bucketDir, { recursive: true });
  mkdirSync(fsDir, { recursive: true });

  const emulator = await startEmulator({
    ...demoEmulatorOptions(settings, bucketDir, fsDir),
    ...(settings.quiet
      ? {}
      : {
          onRequest: (e) =>
            process.stderr.write(`${new Date(e.timeMs).toISOString()} ${e.action || '-'} ${e.status ?? 'dropped'}${e.code ? ` ${e.code}` : ''}\n`),
        }),
  });
  process.stdout.write(
    [
      `NAS OpenAPI emulator (2017-06-26) listening on ${emulator.url} (time scale ${settings.timeScale})`,
      `  bucket oss://${DEMO_IDS.bucket} -> ${bucketDir}`,
      `  ${DEMO_IDS.lingjunFileSystem} (CPFS for LINGJUN 2.6.0, data flow ${DEMO_IDS.lingjunDataFlow}) -> ${path.join(fsDir, DEMO_IDS.lingjunFileSystem)}`,
      `  ${DEMO_IDS.cpfsFileSystem} (CPFS 2.3.0, data flow ${DEMO_IDS.cpfsDataFlow}) -> ${path.join(fsDir, DEMO_IDS.cpfsFileSystem)}`,
      '',
      '# a local test key, valid only against this emulator:',
      `export NAS_ENDPOINT=${emulator.url}`,
      `export ALIBABA_CLOUD_ACCESS_KEY_ID=${DEFAULT_EMULATOR_KEY.accessKeyId}`,
      `export ALIBABA_CLOUD_ACCESS_KEY_SECRET=${settings.accessKeySecret}`,
      `export CPFS_FILE_SYSTEM_ID=${DEMO_IDS.lingjunFileSystem}`,
      `export CPFS_DATA_FLOW_ID=${DEMO_IDS.lingjunDataFlow}`,
      '',
    ].join('\n'),
  );

  const shutdown = (signal: string): void => {
    process.stderr.write(`emulator: ${signal}, stopping\n`);
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (invokedDirectly) void main();
