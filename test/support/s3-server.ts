/**
 * The S3-compatible OSS endpoint for tests is the NAS emulator's own (emulator/s3/): it serves the buckets of
 * `startEmulator` on the emulator's port, over the same directories its data-flow tasks import from. This
 * module starts such an emulator and writes objects straight into a bucket directory — what a PutObject
 * through the endpoint writes, but thousands per second, with any LastModified.
 *
 * Address it path-style (`forcePathStyle: true`, which `createListingClient` picks for loopback endpoints);
 * `<bucket>.127.0.0.1` would need DNS.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../emulator/server.js';

/** A test key (not a secret) the S3 worlds below accept. */
export const S3_TEST_KEY = { accessKeyId: 'LTAI-s3-test', accessKeySecret: 's3-test-secret-0123456789' } as const;

export interface TestObject {
  readonly key: string;
  /** Default: the key itself. */
  readonly body?: string | Buffer;
  /** Becomes the object's LastModified (the file's mtime; the endpoint reports it to the second). Default: now. */
  readonly lastModified?: Date;
}

export interface S3World {
  readonly emulator: EmulatorHandle;
  /** `http://127.0.0.1:<port>`: the NAS OpenAPI and the S3 endpoint alike. */
  readonly endpoint: string;
  /** Local directory of each bucket. */
  readonly bucketDirs: Readonly<Record<string, string>>;
  /** Stops the emulator and removes its directories. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts an emulator whose S3 endpoint serves `buckets`, each from its own fresh directory (in RAM under
 * /dev/shm when the machine has it: a store of 5,000 objects is 5,000 files). Other options pass through.
 */
export async function startS3World(buckets: readonly string[], options: EmulatorOptions = {}): Promise<S3World> {
  let root: string;
  try {
    root = mkdtempSync(join('/dev/shm', 's3-world-'));
  } catch {
    root = mkdtempSync(join(tmpdir(), 's3-world-'));
  }
  const bucketDirs = Object.fromEntries(buckets.map((b) => [b, join(root, 'buckets', b)]));
  for (const dir of Object.values(bucketDirs)) mkdirSync(dir, { recursive: true });
  const emulator = await startEmulator({
    keys: [S3_TEST_KEY],
    fileSystemDir: join(root, 'fs'),
    ...options,
    buckets: { ...bucketDirs, ...options.buckets },
  });
  let stopped: Promise<void> | undefined;
  return {
    emulator,
    endpoint: emulator.url,
    bucketDirs,
    stop() {
      stopped ??= emulator.stop().finally(() => rmSync(root, { recursive: true, force: true }));
      return stopped;
    },
  };
}

/** Writes objects as files under `bucketDir` (the endpoint's layout: the key is the path). Returns how many. */
export function putObjects(bucketDir: string, objects: Iterable<TestObject>): number {
  const madeDirs = new Set<string>();
  let count = 0;
  for (const object of objects) {
    const parts = object.key.split('/');
    if (object.key.startsWith('/') || object.key.endsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
      throw new Error(`test key cannot be stored as a file: ${object.key}`);
    }
    const file = join(bucketDir, ...parts);
    const dir = dirname(file);
    if (!madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      madeDirs.add(dir);
    }
    writeFileSync(file, typeof object.body === 'string' ? Buffer.from(object.body) : (object.body ?? Buffer.from(object.key)));
    if (object.lastModified !== undefined) utimesSync(file, object.lastModified, object.lastModified);
    count++;
  }
  return count;
}
