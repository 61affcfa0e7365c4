// Bundles every deployable entry point with esbuild. Each FC function becomes one self-contained
// CommonJS file (plus its source map) that needs nothing else at run time.
import { build } from 'esbuild';
import { BUNDLE_OPTIONS } from './bundle-options.mjs';
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const entries = [
  { in: 'functions/oss-stream-import/index.ts', out: 'dist/oss-stream-import/index.js' },
  { in: 'functions/reconcile/index.ts', out: 'dist/reconcile/index.js' },
  { in: 'cli/main.ts', out: 'dist/cli/cpfs-ingest.js', banner: '#!/usr/bin/env node' },
];

mkdirSync('dist', { recursive: true });
// The repository is an ES module package; the bundles are CommonJS, as FC's `exports.handler` expects.
writeFileSync('dist/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');

for (const entry of entries) {
  if (!existsSync(entry.in)) throw new Error(`build: entry point ${entry.in} is missing`);
  await build({
    ...BUNDLE_OPTIONS,
    entryPoints: [entry.in],
    outfile: entry.out,
    ...(entry.banner ? { banner: { js: entry.banner } } : {}),
  });
  // The CLI is a `bin`: npm runs it directly, so it must be executable.
  if (entry.banner) chmodSync(entry.out, 0o755);
}

// A large route table ships inside the code package (FC caps all environment variables at 4 KB):
// deploy/routes.json, when present, is copied next to each function bundle; set CPFS_ROUTES_FILE=routes.json.
const ROUTES_FILE = 'deploy/routes.json';
if (existsSync(ROUTES_FILE)) {
  for (const entry of entries.filter((e) => e.out.startsWith('dist/') && !e.out.startsWith('dist/cli/'))) {
    if (existsSync(entry.out)) copyFileSync(ROUTES_FILE, join(dirname(entry.out), 'routes.json'));
  }
}
