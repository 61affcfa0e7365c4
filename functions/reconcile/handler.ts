/**
 * The reconcile handler as a factory of its surroundings (environment, log sink, clock, code folder), built
 * on the same runtime as the ingest handler (shared/runtime.ts): one config load, one credentials chain, one
 * logger, one context setter per invocation. Nothing here reads `process.env` or writes to stdout itself.
 */
import { createListingClient, ossPageLister } from '../../shared/backfill.js';
import { cleanUpBurstManifests } from '../../shared/bulk/manifest-cleanup.js';
import { CpfsIngestError } from '../../shared/errors.js';
import { beginInvocation, createRuntime, ingestDeps, invocationDeadline, withoutSecrets, type Runtime } from '../../shared/runtime.js';
import { s3ObjectReader } from '../../shared/verify/object-reader.js';
import { ossStateStore } from './oss-state-store.js';
import { runReconcile, type ReconcileDeps, type ReconcileReport } from './reconcile.js';

/** Thrown so that FC records the run as failed (and sends it to the failure destination). */
export class ReconcileIncompleteError extends CpfsIngestError {
  override readonly name = 'ReconcileIncompleteError';
  /** The next timer run resumes from the saved state. */
  readonly retryable = true;
  readonly code = 'ReconcileIncomplete';
  constructor(readonly report: ReconcileReport) {
    super(`reconcile stopped (${report.status})${report.error ? `: ${report.error.code}: ${report.error.message}` : ''}; the next run resumes from the saved state`);
  }
}

/** The STS credentials rotate: have the S3 client ask again every few minutes. */
const CREDENTIALS_REFRESH_MS = 10 * 60_000;

export interface ReconcileHandlerDeps {
  /** The function's environment variables (README table); read once, on the first invocation. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Receives each JSON log line without its newline (default: stdout, as FC collects it). */
  readonly write?: (line: string) => void;
  /** Clock in ms since epoch (default: Date.now). */
  readonly now?: () => number;
  /** Folder a relative CPFS_ROUTES_FILE is resolved against (the bundle's folder in FC). */
  readonly codeDir?: string;
}

export type ReconcileHandler = (event: unknown, context: unknown) => Promise<ReconcileReport>;

/** Returns the reconcile FC handler; its wiring is built on the first invocation, so a config error fails that run. */
export function createReconcileHandler(deps: ReconcileHandlerDeps): ReconcileHandler {
  const now = deps.now ?? Date.now;
  let wiring: { runtime: Runtime; deps: Omit<ReconcileDeps, 'ingest'>; listKeys: (prefix: string) => Promise<string[]> } | undefined;

  function wire(context: unknown) {
    // Fails with every problem at once, the missing bucket included.
    const runtime = createRuntime({
      env: deps.env,
      fcContext: context,
      now,
      require: ['OSS_BUCKET'],
      ...(deps.codeDir !== undefined ? { codeDir: deps.codeDir } : {}),
      ...(deps.write !== undefined ? { write: deps.write } : {}),
    });
    // The runtime's credentials chain: beginInvocation points it at each invocation's context.
    const client = createListingClient(runtime.config, async () => ({ ...(await runtime.credentials()), expiration: new Date(now() + CREDENTIALS_REFRESH_MS) }), { internal: true });
    const bucket = runtime.config.bucket as string;
    return {
      runtime,
      deps: { list: ossPageLister({ client, bucket }), store: ossStateStore({ client, bucket }), objects: s3ObjectReader(client, bucket) },
      listKeys: async (prefix: string) => {
        const keys: string[] = [];
        for await (const page of ossPageLister({ client, bucket })({ prefix })) keys.push(...page.objects.map((o) => o.key));
        return keys;
      },
    };
  }

  return async (_event, context) => {
    const startMs = now();
    wiring ??= wire(context);
    const { runtime } = wiring;
    // requestId and coldStart on every line, and one metric line per run (README "Logs").
    const scope = beginInvocation(runtime, context, startMs);
    const deadlineMs = invocationDeadline(startMs, runtime.config, context);
    const report = await runReconcile(
      { ...wiring.deps, ingest: ingestDeps(runtime, scope.logger) },
      { deadlineMs },
    ).catch((error: unknown) => {
      scope.metrics({ result: 'error', records: 0 });
      throw error;
    });
    // Burst manifests (shared/bulk/manifest-cleanup.ts): deleted once their Import completed. Best effort: a
    // failure is logged and retried by the next run; it never fails the sweep.
    let manifestsDeleted = 0;
    if (runtime.manifests !== undefined && now() < deadlineMs) {
      try {
        const cleaned = await cleanUpBurstManifests({
          api: runtime.api, fileSystemId: runtime.config.fileSystemId, dataFlowId: runtime.config.dataFlowId,
          listKeys: wiring.listKeys, store: runtime.manifests, deadlineMs, now,
        });
        manifestsDeleted = cleaned.deleted;
        if (cleaned.deleted > 0) scope.logger.info('manifests.cleaned', { directories: cleaned.directories, deleted: cleaned.deleted });
      } catch (error) {
        scope.logger.warn('manifests.cleanup.failed', { error: error instanceof Error ? error.message : String(error) });
      }
    }
    const { run } = report;
    scope.metrics({
      manifestsDeleted,
      result: report.status === 'error' || report.status === 'retryable-failures' ? 'retry' : 'ok',
      status: report.status,
      records: run.listed,
      submitted: run.submitted, ignored: run.ignored, duplicate: run.duplicate, rejected: run.rejected, failed: run.failed,
      retryableFailures: report.pendingRetryable,
    });
    // The result names listed keys and error messages from outside: no current secret leaves in it.
    const result = withoutSecrets(runtime, report);
    if (result.status === 'error' || result.status === 'retryable-failures') throw new ReconcileIncompleteError(result);
    return result;
  };
}
