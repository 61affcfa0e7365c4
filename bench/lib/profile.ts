/**
 * Where the CPU time of a bundled script goes, by source module: runs it under `node --cpu-prof` and
 * attributes every sample to the original file of the function it was taken in, through the bundle's
 * source map (esbuild writes one next to every bundle, BUNDLE_OPTIONS.sourcemap). Samples taken in Node's
 * own code (a built-in module being loaded, `Buffer.from`, the JSON parser…) go to the nearest bundled
 * caller, marked `→ node`, so "shared/nas/transport.ts → node" is the built-ins that module pulls in.
 *
 * A sampling profile perturbs the timing it observes, so its shares are a breakdown to read next to the
 * medians of unprofiled runs, never a figure of their own.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileShare {
  /** `zod/v4/core/schemas.js`, `shared/events/parse-events.ts`, `shared/nas/transport.ts → node`, `(node, outside the bundle)`… */
  readonly origin: string;
  /** Share of all samples, 0–1. */
  readonly share: number;
  /** Milliseconds of samples per profiled run (sampling time, not wall time). */
  readonly msPerRun: number;
}

export interface ProfileOptions {
  /** The bundled script whose `.map` sits next to it. */
  readonly bundle: string;
  /** Arguments after `node --cpu-prof …` (e.g. `['-e', 'require(…)']` or `[script, …args]`). */
  readonly args: readonly string[];
  readonly runs: number;
  /** Where the profiles are written (and removed afterwards). */
  readonly scratchDir: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Sampling interval in µs (Node's default is 1,000). */
  readonly intervalUs?: number;
  readonly timeoutMs?: number;
}

/** Profiles `runs` fresh processes and returns the shares per source module, largest first. */
export function profileByModule(options: ProfileOptions): ProfileShare[] {
  const dir = mkdtempSync(path.join(options.scratchDir, 'cpu-prof-'));
  try {
    for (let run = 0; run < options.runs; run++) {
      const child = spawnSync(
        process.execPath,
        ['--cpu-prof', '--cpu-prof-interval', String(options.intervalUs ?? 100), '--cpu-prof-dir', dir, ...options.args],
        { env: { ...(options.env ?? {}) }, encoding: 'utf8', timeout: options.timeoutMs ?? 120_000 },
      );
      if (child.status !== 0) throw new Error(`bench: profiled child failed (${child.status ?? child.signal}): ${child.stderr}`);
    }
    const map = new SourceMap(JSON.parse(readFileSync(`${options.bundle}.map`, 'utf8')) as SourceMapPayload);
    const bundleUrl = pathToFileURL(options.bundle).href;
    const microseconds = new Map<string, number>();
    let total = 0;
    for (const file of readdirSync(dir)) {
      const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
      attribute(profile, bundleUrl, map, microseconds);
    }
    for (const us of microseconds.values()) total += us;
    return [...microseconds.entries()]
      .map(([origin, us]) => ({ origin, share: total > 0 ? us / total : 0, msPerRun: us / 1000 / options.runs }))
      .sort((a, b) => b.share - a.share);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function attribute(profile: CpuProfile, bundleUrl: string, map: SourceMap, into: Map<string, number>): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const originCache = new Map<number, string>();

  const sourceOf = (node: ProfileNode): string | undefined => {
    if (node.callFrame.url !== bundleUrl) return undefined;
    const entry = map.findEntry(node.callFrame.lineNumber, node.callFrame.columnNumber) as { originalSource?: string };
    // Top-level code of the bundle (the module wrapper, esbuild's init helpers) maps to no source.
    return entry.originalSource === undefined ? '(bundle top level)' : shortSource(entry.originalSource);
  };
  const originOf = (id: number): string => {
    const cached = originCache.get(id);
    if (cached !== undefined) return cached;
    const node = byId.get(id);
    let origin = '(node, outside the bundle)';
    if (node !== undefined) {
      const own = sourceOf(node);
      if (own !== undefined) origin = own;
      else if (node.callFrame.functionName === '(garbage collector)') origin = '(garbage collector)';
      else {
        // The public built-in closest to the bundled caller names what was being loaded or run (node:https…).
        let builtin = isPublicBuiltin(node.callFrame.url) ? node.callFrame.url : undefined;
        for (let up = parentOf.get(node.id); up !== undefined; up = parentOf.get(up)) {
          const caller = byId.get(up);
          if (caller === undefined) break;
          const source = sourceOf(caller);
          if (source !== undefined) {
            origin = `${source} → ${builtin ?? 'node'}`;
            break;
          }
          if (isPublicBuiltin(caller.callFrame.url)) builtin = caller.callFrame.url;
        }
      }
    }
    originCache.set(id, origin);
    return origin;
  };
  profile.samples.forEach((id, index) => {
    const us = profile.timeDeltas[index + 1] ?? profile.timeDeltas[index] ?? 0;
    const origin = originOf(id);
    into.set(origin, (into.get(origin) ?? 0) + Math.max(0, us));
  });
}

function isPublicBuiltin(url: string): boolean {
  return url.startsWith('node:') && !url.startsWith('node:internal/');
}

/** `…/node_modules/zod/v4/core/util.js` → `zod/v4/core/util.js`; `../../shared/x.ts` → `shared/x.ts`. */
function shortSource(source: string): string {
  const marker = 'node_modules/';
  const at = source.lastIndexOf(marker);
  if (at >= 0) return source.slice(at + marker.length);
  const match = /(?:^|\/)((?:shared|functions|bench|cli|emulator|test)\/.*)$/.exec(source);
  return match?.[1] ?? source;
}

/** The largest shares as `{origin: "12.3 % (4.5 ms)"}`, the rest summed. */
export function topShares(shares: readonly ProfileShare[], count: number): Record<string, string> {
  const out: Record<string, string> = {};
  const fmt = (share: number, ms: number) => `${(share * 100).toFixed(1)} % (${ms.toFixed(ms < 10 ? 2 : 1)} ms)`;
  for (const s of shares.slice(0, count)) out[s.origin] = fmt(s.share, s.msPerRun);
  const rest = shares.slice(count);
  if (rest.length > 0) out['(others)'] = fmt(rest.reduce((sum, s) => sum + s.share, 0), rest.reduce((sum, s) => sum + s.msPerRun, 0));
  return out;
}
