/**
 * Cold start: the bytes of the function bundle, what they are made of (esbuild metafile), and how long a
 * fresh Node process takes to `require` it — against a bare `node -e ''` and against the same handler
 * built on `@alicloud/pop-core` (bench/pop-core-variant/handler.ts, bundled with the product's settings).
 *
 * Every repetition starts three fresh processes in a shuffled order: `node -e ''`, `node -e` requiring
 * the product bundle, and the same for the pop-core bundle. Wall time is measured around each process;
 * the two bundles also report the time of the `require` call itself (process.hrtime around it), which
 * leaves Node's own start-up out. Medians over all repetitions.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { bundleComposition, bundleLikeProduct, importersOf, packageComposition, type BundleShare } from '../lib/build.js';
import { median, percentile, round, seededShuffle, type Figure, type Section } from '../lib/report.js';

export interface ColdStartOptions {
  /** dist/oss-stream-import/index.js as `npm run build` wrote it. */
  readonly bundle: string;
  readonly productEntry: string;
  readonly popCoreEntry: string;
  readonly scratchDir: string;
  readonly repetitions: number;
}

/** The target: 150 KB, in kilobytes of 1,000 bytes (the bundle was "~153 KB" at 153,508 bytes). */
export const BUNDLE_TARGET_BYTES = 150_000;

type Variant = 'bare' | 'product' | 'popCore';

function requireScript(file: string): string {
  return `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(process.hrtime.bigint()-t))`;
}

function timeProcess(script: string): { wallMs: number; requireMs?: number } {
  const started = process.hrtime.bigint();
  // Empty environment: no NODE_OPTIONS (the bench itself runs under a TypeScript loader).
  const run = spawnSync(process.execPath, ['-e', script], { env: {}, encoding: 'utf8', timeout: 20_000 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`bench: cold start child failed (${run.status ?? run.signal}): ${run.stderr}`);
  const out = run.stdout.trim();
  return out === '' ? { wallMs } : { wallMs, requireMs: Number(out) / 1e6 };
}

function top(shares: readonly BundleShare[], count: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const share of shares.slice(0, count)) out[share.origin] = share.bytes;
  const rest = shares.slice(count).reduce((sum, s) => sum + s.bytes, 0);
  if (rest > 0) out['(others)'] = rest;
  return out;
}

