/**
 * Renders the repository's `s.yaml` with the Serverless Devs CLI itself (`s preview -o json`), offline.
 *
 * What was established about `s preview` (@serverless-devs/s 3.1.10, checked in a network-less namespace):
 * - It renders `${env('X', 'd')}`, `${vars.x}` (also inside vars), `${config('AccountID')}`, YAML anchors and
 *   merge keys without downloading the fc3 component and without any network access. `${env('X')}` with no
 *   default fails when X is unset ("env('X') not found"), which is how s.yaml marks required inputs.
 * - `${config('AccountID')}` needs a credential: with none configured it stays literally in the output. The
 *   CLI takes a key pair from the variables `AccountID`, `AccessKeyID` and `AccessKeySecret` when all three
 *   are set, so the child gets dummy values there (nothing is ever sent anywhere).
 * - On an error, or when stdout breaks, the CLI spawns a detached telemetry daemon (`lib/daemon/report.js`)
 *   that tries to reach the network; `NODE_ENV=test` turns every such daemon off, and a throwaway HOME keeps
 *   its `~/.s` logs and config (and any real credentials of the machine) out of the way.
 * - The JSON goes to stdout after a "not recommended to run as root" warning line when run as root.
 * Nothing here pretends to be `s preview`: if the CLI cannot run, rendering fails and says why.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as z from 'zod';

/** Dummy account used to render `${config('AccountID')}`; no request is ever made with it. */
export const RENDER_ACCOUNT_ID = '1234567890123456';

/** One resource of the rendered file (`resources.<name>`). */
export const RenderedResource = z.looseObject({
  component: z.string(),
  actions: z.record(z.string(), z.unknown()).optional(),
  props: z.record(z.string(), z.unknown()),
});
export type RenderedResource = z.infer<typeof RenderedResource>;

/** The whole rendered file, as `s preview -o json` prints it. */
export const RenderedSpec = z.looseObject({
  edition: z.string(),
  name: z.string(),
  access: z.string().optional(),
  vars: z.record(z.string(), z.unknown()),
  resources: z.record(z.string(), RenderedResource),
});
export type RenderedSpec = z.infer<typeof RenderedSpec>;

/** The CLI exited non-zero (or could not run); `output` holds what it printed, without colours. */
export class RenderError extends Error {
  constructor(message: string, readonly output: string) {
    super(`${message}\n${output}`);
    this.name = 'RenderError';
  }
}

export interface RenderOptions {
  /** Directory holding s.yaml. */
  readonly cwd: string;
  /** The variables s.yaml reads; nothing else from the parent environment is passed on. */
  readonly env: Readonly<Record<string, string>>;
  /** Kill the CLI after this long (default 60 s; a render takes well under 2 s). */
  readonly timeoutMs?: number;
}

/** Path of the CLI's entry script inside node_modules. */
export function serverlessDevsCliPath(): string {
  const packageJson = createRequire(import.meta.url).resolve('@serverless-devs/s/package.json');
  return join(dirname(packageJson), 'bin', 's');
}

/** ANSI colour codes the CLI puts around its messages. */
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Runs `s preview -o json` on `options.cwd/s.yaml` and parses what it prints.
 *
 * @returns the rendered file.
 * @throws RenderError when the CLI fails (its message, e.g. a missing `${env()}`, is in `output`) or prints
 *   something that is not the expected JSON.
 */
export async function renderServerlessYaml(options: RenderOptions): Promise<RenderedSpec> {
  const home = mkdtempSync(join(tmpdir(), 's-yaml-home-'));
  try {
    const { code, stdout, stderr } = await runCli(options, home);
    const output = (stdout + stderr).replace(ANSI, '');
    if (code !== 0) throw new RenderError(`s preview exited with ${code}`, output);
    return parseRendered(stdout.replace(ANSI, ''), output);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function runCli(options: RenderOptions, home: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    NODE_ENV: 'test',
    AccountID: RENDER_ACCOUNT_ID,
    AccessKeyID: 'render-only-not-a-key',
    AccessKeySecret: 'render-only-not-a-secret',
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [serverlessDevsCliPath(), 'preview', '-o', 'json'], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new RenderError(`s preview did not finish within ${options.timeoutMs ?? 60_000} ms`, stdout + stderr));
    }, options.timeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new RenderError(`s preview could not be started (${error.message})`, ''));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function parseRendered(stdout: string, output: string): RenderedSpec {
  // The JSON document starts at the first line that is exactly "{" (warnings may come before it).
  const start = stdout.search(/^\{\s*$/m);
  if (start < 0) throw new RenderError('s preview printed no JSON document', output);
  let json: unknown;
  try {
    json = JSON.parse(stdout.slice(start));
  } catch (error) {
    throw new RenderError(`s preview printed invalid JSON (${error instanceof Error ? error.message : String(error)})`, output);
  }
  const parsed = RenderedSpec.safeParse(json);
  if (!parsed.success) throw new RenderError(`unexpected shape: ${parsed.error.message}`, output);
  return parsed.data;
}
