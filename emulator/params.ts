/**
 * Request parameters as the NAS OpenAPI receives them: in the query string and/or an
 * `application/x-www-form-urlencoded` body (docs/platform.md §1: both are accepted; the V3 signature doc says RPC
 * parameters may travel in the body). Both are merged; nested values arrive flattened
 * (`Condition.Size`, `Filters.1.Key`).
 */

/** Parameters of one request after decoding, plus the names whose bytes were not valid UTF-8. */
export interface ParsedParams {
  /** Parameters from the query string only (they enter the canonical query of the signature). */
  readonly query: Record<string, string>;
  /** Query and body merged (ASSUMED: a body value wins over a query value of the same name). */
  readonly merged: Record<string, string>;
  /** Names of parameters whose percent-decoded bytes are not valid UTF-8 (→ IllegalCharacters). */
  readonly invalidUtf8: ReadonlySet<string>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function percentDecodeBytes(text: string, plusIsSpace: boolean): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 /* % */ && i + 2 < text.length && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === 0x2b /* + */ && plusIsSpace) {
      bytes.push(0x20);
    } else {
      // `text` is a byte string (latin1 view of the raw bytes): an unencoded byte stands for itself.
      bytes.push(c & 0xff);
    }
  }
  return Uint8Array.from(bytes);
}

/**
 * Parses `a=1&b=x%20y` (a byte string: the latin1 view of the raw bytes) into decoded pairs.
 * `plusIsSpace` follows form encoding (body) but not the query, whose canonical form (ACS3) encodes a
 * space as %20 and `+` as %2B.
 */
export function parseUrlEncoded(
  text: string,
  plusIsSpace: boolean,
): { values: Record<string, string>; invalidUtf8: Set<string> } {
  const values: Record<string, string> = {};
  const invalidUtf8 = new Set<string>();
  if (text === '') return { values, invalidUtf8 };
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    const nameBytes = percentDecodeBytes(rawName, plusIsSpace);
    const valueBytes = percentDecodeBytes(rawValue, plusIsSpace);
    let name: string;
    try {
      name = utf8.decode(nameBytes);
    } catch {
      name = Buffer.from(nameBytes).toString('utf8');
      invalidUtf8.add(name);
    }
    try {
      values[name] = utf8.decode(valueBytes);
    } catch {
      values[name] = Buffer.from(valueBytes).toString('utf8');
      invalidUtf8.add(name);
    }
  }
  return { values, invalidUtf8 };
}

/** Parses the query string (without `?`) and the raw body into merged parameters. */
export function parseRequestParams(rawQuery: string, body: Buffer, isForm: boolean): ParsedParams {
  const q = parseUrlEncoded(rawQuery, false);
  const merged: Record<string, string> = { ...q.values };
  const invalidUtf8 = new Set(q.invalidUtf8);
  if (isForm && body.length > 0) {
    const b = parseUrlEncoded(body.toString('latin1'), true);
    Object.assign(merged, b.values);
    for (const n of b.invalidUtf8) invalidUtf8.add(n);
  }
  return { query: q.values, merged, invalidUtf8 };
}

/** One `Filters.N.Key` / `Filters.N.Value` pair. */
export interface FilterParam {
  readonly key: string;
  readonly value: string;
}

/** Collects `Filters.N.Key`/`Filters.N.Value` in index order; a Key without a Value has value ''. */
export function readFilters(params: Readonly<Record<string, string>>): FilterParam[] {
  const byIndex = new Map<number, { key?: string; value?: string }>();
  for (const [name, value] of Object.entries(params)) {
    const m = /^Filters\.(\d+)\.(Key|Value)$/.exec(name);
    if (!m) continue;
    const index = Number(m[1]);
    const entry = byIndex.get(index) ?? {};
    if (m[2] === 'Key') entry.key = value;
    else entry.value = value;
    byIndex.set(index, entry);
  }
  return [...byIndex.entries()]
    .sort(([a], [b]) => a - b)
    .filter(([, e]) => e.key !== undefined)
    .map(([, e]) => ({ key: e.key ?? '', value: e.value ?? '' }));
}

/** Parameter names that may carry secrets (V1-style callers put them in the query); never logged. */
const SECRET_PARAM = /^(Signature|SecurityToken|AccessKeySecret|AccessKeyId)$/i;

/** A copy of the parameters safe to log: secret-bearing names dropped, long values shortened. */
export function redactParams(params: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (SECRET_PARAM.test(k)) continue;
    out[k] = v.length > 512 ? `${v.slice(0, 512)}…(${v.length} chars)` : v;
  }
  return out;
}

/** UTF-8 byte length of each parameter that `redactParams` keeps (measured on the full value). */
export function paramByteLengths(params: Readonly<Record<string, string>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(params)) {
    if (SECRET_PARAM.test(k)) continue;
    out[k] = Buffer.byteLength(v, 'utf8');
  }
  return out;
}
