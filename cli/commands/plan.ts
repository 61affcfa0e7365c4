/**
 * `cpfs-ingest plan`: a dry run that sends nothing to NAS — not even DryRun calls; no NAS client is built.
 * Keys come from stdin (one per line), `--keys FILE`, or an OSS listing (`--list-prefix P`), are planned in
 * chunks (default 1,000: what one listing page of a backfill submits together) with the same planning code as
 * events and backfill, and summarised: routing, grouping, policies, EntryList packing (batch mode) and every
 * rejected key with its reason. Memory grows with the rejected keys and the rows shown, not with the input.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Config } from '../../shared/config/load-config.js';
import type { ObjectCreated } from '../../shared/events/types.js';
import { BACKFILL_EVENT_NAME, listObjects, MAX_PAGE_SIZE, toObjectCreated } from '../../shared/oss/listing.js';
import { groupByStreamTask, planImportBatches, planSubmissions, type PlannedObject } from '../../shared/planning/index.js';
import { utf8ByteLength } from '../../shared/cpfs/utf8.js';
import { COMMON_HELP, intFlag, parseCommandArgs, UsageError } from '../args.js';
import { EXIT, EXIT_CODES_HELP } from '../exit-codes.js';
import { formatCount, formatTable, plural, println, printJson, type CliIo } from '../io.js';
import { cliConfig, cliEnv, cliEnvListingClient } from '../wiring.js';

export const PLAN_HELP = `Usage: cpfs-ingest plan [--keys FILE | --list-prefix P ...] [options] < keys.txt

Dry run: shows how keys would be routed, grouped and submitted, and every key that would be rejected and why.
Sends nothing to NAS (no request at all, not even DryRun).

Keys (one source):
  (stdin)             one OSS key per line, exactly as stored (no decoding)
  --keys FILE         the same, from FILE ("-" = stdin)
  --list-prefix P     list the bucket OSS_BUCKET under P (repeatable); needs credentials for OSS

Options:
  --mode MODE         stream or batch: show that submission path instead of the one the configuration picks
  --chunk-size N      keys planned together, 1-100000 (default 1000: one backfill page)
  --limit N           planned objects to show (default 20)
  --all               show every planned object
${COMMON_HELP}

${EXIT_CODES_HELP}
  (plan: 1 when at least one key would be rejected)`;

interface PlanRow {
  readonly key: string;
  readonly srcFilePath: string;
  readonly dstFilePath: string;
  readonly conflictPolicy: string;
  readonly routePrefix: string;
}

interface RejectedRow {
  readonly key: string;
  readonly kind: string;
  readonly reason: string;
}

/** Kinds that mean "will not be imported, and that is fine" rather than a problem to fix. */
const NOT_A_PROBLEM = new Set(['duplicate', 'directory-marker', 'ignored-event']);

/** The submission path the configuration picks, and why, without asking the service. */
export function plannedMode(config: Config, override?: 'stream' | 'batch'): { mode: 'stream' | 'batch'; reason: string } {
  if (config.fileSystemKind === 'general') {
    if (override === 'stream') throw new UsageError('--mode stream: cpfs-… file systems (CPFS general purpose) have no StreamImport');
    return { mode: 'batch', reason: 'cpfs-… (CPFS general purpose) file systems take batch Import tasks only' };
  }
  if (override !== undefined) return { mode: override, reason: `--mode ${override}` };
  if (config.importMode === 'batch') return { mode: 'batch', reason: 'CPFS_IMPORT_MODE=batch' };
  if (config.importMode === 'stream') return { mode: 'stream', reason: 'CPFS_IMPORT_MODE=stream' };
  return { mode: 'stream', reason: 'CPFS_IMPORT_MODE=auto: StreamImport on CPFS for LINGJUN 2.6+ (an older file system gets batch Import; `cpfs-ingest doctor` tells)' };
}

