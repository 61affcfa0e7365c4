/**
 * The emulator's record of every request it received, for tests and the demo: what was asked, by which
 * key, and how it ended. Parameters are redacted (no secrets); response bodies are not kept (report links
 * are signed URLs).
 */
import type { FaultKind } from './faults.js';

export interface RequestLogEntry {
  /** 1, 2, 3… in arrival order. */
  readonly seq: number;
  /** Emulator-clock time of arrival (ms since the epoch). */
  readonly timeMs: number;
  readonly requestId: string;
  /** The x-acs-action header ('' when absent). */
  readonly action: string;
  readonly accessKeyId?: string;
  /** Merged query + body parameters, secret-bearing names removed, values over 512 characters shortened. */
  readonly params: Readonly<Record<string, string>>;
  /**
   * UTF-8 byte length of every parameter in `params`, taken before shortening — e.g. to check that no
   * EntryList sent was over 65,535 bytes, and (with the names in `params`) that no request carried two
   * mutually exclusive parameters.
   */
  readonly paramBytes: Readonly<Record<string, number>>;
  /** HTTP status sent, or null when the connection was dropped without a response. */
  readonly status: number | null;
  /** Error code when the answer was an error. */
  readonly code?: string;
  /** The injected fault, if any. */
  readonly fault?: FaultKind;
  /** Whether the action ran (a dropped-after request ran; a throttled one did not). */
  readonly executed: boolean;
  /** True when the answer replayed an earlier ClientToken result. */
  readonly replayed?: boolean;
}

export class RequestLog {
  private readonly list: RequestLogEntry[] = [];
  private seq = 0;

  /** Every entry so far, oldest first. */
  get entries(): readonly RequestLogEntry[] {
    return this.list;
  }

  /** Entries of one action. */
  forAction(action: string): RequestLogEntry[] {
    return this.list.filter((e) => e.action === action);
  }

  /** Forgets every entry (the sequence keeps counting). */
  clear(): void {
    this.list.length = 0;
  }

  /** @internal used by the server. */
  append(entry: Omit<RequestLogEntry, 'seq'>): RequestLogEntry {
    const full = { ...entry, seq: ++this.seq };
    this.list.push(full);
    return full;
  }
}