export async function benchColdStart(options: ColdStartOptions): Promise<Section> {
  const started = Date.now();
  const notes: string[] = [];
  const bundleBytes = statSync(options.bundle).size;

  // The same build again with a metafile, to see what the bytes are.
  const product = await bundleLikeProduct(options.productEntry, path.join(options.scratchDir, 'product', 'index.js'));
  const productBytes = statSync(product.outfile).size;
  if (productBytes !== bundleBytes) notes.push(`the metafile rebuild is ${productBytes} bytes, dist has ${bundleBytes}: dist may be stale`);
  const productShares = bundleComposition(product.metafile, product.outfile);
  const zodShares = packageComposition(product.metafile, product.outfile, 'zod');
  const classicZodImporters = importersOf(product.metafile, 'zod');
  const popCore = await bundleLikeProduct(options.popCoreEntry, path.join(options.scratchDir, 'pop-core', 'index.js'));
  const popCoreBytes = statSync(popCore.outfile).size;
  const popCoreShares = bundleComposition(popCore.metafile, popCore.outfile);

  const scripts: Record<Variant, string> = { bare: '', product: requireScript(path.resolve(options.bundle)), popCore: requireScript(popCore.outfile) };
  const wall: Record<Variant, number[]> = { bare: [], product: [], popCore: [] };
  const req: Record<Exclude<Variant, 'bare'>, number[]> = { product: [], popCore: [] };
  const order: Variant[] = ['bare', 'product', 'popCore'];
  // One untimed round: the file system cache holds node and both bundles for every timed round alike.
  for (const v of order) timeProcess(scripts[v]);
  for (let rep = 0; rep < options.repetitions; rep++) {
    for (const v of seededShuffle(order, rep + 1)) {
      const t = timeProcess(scripts[v]);
      wall[v].push(t.wallMs);
      if (v !== 'bare' && t.requireMs !== undefined) req[v].push(t.requireMs);
    }
  }

  const zodBytes = productShares.find((s) => s.origin === 'zod')?.bytes ?? 0;
  const m = {
    bare: median(wall.bare),
    product: median(wall.product),
    popCore: median(wall.popCore),
    productRequire: median(req.product),
    popCoreRequire: median(req.popCore),
  };
  const figures: Figure[] = [
    {
      id: 'coldStart.bundleBytes',
      label: 'bundle dist/oss-stream-import/index.js',
      value: bundleBytes,
      unit: 'bytes',
      ratio: { value: bundleBytes / popCoreBytes, against: 'the pop-core variant' },
      target: '≤ 150,000 bytes',
      pass: bundleBytes <= BUNDLE_TARGET_BYTES,
    },
    {
      id: 'coldStart.bundle.zodBytes',
      label: 'bundle: bytes from zod',
      value: zodBytes,
      unit: 'bytes',
      ratio: { value: zodBytes / productBytes, against: 'of the bundle' },
    },
    {
      id: 'coldStart.popCore.bundleBytes',
      label: 'pop-core variant bundle',
      value: popCoreBytes,
      unit: 'bytes',
    },
    {
      id: 'coldStart.product.requireMs',
      label: 'cold require of the bundle (in-process)',
      value: m.productRequire,
      unit: 'ms',
      ratio: { value: m.productRequire / m.popCoreRequire, against: 'the pop-core variant' },
      target: '< pop-core variant',
      pass: m.productRequire < m.popCoreRequire,
    },
    {
      id: 'coldStart.popCore.requireMs',
      label: 'cold require of the pop-core variant (in-process)',
      value: m.popCoreRequire,
      unit: 'ms',
    },
    {
      id: 'coldStart.product.processMs',
      label: "node -e require(bundle), whole process",
      value: m.product,
      unit: 'ms',
      ratio: { value: m.product / m.bare, against: "node -e ''" },
    },
    {
      id: 'coldStart.popCore.processMs',
      label: 'node -e require(pop-core variant), whole process',
      value: m.popCore,
      unit: 'ms',
      ratio: { value: m.popCore / m.bare, against: "node -e ''" },
    },
    {
      id: 'coldStart.bare.processMs',
      label: "node -e '' (bare process)",
      value: m.bare,
      unit: 'ms',
    },
  ];
  notes.push(
    `bundle composition (bytes in output): ${JSON.stringify(top(productShares, 8))}`,
    `zod in the bundle: ${JSON.stringify(top(zodShares, 6))}; modules importing classic 'zod' (not 'zod/mini'): ${classicZodImporters.join(', ') || 'none'}`,
    `pop-core variant composition: ${JSON.stringify(top(popCoreShares, 8))}`,
  );
  return {
    name: 'coldStart',
    figures,
    details: {
      repetitions: options.repetitions,
      bundleBytes,
      bundleTargetBytes: BUNDLE_TARGET_BYTES,
      bundleKiB: round(bundleBytes / 1024),
      productComposition: productShares,
      zodComposition: zodShares,
      classicZodImporters,
      popCoreBytes,
      popCoreComposition: popCoreShares,
      medianMs: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round(v)])),
      p90Ms: {
        bare: round(percentile(wall.bare, 90)),
        product: round(percentile(wall.product, 90)),
        popCore: round(percentile(wall.popCore, 90)),
        productRequire: round(percentile(req.product, 90)),
        popCoreRequire: round(percentile(req.popCore, 90)),
      },
    },
    notes,
    durationMs: Date.now() - started,
  };
}
