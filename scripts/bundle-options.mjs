// The esbuild settings of every deployable bundle, shared by the build (scripts/build.mjs) and the
// benchmarks (bench/lib/build.ts), so that what is measured is what is shipped.
export const BUNDLE_OPTIONS = Object.freeze({
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  // Prefer packages' ES module builds: they tree-shake (zod, @aws-sdk/client-s3's unused commands).
  mainFields: ['module', 'main'],
  logLevel: 'warning',
});
