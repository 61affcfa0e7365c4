/**
 * Runs the BUILT FC bundle (`dist/oss-stream-import/index.js`, made by `npm run build`) the way Function
 * Compute does: `handler(event: Buffer, context)`, one request at a time per instance.
 *
 * The bundle is CommonJS and builds its runtime (config, logger, NAS client, instance caches) in module
 * scope on its first invocation, reading `process.env` then — and keeps reading that same object (the
 * credentials fallback and the logger's list of secrets). So {@link loadFunction} sets the environment,
 * loads a FRESH copy of the module (a new "instance": `require.cache` entry removed first), and the
 * environment stays set until `close()`. Two instances loaded in one test share `process.env`: give them
 * the same environment.
 *
 * Everything the bundle writes to stdout/stderr (its logger writes JSON lines to stdout) and to `console`
 * during an invocation is captured, not printed (set FUNCTION_HARNESS_ECHO=1 to see it).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The bundle under test. */
export const FUNCTION_BUNDLE = path.join(repoRoot, 'dist/oss-stream-import/index.js');

/** The variables a test environment replaces (everything the function reads, plus credentials). */
const MANAGED_ENV = /^(CPFS_|NAS_ENDPOINT$|FC_|ALIBABA_CLOUD_)/;

export interface FcCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string;
}

/** The FC 3.0 context of one invocation (docs/platform.md §4). */
export interface FcContext {
  readonly requestId: string;
  readonly credentials: FcCredentials;
  readonly function: { readonly name: string; readonly handler: string; readonly memory: number; readonly timeout: number };
  readonly region: string;
  readonly accountId: string;
}

export interface ContextOptions {
  readonly credentials: FcCredentials;
  /** Seconds; default 60. */
  readonly timeoutSeconds?: number;
  readonly requestId?: string;
  readonly region?: string;
}

let requestCounter = 0;

/** An FC-like context. */
export function fcContext(options: ContextOptions): FcContext {
  requestCounter += 1;
  return {
    requestId: options.requestId ?? `1-harness-${String(requestCounter).padStart(6, '0')}`,
    credentials: { ...options.credentials },
    function: { name: 'cpfs-ingest', handler: 'index.handler', memory: 512, timeout: options.timeoutSeconds ?? 60 },
    region: options.region ?? 'cn-hangzhou',
    accountId: '1234567890123456',
  };
}

/** What the handler returned (the summary of shared/handler-result.ts), read loosely: it is the bundle's output. */
export interface HandlerSummary {
  readonly mode: 'stream' | 'batch';
  readonly dryRun: boolean;
  readonly counts: Readonly<Record<string, number>>;
  readonly outcomes: ReadonlyArray<Readonly<Record<string, unknown>> & { readonly status: string }>;
}

/** The error the handler threw (RetryableIngestError carries the report). */
export type HandlerError = Error & { readonly retryable?: boolean; readonly report?: HandlerSummary & { retryableFailures: number } };

/** One invocation's result and everything it printed. */
export interface Invocation {
  readonly ok: boolean;
  readonly result?: HandlerSummary;
  readonly error?: HandlerError;
  /** stdout and console lines written during the invocation. */
  readonly lines: string[];
  /** stderr lines written during the invocation. */
  readonly stderr: string[];
  readonly context: FcContext;
}

export interface FunctionInstance {
  /** Invokes the handler with `payload` (an object or string is JSON-encoded into a Buffer, as FC delivers). */
  invoke(payload: unknown, context: FcContext): Promise<Invocation>;
  /** Every line of every invocation so far, stdout and stderr. */
  readonly allLines: string[];
  /** Restores the environment that was there before {@link loadFunction}. */
  close(): void;
}

type Handler = (event: Buffer, context: unknown) => Promise<unknown>;

/**
 * Sets `env` (replacing every CPFS_, FC_, NAS_ENDPOINT and ALIBABA_CLOUD_ variable) and loads a fresh
 * copy of the bundle.
 */
