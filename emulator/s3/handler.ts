/**
 * The emulator's S3-compatible OSS endpoint (docs/platform.md §6): ListObjectsV2, HeadObject, GetObject,
 * PutObject, DeleteObject and DeleteObjects over the emulator's bucket directories, with SigV4 checked
 * against the same keys as the NAS side. It answers on the NAS emulator's own port: {@link isS3Request}
 * tells the two apart (NAS requests carry `x-acs-action` or an ACS3 signature and go to `/`).
 *
 * Addressing: path style (`http://127.0.0.1:PORT/<bucket>/<key>`, what the project's client uses for
 * loopback endpoints) and virtual-hosted style (`Host: <bucket>.<anything>`, what OSS itself requires) when
 * the first label of the Host names a known bucket.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type * as http from 'node:http';
import { crc32 } from 'node:zlib';
import type { KeyRecord } from '../auth.js';
import { errorXml, S3Error, xmlEscape } from './errors.js';
import { decodeAwsChunked, parseQuery, percentDecode, sha256Hex, uriEncode, verifySigV4, type VerifiedAuth } from './sigv4.js';
import { deleteObject, headObject, keysUnder, listedInfo, putObject } from './store.js';

/** One answered S3 request, for the emulator's request lines (no secrets: no headers, no bodies). */
export interface S3RequestEntry {
  readonly timeMs: number;
  readonly requestId: string;
  readonly operation: string;
  readonly bucket?: string;
  readonly key?: string;
  readonly accessKeyId?: string;
  readonly status: number;
  readonly code?: string;
}

export interface S3HandlerOptions {
  /** The keys the NAS side accepts (the same live map: keys added later work here too). */
  readonly keys: ReadonlyMap<string, KeyRecord>;
  /** Local directory of a bucket the emulator knows, else undefined (NoSuchBucket). */
  readonly bucketDir: (bucket: string) => string | undefined;
  /** Wall clock for the x-amz-date window (the SDK signs with real time, whatever the emulator clock says). */
  readonly now?: () => number;
  readonly onRequest?: (entry: S3RequestEntry) => void;
}

/** Largest body the endpoint takes (the emulator keeps it in memory). */
export const MAX_S3_BODY_BYTES = 256 * 1024 * 1024;
/** ListObjectsV2 returns at most 1000 keys per page. */
const MAX_KEYS_LIMIT = 1000;
const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** Whether a request is for the S3 endpoint rather than the NAS OpenAPI. */
export function isS3Request(req: http.IncomingMessage): boolean {
  if (req.headers['x-acs-action'] !== undefined) return false;
  const auth = req.headers['authorization'];
  if (typeof auth === 'string' && auth.startsWith('ACS3-')) return false;
  if (typeof auth === 'string' && auth.startsWith('AWS4-')) return true;
  if (Object.keys(req.headers).some((h) => h.startsWith('x-amz-'))) return true;
  const url = req.url ?? '/';
  const pathPart = url.includes('?') ? url.slice(0, url.indexOf('?')) : url;
  return pathPart !== '/' && pathPart !== '';
}

function headerMap(req: http.IncomingMessage): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? '').toLowerCase();
    const list = out.get(name) ?? [];
    list.push(req.rawHeaders[i + 1] ?? '');
    out.set(name, list);
  }
  return out;
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > MAX_S3_BODY_BYTES) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Token of a listing position: opaque to clients (base64url JSON), checked when it comes back. */
function encodeToken(after: string, commonPrefix: boolean): string {
  return Buffer.from(JSON.stringify({ v: 1, a: after, c: commonPrefix })).toString('base64url');
}

function decodeToken(token: string): { after: string; commonPrefix: boolean } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'v' in parsed && parsed.v === 1 && 'a' in parsed && typeof parsed.a === 'string' && 'c' in parsed && typeof parsed.c === 'boolean') {
      return { after: parsed.a, commonPrefix: parsed.c };
    }
  } catch {
    // falls through
  }
  throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect.', { ArgumentName: 'continuation-token' });
}

interface Target {
  readonly bucket?: string;
  readonly key: string;
}

