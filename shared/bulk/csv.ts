/**
 * CSV manifests for `TransferFileListPath` imports (docs/platform.md §1, "Newer API texts"): a `Name,Type`
 * header, then one row per entry. Fields are written per RFC 4180: a field holding a comma, a double quote,
 * CR or LF (or starting/ending with a space, which some readers trim) is enclosed in double quotes, and each
 * double quote inside is doubled. Lines end with CRLF (RFC 4180 §2.1). Whether the service's reader follows
 * RFC 4180 quoting is UNVERIFIED; it is the standard, and a name with a comma cannot be written otherwise.
 */
import { createHash } from 'node:crypto';

export const MANIFEST_HEADER = 'Name,Type\r\n';
export type ManifestRowType = 'file' | 'dir';

/** One CSV field, quoted only when it must be. */
export function csvField(value: string): string {
  if (/[",\r\n]/.test(value) || value.startsWith(' ') || value.endsWith(' ')) return `"${value.replaceAll('"', '""')}"`;
  return value;
}

/** One manifest line, CRLF included. */
export function manifestRow(name: string, type: ManifestRowType): string {
  return `${csvField(name)},${type}\r\n`;
}

/**
 * Parses a manifest back into rows (RFC 4180, the inverse of {@link manifestRow}); for tests and for the
 * after-merge emulator comparison. Throws on a malformed file, naming the line.
 */
export function parseManifest(text: string): Array<{ name: string; type: string }> {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  let line = 1;
  let quoted = false;
  let wasQuoted = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i += 1; continue;
      }
      if (c === '\n') line += 1;
      field += c; i += 1; continue;
    }
    if (c === '"') {
      if (field !== '' || wasQuoted) throw new Error(`manifest line ${line}: a quote inside an unquoted field`);
      quoted = true; wasQuoted = true; i += 1; continue;
    }
    if (c === ',') { record.push(field); field = ''; wasQuoted = false; i += 1; continue; }
    if (c === '\r' && text[i + 1] === '\n') {
      record.push(field); records.push(record); record = []; field = ''; wasQuoted = false; i += 2; line += 1; continue;
    }
    if (c === '\r' || c === '\n') throw new Error(`manifest line ${line}: a bare ${c === '\r' ? 'CR' : 'LF'} outside quotes`);
    field += c; i += 1;
  }
  if (quoted) throw new Error(`manifest line ${line}: unterminated quoted field`);
  if (field !== '' || record.length > 0) { record.push(field); records.push(record); }
  const [header, ...rows] = records;
  if (header === undefined || header.join(',') !== 'Name,Type') throw new Error('manifest line 1: the header must be Name,Type');
  return rows.map((cells, index) => {
    if (cells.length !== 2) throw new Error(`manifest row ${index + 1}: ${cells.length} fields, 2 expected`);
    return { name: cells[0] as string, type: cells[1] as string };
  });
}

/** Limits of one part file. Rows: a round number that keeps a part a few MB; bytes: well under any PutObject limit. */
export const DEFAULT_PART_MAX_ROWS = 100_000;
export const DEFAULT_PART_MAX_BYTES = 16 * 1024 * 1024;

/** One finished part: its body and its content hash (hex SHA-256 of the body). */
export interface ManifestPart {
  readonly rows: number;
  readonly body: string;
  readonly sha256: string;
}

/**
 * Accumulates rows into parts of at most `maxRows` rows / `maxBytes` bytes; memory stays bounded by one part.
 * `add` returns the parts completed by that row (zero or one); `flush` returns the partial one, if any.
 */
export class ManifestPartBuilder {
  private chunks: string[] = [];
  private rows = 0;
  private bytes = Buffer.byteLength(MANIFEST_HEADER);

  constructor(private readonly maxRows = DEFAULT_PART_MAX_ROWS, private readonly maxBytes = DEFAULT_PART_MAX_BYTES) {}

  get pendingRows(): number {
    return this.rows;
  }

  add(name: string, type: ManifestRowType = 'file'): ManifestPart[] {
    const row = manifestRow(name, type);
    const size = Buffer.byteLength(row);
    const done: ManifestPart[] = [];
    if (this.rows > 0 && (this.rows >= this.maxRows || this.bytes + size > this.maxBytes)) {
      const part = this.flush();
      if (part !== undefined) done.push(part);
    }
    this.chunks.push(row);
    this.rows += 1;
    this.bytes += size;
    return done;
  }

  flush(): ManifestPart | undefined {
    if (this.rows === 0) return undefined;
    const body = MANIFEST_HEADER + this.chunks.join('');
    const part = { rows: this.rows, body, sha256: createHash('sha256').update(body).digest('hex') };
    this.chunks = [];
    this.rows = 0;
    this.bytes = Buffer.byteLength(MANIFEST_HEADER);
    return part;
  }
}
