/**
 * Child process: plans a backfill of N keys the way a listing-driven backfill does — keys arrive in
 * pages, never all at once — and reports its peak RSS. Keys come from a generator (as an OSS listing
 * yields pages); every chunk of `chunkSize` goes through `toObjectCreated` → `planSubmissions` →
 * `groupByStreamTask` and `planImportBatches`, and only counters are kept between chunks.
 *
 * There is no product entry point for a streaming plan yet (no `cpfs-ingest plan` CLI in the tree when
 * this was written), so this is the product's planning core driven chunk by chunk. De-duplication
 * therefore works within a chunk, as it would within a listing page.
 *
 * Usage: node plan-backfill.js <keys> <chunk size> <result file>
 */
import { writeFileSync } from 'node:fs';
import { toObjectCreated } from '../../shared/oss/listing.js';
import { groupByStreamTask, planImportBatches, planSubmissions } from '../../shared/planning/index.js';
import type { PlanningSettings } from '../../shared/planning/types.js';
import type { BackfillPlanResult } from '../lib/child-protocol.js';
import { BENCH_BUCKET, BENCH_ROUTES, streamBenchKeys } from '../lib/payload.js';

const settings: PlanningSettings = {
  fileSystemId: 'bmcpfs-bench00000001',
  dataFlowId: 'df-bench00000001',
  sourceStoragePath: '/',
  routes: BENCH_ROUTES,
  defaultConflictPolicy: 'KEEP_LATEST',
  bucket: BENCH_BUCKET,
};

function* chunks<T>(source: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = [];
  for (const value of source) {
    chunk.push(value);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

function main(): void {
  const [keysText, chunkText, resultFile] = process.argv.slice(2);
  const keyCount = Number(keysText);
  const chunkSize = Number(chunkText);
  if (!(keyCount > 0) || !(chunkSize > 0) || !resultFile) throw new Error('usage: plan-backfill <keys> <chunk size> <result file>');
  const lastModified = new Date(Date.UTC(2024, 4, 1, 8, 0, 0));
  const startMs = Date.now();
  let planned = 0;
  let rejected = 0;
  let streamGroups = 0;
  let importBatches = 0;
  let index = 0;
  for (const keys of chunks(streamBenchKeys(keyCount), chunkSize)) {
    const records = keys.map((key) => toObjectCreated({ key, size: 1024 + (index++ % 4096), eTag: '5D41402ABC4B2A76B9719D911017C592', lastModified }, BENCH_BUCKET, 'cn-hangzhou'));
    const plan = planSubmissions(records, settings);
    planned += plan.items.length;
    rejected += plan.rejected.length;
    streamGroups += groupByStreamTask(plan.items).length;
    importBatches += planImportBatches(plan.items).batches.length;
  }
  const result: BackfillPlanResult = {
    keys: keyCount,
    chunkSize,
    planned,
    rejected,
    streamGroups,
    importBatches,
    durationMs: Date.now() - startMs,
    maxRssKb: process.resourceUsage().maxRSS,
    heapUsedBytes: process.memoryUsage().heapUsed,
  };
  writeFileSync(resultFile, JSON.stringify(result));
}

try {
  main();
} catch (error) {
  process.stderr.write(`plan-backfill: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
}
