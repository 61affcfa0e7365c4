/** Messages between the bench and its emulator child process (bench/children/emulator-host.ts). */
import type { EmulatorOptions } from '../../emulator/server.js';

/** The JSON-safe part of the emulator options the bench uses. */
export type HostEmulatorOptions = Pick<EmulatorOptions, 'fileSystems' | 'dataFlows' | 'quotas' | 'timings' | 'seed' | 'keys' | 'autoTickMs'>;

export type HostMessage =
  | { readonly type: 'start'; readonly options: HostEmulatorOptions; readonly maxLifetimeMs: number }
  | { readonly type: 'log' }
  | { readonly type: 'stop' };

/** One request as the emulator logged it, reduced to what the figures need. */
export interface LogEntry {
  /** Arrival, emulator clock (the wall clock here), ms since the epoch. */
  readonly t: number;
  readonly action: string;
  /** HTTP status, or null for a dropped connection. */
  readonly status: number | null;
  readonly code?: string;
  readonly token?: string;
  readonly replayed?: boolean;
}

export type HostReply =
  | { readonly type: 'ready'; readonly url: string }
  | { readonly type: 'log'; readonly entries: LogEntry[] }
  | { readonly type: 'error'; readonly message: string };
