/**
 * A real S3-compatible server (s3rver 3.7.1, filesystem backend in a temp dir, on tmpfs when available) on
 * 127.0.0.1, for tests.
 *
 * Why a child process: s3rver encrypts its ListObjectsV2 continuation tokens with single DES
 * (`crypto.createCipheriv('des', …)` in lib/controllers/bucket.js). Node ≥ 17 links OpenSSL 3, where DES lives
 * in the "legacy" provider that is not loaded by default, so every truncated ListObjectsV2 page is answered
 * `500 InternalError` (OpenSSL "unsupported" inside s3rver) unless Node runs with `--openssl-legacy-provider`
 * (checked on Node 20.20 / OpenSSL 3.0). Starting, PutObject and single-page listings work in-process;
 * pagination does not, and a test cannot give its vitest worker that flag after start.
 * So the server runs as `node --openssl-legacy-provider -e <script>`, prints its port as one JSON line on
 * stdout, and exits on SIGTERM or when our end of its stdin closes (so it never outlives a crashed worker).
 *
 * Objects are written straight into s3rver's directory layout (`<dir>/<bucket>/<key>._S3rver_object` plus
 * the `.md5` file s3rver would otherwise compute lazily), which is what its own PutObject writes; thousands
 * of objects take well under a second, and LastModified (the file's mtime) can be set per object.
 *
 * s3rver quirks worth knowing:
 * - Address it path-style (`forcePathStyle: true`); virtual-hosted style would need `<bucket>.127.0.0.1`.
 * - It walks the directory tree and emits keys in per-directory name order, which is S3's byte order only
 *   when sibling names compare the same way with and without the `._S3rver_object` suffix (e.g. `x` and
 *   `x-1` do not). Its `start-after`/continuation filter compares whole keys, so keys out of order may be
 *   skipped across pages. Use fixed-width names in multi-page tests.
 * - Credentials: access key id `S3RVER` (secret `S3RVER`). It checks the key id (`InvalidAccessKeyId`) but
 *   does not verify SigV4 signatures, so a wrong secret goes unnoticed; any region name is accepted.
 * - Bucket names must be 3–63 chars.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The fixed credentials s3rver accepts. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', accessKeySecret: 'S3RVER' } as const;

export interface S3TestServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** s3rver's data directory (removed by `stop`). */
  readonly directory: string;
  /** Stops the server process and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface TestObject {
  readonly key: string;
  /** Default: the key itself. */
  readonly body?: string | Buffer;
  /** Becomes the object's LastModified (s3rver reports the file's mtime, to the second). Default: now. */
  readonly lastModified?: Date;
}

// Runs inside the child. CommonJS (the default for `-e`); the s3rver path comes from the parent's resolution.
const CHILD_SCRIPT = `
const S3rver = require(process.env.S3RVER_MODULE);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.env.S3RVER_DIR });
let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  // Also removes the data directory, which matters when the parent died without calling stop().
  const clean = () => require('fs').rmSync(process.env.S3RVER_DIR, { recursive: true, force: true });
  server.close().then(() => { clean(); process.exit(0); }, () => { clean(); process.exit(1); });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'),
  (error) => { process.stderr.write(String((error && error.stack) || error)); process.exit(1); },
);
`;

/**
 * A fresh data directory, in RAM (`/dev/shm`) when the machine has one: creating a file costs ~1 ms on this
 * project's CI disk against ~0.03 ms on tmpfs, and a test store of 5,000 objects is 10,000 files.
 */
function makeDataDirectory(): string {
  try {
    return mkdtempSync(join('/dev/shm', 's3rver-'));
  } catch {
    return mkdtempSync(join(tmpdir(), 's3rver-'));
  }
}

/** How long startup may take before we give up (a guard against a hung child, not a timing assertion). */
const STARTUP_LIMIT_MS = 20_000;
const STOP_LIMIT_MS = 5_000;

/**
 * Starts s3rver in a child process on 127.0.0.1 with an OS-assigned port and a fresh temp directory.
 * Call `stop()` in `afterAll`.
 */
export async function startS3Server(): Promise<S3TestServer> {
  const directory = makeDataDirectory();
  const s3rverModule = createRequire(import.meta.url).resolve('s3rver');
  const env: NodeJS.ProcessEnv = { ...process.env, S3RVER_MODULE: s3rverModule, S3RVER_DIR: directory };
  // A test runner's NODE_OPTIONS (loaders, inspectors) would only slow the child down or break it.
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD_SCRIPT], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });

  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
  });

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`s3rver did not start within ${STARTUP_LIMIT_MS} ms`)), STARTUP_LIMIT_MS);
      const fail = (why: string) => {
        clearTimeout(timer);
        reject(new Error(`s3rver child ${why}; stderr: ${stderrTail.trim() || '(empty)'}`));
      };
      child.once('error', (error) => fail(`could not be spawned (${error.message})`));
      child.once('exit', (code, signal) => fail(`exited before listening (code ${code}, signal ${signal})`));
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        const newline = stdout.indexOf('\n');
        if (newline === -1) return;
        const parsed: unknown = JSON.parse(stdout.slice(0, newline));
        clearTimeout(timer);
        if (typeof parsed === 'object' && parsed !== null && 'port' in parsed && typeof parsed.port === 'number') {
          resolve(parsed.port);
        } else {
          reject(new Error(`s3rver child printed an unexpected line: ${stdout.slice(0, newline)}`));
        }
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  child.removeAllListeners('exit');
  child.stdout.resume(); // keep draining so the pipe never fills

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    directory,
    stop() {
      stopped ??= stopChild(child).finally(() => rmSync(directory, { recursive: true, force: true }));
      return stopped;
    },
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), STOP_LIMIT_MS);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
    child.stdin?.end();
  });
}

/** Creates `bucket` (s3rver's CreateBucket is a `mkdir` of `<dir>/<bucket>`). */
export function createBucket(server: S3TestServer, bucket: string): void {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error(`test bucket name not valid for s3rver: ${bucket}`);
  mkdirSync(join(server.directory, bucket), { recursive: true });
}

/**
 * Writes objects straight into the server's store (same files s3rver's PutObject writes). Returns how many.
 * The bucket must exist. Keys may not start with `/`, contain `..` segments or s3rver's own suffix.
 */
export function putObjects(server: S3TestServer, bucket: string, objects: Iterable<TestObject>): number {
  const bucketDir = join(server.directory, bucket);
  const madeDirs = new Set<string>();
  let count = 0;
  for (const object of objects) {
    const parts = object.key.split('/');
    if (object.key.startsWith('/') || parts.includes('..') || parts.includes('.') || object.key.includes('._S3rver_')) {
      throw new Error(`test key cannot be stored by s3rver's filesystem layout: ${object.key}`);
    }
    const base = parts.pop() ?? '';
    const objectPath = join(bucketDir, ...parts, `${base}._S3rver_object`);
    const dir = dirname(objectPath);
    if (!madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      madeDirs.add(dir);
    }
    const body = typeof object.body === 'string' ? Buffer.from(object.body) : (object.body ?? Buffer.from(object.key));
    writeFileSync(objectPath, body);
    writeFileSync(`${objectPath}.md5`, createHash('md5').update(body).digest('hex'));
    if (object.lastModified !== undefined) utimesSync(objectPath, object.lastModified, object.lastModified);
    count++;
  }
  return count;
}
