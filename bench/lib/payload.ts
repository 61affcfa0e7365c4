/**
 * Deterministic workloads for the benchmark: object keys shaped like a training-data bucket, the MNS
 * queue batch FC delivers for them (built with the test factories, so the envelope is exactly the one
 * the parser is tested on), and the route table that goes with them.
 */
import type { Route } from '../../shared/planning/types.js';
import { mnsBatch, objectCreatedEvent, toPayload } from '../../test/support/event-factories.js';

/** Bucket of every generated event. */
export const BENCH_BUCKET = 'bench-bucket';

/**
 * The routed configuration used throughout: two policies (two streaming tasks) and three
 * directory pairs (three Import groups). `CPFS_ROUTES` takes this array as JSON.
 */
export const BENCH_ROUTES: readonly Route[] = Object.freeze([
  // Each keeps the key path below its destination (a directory added above it): batch Import, which names
  // no Directory, can express only such routes (shared/planning/path-base.ts), and the bench's batch runs
  // use these routes on general-purpose CPFS, where a renaming route is a configuration error.
  { prefix: 'datasets/images/', dstDirectory: '/training/datasets/images/', conflictPolicy: 'KEEP_LATEST' },
  { prefix: 'datasets/labels/', dstDirectory: '/training/datasets/labels/', conflictPolicy: 'KEEP_LATEST' },
  { prefix: 'checkpoints/', dstDirectory: '/ckpt/checkpoints/', conflictPolicy: 'OVERWRITE_EXISTING' },
]);

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same keys on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * The i-th key of a synthetic bucket: 80 % images, 15 % labels, 5 % checkpoints, 45–52 bytes
 * (what a dated, sharded dataset layout looks like). Unique for every i.
 */
export function benchKey(i: number, random: () => number): string {
  const r = random();
  const day = 1 + Math.floor(random() * 28);
  const shard = Math.floor(random() * 64);
  if (r < 0.8) return `datasets/images/2024/05/${pad(day, 2)}/cam-${pad(shard, 2)}/frame-${pad(i, 7)}.jpg`;
  if (r < 0.95) return `datasets/labels/2024/05/${pad(day, 2)}/cam-${pad(shard, 2)}/frame-${pad(i, 7)}.json`;
  return `checkpoints/run-${pad(shard, 3)}/step-${pad(i, 8)}.safetensors`;
}

/** `count` keys, deterministic for a seed; `offset` shifts the index range (distinct instances). */
export function benchKeys(count: number, seed = 1, offset = 0): string[] {
  const random = seededRandom(seed);
  const keys: string[] = new Array(count);
  for (let i = 0; i < count; i++) keys[i] = benchKey(offset + i, random);
  return keys;
}

/**
 * Keys one by one, without holding them: what an OSS listing yields page after page. Deterministic.
 */
export function* streamBenchKeys(count: number, seed = 1): Generator<string> {
  const random = seededRandom(seed);
  for (let i = 0; i < count; i++) yield benchKey(i, random);
}

/**
 * The bytes FC hands the function for an event-streaming batch from an MNS queue: a JSON array of
 * CloudEvents, one OSS notification per message, base64-encoded once (what OSS writes into MNS).
 */
export function mnsBatchPayload(keys: readonly string[]): Buffer {
  const elements = keys.map((key, i) => objectCreatedEvent({ key, bucket: BENCH_BUCKET, size: 1024 + (i % 4096) }));
  return toPayload(mnsBatch(elements));
}
