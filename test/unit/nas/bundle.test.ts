/**
 * The FC bundle must not drag in the official SDK (a test-only oracle) and must stay small: bundles
 * only the NAS client, in memory, the way scripts/build.mjs bundles functions.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Generous ceiling: the client plus zod's classic API. Measured ≈ 112 KiB minified when written, of which zod ≈ 88 KiB. */
const MAX_BUNDLE_BYTES = 200 * 1024;

describe('bundle of shared/nas/client.ts', () => {
  it('contains no @alicloud package and stays small', async () => {
    const result = await build({
      stdin: {
        contents: "export { createNasClient } from './shared/nas/client.ts';",
        resolveDir: repoRoot,
        sourcefile: 'nas-client-entry.ts',
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.includes('shared/nas/signer.ts'))).toBe(true);
    expect(inputs.filter((path) => path.includes('@alicloud/'))).toEqual([]);
    const bytes = result.outputFiles?.[0]?.contents.byteLength ?? 0;
    console.info(`nas client bundle: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB) from ${inputs.length} inputs`);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(MAX_BUNDLE_BYTES);
  });
});