export async function runPlan(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    keys: { type: 'string' },
    'list-prefix': { type: 'string', multiple: true },
    mode: { type: 'string' },
    'chunk-size': { type: 'string' },
    limit: { type: 'string' },
    all: { type: 'boolean' },
  });
  if (values.help) {
    println(io, PLAN_HELP);
    return EXIT.OK;
  }
  const listPrefixes = values['list-prefix'] ?? [];
  if (values.keys !== undefined && listPrefixes.length > 0) throw new UsageError('give keys with --keys or --list-prefix, not both');
  if (values.keys === undefined && listPrefixes.length === 0 && io.stdin.isTTY) {
    throw new UsageError('no keys: pipe them on stdin, or use --keys FILE or --list-prefix P');
  }
  if (values.mode !== undefined && values.mode !== 'stream' && values.mode !== 'batch') throw new UsageError('--mode must be stream or batch');
  const chunkSize = intFlag('chunk-size', values['chunk-size'], MAX_PAGE_SIZE, 1, 100_000);
  const limit = values.all ? Number.POSITIVE_INFINITY : intFlag('limit', values.limit, 20, 0, 1_000_000);

  const env = cliEnv(io, values);
  const config = cliConfig(env, listPrefixes.length > 0 ? ['OSS_BUCKET'] : []);
  const { mode, reason: modeReason } = plannedMode(config, values.mode as 'stream' | 'batch' | undefined);
  const bucket = config.bucket ?? '';

  const stats = {
    keys: 0,
    chunks: 0,
    planned: 0,
    rejected: 0,
    notImported: 0,
    byKind: new Map<string, number>(),
    byRoute: new Map<number, number>(),
    streamGroups: new Map<string, number>(),
    importTasks: 0,
    entryListBytes: 0,
    entryListMaxBytes: 0,
  };
  const plannedRows: PlanRow[] = [];
  const rejectedRows: RejectedRow[] = [];
  const reject = (key: string, kind: string, reason: string) => {
    stats.byKind.set(kind, (stats.byKind.get(kind) ?? 0) + 1);
    if (NOT_A_PROBLEM.has(kind)) stats.notImported += 1;
    else stats.rejected += 1;
    rejectedRows.push({ key, kind, reason });
  };

  const planChunk = (records: ObjectCreated[]): void => {
    if (records.length === 0) return;
    stats.keys += records.length;
    stats.chunks += 1;
    const plan = planSubmissions(records, config.planning);
    for (const r of plan.rejected) reject(r.record.key, r.kind, r.reason);
    let items: readonly PlannedObject[] = plan.items;
    if (mode === 'batch') {
      const batches = planImportBatches(plan.items);
      for (const r of batches.rejected) reject(r.item.record.key, r.kind, r.reason);
      items = batches.batches.flatMap((batch) => batch.items);
      stats.importTasks += batches.batches.length;
      for (const batch of batches.batches) {
        const bytes = utf8ByteLength(batch.entryList);
        stats.entryListBytes += bytes;
        stats.entryListMaxBytes = Math.max(stats.entryListMaxBytes, bytes);
      }
    } else {
      for (const group of groupByStreamTask(plan.items)) {
        stats.streamGroups.set(group.conflictPolicy, (stats.streamGroups.get(group.conflictPolicy) ?? 0) + group.items.length);
      }
    }
    for (const item of items) {
      stats.planned += 1;
      stats.byRoute.set(item.routeIndex, (stats.byRoute.get(item.routeIndex) ?? 0) + 1);
      if (plannedRows.length < limit) {
        plannedRows.push({ key: item.record.key, srcFilePath: item.srcFilePath, dstFilePath: item.dstFilePath, conflictPolicy: item.conflictPolicy, routePrefix: item.route.prefix });
      }
    }
  };

  if (listPrefixes.length > 0) {
    const client = cliEnvListingClient(config, env);
    try {
      for (const prefix of listPrefixes) {
        for await (const page of listObjects({ client, bucket, prefix })) {
          const records = page.objects.map((object) => toObjectCreated(object, bucket, config.region));
          for (let i = 0; i < records.length; i += chunkSize) planChunk(records.slice(i, i + chunkSize));
        }
      }
    } finally {
      client.destroy();
    }
  } else {
    const input = values.keys === undefined || values.keys === '-' ? io.stdin : createReadStream(values.keys);
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let chunk: ObjectCreated[] = [];
    try {
      for await (const line of lines) {
        if (line === '') continue;
        chunk.push({ bucket, key: line, eventName: BACKFILL_EVENT_NAME });
        if (chunk.length >= chunkSize) {
          planChunk(chunk);
          chunk = [];
        }
      }
    } catch (error) {
      const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : 'read error';
      throw new UsageError(`--keys: cannot read ${values.keys ?? 'stdin'} (${code})`);
    }
    planChunk(chunk);
  }

  const routes = [...stats.byRoute.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([index, objects]) => {
      const route = index >= 0 ? config.routes[index] : undefined;
      return route
        ? { prefix: route.prefix, dstDirectory: route.dstDirectory, conflictPolicy: route.conflictPolicy, objects }
        : { prefix: config.sourceStoragePath.slice(1), dstDirectory: '/', conflictPolicy: config.defaultConflictPolicy, objects, implicit: true };
    });
  const rejectedByKind = Object.fromEntries([...stats.byKind.entries()].sort());

  if (values.json) {
    printJson(io, {
      sent: 'nothing',
      fileSystemId: config.fileSystemId,
      fileSystemKind: config.fileSystemKind,
      dataFlowId: config.dataFlowId,
      sourceStoragePath: config.sourceStoragePath,
      mode,
      modeReason,
      keys: stats.keys,
      chunks: stats.chunks,
      chunkSize,
      planned: stats.planned,
      rejected: stats.rejected,
      notImported: stats.notImported,
      byKind: rejectedByKind,
      routes,
      ...(mode === 'stream'
        ? { streamTasks: [...stats.streamGroups.entries()].map(([conflictPolicy, subTasks]) => ({ conflictPolicy, subTasks })) }
        : { importTasks: { count: stats.importTasks, entryListBytes: stats.entryListBytes, largestEntryListBytes: stats.entryListMaxBytes } }),
      plannedObjects: plannedRows,
      plannedObjectsShown: plannedRows.length,
      rejectedKeys: rejectedRows,
    });
  } else {
    println(io, 'Plan (dry run: nothing was sent to NAS)');
    println(io, `  target     ${config.fileSystemId} (${config.fileSystemKind === 'lingjun' ? 'CPFS for LINGJUN' : 'CPFS general purpose'}), data flow ${config.dataFlowId}, SourceStoragePath ${config.sourceStoragePath}${config.bucket ? `, bucket ${config.bucket}` : ''}`);
    println(io, `  mode       ${mode} — ${modeReason}`);
    println(io, `  keys       ${formatCount(stats.keys)} in ${plural(stats.chunks, 'chunk')} of at most ${formatCount(chunkSize)}`);
    println(io, `  planned    ${formatCount(stats.planned)}`);
    println(io, `  rejected   ${formatCount(stats.rejected)}${stats.notImported > 0 ? `   (not imported, no problem: ${formatCount(stats.notImported)})` : ''}`);
    if (stats.byKind.size > 0) println(io, `  by reason  ${Object.entries(rejectedByKind).map(([kind, n]) => `${kind} ${formatCount(n)}`).join(', ')}`);
    println(io);
    println(io, 'Routes');
    println(io, indent(formatTable(['prefix', 'dstDirectory', 'policy', 'objects'], routes.map((r) => [JSON.stringify(r.prefix) + ('implicit' in r ? ' (no routes: same path)' : ''), r.dstDirectory, r.conflictPolicy, formatCount(r.objects)]))));
    println(io);
    if (mode === 'stream') {
      println(io, 'Streaming tasks (one StreamImport task per ConflictPolicy, Directory / and DstDirectory /; one sub-task per object)');
      println(io, indent(formatTable(['ConflictPolicy', 'sub-tasks'], [...stats.streamGroups.entries()].map(([policy, n]) => [policy, formatCount(n)]))));
    } else {
      const meanFill = stats.importTasks === 0 ? 0 : stats.entryListBytes / (stats.importTasks * 65_536);
      println(io, 'Import tasks (batch: EntryList packed up to 64 KB per task, per chunk)');
      println(io, `  tasks ${formatCount(stats.importTasks)}, EntryList bytes ${formatCount(stats.entryListBytes)}, largest ${formatCount(stats.entryListMaxBytes)}, mean fill ${(meanFill * 100).toFixed(1)} %`);
    }
    println(io);
    const shownNote = plannedRows.length < stats.planned ? ` (first ${formatCount(plannedRows.length)} of ${formatCount(stats.planned)}; --all for every one)` : '';
    println(io, `Planned objects${shownNote}`);
    if (plannedRows.length > 0) {
      println(io, indent(formatTable(['key', 'SrcFilePath', 'DstFilePath', 'policy'], plannedRows.map((r) => [r.key, r.srcFilePath, r.dstFilePath, r.conflictPolicy]))));
    }
    if (rejectedRows.length > 0) {
      println(io);
      println(io, `Rejected or not imported (${formatCount(rejectedRows.length)}, every one)`);
      println(io, indent(formatTable(['key', 'kind', 'reason'], rejectedRows.map((r) => [r.key, r.kind, r.reason]))));
    }
  }
  return stats.rejected > 0 ? EXIT.FAILED : EXIT.OK;
}

function indent(text: string): string {
  return text.split('\n').map((line) => `  ${line}`).join('\n');
}
