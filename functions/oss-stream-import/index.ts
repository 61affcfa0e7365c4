/**
 * FC 3.0 handler (nodejs20): OSS object-created events → CPFS data flow. Glue only: the wiring is built
 * once per instance, the use case is shared/ingest/index.ts.
 */
import { resultOrThrow, type HandlerResult } from '../../shared/handler-result.js';
import { createRuntime, runIngestInvocation, type Runtime } from '../../shared/runtime.js';

let runtime: Runtime | undefined;

export const handler = async (event: Buffer, context: unknown): Promise<HandlerResult> => {
  const startMs = Date.now();
  runtime ??= createRuntime({ env: process.env, fcContext: context, codeDir: __dirname });
  const report = await runIngestInvocation(runtime, event, context, startMs);
  // Throwing makes FC retry the whole event (asyncInvokeConfig) and, past its retries, send it to the
  // failure destination: on a system failure or a retryable record failure. ClientTokens make the
  // replay harmless.
  return resultOrThrow(report);
};
