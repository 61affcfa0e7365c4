/**
 * `cpfs-ingest backfill --prefix P …`: lists OSS_BUCKET page by page and submits what it finds through the
 * function's own planning and submission path (shared/backfill.ts → `ingestRecords`), resumable from a
 * checkpoint file. SIGINT finishes the page in flight, saves the checkpoint and exits 130; a second SIGINT
 * exits at once (the checkpoint of the last finished page is already on disk).
 */
import { backfill, ossPageLister, type BackfillProgress, type BackfillSummary, type BackfillTotals } from '../../shared/backfill.js';
import { DEFAULT_PART_MAX_ROWS } from '../../shared/bulk/csv.js';
import { s3ManifestStore } from '../../shared/bulk/manifest-store.js';
import { BACKFILL_SHAPES, chooseShape, type BackfillShapeChoice } from '../../shared/bulk/shape.js';
import { MAX_PAGE_SIZE } from '../../shared/oss/listing.js';
import { COMMON_HELP, durationFlag, intFlag, parseCommandArgs, timeFlag, UsageError } from '../args.js';
import { fileCheckpointStore } from '../checkpoint-file.js';
import { EXIT, EXIT_CODES_HELP } from '../exit-codes.js';
import { formatCount, println, printJson, type CliIo } from '../io.js';
import { ingestDeps } from '../../shared/runtime.js';
import { cliEnv, cliListingClient, cliRuntime } from '../wiring.js';

export const BACKFILL_HELP = `Usage: cpfs-ingest backfill --prefix P [--prefix P2 ...] [--since TIME] [--shape S] [--checkpoint FILE] [options]

Lists the bucket OSS_BUCKET under each prefix (ListObjectsV2 through OSS's S3 API, one page at a time) and
submits every object found exactly as the function submits events: same routing, path rules, ClientTokens,
stream or batch mode. Re-running is harmless: repeated submissions are replays of the same ClientTokens.

Shapes (--shape, default auto; the choice and why is printed at start):
  directory   one Import per prefix with Directory = the prefix: one NAS call, but the service imports
              EVERYTHING under it. It cannot apply --since, leave out .cpfs-ingest/ state objects, keys
              another route owns, keys the path rules refuse, or keys reconcile excludes — so it is allowed
              only for a prefix ending in "/", other than "" and .cpfs-ingest/, inside SourceStoragePath,
              whose keys all go to one route, without --since.
  manifest    (CPFS for LINGJUN, OSS_BUCKET set) the listing is written as CSV manifests to
              .cpfs-ingest/manifests/<run>/…/part-NNNNN.csv, then one Import per (DstDirectory, policy)
              reads them (TransferFileListPath); waits for the task(s), then deletes the manifests.
              Needs oss:PutObject and oss:DeleteObject on <bucket>/.cpfs-ingest/manifests/* (only there).
  entrylist   Imports of packed EntryLists (≤ 65,535 bytes, ~1,000 objects each), ≤ 4 running at once
              per data flow (waits for a slot).
  objects     one sub-task (or EntryList entry in batch mode) per object, as the function does.
  auto        directory when allowed, else manifest on LINGJUN with OSS_BUCKET, else entrylist.
  Objects a bulk shape cannot express (a route that strips part of the key) go the objects way.

Options:
  --shape S           auto | objects | entrylist | manifest | directory (default auto)
  --prefix P          OSS key prefix to list, from the bucket root ("" = the whole bucket); repeatable
  --since TIME        only objects modified since TIME: ISO 8601 (2024-07-01T00:00:00Z) or an age (30m, 12h, 7d)
  --checkpoint FILE   resume from FILE if it exists; after every fully submitted page, the position is saved
                      there (atomically). Without it an interrupted backfill starts over.
  --page-size N       keys per listing page and per submission, 1-1000 (default 1000)
  --max-retries N     retry rounds for records that fail retryably, per page (default 3); if some still fail,
                      the backfill stops before that page (exit 3) and a re-run starts with it
  --max-duration D    stop (and save) after D (e.g. 45m), exit 3; default: run to the end
  --poll-interval D   bulk shapes: how often to look at running Import tasks (DescribeDataFlowTasks, a
                      120-per-60 s quota) while waiting for a batch slot or a manifest task (default 5s)
  --manifest-rows N   manifest shape: rows per CSV part, 1-1000000 (default 100000); the checkpoint moves
                      when a part is written, so smaller parts mean less listing again after a stop
Progress goes to stderr (a bar on a terminal, a line per page otherwise); rejected and failed keys and
the summary to stdout. Ctrl-C: finish the current page, save the checkpoint, exit 130.
${COMMON_HELP}

${EXIT_CODES_HELP}
  (backfill: 1 when some keys were rejected or failed for good; 3 when it stopped early for retryable
   failures, a listing error or --max-duration)`;

