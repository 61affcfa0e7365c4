/**
 * Child process: loads the built FC bundle, invokes its handler once on a payload file, and writes what
 * happened (counts, duration, peak RSS) as JSON to a result file. The environment (CPFS_*, NAS_ENDPOINT,
 * credentials of the local emulator key) is set by the bench; the handler reads it like FC's would.
 *
 * Usage: node invoke-handler.js <bundle.js> <payload file> <result file> <function timeout s>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { HandlerRunResult } from '../lib/child-protocol.js';

type Counts = Record<string, number>;
type Handler = (event: Buffer, context: unknown) => Promise<{ mode: string; counts: Counts }>;

async function main(): Promise<void> {
  const [bundle, payloadFile, resultFile, timeoutText] = process.argv.slice(2);
  if (!bundle || !payloadFile || !resultFile) throw new Error('usage: invoke-handler <bundle> <payload> <result> [timeout s]');
  const payload = readFileSync(payloadFile);
  const requireBundle = createRequire(__filename);
  const requireStarted = process.hrtime.bigint();
  const { handler } = requireBundle(bundle) as { handler: Handler };
  const requireMs = Number(process.hrtime.bigint() - requireStarted) / 1e6;
  const context = {
    requestId: `bench-${process.pid}`,
    region: 'cn-hangzhou',
    function: { name: 'oss-stream-import', timeout: Number(timeoutText ?? '120'), memory: 512 },
  };
  const startMs = Date.now();
  let result: HandlerRunResult;
  try {
    const summary = await handler(payload, context);
    result = { ok: true, mode: summary.mode, counts: summary.counts, retryableFailures: 0, durationMs: Date.now() - startMs, requireMs, maxRssKb: process.resourceUsage().maxRSS };
  } catch (error) {
    // RetryableIngestError carries the report: FC would replay the event.
    const report = (error as { report?: { mode: string; counts: Counts; retryableFailures: number } }).report;
    result = {
      ok: false,
      mode: report?.mode ?? 'unknown',
      counts: report?.counts ?? {},
      retryableFailures: report?.retryableFailures ?? 0,
      durationMs: Date.now() - startMs,
      requireMs,
      maxRssKb: process.resourceUsage().maxRSS,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
  writeFileSync(resultFile, JSON.stringify(result));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`invoke-handler: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
