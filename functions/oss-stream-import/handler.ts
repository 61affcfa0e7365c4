/**
 * The ingest handler as a factory of its surroundings: the environment, the log sink, the clock and the
 * code folder are passed in, so the FC entry (index.ts) hands it `process.env` and stdout while the demo and
 * the tests hand it their own — nothing here reads `process.env` or writes to `process.stdout` itself.
 */
import { resultOrThrow, type HandlerResult } from '../../shared/handler-result.js';
import { createRuntime, runIngestInvocation, withoutSecrets, type Runtime } from '../../shared/runtime.js';

export interface IngestHandlerDeps {
  /** The function's environment variables (README table); read once, on the first invocation. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Receives each JSON log line without its newline (default: stdout, as FC collects it). */
  readonly write?: (line: string) => void;
  /** Clock in ms since epoch (default: Date.now): invocation start, deadline and the NAS client. */
  readonly now?: () => number;
  /** Folder a relative CPFS_ROUTES_FILE is resolved against (the bundle's folder in FC). */
  readonly codeDir?: string;
}

export type IngestHandler = (event: Buffer, context: unknown) => Promise<HandlerResult>;

/**
 * Returns an FC handler with its own runtime, built on the first invocation (not here) so that a
 * configuration error is reported by — and fails — the invocation that met it, with its request id.
 */
export function createIngestHandler(deps: IngestHandlerDeps): IngestHandler {
  const now = deps.now ?? Date.now;
  let runtime: Runtime | undefined;
  return async (event, context) => {
    const startMs = now();
    runtime ??= createRuntime({
      env: deps.env,
      fcContext: context,
      now,
      ...(deps.codeDir !== undefined ? { codeDir: deps.codeDir } : {}),
      ...(deps.write !== undefined ? { write: deps.write } : {}),
    });
    const report = await runIngestInvocation(runtime, event, context, startMs);
    // Throwing makes FC retry the whole event (asyncInvokeConfig) and, past its retries, send it to the
    // failure destination: on a system failure or a retryable record failure. ClientTokens make the
    // replay harmless. The result echoes keys from the payload: no current secret leaves in it.
    return withoutSecrets(runtime, resultOrThrow(report));
  };
}
