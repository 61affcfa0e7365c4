/** Running the bench's child processes: plain `node`, bounded in time, environment given explicitly. */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

export interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly wallMs: number;
}

/**
 * Runs `node <script> ...args` with exactly `env` (nothing inherited: a function instance sees only its
 * own variables) and kills it after `timeoutMs`. Its stdout (the function's JSON log lines) is dropped.
 */
export function runNode(script: string, args: readonly string[], env: Readonly<Record<string, string>>, timeoutMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [script, ...args], { env: { ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-8000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, wallMs: Number(process.hrtime.bigint() - started) / 1e6 });
    });
  });
}

/** Reads and removes the JSON result file a child wrote; throws with the child's stderr if there is none. */
export function readResult<T>(file: string, run: ChildRun, what: string): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`bench: ${what} wrote no result (exit ${run.code ?? run.signal}): ${run.stderr.trim()}`);
  }
  rmSync(file, { force: true });
  return JSON.parse(text) as T;
}
