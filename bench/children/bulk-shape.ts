/**
 * One shape of the bulk phase (bench/phases/bulk.ts) or of the burst phase (bench/phases/burst.ts), in a
 * process of its own: the client side (the product's backfill or ingest code with its NAS and S3 clients),
 * which starts its own emulator child. Run by bench/lib/bulk-host.ts `runShapeInChild`, so that several shapes
 * can run at once, each client's peak RSS and live heap being its own process's.
 *
 *   parent → {type: 'run', request}   child → {type: 'result', result} | {type: 'error', message}, then exits
 */
import type { ShapeChildReply } from '../lib/bulk-host.js';
import { runBulkShape, type BulkShapeRequest } from '../phases/bulk.js';
import { runBurstShape, type BurstShapeRequest } from '../phases/burst.js';

type Request = BulkShapeRequest | BurstShapeRequest;

function reply(message: ShapeChildReply<unknown>): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

process.once('message', (raw: unknown) => {
  const { request } = raw as { readonly type: 'run'; readonly request: Request };
  void (async () => {
    try {
      const result = request.phase === 'bulk' ? await runBulkShape(request) : await runBurstShape(request);
      await reply({ type: 'result', result });
      process.exit(0);
    } catch (error) {
      await reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      process.exit(1);
    }
  })();
});
// The bench went away: nothing to report to.
process.on('disconnect', () => process.exit(0));