export function loadFunction(env: Readonly<Record<string, string>>, bundle: string = FUNCTION_BUNDLE): FunctionInstance {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
  const saved = new Map<string, string | undefined>();
  for (const name of Object.keys(process.env)) {
    if (MANAGED_ENV.test(name)) {
      saved.set(name, process.env[name]);
      delete process.env[name];
    }
  }
  for (const [name, value] of Object.entries(env)) {
    if (!saved.has(name)) saved.set(name, process.env[name]);
    process.env[name] = value;
  }

  const require = createRequire(import.meta.url);
  const resolved = require.resolve(bundle);
  delete require.cache[resolved];
  const loaded = require(resolved) as { handler?: unknown };
  // The fresh copy is ours now; drop it from the cache so a later load is fresh too.
  delete require.cache[resolved];
  if (typeof loaded.handler !== 'function') throw new Error(`${bundle} does not export a handler function`);
  const handler = loaded.handler as Handler;
  const allLines: string[] = [];
  let closed = false;

  return {
    allLines,
    async invoke(payload, context) {
      if (closed) throw new Error('this function instance was closed');
      const event = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload), 'utf8');
      const capture = captureOutput();
      try {
        const result = (await handler(event, context)) as HandlerSummary;
        return { ok: true, result, lines: capture.stdout, stderr: capture.stderr, context };
      } catch (error) {
        return { ok: false, error: error as HandlerError, lines: capture.stdout, stderr: capture.stderr, context };
      } finally {
        capture.restore();
        allLines.push(...capture.stdout, ...capture.stderr);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}

/** Replaces stdout/stderr writes and console methods until `restore()`; collects whole lines. */
function captureOutput(): { stdout: string[]; stderr: string[]; restore(): void } {
  const echo = process.env['FUNCTION_HARNESS_ECHO'] === '1';
  const stdout: string[] = [];
  const stderr: string[] = [];
  const pending = { out: '', err: '' };
  const take = (which: 'out' | 'err', text: string): void => {
    const lines = (pending[which] + text).split('\n');
    pending[which] = lines.pop() ?? '';
    (which === 'out' ? stdout : stderr).push(...lines);
  };
  const originalOut = process.stdout.write;
  const originalErr = process.stderr.write;
  const originalConsole = { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug };
  const writer = (which: 'out' | 'err', original: typeof process.stdout.write) =>
    function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      take(which, typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      if (echo) return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
      const callback = rest.find((r): r is () => void => typeof r === 'function');
      callback?.();
      return true;
    };
  process.stdout.write = writer('out', originalOut) as typeof process.stdout.write;
  process.stderr.write = writer('err', originalErr) as typeof process.stderr.write;
  for (const name of Object.keys(originalConsole) as Array<keyof typeof originalConsole>) {
    console[name] = (...args: unknown[]) => take(name === 'error' || name === 'warn' ? 'err' : 'out', `${args.map(String).join(' ')}\n`);
  }
  return {
    stdout,
    stderr,
    restore() {
      process.stdout.write = originalOut;
      process.stderr.write = originalErr;
      Object.assign(console, originalConsole);
      if (pending.out) stdout.push(pending.out);
      if (pending.err) stderr.push(pending.err);
    },
  };
}

/** Parses the JSON log lines among `lines` (others are skipped). */
export function logRecords(lines: readonly string[]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null) out.push(parsed as Record<string, unknown>);
    } catch {
      // not a log line
    }
  }
  return out;
}

export interface ReplayOptions {
  /** Invocations at most (FC: 1 + maxAsyncRetryAttempts; tests allow more). Default 20. */
  readonly maxInvocations?: number;
  /** Called between a failed invocation and its replay (e.g. to settle the emulator or lift a fault). */
  readonly between?: (failed: Invocation, attempt: number) => void | Promise<void>;
  /** A fresh context per invocation (FC gives each a new requestId). */
  readonly context: () => FcContext;
}

/**
 * FC's async retry: invokes until the handler stops throwing. Returns every invocation, the last one
 * successful; throws if it never succeeded within `maxInvocations`.
 */
export async function invokeUntilSuccess(fn: FunctionInstance, payload: unknown, options: ReplayOptions): Promise<Invocation[]> {
  const invocations: Invocation[] = [];
  const max = options.maxInvocations ?? 20;
  for (let attempt = 1; attempt <= max; attempt++) {
    const invocation = await fn.invoke(payload, options.context());
    invocations.push(invocation);
    if (invocation.ok) return invocations;
    if (invocation.error?.retryable !== true) {
      throw new Error(`invocation ${attempt} failed without being retryable: ${invocation.error?.message ?? 'unknown error'}`);
    }
    await options.between?.(invocation, attempt);
  }
  throw new Error(`the handler still failed after ${max} invocations: ${invocations.at(-1)?.error?.message ?? ''}`);
}
