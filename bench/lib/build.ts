/**
 * Bundling for the benchmark: the same esbuild settings as `scripts/build.mjs` (one self-contained,
 * minified CommonJS file for Node 20), so that the pop-core variant and the child-process scripts are
 * built exactly the way the product bundle is, and run with plain `node` (no TypeScript loader in the
 * figures).
 */
import { BUNDLE_OPTIONS } from '../../scripts/bundle-options.mjs';
import { build, type Metafile } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** Where bench bundles go for this run (outside the repository); removed by {@link removeScratch}. */
export function createScratchDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cpfs-ingest-bench-'));
  // The repository is an ES module package; these bundles are CommonJS, like dist/.
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'commonjs' }) + '\n');
  return dir;
}

export function removeScratch(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface BundleResult {
  readonly outfile: string;
  readonly metafile: Metafile;
}

/** Bundles `entry` to `outfile` with the product's build settings, and returns esbuild's metafile. */
export async function bundleLikeProduct(entry: string, outfile: string): Promise<BundleResult> {
  mkdirSync(path.dirname(outfile), { recursive: true });
  const result = await build({
    ...BUNDLE_OPTIONS,
    entryPoints: [entry],
    outfile,
    metafile: true,
  });
  return { outfile, metafile: result.metafile };
}

/**
 * Bundles the module source `contents` (resolved from the repository root) like {@link bundleLikeProduct}:
 * e.g. `export * from './shared/nas/schemas.ts'`, to time one module's evaluation on its own.
 */
export async function bundleSourceLikeProduct(contents: string, outfile: string): Promise<BundleResult> {
  mkdirSync(path.dirname(outfile), { recursive: true });
  const result = await build({
    ...BUNDLE_OPTIONS,
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts', sourcefile: path.basename(outfile, '.js') + '.entry.ts' },
    outfile,
    metafile: true,
  });
  return { outfile, metafile: result.metafile };
}

/** Bytes of one output file attributed to each package (node_modules) or project folder. */
export interface BundleShare {
  readonly origin: string;
  readonly bytes: number;
}

/**
 * Splits the output of a bundle by where its code came from: `zod`, `@alicloud/pop-core`, or a project
 * folder such as `shared/nas`. Uses esbuild's `bytesInOutput` (minified bytes each input contributes).
 */
export function bundleComposition(metafile: Metafile, outfile: string): BundleShare[] {
  const relOut = path.relative(process.cwd(), outfile).split(path.sep).join('/');
  const output = metafile.outputs[relOut];
  if (output === undefined) throw new Error(`bench: metafile has no output ${relOut}`);
  const shares = new Map<string, number>();
  for (const [input, info] of Object.entries(output.inputs)) {
    shares.set(originOf(input), (shares.get(originOf(input)) ?? 0) + info.bytesInOutput);
  }
  return [...shares.entries()].map(([origin, bytes]) => ({ origin, bytes })).sort((a, b) => b.bytes - a.bytes);
}

function originOf(input: string): string {
  const marker = 'node_modules/';
  const at = input.lastIndexOf(marker);
  if (at >= 0) {
    const parts = input.slice(at + marker.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? input);
  }
  const parts = input.split('/');
  // shared/nas/client.ts → shared/nas; functions/oss-stream-import/index.ts → functions/oss-stream-import
  return parts.length > 2 ? parts.slice(0, 2).join('/') : (parts[0] ?? input);
}

/** Bytes of one package in the output, split by its first two path segments (`zod` → `v4/core`, `v4/classic`…). */
export function packageComposition(metafile: Metafile, outfile: string, pkg: string): BundleShare[] {
  const relOut = path.relative(process.cwd(), outfile).split(path.sep).join('/');
  const output = metafile.outputs[relOut];
  if (output === undefined) throw new Error(`bench: metafile has no output ${relOut}`);
  const marker = `node_modules/${pkg}/`;
  const shares = new Map<string, number>();
  for (const [input, info] of Object.entries(output.inputs)) {
    const at = input.lastIndexOf(marker);
    if (at < 0) continue;
    const part = input.slice(at + marker.length).split('/').slice(0, 2).join('/');
    shares.set(part, (shares.get(part) ?? 0) + info.bytesInOutput);
  }
  return [...shares.entries()].map(([origin, bytes]) => ({ origin, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** Project files of the bundle that import `specifier` (e.g. which modules pull in classic `zod`). */
export function importersOf(metafile: Metafile, specifier: string): string[] {
  const importers: string[] = [];
  for (const [input, info] of Object.entries(metafile.inputs)) {
    if (input.includes('node_modules/')) continue;
    if (info.imports.some((i) => i.original === specifier)) importers.push(input);
  }
  return importers.sort();
}

/** Bytes of one output file per source file (`zod/v4/core/util.js`, `shared/ingest/index.ts`), largest first. */
export function fileComposition(metafile: Metafile, outfile: string): BundleShare[] {
  const relOut = path.relative(process.cwd(), outfile).split(path.sep).join('/');
  const output = metafile.outputs[relOut];
  if (output === undefined) throw new Error(`bench: metafile has no output ${relOut}`);
  const marker = 'node_modules/';
  return Object.entries(output.inputs)
    .map(([input, info]) => {
      const at = input.lastIndexOf(marker);
      return { origin: at >= 0 ? input.slice(at + marker.length) : input, bytes: info.bytesInOutput };
    })
    .filter((share) => share.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

/** Node built-in modules the output requires (`node:http`…), in the order the bundle first names them. */
export function builtinImports(metafile: Metafile, outfile: string): string[] {
  const relOut = path.relative(process.cwd(), outfile).split(path.sep).join('/');
  const output = metafile.outputs[relOut];
  if (output === undefined) throw new Error(`bench: metafile has no output ${relOut}`);
  const seen = new Set<string>();
  for (const entry of output.imports) if (entry.external && entry.path.startsWith('node:')) seen.add(entry.path);
  return [...seen];
}
