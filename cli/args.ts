/**
 * Command-line parsing on top of `node:util` `parseArgs` (no CLI framework): the options every command
 * shares, usage errors, and the value parsers (numbers, times) with messages that name the flag and the rule.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CpfsIngestError } from '../shared/errors.js';

/** A command line that cannot be run; exit code 2. */
export class UsageError extends CpfsIngestError {
  override readonly name = 'UsageError';
  readonly retryable = false;
  readonly code = 'Usage';
}

/** Options every command takes. */
export const COMMON_OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const COMMON_HELP = [
  'Common options:',
  '  --config FILE   read the configuration variables from FILE (JSON object or NAME=value lines); they',
  '                  win over the same variables in the environment',
  '  --json          machine-readable output (one JSON document on stdout)',
  '  --verbose       also write the JSON log lines of the ingest core to stderr',
  '  -h, --help      this help',
].join('\n');

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs in strict mode; its errors become UsageError. */
export function parseCommandArgs<O extends Options>(argv: readonly string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: [...argv], options: { ...COMMON_OPTIONS, ...options }, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '') : String(error));
  }
}

/** A whole number flag within [min, max]. */
export function intFlag(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A point in time: ISO 8601 (`2024-07-01`, `2024-07-01T12:00:00Z`) or an age relative to `nowMs`
 * (`90s`, `30m`, `12h`, `7d`, `2w`).
 */
export function timeFlag(name: string, value: string, nowMs: number): Date {
  const text = value.trim();
  const relative = /^(\d+)\s*([smhdw])$/.exec(text);
  if (relative) return new Date(nowMs - Number(relative[1]) * (DURATION_UNITS_MS[relative[2] as string] as number));
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw new UsageError(`--${name} must be an ISO 8601 time (2024-07-01T12:00:00Z) or an age such as 30m, 12h, 7d`);
  return new Date(ms);
}

/** A duration such as `90s`, `45m`, `2h`, `1d`, in ms. */
export function durationFlag(name: string, value: string): number {
  const match = /^(\d+)\s*([smhdw])$/.exec(value.trim());
  const ms = match ? Number(match[1]) * (DURATION_UNITS_MS[match[2] as string] as number) : 0;
  if (!match || ms <= 0) throw new UsageError(`--${name} must be a duration such as 90s, 45m, 2h`);
  return ms;
}