export async function runBackfill(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    prefix: { type: 'string', multiple: true },
    since: { type: 'string' },
    checkpoint: { type: 'string' },
    'page-size': { type: 'string' },
    'max-retries': { type: 'string' },
    'max-duration': { type: 'string' },
    shape: { type: 'string' },
    'poll-interval': { type: 'string' },
    'manifest-rows': { type: 'string' },
  });
  if (values.help) {
    println(io, BACKFILL_HELP);
    return EXIT.OK;
  }
  const prefixes = values.prefix ?? [];
  if (prefixes.length === 0) throw new UsageError('--prefix is required (use --prefix "" for the whole bucket)');
  const startMs = io.now();
  const since = values.since === undefined ? undefined : timeFlag('since', values.since, startMs);
  const pageSize = intFlag('page-size', values['page-size'], MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE);
  const maxRetries = intFlag('max-retries', values['max-retries'], 3, 0, 20);
  const pollMs = values['poll-interval'] === undefined ? undefined : durationFlag('poll-interval', values['poll-interval']);
  const manifestPartRows = intFlag('manifest-rows', values['manifest-rows'], DEFAULT_PART_MAX_ROWS, 1, 1_000_000);
  const deadlineMs = values['max-duration'] === undefined ? undefined : startMs + durationFlag('max-duration', values['max-duration']);

  const requestedShape = values.shape ?? 'auto';
  if (!(BACKFILL_SHAPES as readonly string[]).includes(requestedShape)) throw new UsageError(`--shape must be one of ${BACKFILL_SHAPES.join(', ')}`);
  const env = cliEnv(io, values);
  // The function's wiring: one config load, one credentials chain for the NAS client and the listing client.
  const runtime = cliRuntime(env, { io, verbose: values.verbose, require: ['OSS_BUCKET'] });
  const { config } = runtime;
  const bucket = config.bucket as string;
  let decision;
  try {
    decision = chooseShape({
      requested: requestedShape as BackfillShapeChoice,
      prefixes,
      ...(since !== undefined ? { since } : {}),
      hasExclude: false,
      planning: config.planning,
      fileSystemKind: config.fileSystemKind,
      bucketConfigured: config.bucket !== undefined,
    });
  } catch (error) {
    runtime.api.close();
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  io.stderr.write(`shape: ${decision.shape} (${decision.reason})\n`);
  const client = cliListingClient(runtime);
  const controller = new AbortController();
  let interrupts = 0;
  const stopListening = io.onInterrupt(() => {
    interrupts += 1;
    if (interrupts === 1) {
      io.stderr.write('\ninterrupt: finishing the page in flight, then saving the checkpoint (Ctrl-C again to stop at once)\n');
      controller.abort(new Error('interrupted'));
    } else {
      io.stderr.write('stopped; the checkpoint holds the last fully submitted page\n');
      process.exit(EXIT.INTERRUPTED);
    }
  });
  const progress = progressPrinter(io, values.json ?? false, prefixes.length);

  let summary: BackfillSummary;
  try {
    summary = await backfill({
      bucket,
      ...(config.region !== undefined ? { region: config.region } : {}),
      prefixes,
      ...(since !== undefined ? { since } : {}),
      list: ossPageLister({ client, bucket, pageSize }),
      shape: decision.shape,
      ...(decision.directoryImports !== undefined ? { directoryImports: decision.directoryImports } : {}),
      ...(decision.shape === 'manifest' ? { manifests: s3ManifestStore(client, bucket), manifestPartRows } : {}),
      ...(pollMs !== undefined ? { pollMs } : {}),
      // The CLI's clock (io.now) drives the run; the NAS client keeps the runtime's.
      deps: { ...ingestDeps(runtime, runtime.logger), now: io.now },
      ...(deadlineMs !== undefined ? { deadlineMs } : {}),
      ...(values.checkpoint !== undefined ? { checkpoint: fileCheckpointStore(values.checkpoint) } : {}),
      signal: controller.signal,
      maxRetries,
      onProgress: progress.onProgress,
    });
  } finally {
    progress.done();
    stopListening();
    runtime.api.close();
    client.destroy();
  }

  const problems = summary.overall.rejected + summary.overall.failed;
  if (values.json) {
    printJson(io, { bucket, prefixes, since: since?.toISOString(), shape: decision.shape, shapeReason: decision.reason, checkpointFile: values.checkpoint, ...summary });
  } else {
    printSummary(io, summary, values.checkpoint);
  }
  switch (summary.status) {
    case 'complete':
      return problems > 0 ? EXIT.FAILED : EXIT.OK;
    case 'interrupted':
      return EXIT.INTERRUPTED;
    case 'error':
      return summary.error?.retryable === false ? EXIT.FAILED : EXIT.RETRYABLE;
    default:
      return EXIT.RETRYABLE;
  }
}

function totalsLine(t: BackfillTotals): string {
  const parts = [`${formatCount(t.listed)} listed`, `${formatCount(t.submitted)} submitted`];
  if (t.rejected > 0) parts.push(`${formatCount(t.rejected)} rejected`);
  if (t.failed > 0) parts.push(`${formatCount(t.failed)} failed`);
  if (t.duplicate + t.ignored > 0) parts.push(`${formatCount(t.duplicate + t.ignored)} not needed`);
  if (t.skippedNotModifiedSince > 0) parts.push(`${formatCount(t.skippedNotModifiedSince)} older than --since`);
  return parts.join(', ');
}

