/**
 * FC 3.0 handler (nodejs20): OSS object-created events → CPFS data flow. Glue only: FC's environment and
 * stdout are handed to the handler factory (handler.ts); the use case is shared/ingest/index.ts.
 */
import { createIngestHandler } from './handler.js';

// Also exported from the bundle, so that the demo runs the built code with its own environment and log sink.
export { createIngestHandler } from './handler.js';

export const handler = createIngestHandler({
  env: process.env,
  write: (line) => void process.stdout.write(`${line}\n`),
  codeDir: __dirname,
});
