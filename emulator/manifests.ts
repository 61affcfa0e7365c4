/**
 * TransferFileListPath manifests (docs/platform.md §1, "Newer API texts"): an OSS directory (starts and
 * ends with `/`) holding `*.csv` files with the columns `Name,Type`; `Name` is a relative path, `Type` is
 * `file` or `dir`, and a `dir` Name ends with `/`. The emulator reads them from its local bucket directory
 * when the task starts.
 *
 * ASSUMED (the docs are silent), listed in emulator/README.md:
 * - TransferFileListPath is a path in the bucket from its root (not below SourceStoragePath);
 * - only the `*.csv` files directly in that directory are read, in name order; a header row `Name,Type`
 *   is required (a UTF-8 BOM is allowed); fields may be quoted as in RFC 4180; blank lines are skipped;
 * - one invalid manifest (missing directory, no CSV, wrong header, a bad row) fails the whole task with an
 *   ErrorMsg naming the file and line, and nothing is imported: the service validating a list before
 *   moving anything is the reading that catches a client's bad manifest soonest.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_PATH_CHARS } from './paths.js';

export interface ManifestRow {
  /** Relative path as written in the CSV. */
  readonly name: string;
  readonly type: 'file' | 'dir';
}

export type ManifestReadResult = { readonly rows: ManifestRow[] } | { readonly problem: string };

/** Splits CSV text into records of fields (RFC 4180 quoting; CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
      i += 1;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      if (c === '\r' && text[i + 1] === '\n') i += 1;
    } else {
      field += c;
    }
    i += 1;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

// C0 controls, DEL and backslash: never in a valid Name (same rule as the API's path parameters).
const BAD_CHARS = /[\u0000-\u001f\u007f\\]/;

/** Why a row is invalid, or undefined when it is valid. */
export function rowProblem(name: string, type: string): string | undefined {
  if (type !== 'file' && type !== 'dir') return `Type must be file or dir, not ${JSON.stringify(type)}`;
  if (name === '') return 'Name is empty';
  if ([...name].length > MAX_PATH_CHARS) return `Name is longer than ${MAX_PATH_CHARS} characters`;
  if (name.startsWith('/')) return 'Name must be a relative path (no leading "/")';
  if (BAD_CHARS.test(name)) return 'Name contains a control character or a backslash';
  if (type === 'dir' && !name.endsWith('/')) return 'a dir Name must end with "/"';
  if (type === 'file' && name.endsWith('/')) return 'a file Name must not end with "/"';
  const segments = (type === 'dir' ? name.slice(0, -1) : name).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return 'Name has an empty, "." or ".." segment';
  return undefined;
}

/** Reads every manifest in `dir` (a local directory), validating all rows. */
export function readManifestDir(dir: string | undefined, shownAs: string): ManifestReadResult {
  if (dir === undefined) return { problem: `TransferFileListPath ${shownAs}: the bucket is simulated (no local directory)` };
  let names: string[];
  try {
    names = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.csv'))
      .map((e) => e.name)
      .sort();
  } catch {
    return { problem: `TransferFileListPath ${shownAs} does not exist` };
  }
  if (names.length === 0) return { problem: `TransferFileListPath ${shownAs} holds no .csv file` };
  const rows: ManifestRow[] = [];
  for (const file of names) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8').replace(/^\uFEFF/, '');
    const records = parseCsv(text);
    const header = records[0];
    if (!header || header.length !== 2 || header[0] !== 'Name' || header[1] !== 'Type') {
      return { problem: `${shownAs}${file}: the first line must be the header Name,Type` };
    }
    for (let i = 1; i < records.length; i++) {
      const record = records[i] ?? [];
      if (record.length === 1 && record[0] === '') continue; // blank line
      const where = `${shownAs}${file} line ${i + 1}`;
      if (record.length !== 2) return { problem: `${where}: expected 2 fields (Name,Type), got ${record.length}` };
      const [name = '', type = ''] = record;
      const problem = rowProblem(name, type);
      if (problem) return { problem: `${where}: ${problem}` };
      rows.push({ name, type: type as 'file' | 'dir' });
    }
  }
  return { rows };
}
