/**
 * FC 3.0 handler (nodejs20): OSS object-created events → CPFS data flow. Glue only: the wiring is built
 * once per instance, the use case is shared/ingest.ts.
 */
import { RetryableIngestError, summaryOf } from '../../shared/handler-result.js';
import { createRuntime, runIngestInvocation, type Runtime } from '../../shared/runtime.js';

let runtime: Runtime | undefined;

export const handler = async (event: Buffer, context: unknown): Promise<ReturnType<typeof summaryOf>> => {
  const startMs = Date.now();
  runtime ??= createRuntime({ env: process.env, fcContext: context, codeDir: __dirname });
  const report = await runIngestInvocation(runtime, event, context, startMs);
  // Throwing makes FC retry the whole event (asyncInvokeConfig); ClientTokens make the replay harmless.
  if (report.retryableFailures > 0) throw new RetryableIngestError(report);
  return summaryOf(report);
};