/** Bucket and key from the Host (virtual-hosted) or the first path segment (path style). */
function targetOf(rawPath: string, host: string, known: (bucket: string) => boolean): Target {
  const decoded = percentDecode(rawPath);
  if (decoded === undefined) throw new S3Error('InvalidURI', 'Could not parse the specified URI.');
  const hostname = host.replace(/:\d+$/, '');
  const label = hostname.includes('.') && !/^\d+(?:\.\d+){3}$/.test(hostname) ? hostname.slice(0, hostname.indexOf('.')) : undefined;
  if (label !== undefined && known(label)) return { bucket: label, key: decoded.slice(1) };
  const rest = decoded.slice(1);
  if (rest === '') return { key: '' };
  const slash = rest.indexOf('/');
  return slash === -1 ? { bucket: rest, key: '' } : { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

/** The body's bytes as the client meant them, checked against the signed hash and any checksum. */
function payloadOf(body: Buffer, auth: VerifiedAuth, headers: ReadonlyMap<string, readonly string[]>): Buffer {
  const header = (name: string) => headers.get(name)?.[0];
  let data = body;
  let checksums = new Map<string, string>();
  if (auth.payload.kind === 'hash') {
    if (sha256Hex(body) !== auth.payload.sha256) {
      throw new S3Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
  } else if (auth.payload.kind === 'chunked') {
    const decoded = decodeAwsChunked(body, auth);
    data = decoded.data;
    checksums = decoded.trailers;
    const declared = header('x-amz-decoded-content-length');
    if (declared !== undefined && Number(declared) !== data.length) {
      throw new S3Error('IncompleteBody', 'The decoded body is not x-amz-decoded-content-length bytes long.');
    }
  }
  for (const name of ['x-amz-checksum-crc32', 'x-amz-checksum-sha256', 'x-amz-checksum-sha1']) {
    const value = header(name);
    if (value !== undefined) checksums.set(name, value);
  }
  const expected: Record<string, () => string> = {
    'x-amz-checksum-crc32': () => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(crc32(data) >>> 0);
      return b.toString('base64');
    },
    'x-amz-checksum-sha256': () => createHash('sha256').update(data).digest('base64'),
    'x-amz-checksum-sha1': () => createHash('sha1').update(data).digest('base64'),
  };
  // Other algorithms (CRC32C, CRC64NVME) are accepted unchecked: the SDK sends CRC32 unless told otherwise.
  for (const [name, value] of checksums) {
    const compute = expected[name];
    if (compute !== undefined && compute() !== value) throw new S3Error('BadDigest', `The ${name.slice('x-amz-checksum-'.length).toUpperCase()} you specified did not match the calculated checksum.`);
  }
  const md5 = header('content-md5');
  if (md5 !== undefined && createHash('md5').update(data).digest('base64') !== md5) {
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what was received.');
  }
  return data;
}

function listObjectsV2(bucket: string, dir: string, query: ReadonlyMap<string, string>): string {
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const encodingType = query.get('encoding-type');
  if (encodingType !== undefined && encodingType !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type' });
  const maxKeysText = query.get('max-keys');
  let maxKeys = MAX_KEYS_LIMIT;
  if (maxKeysText !== undefined) {
    if (!/^\d+$/.test(maxKeysText)) throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys' });
    maxKeys = Math.min(Number(maxKeysText), MAX_KEYS_LIMIT);
  }
  const token = query.get('continuation-token');
  const startAfter = query.get('start-after');
  const position = token !== undefined ? decodeToken(token) : startAfter !== undefined ? { after: startAfter, commonPrefix: false } : undefined;

  const contents: string[] = [];
  const prefixes: string[] = [];
  let count = 0;
  let last: { after: string; commonPrefix: boolean } | undefined;
  let truncated = false;
  let lastPrefix: string | undefined;
  const enc = (s: string) => xmlEscape(encodingType === 'url' ? uriEncode(s, true) : s);
  const afterBytes = position === undefined ? undefined : Buffer.from(position.after, 'utf8');
  for (const key of keysUnder(dir, prefix)) {
    if (position !== undefined && afterBytes !== undefined) {
      if (Buffer.compare(Buffer.from(key, 'utf8'), afterBytes) <= 0) continue;
      if (position.commonPrefix && key.startsWith(position.after)) continue;
    }
    const at = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    const commonPrefix = at === -1 ? undefined : key.slice(0, at + delimiter.length);
    if (commonPrefix !== undefined && commonPrefix === lastPrefix) continue;
    if (count >= maxKeys) {
      truncated = maxKeys > 0;
      break;
    }
    if (commonPrefix !== undefined) {
      lastPrefix = commonPrefix;
      prefixes.push(`<CommonPrefixes><Prefix>${enc(commonPrefix)}</Prefix></CommonPrefixes>`);
      last = { after: commonPrefix, commonPrefix: true };
    } else {
      const info = listedInfo(dir, key);
      if (info === undefined) continue; // deleted while listing
      contents.push(
        `<Contents><Key>${enc(key)}</Key><LastModified>${info.lastModified.toISOString()}</LastModified>` +
          `<ETag>${xmlEscape(info.eTag)}</ETag><Size>${info.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      );
      last = { after: key, commonPrefix: false };
    }
    count += 1;
  }
  const parts = [
    `<Name>${xmlEscape(bucket)}</Name>`,
    `<Prefix>${enc(prefix)}</Prefix>`,
    `<MaxKeys>${maxKeys}</MaxKeys>`,
    delimiter !== '' ? `<Delimiter>${enc(delimiter)}</Delimiter>` : '',
    encodingType !== undefined ? `<EncodingType>url</EncodingType>` : '',
    `<IsTruncated>${truncated}</IsTruncated>`,
    `<KeyCount>${count}</KeyCount>`,
    token !== undefined ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : '',
    truncated && last !== undefined ? `<NextContinuationToken>${encodeToken(last.after, last.commonPrefix)}</NextContinuationToken>` : '',
    startAfter !== undefined ? `<StartAfter>${enc(startAfter)}</StartAfter>` : '',
    ...contents,
    ...prefixes,
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${S3_NS}">${parts.join('')}</ListBucketResult>`;
}

function xmlUnescape(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g, (_, name: string, dec?: string, hex?: string) => {
    if (dec !== undefined) return String.fromCodePoint(Number(dec));
    if (hex !== undefined) return String.fromCodePoint(Number.parseInt(hex, 16));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[name] ?? '';
  });
}

function deleteObjects(dir: string, body: Buffer): string {
  const text = body.toString('utf8');
  if (!/<Delete[\s>]/.test(text)) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  const quiet = /<Quiet>\s*true\s*<\/Quiet>/i.test(text);
  const keys = [...text.matchAll(/<Object>[\s\S]*?<Key>([\s\S]*?)<\/Key>[\s\S]*?<\/Object>/g)].map((m) => xmlUnescape(m[1] ?? ''));
  if (keys.length === 0 || keys.length > 1000) throw new S3Error('MalformedXML', 'A Delete must name 1 to 1000 objects.');
  const results = keys.map((key) => {
    try {
      deleteObject(dir, key);
      return quiet ? '' : `<Deleted><Key>${xmlEscape(key)}</Key></Deleted>`;
    } catch {
      return `<Error><Key>${xmlEscape(key)}</Key><Code>InternalError</Code><Message>could not delete</Message></Error>`;
    }
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="${S3_NS}">${results.join('')}</DeleteResult>`;
}

/** `bytes=a-b` / `bytes=a-` / `bytes=-n` over `size`; undefined = whole object (absent or unsupported form). */
function rangeOf(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) throw new S3Error('InvalidArgument', 'The requested range is not satisfiable.', { ArgumentName: 'Range' });
  return { start, end };
}

/** Handles one S3 request end to end (never throws). */
export function createS3Handler(options: S3HandlerOptions) {
  const now = options.now ?? Date.now;
  return async function handleS3(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const timeMs = now();
    const requestId = randomBytes(12).toString('hex').toUpperCase();
    const host = req.headers.host ?? '127.0.0.1';
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const rawPath = url.includes('?') ? url.slice(0, url.indexOf('?')) : url;
    const rawQuery = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
    let operation = `${method} ${rawPath === '/' ? '/' : 'object'}`;
    let target: Target = { key: '' };
    let accessKeyId: string | undefined;

    const send = (status: number, headers: Record<string, string | number>, body?: Buffer | string): void => {
      if (res.destroyed || res.writableEnded) return;
      const bytes = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      res.writeHead(status, {
        'x-amz-request-id': requestId,
        server: 'cpfs-ingest-emulator',
        ...(bytes !== undefined && !('content-length' in headers) ? { 'content-length': bytes.length } : {}),
        ...headers,
      });
      if (method === 'HEAD' || bytes === undefined) res.end();
      else res.end(bytes);
    };
    const record = (status: number, code?: string): void => {
      options.onRequest?.({
        timeMs,
        requestId,
        operation,
        ...(target.bucket !== undefined ? { bucket: target.bucket } : {}),
        ...(target.key !== '' ? { key: target.key } : {}),
        ...(accessKeyId !== undefined ? { accessKeyId } : {}),
        status,
        ...(code !== undefined ? { code } : {}),
      });
    };

    try {
      const body = await readBody(req);
      if (body === undefined) throw new S3Error('EntityTooLarge', `Your proposed upload exceeds the emulator's limit of ${MAX_S3_BODY_BYTES} bytes.`);
      const headers = headerMap(req);
      target = targetOf(rawPath, host, (b) => options.bucketDir(b) !== undefined);
      const queryPairs = parseQuery(rawQuery);
      if (queryPairs === undefined) throw new S3Error('InvalidURI', 'Could not parse the specified URI.');
      const query = new Map(queryPairs);
      operation = operationOf(method, target, query);

      const auth = verifySigV4({ method, rawPath, rawQuery, headers }, options.keys, now());
      accessKeyId = auth.key.accessKeyId;

      if (target.bucket === undefined) throw new S3Error('NotImplemented', 'The emulator serves bucket and object operations only (no ListBuckets).');
      const dir = options.bucketDir(target.bucket);
      if (dir === undefined) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist.', { BucketName: target.bucket });
      const key = target.key;

      switch (operation) {
        case 'ListObjectsV2':
          send(200, { 'content-type': 'application/xml' }, listObjectsV2(target.bucket, dir, query));
          break;
        case 'HeadBucket':
          send(200, {});
          break;
        case 'DeleteObjects':
          send(200, { 'content-type': 'application/xml' }, deleteObjects(dir, payloadOf(body, auth, headers)));
          break;
        case 'HeadObject':
        case 'GetObject': {
          const info = headObject(dir, key);
          const common = { etag: info.eTag, 'last-modified': info.lastModified.toUTCString(), 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
          const range = operation === 'GetObject' ? rangeOf(headers.get('range')?.[0], info.size) : undefined;
          if (operation === 'HeadObject') send(200, { ...common, 'content-length': info.size });
          else {
            const data = readFileSync(info.file);
            if (range === undefined) send(200, common, data);
            else send(206, { ...common, 'content-range': `bytes ${range.start}-${range.end}/${info.size}` }, data.subarray(range.start, range.end + 1));
          }
          break;
        }
        case 'PutObject': {
          if (headers.has('x-amz-copy-source')) throw new S3Error('NotImplemented', 'CopyObject is not implemented by the emulator.');
          const eTag = putObject(dir, key, payloadOf(body, auth, headers));
          send(200, { etag: eTag });
          break;
        }
        case 'DeleteObject':
          deleteObject(dir, key);
          send(204, {});
          break;
        default:
          throw new S3Error('NotImplemented', `${operation} is not implemented by the emulator.`);
      }
      record(res.statusCode);
    } catch (e) {
      const error =
        e instanceof S3Error
          ? e
          : (process.emitWarning(`S3 emulator: ${(e as Error).stack ?? String(e)}`), new S3Error('InternalError', 'We encountered an internal error. Please try again.'));
      record(error.status, error.code);
      send(error.status, { 'content-type': 'application/xml' }, errorXml(error, requestId, host));
    }
  };
}

function operationOf(method: string, target: Target, query: ReadonlyMap<string, string>): string {
  if (target.bucket === undefined) return method === 'GET' ? 'ListBuckets' : `${method} /`;
  if (target.key === '') {
    if (method === 'GET' && query.get('list-type') === '2') return 'ListObjectsV2';
    if (method === 'GET') return 'ListObjects (v1) or another bucket GET';
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
    return `${method} bucket`;
  }
  if (method === 'GET') return 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'PUT') return query.has('partNumber') || query.has('uploadId') ? 'UploadPart' : 'PutObject';
  if (method === 'DELETE') return 'DeleteObject';
  return `${method} object`;
}
