/**
 * Objects of an emulated bucket are the regular files under the bucket's local directory — the same
 * directory the NAS side imports from — so an object written through the S3 endpoint is what a data-flow
 * task copies, and a file dropped into the directory is an object.
 *
 * Mapping (ASSUMED, an emulator limit; see emulator/README.md): the key is the file's path below the bucket
 * directory with `/` separators. Hence keys with an empty, `.` or `..` segment, a leading `/`, or a segment
 * over 255 bytes cannot be stored; a key cannot be both an object and the "directory" of other keys; and
 * folder markers (`dir/`, empty) are kept as directories, which listings never return.
 * Metadata: size and mtime (LastModified, to the second, as OSS reports it) come from the file; the ETag is
 * the MD5 of the bytes (what S3/OSS give for a single-part upload); there is no stored Content-Type.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { S3Error } from './errors.js';
import { listFilesRecursive } from '../storage.js';

/** OSS object names: 1–1023 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1023;

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
  /** With the double quotes S3 sends. */
  readonly eTag: string;
}

/** The file of `key` under `bucketDir`; throws an S3 error for a key this layout cannot hold. */
export function objectPath(bucketDir: string, key: string, forWrite: boolean): string {
  if (key === '') throw new S3Error('InvalidArgument', 'The object key must not be empty.');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', `Your key is too long (more than ${MAX_KEY_BYTES} bytes).`);
  const segments = (key.endsWith('/') ? key.slice(0, -1) : key).split('/');
  if (key.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..') || key.includes('\0')) {
    // Reads of such keys are plain misses; writes name the limit.
    if (!forWrite) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
    throw new S3Error('InvalidArgument', 'The emulator stores objects as files: a key may not start with "/" or hold an empty, "." or ".." segment.');
  }
  if (segments.some((s) => Buffer.byteLength(s, 'utf8') > 255)) {
    if (!forWrite) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
    throw new S3Error('InvalidArgument', 'The emulator stores objects as files: no key segment may exceed 255 bytes.');
  }
  return path.join(bucketDir, ...segments);
}

function md5Of(file: string): string {
  return createHash('md5').update(fs.readFileSync(file)).digest('hex');
}

/** Stat of a regular file, or undefined. */
function fileStat(p: string): fs.Stats | undefined {
  try {
    const st = fs.statSync(p);
    return st.isFile() ? st : undefined;
  } catch {
    return undefined;
  }
}

function infoOf(key: string, file: string, st: fs.Stats): ObjectInfo {
  return { key, size: st.size, lastModified: new Date(Math.floor(st.mtimeMs / 1000) * 1000), eTag: `"${md5Of(file)}"` };
}

/** The object, or NoSuchKey. */
export function headObject(bucketDir: string, key: string): ObjectInfo & { readonly file: string } {
  const file = objectPath(bucketDir, key, false);
  const st = key.endsWith('/') ? undefined : fileStat(file);
  if (!st) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
  return { ...infoOf(key, file, st), file };
}

/** Writes the object atomically (temporary file + rename). Returns its ETag. */
export function putObject(bucketDir: string, key: string, data: Buffer): string {
  const file = objectPath(bucketDir, key, true);
  if (key.endsWith('/')) {
    if (data.length > 0) throw new S3Error('InvalidArgument', 'The emulator keeps folder markers (keys ending in "/") as directories: their body must be empty.');
    mkdirOrConflict(file, key);
    return `"${createHash('md5').update(data).digest('hex')}"`;
  }
  mkdirOrConflict(path.dirname(file), key);
  try {
    if (fs.statSync(file).isDirectory()) {
      throw new S3Error('InvalidArgument', `The emulator stores objects as files: ${JSON.stringify(key)} is already the folder of other keys.`);
    }
  } catch (e) {
    if (e instanceof S3Error) throw e;
  }
  const temporary = path.join(path.dirname(file), `.${path.basename(file).slice(0, 200)}.${randomBytes(6).toString('hex')}.part`);
  fs.writeFileSync(temporary, data);
  fs.renameSync(temporary, file);
  return `"${createHash('md5').update(data).digest('hex')}"`;
}

function mkdirOrConflict(dir: string, key: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new S3Error('InvalidArgument', `The emulator stores objects as files: a part of ${JSON.stringify(key)} is already an object.`);
    }
    throw e;
  }
}

/** Deletes the object (a missing one is no error, as in S3); removes directories it leaves empty. */
export function deleteObject(bucketDir: string, key: string): void {
  let file: string;
  try {
    file = objectPath(bucketDir, key, false);
  } catch {
    return;
  }
  if (key.endsWith('/')) {
    try {
      fs.rmdirSync(file); // only when empty: a marker never removes other keys
    } catch {
      // not empty or absent: nothing to delete
    }
  } else if (fileStat(file)) {
    fs.rmSync(file, { force: true });
  } else {
    return;
  }
  const root = path.resolve(bucketDir);
  for (let dir = path.dirname(path.resolve(file)); dir.startsWith(root + path.sep); dir = path.dirname(dir)) {
    try {
      fs.rmdirSync(dir);
    } catch {
      break;
    }
  }
}

/** UTF-8 byte order of keys, the order S3 and OSS list in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Every key under `prefix`, sorted in byte order. Only the directory the prefix names is walked (the part up
 * to its last `/`). Temporary files of an in-progress PutObject are left out.
 */
export function keysUnder(bucketDir: string, prefix: string): string[] {
  const slash = prefix.lastIndexOf('/');
  const dirPart = slash === -1 ? '' : prefix.slice(0, slash + 1);
  let start: string;
  try {
    start = dirPart === '' ? bucketDir : objectPath(bucketDir, dirPart, false);
  } catch {
    return [];
  }
  const out = listFilesRecursive(start)
    .map((rel) => dirPart + rel)
    .filter((key) => !/^\..*\.[0-9a-f]{12}\.part$/.test(key.slice(key.lastIndexOf('/') + 1)) && key.startsWith(prefix));
  // Encode once, not per comparison.
  return out
    .map((key) => ({ key, bytes: Buffer.from(key, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map((e) => e.key);
}

/** Size, LastModified and ETag of a listed key (read when the key is returned, not for every key walked). */
export function listedInfo(bucketDir: string, key: string): ObjectInfo | undefined {
  const file = objectPath(bucketDir, key, false);
  const st = fileStat(file);
  return st ? infoOf(key, file, st) : undefined;
}
