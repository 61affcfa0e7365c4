/**
 * Optional local directories standing in for the OSS bucket(s) and the CPFS file system(s), so that a task
 * or sub-task really copies bytes and tests can look at the result. Without them the emulator simulates:
 * every file "succeeds" with the sizes it was told.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataFlowRecord } from './state.js';
import type { StoreLocation } from './paths.js';

/** Which local directory backs which store. */
export interface StorageRoots {
  /** Directory of the bucket named in `oss://<bucket>`; undefined = simulated. */
  bucketDir(bucket: string): string | undefined;
  /** Directory of the file system's root; undefined = simulated. */
  fileSystemDir(fileSystemId: string): string | undefined;
}

/** `oss://bucket` (or `oss://bucket/`) → `bucket`. */
export function bucketNameOf(sourceStorage: string): string {
  return sourceStorage.replace(/^oss:\/\//, '').replace(/\/.*$/, '');
}

/** The local path of a store location, or undefined when that store is simulated. */
export function localPathOf(roots: StorageRoots, dataFlow: DataFlowRecord, loc: StoreLocation): string | undefined {
  const root =
    loc.store === 'bucket' ? roots.bucketDir(bucketNameOf(dataFlow.sourceStorage)) : roots.fileSystemDir(dataFlow.fileSystemId);
  if (root === undefined) return undefined;
  // Paths were validated (no `.`/`..` segments); resolve anyway and refuse anything outside the root.
  const resolved = path.resolve(root, '.' + loc.path);
  const rootResolved = path.resolve(root);
  if (resolved !== rootResolved && !resolved.startsWith(rootResolved + path.sep)) return undefined;
  return resolved;
}

/** stat that answers undefined for a missing path. */
export function statOrUndefined(p: string): fs.BigIntStats | undefined {
  try {
    return fs.statSync(p, { bigint: true });
  } catch {
    return undefined;
  }
}

/** Lists regular files under `dir` as paths relative to it, with `/` separators, sorted. */
export function listFilesRecursive(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(path.join(abs, e.name), childRel);
      else if (e.isFile()) out.push(childRel);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** Copies `src` to `dst`, creating parent directories, keeping the source's mtime. */
export function copyFileKeepingTime(src: string, dst: string): void {
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  fs.copyFileSync(src, dst);
  const st = fs.statSync(src);
  fs.utimesSync(dst, st.atime, st.mtime);
}

// CRC-64/XZ (ECMA-182 polynomial, reflected), the checksum OSS reports as x-oss-hash-crc64ecma. The table
// is built once with BigInt; the loop runs on two 32-bit halves for speed.
const CRC64_POLY = 0xc96c5795d7870f42n;
const CRC64_HI = new Uint32Array(256);
const CRC64_LO = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let crc = BigInt(i);
  for (let j = 0; j < 8; j++) crc = crc & 1n ? (crc >> 1n) ^ CRC64_POLY : crc >> 1n;
  CRC64_HI[i] = Number(crc >> 32n);
  CRC64_LO[i] = Number(crc & 0xffffffffn);
}

/** CRC-64/XZ of some bytes, as a decimal string. */
export function crc64(data: Uint8Array): string {
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  for (const byte of data) {
    const idx = (lo ^ byte) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ (CRC64_LO[idx] ?? 0)) >>> 0;
    hi = ((hi >>> 8) ^ (CRC64_HI[idx] ?? 0)) >>> 0;
  }
  return ((BigInt((hi ^ 0xffffffff) >>> 0) << 32n) | BigInt((lo ^ 0xffffffff) >>> 0)).toString();
}

/** CRC-64/XZ of a file's bytes, as a decimal string. */
export function crc64OfFile(p: string): string {
  return crc64(fs.readFileSync(p));
}
