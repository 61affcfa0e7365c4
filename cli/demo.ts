/**
 * `cpfs-ingest demo` (what `npm start` runs): the whole path on one machine, through the BUILT function.
 *
 * 1. Starts the NAS OpenAPI emulator on loopback with a temporary "bucket" and "file system" directory: a
 *    CPFS for LINGJUN 2.6 file system and a data flow `oss://demo-bucket/incoming/` → `/`.
 * 2. Puts a dozen objects with awkward names into the bucket (space, `+`, `%`, CJK, emoji, nested
 *    folders, a second route with another ConflictPolicy) plus keys the function must refuse (a `..`
 *    name, a key outside SourceStoragePath, a folder placeholder).
 * 3. Delivers each object's native OSS event to `dist/oss-stream-import/index.js` — the FC bundle, loaded
 *    as FC loads it, with an FC-like context — and one event a second time (at-least-once delivery).
 * 4. Lets the emulator finish the sub-tasks and prints key → route → sub-task → status → landed path,
 *    checking each file exists in the file-system directory with the object's bytes; then the refused
 *    keys with their reasons. Exit 0 when everything happened as expected, 1 otherwise.
 *
 * `--watch DIR` then keeps going: every file dropped into DIR is uploaded to the bucket under
 * `incoming/dropped/`, its event delivered, and its line printed, until Ctrl-C.
 *
 * The credentials are a throw-away STS key that only this emulator knows; they are never printed.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../emulator/server.js';
import { EXIT } from './exit-codes.js';

export interface DemoOptions {
  /** After the demo, watch this folder and ingest what is dropped into it until Ctrl-C (or `signal`). */
  readonly watchDir?: string;
  /** Print one JSON document instead of the table. */
  readonly json?: boolean;
  /** Keep the temporary bucket/file-system directories (and the function's log) instead of deleting them. */
  readonly keep?: boolean;
  /**
   * Where the report goes: a function receiving each line (default: stdout), or a file path that gets
   * the report in addition to stdout (`--out FILE`).
   */
  readonly out?: ((line: string) => void) | string;
  /** The built handler; default `../oss-stream-import/index.js` next to the CLI bundle (dist/cli/). */
  readonly handlerPath?: string;
  /** Ends watch mode (default: SIGINT). */
  readonly signal?: AbortSignal;
  /** Width the report fits in (default: the terminal's columns, or DEFAULT_COLUMNS when stdout is not a terminal). */
  readonly columns?: number;
  /** Also print every record's full detail (route, policy, sub-task, landed path, reason), wrapped, not cut. */
  readonly verbose?: boolean;
}

/** Report width when stdout is not a terminal (a pipe, a file, CI logs). */
export const DEFAULT_COLUMNS = 100;
/** Narrowest width the report is laid out for (a narrower terminal wraps it). */
const MIN_COLUMNS = 40;

/** The demo world. */
export const DEMO_WORLD = Object.freeze({
  fileSystemId: 'bmcpfs-demo00000001',
  dataFlowId: 'df-demo00000001',
  bucket: 'demo-bucket',
  sourceStoragePath: '/incoming/',
  fileSystemPath: '/',
  routes: [
    { prefix: 'incoming/images/', dstDirectory: '/datasets/images/', conflictPolicy: 'KEEP_LATEST' },
    { prefix: 'incoming/checkpoints/', dstDirectory: '/ckpt/', conflictPolicy: 'OVERWRITE_EXISTING' },
    { prefix: 'incoming/', dstDirectory: '/misc/', conflictPolicy: 'KEEP_LATEST' },
  ],
} as const);

/**
 * The demo's emulator: DEMO_WORLD's file system, data flow and bucket. The streaming task is usable at once
 * (the function would otherwise poll it for a second); sub-tasks keep their CREATED → RUNNING → COMPLETE
 * lifecycle, which the demo lets the emulator settle. The bench's verify phase starts the same world.
 */
export function demoEmulatorOptions(key: { readonly accessKeyId: string; readonly accessKeySecret: string }, bucketDir: string, fsDir: string): EmulatorOptions {
  return {
    keys: [key],
    timings: { streamPendingMs: 0 },
    buckets: { [DEMO_WORLD.bucket]: bucketDir },
    fileSystems: [{ id: DEMO_WORLD.fileSystemId, version: '2.6.0', dir: fsDir }],
    dataFlows: [
      {
        id: DEMO_WORLD.dataFlowId,
        fileSystemId: DEMO_WORLD.fileSystemId,
        sourceStorage: `oss://${DEMO_WORLD.bucket}`,
        sourceStoragePath: DEMO_WORLD.sourceStoragePath,
        fileSystemPath: DEMO_WORLD.fileSystemPath,
      },
    ],
  };
}

