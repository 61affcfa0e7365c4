/**
 * Figures, the table printed on stdout and the JSON written to bench/results/latest.json.
 *
 * Every figure carries its value and unit, an optional ratio to a baseline measured in the same run
 * (these machines are noisy: ratios are the comparable part, absolute times are context), the target it
 * is held to (if any) and whether it met it.
 */
import { cpus, loadavg, totalmem } from 'node:os';

export interface Figure {
  /** Stable id, e.g. `planning.stream.recordsPerSecond`. */
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  /** Ratio to a baseline of the same run, and what it is a ratio to. */
  readonly ratio?: { readonly value: number; readonly against: string };
  /** The target in words (`≥ 90 %`), when the issue sets one. */
  readonly target?: string;
  /** Met the target? `undefined` when there is no target. */
  readonly pass?: boolean;
  /** Significant digits shown in the table (default 3); the JSON keeps 6. */
  readonly digits?: number;
}

/** One part of the bench: its figures and the raw details behind them. */
export interface Section {
  readonly name: string;
  readonly figures: Figure[];
  readonly details: Record<string, unknown>;
  readonly notes: string[];
  readonly durationMs: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The p-th percentile (0–100), nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Rounds to `digits` significant digits, but never below whole numbers (12,345.6 → 12,346). */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  if (Math.abs(value) >= 10 ** digits) return Math.round(value);
  return Number(value.toPrecision(digits));
}

function formatNumber(value: number, unit: string, digits: number): string {
  if (unit === '%') return `${(value * 100).toFixed(1)}`;
  if (!Number.isFinite(value)) return String(value);
  const r = round(value, digits);
  return Math.abs(r) >= 10_000 ? r.toLocaleString('en-US') : String(r);
}

/** The table: figure, value, unit, ratio, target, pass/fail. */
export function formatTable(sections: readonly Section[]): string {
  const header = ['figure', 'value', 'unit', 'ratio', 'target', 'pass'];
  const rows: string[][] = [];
  for (const section of sections) {
    for (const f of section.figures) {
      rows.push([
        f.label,
        formatNumber(f.value, f.unit, f.digits ?? 3),
        f.unit,
        f.ratio ? `${formatRatio(f.ratio.value)} ${f.ratio.against}` : '',
        f.target ?? '',
        f.pass === undefined ? '' : f.pass ? 'PASS' : 'FAIL',
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 1 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 1 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`, ...rows.map(line)].join('\n');
}

function formatRatio(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return value >= 100 ? `${Math.round(value)}×` : `${Number(value.toPrecision(3))}×`;
}

/** What the results file says about the machine the figures came from. */
export function machineInfo(): Record<string, unknown> {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    totalMemoryBytes: totalmem(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    // Other work on the machine skews absolute times; the 1-minute load average says how busy it was.
    loadAverage1m: Number((loadavg()[0] ?? 0).toFixed(2)),
  };
}

/** A copy of `items` in an order that depends only on `seed` (Fisher–Yates over a small LCG). */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = (seed * 2654435761) >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
