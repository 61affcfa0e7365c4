/**
 * Checks over the emulator's request log that a product-level test runs after replaying every request kind
 * the product sends (issue 8): no CreateDataFlowTask carried more than one of the mutually exclusive
 * file-list parameters, and no EntryList reached 64 KB. Both read `params` (names) and `paramBytes` (full
 * UTF-8 sizes), so they hold even when the logged value was shortened.
 */
import type { RequestLogEntry } from '../../emulator/server.js';

/** Directory, EntryList and TransferFileListPath: at most one per request (docs/platform.md §1). */
export const EXCLUSIVE_FILE_LIST_PARAMS = ['Directory', 'EntryList', 'TransferFileListPath'] as const;

/** Largest EntryList the service accepts: "less than 64 KB" of UTF-8. */
export const MAX_ENTRY_LIST_BYTES_ALLOWED = 65_535;

export interface LogViolation {
  readonly seq: number;
  readonly action: string;
  readonly problem: string;
}

/** Every logged request that carried two or more of the exclusive parameters (empty values ignored). */
export function exclusiveParameterViolations(entries: readonly RequestLogEntry[]): LogViolation[] {
  const out: LogViolation[] = [];
  for (const e of entries) {
    const present = EXCLUSIVE_FILE_LIST_PARAMS.filter((name) => (e.paramBytes[name] ?? 0) > 0);
    if (present.length > 1) out.push({ seq: e.seq, action: e.action, problem: `carries ${present.join(' + ')}` });
  }
  return out;
}

/** Every logged request whose EntryList was 65,536 bytes or more. */
export function oversizedEntryLists(entries: readonly RequestLogEntry[]): LogViolation[] {
  const out: LogViolation[] = [];
  for (const e of entries) {
    const bytes = e.paramBytes['EntryList'];
    if (bytes !== undefined && bytes > MAX_ENTRY_LIST_BYTES_ALLOWED) {
      out.push({ seq: e.seq, action: e.action, problem: `EntryList of ${bytes} bytes` });
    }
  }
  return out;
}