/** What the demo puts in the bucket and what it expects of each key. */
export const DEMO_OBJECTS: ReadonlyArray<{ readonly key: string; readonly expect: 'land' | 'reject' | 'ignore' }> = [
  { key: 'incoming/images/cat photo.jpg', expect: 'land' },
  { key: 'incoming/images/a+b=c.png', expect: 'land' },
  { key: 'incoming/images/100% done.txt', expect: 'land' },
  { key: 'incoming/images/数据集/样本-01.csv', expect: 'land' },
  { key: 'incoming/images/🚀 launch/payload.json', expect: 'land' },
  { key: 'incoming/images/deep/nested/dir/tensor.bin', expect: 'land' },
  { key: 'incoming/checkpoints/model-0001.ckpt', expect: 'land' },
  { key: 'incoming/checkpoints/Ünïcödé model.ckpt', expect: 'land' },
  { key: 'incoming/notes/readme.md', expect: 'land' },
  { key: 'incoming/images/../escape.txt', expect: 'reject' },
  { key: 'outgoing/report.pdf', expect: 'reject' },
  { key: 'incoming/images/new folder/', expect: 'ignore' },
];

/** One line of the report. */
export interface DemoRow {
  readonly key: string;
  readonly route?: string;
  readonly conflictPolicy?: string;
  readonly subTaskId?: string;
  readonly status: string;
  readonly landedPath?: string;
  /** The file exists in the file-system directory with the object's bytes. */
  readonly verified: boolean;
  readonly reason?: string;
  readonly expected: 'land' | 'reject' | 'ignore';
  readonly ok: boolean;
}

type Handler = (event: Buffer, context: unknown) => Promise<unknown>;
/** The bundle's createIngestHandler as the demo sees it from outside the build (functions/oss-stream-import/handler.ts). */
type HandlerFactory = (deps: { env: Readonly<Record<string, string>>; write: (line: string) => void; codeDir: string }) => Handler;

/** The part of a handler result or error the demo reads. */
interface Outcome {
  readonly status: string;
  readonly key?: string;
  readonly subTaskId?: string;
  readonly taskId?: string;
  readonly dstFilePath?: string;
  readonly conflictPolicy?: string;
  readonly reason?: string;
  readonly kind?: string;
  readonly code?: string;
  readonly message?: string;
}

