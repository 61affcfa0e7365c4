/** Verification: following submissions to COMPLETE, re-driving failures (used by the CLI and reconcile). */
export * from './classify.js';
export { entriesOf, importChains, verify } from './verify.js';
export type { ObjectReader, VerifiedObject, VerifyDeps, VerifyOptions, VerifyReport } from './verify.js';
export { s3ObjectReader } from './object-reader.js';
