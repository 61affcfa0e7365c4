/**
 * Cold start: the bytes of the function bundle, what they are made of (esbuild metafile), and how long a
 * fresh Node process takes to `require` it — against a bare `node -e 0` and against the same handler
 * built on `@alicloud/pop-core` (bench/pop-core-variant/handler.ts, bundled with the product's settings).
 *
 * Every repetition starts five fresh processes in a shuffled order: `node -e 0`, `node -e` requiring
 * the product bundle, the same for the pop-core bundle, the split run (the Node built-ins the bundle
 * imports required one by one, then the bundle: what the bundle's own module evaluation costs once its
 * built-ins are loaded), and the floor (those built-ins and an empty file: what any bundle that loads
 * them costs at least — the part of the whole-process ratio no code of ours can remove). Wall time is measured around each process; the bundles also report the time of
 * the `require` call itself (process.hrtime around it), which leaves Node's own start-up out. Medians
 * over all repetitions. Then a few profiled runs (`--cpu-prof`, lib/profile.ts) say which source module
 * the time of the require goes to.
 */
import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { builtinImports, bundleComposition, bundleLikeProduct, bundleSourceLikeProduct, fileComposition, importersOf, packageComposition, type BundleShare } from '../lib/build.js';
import { profileByModule, topShares } from '../lib/profile.js';
import { median, percentile, round, seededShuffle, type Figure, type Section } from '../lib/report.js';

export interface ColdStartOptions {
  /** dist/oss-stream-import/index.js as `npm run build` wrote it. */
  readonly bundle: string;
  readonly productEntry: string;
  readonly popCoreEntry: string;
  readonly scratchDir: string;
  readonly repetitions: number;
}

/**
 * Issue 11's target: 100 KB, in kilobytes of 1,000 bytes — the unit in which the issue reads the bundle
 * as "104.9 KB" (104,878 bytes) and in which the earlier "150 KB" target was held.
 */
export const BUNDLE_TARGET_BYTES = 100_000;
/** Issue 11: whole-process cold `require` ≤ 1.25× a bare `node -e 0` (ratio of medians, interleaved runs). */
export const PROCESS_RATIO_TARGET = 1.25;

type Variant = 'bare' | 'product' | 'popCore' | 'split' | 'floor';

/** Requires the built-ins, then a file with nothing in it: what any bundle importing those built-ins costs at least. */
function floorScript(emptyFile: string, builtins: readonly string[]): string {
  return `for(const m of ${JSON.stringify(builtins)})require(m);require(${JSON.stringify(emptyFile)})`;
}

/**
 * Where the bundle's bytes go, by what they are for (first match wins), so that the bytes over the target can
 * be read as features: the burst path (issue 10), the request rules, zod, configuration…
 */