/** Rejected / failed keys printed as they happen; the counts stay complete. */
const MAX_PRINTED_KEYS = 200;

/** Progress on stderr (a redrawn bar on a terminal, a line per page otherwise); bad keys on stdout. */
function progressPrinter(io: CliIo, json: boolean, prefixCount: number) {
  const tty = io.stderr.isTTY === true;
  let printedKeys = 0;
  let prefixIndex = 0;
  let pages = 0;
  let barShown = false;
  const clearBar = () => {
    if (barShown) io.stderr.write('\r\x1b[K');
    barShown = false;
  };
  const onProgress = (event: BackfillProgress): void => {
    if (event.type === 'page') {
      pages += 1;
      if (!json) {
        for (const record of event.reported) {
          printedKeys += 1;
          if (printedKeys > MAX_PRINTED_KEYS) continue;
          clearBar();
          println(io, record.status === 'rejected' ? `rejected  ${record.key}  ${record.kind}: ${record.reason}` : `failed    ${record.key}  ${record.code}: ${record.message}`);
          if (printedKeys === MAX_PRINTED_KEYS) println(io, `… further rejected/failed keys are counted but not printed (--json lists up to 1,000)`);
        }
      }
      if (tty) {
        const width = 20;
        const filled = Math.round((prefixIndex / prefixCount) * width);
        io.stderr.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] prefix ${prefixIndex + 1}/${prefixCount} ${JSON.stringify(event.prefix)} page ${pages}: ${totalsLine(event.overall)}`);
        barShown = true;
      } else {
        io.stderr.write(`page ${pages} (prefix ${JSON.stringify(event.prefix)}): ${totalsLine(event.page)}; total ${totalsLine(event.overall)}\n`);
      }
    } else if (event.type === 'retry') {
      clearBar();
      io.stderr.write(`retry ${event.round}: ${formatCount(event.records)} record(s) failed retryably (${event.firstCode}); again in ${event.delayMs} ms\n`);
    } else if (event.type === 'prefix-done') {
      prefixIndex += 1;
      clearBar();
      io.stderr.write(`prefix ${JSON.stringify(event.prefix)} done\n`);
    } else if (event.type === 'bulk-part') {
      clearBar();
      io.stderr.write(`manifest part ${event.part} of ${event.group}: ${formatCount(event.rows)} row(s) written\n`);
    } else if (event.type === 'bulk-task') {
      clearBar();
      const files = event.filesTotal !== undefined ? ` ${formatCount(event.filesDone ?? 0)}/${formatCount(event.filesTotal)} files` : '';
      io.stderr.write(`import task ${event.taskId} (${event.label}): ${event.status}${files}\n`);
    } else {
      clearBar();
      io.stderr.write(`waiting ${event.delayMs} ms: ${event.reason}\n`);
    }
  };
  return { onProgress, done: clearBar };
}

function printSummary(io: CliIo, summary: BackfillSummary, checkpointFile: string | undefined): void {
  const { checkpoint } = summary;
  const headline: Record<BackfillSummary['status'], string> = {
    complete: summary.alreadyComplete ? 'already complete (the checkpoint says so; delete it to run again)' : 'complete',
    deadline: 'stopped at --max-duration',
    interrupted: 'interrupted',
    'retryable-failures': `stopped: ${formatCount(summary.pendingRetryable)} record(s) still failed retryably after the retries`,
    error: 'stopped by an error',
  };
  println(io, `backfill ${headline[summary.status]}`);
  println(io, `  this run   ${formatCount(summary.run.pages)} page(s): ${totalsLine(summary.run)}`);
  println(io, `  overall    ${formatCount(summary.overall.pages)} page(s): ${totalsLine(summary.overall)}`);
  if (summary.bulk !== undefined) println(io, `  shape      ${summary.bulk.shape}: ${formatCount(summary.bulk.tasksAccepted)} Import task(s) accepted this run${summary.bulk.tasks.filter((t) => t.status === 'Completed').length > 0 ? `, ${summary.bulk.tasks.filter((t) => t.status === 'Completed').length} completed` : ''}`);
  if (summary.error !== undefined) println(io, `  error      ${summary.error.code}: ${summary.error.message}`);
  if (summary.status !== 'complete') {
    const where = checkpoint.prefixIndex < checkpoint.prefixes.length
      ? `prefix ${JSON.stringify(checkpoint.prefixes[checkpoint.prefixIndex])}${checkpoint.startAfter !== undefined ? ` after ${JSON.stringify(checkpoint.startAfter)}` : ' from its start'}`
      : 'the end';
    println(io, checkpointFile !== undefined ? `  resume     run the same command again: it continues at ${where} (${checkpointFile})` : `  resume     no --checkpoint: a re-run starts over (harmless, but it lists everything again)`);
  }
}