/**
 * Runs the demo. Returns the exit code: 0 when every object landed or was refused as expected.
 */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const columns = Math.max(MIN_COLUMNS, options.columns ?? (process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : DEFAULT_COLUMNS));
  const report = createReport(options.out);
  const handlerPath = options.handlerPath ?? defaultHandlerPath();
  if (!fs.existsSync(handlerPath)) {
    report.line(`demo: ${handlerPath} is missing — run \`npm run build\` first`);
    report.close();
    return EXIT.USAGE;
  }

  const root = fs.mkdtempSync(path.join(tmpdir(), 'cpfs-ingest-demo-'));
  const bucketDir = path.join(root, 'bucket');
  const fsDir = path.join(root, 'fs');
  fs.mkdirSync(bucketDir, { recursive: true });
  // A throw-away STS key: the function signs with it, the emulator checks it; nothing prints it.
  const key = {
    accessKeyId: `STS.demo${randomBytes(6).toString('hex')}`,
    accessKeySecret: randomBytes(18).toString('base64url'),
    securityToken: `CAIS${randomBytes(24).toString('base64url')}`,
  };
  const emulator = await startEmulator(demoEmulatorOptions(key, bucketDir, fsDir));
  // The function's environment as its own object, and its log lines kept aside (the demo shows the table):
  // the bundle's handler factory takes both, so process.env and process.stdout stay untouched.
  const functionEnv: Readonly<Record<string, string>> = {
    CPFS_FILE_SYSTEM_ID: DEMO_WORLD.fileSystemId,
    CPFS_DATA_FLOW_ID: DEMO_WORLD.dataFlowId,
    CPFS_SOURCE_STORAGE_PATH: DEMO_WORLD.sourceStoragePath,
    CPFS_ROUTES: JSON.stringify(DEMO_WORLD.routes),
    NAS_ENDPOINT: emulator.url,
    FC_REGION: 'cn-hangzhou',
  };
  const functionLog: string[] = [];
  let invocations = 0;
  const invoke = async (payload: unknown): Promise<Outcome[]> => {
    invocations += 1;
    const context = {
      requestId: `demo-${String(invocations).padStart(4, '0')}`,
      credentials: { ...key },
      function: { name: 'cpfs-ingest', handler: 'index.handler', memory: 512, timeout: 60 },
      region: 'cn-hangzhou',
      accountId: '1234567890123456',
    };
    try {
      return outcomesOf(await handler(Buffer.from(JSON.stringify(payload), 'utf8'), context));
    } catch (error) {
      // A retryable failure: FC would replay the event. The demo has no faults, so report it.
      return outcomesOf((error as { report?: unknown }).report);
    }
  };

  let handler: Handler;
  let exitCode: number;
  try {
    handler = loadHandlerFactory(handlerPath)({ env: functionEnv, write: (line) => functionLog.push(line), codeDir: path.dirname(handlerPath) });
    const rows = await deliverSamples(emulator, bucketDir, fsDir, invoke);
    const duplicateDelivery = await checkRedelivery(emulator, bucketDir, invoke, rows[0] as DemoRow);
    emulator.settle();
    const finalRows = rows.map((row) => refreshRow(emulator, fsDir, bucketDir, row));
    const ok = finalRows.every((row) => row.ok) && duplicateDelivery.ok;
    if (options.json) {
      report.line(JSON.stringify({ ok, emulator: emulator.url, objects: finalRows, redelivery: duplicateDelivery, invocations }, null, 2));
    } else {
      printTable(report.line, finalRows, duplicateDelivery, { url: emulator.url, fsDir, invocations, columns, verbose: options.verbose ?? false });
    }
    exitCode = ok ? EXIT.OK : EXIT.FAILED;

    if (options.watchDir !== undefined) {
      const wrapped = (text: string) => wrapLine(text, columns).forEach((l) => report.line(l));
      await watchFolder(options.watchDir, emulator, bucketDir, fsDir, invoke, wrapped, options.signal);
    }
  } finally {
    await emulator.stop();
    if (options.keep) {
      fs.writeFileSync(path.join(root, 'function.log'), functionLog.join('\n') + '\n');
      report.line(`kept: ${root} (bucket/, fs/, function.log)`);
    } else {
      fs.rmSync(root, { recursive: true, force: true });
    }
    report.close();
  }
  return exitCode;
}

/** `dist/oss-stream-import/index.js` seen from the CLI bundle in `dist/cli/`, or from the repository root. */
function defaultHandlerPath(): string {
  return typeof __dirname === 'string'
    ? path.join(__dirname, '../oss-stream-import/index.js')
    : path.resolve('dist/oss-stream-import/index.js');
}

/**
 * The bundle's `createIngestHandler`: the demo runs the BUILT code, handing it the demo's environment and
 * log sink instead of rewriting process.env and patching process.stdout.write.
 */
function loadHandlerFactory(handlerPath: string): HandlerFactory {
  const load = createRequire(handlerPath);
  const mod = load(load.resolve(handlerPath)) as { createIngestHandler?: unknown };
  if (typeof mod.createIngestHandler !== 'function') throw new Error(`${handlerPath} does not export createIngestHandler (rebuild with \`npm run build\`)`);
  return mod.createIngestHandler as HandlerFactory;
}

function outcomesOf(result: unknown): Outcome[] {
  const outcomes = typeof result === 'object' && result !== null ? (result as { outcomes?: unknown }).outcomes : undefined;
  return Array.isArray(outcomes) ? outcomes.filter((o): o is Outcome => typeof o === 'object' && o !== null && typeof (o as Outcome).status === 'string') : [];
}

/** A native OSS notification for one object (docs/platform.md §3: the documented FC sample shape). */
function ossEvent(key: string, size: number, eTag: string): unknown {
  return {
    events: [
      {
        eventName: 'ObjectCreated:PutObject',
        eventSource: 'acs:oss',
        eventTime: new Date().toISOString(),
        eventVersion: '1.0',
        region: 'cn-hangzhou',
        oss: {
          bucket: { arn: `acs:oss:cn-hangzhou:1234567890123456:${DEMO_WORLD.bucket}`, name: DEMO_WORLD.bucket, ownerIdentity: '1234567890123456' },
          object: { deltaSize: size, eTag, key, size },
          ossSchemaVersion: '1.0',
          ruleId: 'cpfs-ingest-demo',
        },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { requestId: eTag.slice(0, 24) },
        userIdentity: { principalId: '1234567890123456' },
      },
    ],
  };
}