const FEATURES: ReadonlyArray<readonly [string, RegExp]> = [
  ['zod (validation library)', /^zod\//],
  ['bursts (issue 10): tail submitter, manifests, OSS writer', /^shared\/(ingest\/stream\/burst\.ts|bulk\/|oss\/)/],
  ['NAS request rules (shared/nas/schemas.ts)', /^shared\/nas\/schemas\.ts$/],
  ['NAS client: transport, signing, quotas, answers (rest of shared/nas)', /^shared\/nas\//],
  ['configuration and routes (shared/config)', /^shared\/config\//],
  ['event envelopes and key decoding (shared/events)', /^shared\/events\//],
  ['planning and CPFS path rules (shared/planning, shared/cpfs)', /^shared\/(planning|cpfs)\//],
  ['ingest use case (rest of shared/ingest)', /^shared\/ingest\//],
];
const OTHER_FEATURE = 'runtime, log, errors, handler (the rest)';

/** Bytes of the bundle per feature (FEATURES), largest first. */
export function featureComposition(files: readonly BundleShare[]): BundleShare[] {
  const bytes = new Map<string, number>();
  for (const file of files) {
    const feature = FEATURES.find(([, pattern]) => pattern.test(file.origin))?.[0] ?? OTHER_FEATURE;
    bytes.set(feature, (bytes.get(feature) ?? 0) + file.bytes);
  }
  return [...bytes.entries()].map(([origin, b]) => ({ origin, bytes: b })).sort((a, b) => b.bytes - a.bytes);
}

/** Requires each built-in, then the bundle, and prints the milliseconds of each as JSON. */
function splitScript(file: string, builtins: readonly string[]): string {
  return (
    `const h=()=>process.hrtime.bigint(),r={};let t;` +
    `for(const m of ${JSON.stringify(builtins)}){t=h();require(m);r[m]=Number(h()-t)/1e6}` +
    `t=h();require(${JSON.stringify(file)});r.bundle=Number(h()-t)/1e6;process.stdout.write(JSON.stringify(r))`
  );
}

function requireScript(file: string): string {
  return `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(process.hrtime.bigint()-t))`;
}

function timeProcess(script: string): { wallMs: number; requireMs?: number; split?: Record<string, number> } {
  const started = process.hrtime.bigint();
  // Empty environment: no NODE_OPTIONS (the bench itself runs under a TypeScript loader).
  const run = spawnSync(process.execPath, ['-e', script], { env: {}, encoding: 'utf8', timeout: 20_000 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`bench: cold start child failed (${run.status ?? run.signal}): ${run.stderr}`);
  const out = run.stdout.trim();
  if (out === '') return { wallMs };
  if (out.startsWith('{')) return { wallMs, split: JSON.parse(out) as Record<string, number> };
  return { wallMs, requireMs: Number(out) / 1e6 };
}

/**
 * Modules of the function path, each bundled alone (with everything it imports) to time its evaluation:
 * the cost of one module is its time minus that of what it imports (zod/mini, for the schema modules).
 */
const MODULE_ENTRIES: Readonly<Record<string, string>> = {
  'zod/mini': "export * from 'zod/mini';",
  'node:http + node:https': "export * from 'node:http'; export * from 'node:https';",
  'shared/nas/schemas.ts': "export * from './shared/nas/schemas.ts';",
  'shared/config/load-config.ts': "export * from './shared/config/load-config.ts';",
  'shared/events/parse-events.ts': "export * from './shared/events/parse-events.ts';",
  'shared/planning/index.ts': "export * from './shared/planning/index.ts';",
  'shared/nas/client.ts': "export * from './shared/nas/client.ts';",
  'shared/log.ts': "export * from './shared/log.ts';",
  'shared/ingest/index.ts': "export * from './shared/ingest/index.ts';",
};

/** Median in-process require time of each module bundle, fresh processes, interleaved and shuffled. */
async function moduleEvaluation(scratchDir: string, rounds: number): Promise<Record<string, number>> {
  const files: Record<string, string> = {};
  let n = 0;
  for (const [name, contents] of Object.entries(MODULE_ENTRIES)) {
    files[name] = (await bundleSourceLikeProduct(contents, path.join(scratchDir, 'modules', `m${n++}.js`))).outfile;
  }
  const times: Record<string, number[]> = {};
  const names = Object.keys(files);
  for (const name of names) timeProcess(requireScript(files[name] as string));
  for (let round = 0; round < rounds; round++) {
    for (const name of seededShuffle(names, round + 101)) {
      const t = timeProcess(requireScript(files[name] as string));
      if (t.requireMs !== undefined) (times[name] ??= []).push(t.requireMs);
    }
  }
  return Object.fromEntries(names.map((name) => [name, round(median(times[name] ?? []))]));
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

  const builtins = builtinImports(product.metafile, product.outfile);
  const emptyFile = path.join(options.scratchDir, 'floor-empty.js');
  writeFileSync(emptyFile, 'module.exports = {};\n');
  const scripts: Record<Variant, string> = {
    // `node -e 0`, the baseline (an empty script would do the same work).
    bare: '0',
    product: requireScript(path.resolve(options.bundle)),
    popCore: requireScript(popCore.outfile),
    split: splitScript(path.resolve(options.bundle), builtins),
    floor: floorScript(emptyFile, builtins),
  };
  const wall: Record<Variant, number[]> = { bare: [], product: [], popCore: [], split: [], floor: [] };
  const req: Record<'product' | 'popCore', number[]> = { product: [], popCore: [] };
  const split: Record<string, number[]> = {};
  const order: Variant[] = ['bare', 'product', 'popCore', 'split', 'floor'];
  // One untimed round: the file system cache holds node and both bundles for every timed round alike.
  for (const v of order) timeProcess(scripts[v]);
  for (let rep = 0; rep < options.repetitions; rep++) {
    for (const v of seededShuffle(order, rep + 1)) {
      const t = timeProcess(scripts[v]);
      wall[v].push(t.wallMs);
      if ((v === 'product' || v === 'popCore') && t.requireMs !== undefined) req[v].push(t.requireMs);
      if (t.split !== undefined) for (const [k, ms] of Object.entries(t.split)) (split[k] ??= []).push(ms);
    }
  }

  const zodBytes = productShares.find((s) => s.origin === 'zod')?.bytes ?? 0;
  const m = {
    bare: median(wall.bare),
    product: median(wall.product),
    popCore: median(wall.popCore),
    floor: median(wall.floor),
    productRequire: median(req.product),
    popCoreRequire: median(req.popCore),
  };
  const splitMedians = Object.fromEntries(Object.entries(split).map(([k, v]) => [k, median(v)]));
  const builtinsMs = builtins.reduce((sum, b) => sum + (splitMedians[b] ?? 0), 0);
  const ownMs = splitMedians['bundle'] ?? Number.NaN;
  // Which source module the require's time goes to (profiled runs, separate from the timed ones).
  const profile = profileByModule({
    bundle: path.resolve(options.bundle),
    args: ['-e', `require(${JSON.stringify(path.resolve(options.bundle))})`],
    runs: Math.max(3, Math.min(10, options.repetitions)),
    scratchDir: options.scratchDir,
  });
  const productFiles = fileComposition(product.metafile, product.outfile);
  const features = featureComposition(productFiles);
  const burstBytes = features.find((f) => f.origin.startsWith('bursts'))?.bytes ?? 0;
  const modules = await moduleEvaluation(options.scratchDir, Math.max(3, Math.min(15, options.repetitions)));
  const figures: Figure[] = [
    {
      id: 'coldStart.bundleBytes',
      label: 'bundle dist/oss-stream-import/index.js',
      value: bundleBytes,
      unit: 'bytes',
      ratio: { value: bundleBytes / popCoreBytes, against: 'the pop-core variant' },
      target: '≤ 100,000 bytes',
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
      id: 'coldStart.bundle.burstBytes',
      label: 'bundle: bytes of the burst path (issue 10; off unless CPFS_BURST_THRESHOLD)',
      value: burstBytes,
      unit: 'bytes',
      ratio: { value: burstBytes / productBytes, against: 'of the bundle' },
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
      label: 'node -e require(bundle), whole process',
      value: m.product,
      unit: 'ms',
      ratio: { value: m.product / m.bare, against: 'node -e 0' },
      target: `≤ ${PROCESS_RATIO_TARGET}× node -e 0`,
      pass: m.product / m.bare <= PROCESS_RATIO_TARGET,
    },
    {
      id: 'coldStart.floor.processMs',
      label: `floor: node -e requiring only the built-ins the bundle loads (${builtins.join(', ')}) and an empty file, whole process`,
      value: m.floor,
      unit: 'ms',
      ratio: { value: m.floor / m.bare, against: 'node -e 0' },
    },
    {
      id: 'coldStart.product.overFloorMs',
      label: "whole process: the bundle's own code (bundle − floor)",
      value: m.product - m.floor,
      unit: 'ms',
      ratio: { value: (m.product - m.floor) / m.bare, against: 'node -e 0' },
    },
    {
      id: 'coldStart.product.builtinsMs',
      label: `cold require, split: the built-ins it loads (${builtins.join(', ')})`,
      value: builtinsMs,
      unit: 'ms',
      ratio: { value: builtinsMs / (builtinsMs + ownMs), against: 'of the split require' },
    },
    {
      id: 'coldStart.product.ownEvaluationMs',
      label: "cold require, split: the bundle's own module evaluation",
      value: ownMs,
      unit: 'ms',
      ratio: { value: ownMs / (builtinsMs + ownMs), against: 'of the split require' },
    },
    {
      id: 'coldStart.popCore.processMs',
      label: 'node -e require(pop-core variant), whole process',
      value: m.popCore,
      unit: 'ms',
      ratio: { value: m.popCore / m.bare, against: 'node -e 0' },
    },
    {
      id: 'coldStart.bare.processMs',
      label: 'node -e 0 (bare process)',
      value: m.bare,
      unit: 'ms',
    },
  ];
  if (m.floor / m.bare > PROCESS_RATIO_TARGET) {
    notes.push(
      `the ${PROCESS_RATIO_TARGET}× whole-process target is below the floor: requiring only the built-ins the bundle loads ` +
        `(and an empty file) takes ${round(m.floor / m.bare)}× node -e 0 in this run, before any code of ours runs`,
    );
  }
  if (bundleBytes > BUNDLE_TARGET_BYTES) {
    notes.push(`the bundle is ${bundleBytes - BUNDLE_TARGET_BYTES} bytes over ${BUNDLE_TARGET_BYTES}; by feature: ${JSON.stringify(top(features, 9))}`);
  }
  notes.push(
    `bundle composition (bytes in output): ${JSON.stringify(top(productShares, 8))}`,
    `bundle by source file: ${JSON.stringify(top(productFiles, 12))}`,
    `cold require split (medians, ms): ${JSON.stringify(Object.fromEntries(Object.entries(splitMedians).map(([k, v]) => [k, round(v)])))}`,
    `cold require of single modules bundled alone (in-process medians, ms; each includes what it imports): ${JSON.stringify(modules)}`,
    `cold require by source module (--cpu-prof, share of samples, ms per run): ${JSON.stringify(topShares(profile, 10))}`,
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
      productFiles,
      productFeatures: features,
      builtins,
      splitMedianMs: Object.fromEntries(Object.entries(splitMedians).map(([k, v]) => [k, round(v)])),
      moduleRequireMedianMs: modules,
      requireProfile: profile.map((p) => ({ origin: p.origin, share: round(p.share), msPerRun: round(p.msPerRun) })),
      zodComposition: zodShares,
      classicZodImporters,
      popCoreBytes,
      popCoreComposition: popCoreShares,
      medianMs: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round(v)])),
      p90Ms: {
        bare: round(percentile(wall.bare, 90)),
        product: round(percentile(wall.product, 90)),
        popCore: round(percentile(wall.popCore, 90)),
        split: round(percentile(wall.split, 90)),
        floor: round(percentile(wall.floor, 90)),
        productRequire: round(percentile(req.product, 90)),
        popCoreRequire: round(percentile(req.popCore, 90)),
      },
    },
    notes,
    durationMs: Date.now() - started,
  };
}
