/**
 * FC 3.0 handler (nodejs20) of the reconcile function, run by a timer: sweeps the bucket for objects whose
 * event was missed and submits them (functions/reconcile/reconcile.ts). Glue only: FC's environment and
 * stdout are handed to the handler factory (handler.ts).
 */
import { createReconcileHandler } from './handler.js';

export { createReconcileHandler, ReconcileIncompleteError } from './handler.js';

export const handler = createReconcileHandler({
  env: process.env,
  write: (line) => void process.stdout.write(`${line}\n`),
  codeDir: __dirname,
});