function md5Hex(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex').toUpperCase();
}

/** Writes an object into the bucket directory (when the local file system can hold its name). */
function putObject(bucketDir: string, key: string, body: Buffer): boolean {
  const segments = key.split('/');
  if (key.endsWith('/') || segments.some((s) => s === '..' || s === '.')) return false;
  const file = path.join(bucketDir, ...segments);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, body);
  return true;
}

function sampleBody(key: string): Buffer {
  return Buffer.from(`cpfs-ingest demo object\nkey: ${key}\n`, 'utf8');
}

async function deliverSamples(
  emulator: EmulatorHandle,
  bucketDir: string,
  fsDir: string,
  invoke: (payload: unknown) => Promise<Outcome[]>,
): Promise<DemoRow[]> {
  const rows: DemoRow[] = [];
  for (const sample of DEMO_OBJECTS) {
    const body = sampleBody(sample.key);
    putObject(bucketDir, sample.key, body);
    const outcomes = await invoke(ossEvent(sample.key, body.length, md5Hex(body)));
    const outcome = outcomes.find((o) => o.key === sample.key) ?? outcomes[0];
    rows.push(rowOf(sample.key, sample.expect, outcome));
  }
  emulator.settle();
  return rows.map((row) => refreshRow(emulator, fsDir, bucketDir, row));
}

function rowOf(key: string, expected: DemoRow['expected'], outcome: Outcome | undefined): DemoRow {
  const route = DEMO_WORLD.routes.filter((r) => key.startsWith(r.prefix)).sort((a, b) => b.prefix.length - a.prefix.length)[0];
  const status = outcome === undefined ? 'no outcome' : outcome.status;
  const reason = outcome?.reason ?? (outcome?.code !== undefined ? `${outcome.code}: ${outcome.message ?? ''}` : undefined);
  return {
    key,
    ...(route ? { route: `${route.prefix} → ${route.dstDirectory}` } : {}),
    ...(outcome?.conflictPolicy ? { conflictPolicy: outcome.conflictPolicy } : {}),
    ...(outcome?.subTaskId ? { subTaskId: outcome.subTaskId } : {}),
    status,
    ...(outcome?.dstFilePath ? { landedPath: path.posix.join(DEMO_WORLD.fileSystemPath, outcome.dstFilePath) } : {}),
    verified: false,
    ...(reason !== undefined ? { reason } : {}),
    expected,
    ok: false,
  };
}

/** Reads the sub-task's status from the emulator and checks the landed file against the object. */
function refreshRow(emulator: EmulatorHandle, fsDir: string, bucketDir: string, row: DemoRow): DemoRow {
  if (row.subTaskId === undefined) {
    const ok = (row.expected === 'reject' && row.status === 'rejected') || (row.expected === 'ignore' && row.status === 'ignored');
    return { ...row, ok };
  }
  const sub = emulator.state.subTasks.get(row.subTaskId);
  const status = sub?.status ?? 'unknown sub-task';
  let verified = false;
  if (row.landedPath !== undefined) {
    try {
      const landed = fs.readFileSync(path.join(fsDir, ...row.landedPath.split('/')));
      verified = landed.equals(fs.readFileSync(path.join(bucketDir, ...row.key.split('/'))));
    } catch {
      verified = false;
    }
  }
  return { ...row, status, verified, ok: row.expected === 'land' && status === 'COMPLETE' && verified };
}

interface RedeliveryCheck {
  readonly key: string;
  readonly sameSubTask: boolean;
  readonly subTasksBefore: number;
  readonly subTasksAfter: number;
  readonly ok: boolean;
}

/** Delivers the first sample's event again (at-least-once delivery): no new task or sub-task may appear. */
async function checkRedelivery(
  emulator: EmulatorHandle,
  bucketDir: string,
  invoke: (payload: unknown) => Promise<Outcome[]>,
  first: DemoRow,
): Promise<RedeliveryCheck> {
  const body = fs.readFileSync(path.join(bucketDir, ...first.key.split('/')));
  const subTasksBefore = emulator.state.subTasks.size;
  const tasksBefore = emulator.state.tasks.size;
  const outcomes = await invoke(ossEvent(first.key, body.length, md5Hex(body)));
  const again = outcomes.find((o) => o.key === first.key);
  const subTasksAfter = emulator.state.subTasks.size;
  const sameSubTask = first.subTaskId !== undefined && again?.subTaskId === first.subTaskId;
  return { key: first.key, sameSubTask, subTasksBefore, subTasksAfter, ok: sameSubTask && subTasksAfter === subTasksBefore && emulator.state.tasks.size === tasksBefore };
}

