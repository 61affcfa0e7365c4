/**
 * Child process: how far one stage of the decode → plan path takes the peak RSS of a fresh process, for
 * the memory breakdown (bench/phases/memory.ts). Each stage includes the ones before it, run the way the
 * function runs them, so the step from one stage to the next is what that stage adds to the peak:
 *
 * - `hold`:   the payload file read into a Buffer (what FC hands the handler) and nothing else;
 * - `outer`:  + `JSON.parse(payload.toString('utf8'))` of the outer CloudEvent array, kept alive;
 * - `decode`: + base64 and `JSON.parse` of every message body (the decoding floor, nothing retained);
 * - `parse`:  the product's `parseEvents` on the Buffer instead (records kept);
 * - `plan`:   + `planSubmissions` and `planImportBatches` (batch mode), no requests.
 *
 * Usage: node memory-stages.js <stage> <payload file> <result file>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseEvents } from '../../shared/events/parse-events.js';
import { planImportBatches, planSubmissions } from '../../shared/planning/index.js';
import type { MemoryStageResult } from '../lib/child-protocol.js';
import { BENCH_BUCKET, BENCH_ROUTES } from '../lib/payload.js';

export const MEMORY_STAGES = ['hold', 'outer', 'decode', 'parse', 'plan'] as const;
type Stage = (typeof MEMORY_STAGES)[number];

function run(stage: Stage, payload: Buffer): number {
  switch (stage) {
    case 'hold':
      return payload.length;
    case 'outer': {
      const outer = JSON.parse(payload.toString('utf8')) as unknown[];
      return outer.length;
    }
    case 'decode': {
      const outer = JSON.parse(payload.toString('utf8')) as Array<{ data: { messageBody: string } }>;
      let events = 0;
      for (const message of outer) {
        const inner = JSON.parse(Buffer.from(message.data.messageBody, 'base64').toString('utf8')) as { events: unknown[] };
        events += inner.events.length;
      }
      return events;
    }
    case 'parse':
      return parseEvents(payload, { keyEncoding: 'raw' }).records.length;
    case 'plan': {
      const parsed = parseEvents(payload, { keyEncoding: 'raw' });
      const plan = planSubmissions(parsed.records, {
        fileSystemId: 'cpfs-bench00000001',
        dataFlowId: 'df-bench00000002',
        sourceStoragePath: '/',
        routes: BENCH_ROUTES,
        defaultConflictPolicy: 'KEEP_LATEST',
        bucket: BENCH_BUCKET,
      });
      return planImportBatches(plan.items).batches.length;
    }
  }
}

function main(): void {
  const [stage, payloadFile, resultFile] = process.argv.slice(2);
  if (!stage || !payloadFile || !resultFile || !(MEMORY_STAGES as readonly string[]).includes(stage)) {
    throw new Error(`usage: memory-stages <${MEMORY_STAGES.join('|')}> <payload file> <result file>`);
  }
  const payload = readFileSync(payloadFile);
  const count = run(stage as Stage, payload);
  const memory = process.memoryUsage();
  const result: MemoryStageResult = {
    stage,
    count,
    maxRssKb: process.resourceUsage().maxRSS,
    heapUsedBytes: memory.heapUsed,
    externalBytes: memory.external,
  };
  writeFileSync(resultFile, JSON.stringify(result));
}

try {
  main();
  process.exit(0);
} catch (error) {
  process.stderr.write(`memory-stages: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
}
