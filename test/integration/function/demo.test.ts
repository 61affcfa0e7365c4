/**
 * `runDemo` (cli/demo.ts, what `npm start` runs) end to end: the embedded emulator, the built function
 * bundle, a dozen awkward keys, and the report.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_OBJECTS, displayWidth, runDemo } from '../../../cli/demo.js';
import { FUNCTION_BUNDLE } from '../../support/function-harness.js';

describe('runDemo', () => {
  it('lands every sample through the built function, refuses the bad keys, and exits 0', async () => {
    const lines: string[] = [];
    // Wide enough for the full table (the width rule has its own test below).
    const code = await runDemo({ out: (line) => lines.push(line), handlerPath: FUNCTION_BUNDLE, columns: 1000 });
    const text = lines.join('\n');
    expect(code, text).toBe(0);
    for (const sample of DEMO_OBJECTS) expect(text).toContain(sample.key);
    for (const odd of ['cat photo.jpg', 'a+b=c.png', '100% done.txt', '数据集/样本-01.csv', '🚀 launch/payload.json', 'deep/nested/dir/tensor.bin']) {
      expect(text).toContain(`/datasets/images/${odd}`);
    }
    expect(text).toContain('/ckpt/model-0001.ckpt');
    expect(text).toContain('OVERWRITE_EXISTING');
    const rows = lines.filter((l) => l.startsWith('incoming/') && l.includes('COMPLETE'));
    expect(rows).toHaveLength(DEMO_OBJECTS.filter((o) => o.expect === 'land').length);
    expect(rows.every((l) => /subTaskId-\w+/.test(l) && l.includes('ok: same bytes'))).toBe(true);
    expect(text).toMatch(/incoming\/images\/\.\.\/escape\.txt\s+rejected\s+SrcFilePath: contains a "\.\." name/);
    expect(text).toMatch(/outgoing\/report\.pdf\s+rejected\s+key is outside SourceStoragePath "\/incoming\/"/);
    expect(text).toContain('same sub-task');
    expect(text).toMatch(/13 of 13 checks passed/);
  });

  it('prints a JSON report with --json and writes the report to a file with --out FILE', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cpfs-demo-test-'));
    try {
      const file = path.join(dir, 'report.json');
      const stdout = process.stdout.write;
      const printed: string[] = [];
      process.stdout.write = ((chunk: string) => printed.push(String(chunk)) > 0) as typeof process.stdout.write;
      let code: number;
      try {
        code = await runDemo({ json: true, out: file, handlerPath: FUNCTION_BUNDLE });
      } finally {
        process.stdout.write = stdout;
      }
      expect(code).toBe(0);
      const report = JSON.parse(readFileSync(file, 'utf8')) as { ok: boolean; objects: Array<{ key: string; status: string; ok: boolean }> };
      expect(report.ok).toBe(true);
      expect(report.objects.filter((o) => o.status === 'COMPLETE')).toHaveLength(9);
      expect(report.objects.every((o) => o.ok)).toBe(true);
      expect(printed.join('')).toContain('"ok": true');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('watch mode ingests a file dropped into the folder, then stops on the signal', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cpfs-demo-watch-'));
    const controller = new AbortController();
    const lines: string[] = [];
    try {
      const done = runDemo({
        watchDir: dir,
        handlerPath: FUNCTION_BUNDLE,
        columns: 1000,
        signal: controller.signal,
        out: (line) => {
          lines.push(line);
          if (line.startsWith('Watching ')) writeFileSync(path.join(dir, 'dropped file ✓.txt'), 'hello from the watch folder\n');
          if (line.startsWith('incoming/dropped/')) controller.abort();
        },
      });
      expect(await done).toBe(0);
      const dropped = lines.find((l) => l.startsWith('incoming/dropped/'));
      expect(dropped).toMatch(/^incoming\/dropped\/dropped file ✓\.txt → incoming\/ → \/misc\/ → subTaskId-\w+ → COMPLETE → \/misc\/dropped\/dropped file ✓\.txt$/);
      expect(lines.at(-1)).toBe('Stopped watching.');
    } finally {
      controller.abort();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fits every line in the width (default 100 off a terminal) and prints every record in full with verbose', async () => {
    const plain: string[] = [];
    expect(await runDemo({ out: (l) => plain.push(l), handlerPath: FUNCTION_BUNDLE })).toBe(0);
    expect(Math.max(...plain.map(displayWidth))).toBeLessThanOrEqual(100);
    expect(plain.join('\n')).not.toContain('Every record in full');

    const verbose: string[] = [];
    expect(await runDemo({ out: (l) => verbose.push(l), handlerPath: FUNCTION_BUNDLE, columns: 60, verbose: true })).toBe(0);
    expect(Math.max(...verbose.map(displayWidth))).toBeLessThanOrEqual(60);
    const text = verbose.join('\n');
    expect(text).toContain('Every record in full:');
    // The detail lines carry what the cut table cannot: full landed paths, sub-task ids, reasons.
    expect(text).toContain('landed   /datasets/images/数据集/样本-01.csv');
    expect(verbose.filter((l) => /^ {2}sub-task +subTaskId-\w+$/.test(l))).toHaveLength(DEMO_OBJECTS.filter((o) => o.expect === 'land').length);
    expect(text).toMatch(/reason +SrcFilePath: contains a "\.\." name/);
  });

  it('reports a missing bundle with the build hint', async () => {
    const lines: string[] = [];
    expect(await runDemo({ out: (l) => lines.push(l), handlerPath: '/nonexistent/index.js' })).toBe(2);
    expect(lines.join('\n')).toContain('npm run build');
  });

  it('leaves process.env and process.stdout.write alone: the built handler gets the demo env and log sink', async () => {
    // process.env becomes a proxy that records every change; stdout.write an accessor that records every
    // assignment and every chunk written (the function's JSON log lines must go to the demo, not stdout).
    const realEnv = process.env;
    const envChanges: string[] = [];
    process.env = new Proxy({ ...realEnv }, {
      set(target, key, value, receiver) {
        envChanges.push(`set ${String(key)}`);
        return Reflect.set(target, key, value, receiver);
      },
      deleteProperty(target, key) {
        envChanges.push(`delete ${String(key)}`);
        return Reflect.deleteProperty(target, key);
      },
      defineProperty(target, key, descriptor) {
        envChanges.push(`define ${String(key)}`);
        return Reflect.defineProperty(target, key, descriptor);
      },
    });
    const stdout = process.stdout;
    const ownWrite = Object.getOwnPropertyDescriptor(stdout, 'write');
    const originalWrite = stdout.write;
    const assignments: unknown[] = [];
    const printed: string[] = [];
    const recording = function (this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
      printed.push(String(chunk));
      return (originalWrite as (...args: unknown[]) => boolean).call(stdout, chunk, ...rest);
    };
    Object.defineProperty(stdout, 'write', { configurable: true, get: () => recording, set: (value: unknown) => void assignments.push(value) });
    const lines: string[] = [];
    let code: number;
    try {
      code = await runDemo({ out: (line) => lines.push(line), handlerPath: FUNCTION_BUNDLE, columns: 1000 });
    } finally {
      process.env = realEnv;
      if (ownWrite) Object.defineProperty(stdout, 'write', ownWrite);
      else delete (stdout as { write?: unknown }).write;
    }
    expect(code, lines.join('\n')).toBe(0);
    expect(envChanges).toEqual([]);
    expect(assignments).toEqual([]);
    expect(printed.filter((chunk) => chunk.includes('"event"'))).toEqual([]);
    expect(process.stdout.write).toBe(originalWrite);
  });

  it('measures CJK and emoji as two columns', () => {
    expect([displayWidth('abc'), displayWidth('数据'), displayWidth('🚀 x')]).toEqual([3, 4, 4]);
  });
});