// ---------------------------------------------------------------------------------------------------
// output

interface Report {
  line(text: string): void;
  close(): void;
}

function createReport(out: DemoOptions['out']): Report {
  if (typeof out === 'function') return { line: out, close: () => undefined };
  const file = typeof out === 'string' ? out : undefined;
  const lines: string[] = [];
  return {
    line(text) {
      process.stdout.write(`${text}\n`);
      if (file !== undefined) lines.push(text);
    },
    close() {
      if (file !== undefined) fs.writeFileSync(file, lines.join('\n') + '\n');
    },
  };
}

/** Terminal columns a string takes (CJK and emoji are two wide). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0x300 && cp <= 0x36f)) continue;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/** `text` cut to `width` columns, ending in "…" when cut. */
function cut(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = '';
  for (const ch of text) {
    if (displayWidth(out + ch) > width - 1) break;
    out += ch;
  }
  return `${out}…`;
}

/** Words of `text` on lines of at most `columns` (a word longer than a line is split); continuation lines indented. */
export function wrapLine(text: string, columns: number, indent = '  '): string[] {
  if (displayWidth(text) <= columns) return [text];
  const lines: string[] = [];
  let current = '';
  const push = () => {
    lines.push(current.trimEnd());
    current = indent;
  };
  for (const word of text.split(' ')) {
    const candidate = current === '' || current === indent ? current + word : `${current} ${word}`;
    if (displayWidth(candidate) <= columns) {
      current = candidate;
      continue;
    }
    if (current.trim() !== '') push();
    let rest = word;
    while (displayWidth(current + rest) > columns) {
      const room = columns - displayWidth(current);
      let head = '';
      for (const ch of rest) {
        if (displayWidth(head + ch) > room) break;
        head += ch;
      }
      if (head === '') break;
      current += head;
      rest = rest.slice(head.length);
      push();
    }
    current += rest;
  }
  if (current.trim() !== '') lines.push(current.trimEnd());
  return lines;
}

/**
 * A table that fits in `columns`: while too wide, the widest column that can still give up space loses a
 * column (never below its header); cut cells end in "…". `--verbose` prints the full values.
 */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, columns = Number.POSITIVE_INFINITY): string[] {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const floor = header.map((h) => displayWidth(h));
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  while (total() > columns) {
    let widest = -1;
    widths.forEach((w, i) => {
      if (w > (floor[i] ?? 0) && (widest < 0 || w > (widths[widest] ?? 0))) widest = i;
    });
    if (widest < 0) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  const line = (cells: readonly string[]) => cells.map((c, i) => pad(cut(c, widths[i] ?? 0), widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)];
}

function printTable(
  write: (line: string) => void,
  rows: readonly DemoRow[],
  redelivery: RedeliveryCheck,
  info: { url: string; fsDir: string; invocations: number; columns: number; verbose: boolean },
): void {
  const say = (text: string) => wrapLine(text, info.columns).forEach((l) => write(l));
  const landed = rows.filter((r) => r.expected === 'land');
  const refused = rows.filter((r) => r.expected !== 'land');
  say(`cpfs-ingest demo — NAS emulator ${info.url}, ${DEMO_WORLD.fileSystemId} (LINGJUN 2.6), data flow ${DEMO_WORLD.dataFlowId}: oss://${DEMO_WORLD.bucket}${DEMO_WORLD.sourceStoragePath} → ${DEMO_WORLD.fileSystemPath}`);
  say(`${info.invocations} invocations of dist/oss-stream-import/index.js (one OSS event each)`);
  write('');
  const full = table(
    ['KEY', 'ROUTE', 'POLICY', 'SUB-TASK', 'STATUS', 'LANDED PATH', 'CHECK'],
    landed.map((r) => [r.key, r.route ?? '-', r.conflictPolicy ?? '-', r.subTaskId ?? '-', r.status, r.landedPath ?? '-', r.ok ? 'ok: same bytes' : 'MISSING']),
  );
  // Too wide for the terminal: the columns a first look needs; --verbose has the rest.
  const landedTable = Math.max(...full.map(displayWidth)) <= info.columns
    ? full
    : table(
      ['KEY', 'STATUS', 'LANDED PATH', 'CHECK'],
      landed.map((r) => [r.key, r.status, r.landedPath ?? '-', r.ok ? 'ok' : 'MISSING']),
      info.columns,
    );
  for (const line of landedTable) write(line);
  if (landedTable !== full && !info.verbose) say('(route, policy and sub-task of each object: --verbose)');
  write('');
  write('Refused or ignored keys:');
  for (const line of table(
    ['KEY', 'OUTCOME', 'REASON', 'CHECK'],
    refused.map((r) => [r.key, r.status, r.reason ?? '-', r.ok ? 'ok: as expected' : `UNEXPECTED (expected ${r.expected})`]),
    info.columns,
  )) {
    write(line);
  }
  if (info.verbose) {
    write('');
    write('Every record in full:');
    for (const r of rows) {
      say(r.key);
      const detail: Array<[string, string | undefined]> = [
        ['outcome', `${r.status}${r.ok ? (r.expected === 'land' ? ' (ok: same bytes)' : ' (ok: as expected)') : ` (UNEXPECTED: expected ${r.expected})`}`],
        ['route', r.route],
        ['policy', r.conflictPolicy],
        ['sub-task', r.subTaskId],
        ['landed', r.landedPath],
        ['reason', r.reason],
      ];
      for (const [name, value] of detail) {
        if (value !== undefined) wrapLine(`  ${name.padEnd(9)}${value}`, info.columns, ' '.repeat(11)).forEach((l) => write(l));
      }
    }
  }
  write('');
  say(
    `Delivered "${redelivery.key}" again: ${redelivery.sameSubTask ? 'same sub-task' : 'DIFFERENT sub-task'}, ` +
      `sub-tasks ${redelivery.subTasksBefore} → ${redelivery.subTasksAfter} (${redelivery.ok ? 'ok: no duplicate' : 'DUPLICATE'})`,
  );
  const good = rows.filter((r) => r.ok).length + (redelivery.ok ? 1 : 0);
  say(`${good} of ${rows.length + 1} checks passed. File system directory: ${info.fsDir} (removed on exit unless --keep).`);
}

// ---------------------------------------------------------------------------------------------------
// watch mode

/** Prefix under which dropped files are uploaded (routed by the catch-all route). */
const DROP_PREFIX = 'incoming/dropped/';
const WATCH_SETTLE_MS = 300;

async function watchFolder(
  dir: string,
  emulator: EmulatorHandle,
  bucketDir: string,
  fsDir: string,
  invoke: (payload: unknown) => Promise<Outcome[]>,
  write: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const watchDir = path.resolve(dir);
  fs.mkdirSync(watchDir, { recursive: true });
  write(`Watching ${watchDir}: drop files into it (Ctrl-C to stop).`);
  const seen = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let busy = Promise.resolve();

  const scan = async (): Promise<void> => {
    for (const rel of listFiles(watchDir)) {
      const file = path.join(watchDir, rel);
      let body: Buffer;
      try {
        body = fs.readFileSync(file);
      } catch {
        continue;
      }
      const eTag = md5Hex(body);
      if (seen.get(rel) === eTag) continue;
      seen.set(rel, eTag);
      const key = DROP_PREFIX + rel.split(path.sep).join('/');
      putObject(bucketDir, key, body);
      const outcomes = await invoke(ossEvent(key, body.length, eTag));
      emulator.settle();
      const row = refreshRow(emulator, fsDir, bucketDir, rowOf(key, 'land', outcomes.find((o) => o.key === key) ?? outcomes[0]));
      write(`${key} → ${row.route ?? '-'} → ${row.subTaskId ?? '-'} → ${row.status} → ${row.landedPath ?? row.reason ?? '-'}${row.ok ? '' : ' (not landed)'}`);
    }
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      busy = busy.then(scan).catch((e: unknown) => write(`watch: ${(e as Error).message}`));
    }, WATCH_SETTLE_MS);
  };

  const watcher = fs.watch(watchDir, { recursive: true }, schedule);
  schedule();
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    if (signal) {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', stop, { once: true });
    } else {
      process.once('SIGINT', stop);
    }
  });
  watcher.close();
  if (timer) clearTimeout(timer);
  await busy;
  write('Stopped watching.');
}

function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel === '' ? entry.name : path.join(rel, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(dir, child));
    else if (entry.isFile()) out.push(child);
  }
  return out.sort();
}
