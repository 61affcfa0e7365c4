/**
 * Where the CLI's configuration comes from: the same variables the functions read (shared/config/README.md),
 * from the environment and, with `--config FILE`, from a file.
 *
 * File formats (told apart by the first non-blank character):
 * - JSON: an object `{"CPFS_FILE_SYSTEM_ID": "bmcpfs-…", "CPFS_ROUTES": [ … ]}`. Strings are taken as they
 *   are; numbers and booleans become their text; arrays and objects (e.g. a route table) become their JSON.
 * - env file: `NAME=value` lines; blank lines and `#` comments are skipped, an `export ` prefix is allowed,
 *   a value in matching single or double quotes is taken without them (no escapes, no `$` expansion).
 *
 * Precedence: a variable set in the file wins over the same variable in the environment — the file is what
 * was named on the command line. Variables absent from the file come from the environment (credentials
 * usually do). Problems name the line or key, never the value (a file may hold secrets).
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { ConfigError } from '../shared/errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses the text of a `--config` file into variables. @throws ConfigError naming each bad line/key. */
export function parseConfigFile(text: string, fileName: string): Record<string, string> {
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  return trimmed.startsWith('{') ? parseJsonFile(trimmed, fileName) : parseEnvFile(text, fileName);
}

function parseJsonFile(text: string, fileName: string): Record<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError([{ field: fileName, rule: 'is not valid JSON (expected an object of NAME: value)' }]);
  }
  const parsed = z.record(z.string(), z.unknown()).safeParse(json);
  if (!parsed.success || Array.isArray(json)) throw new ConfigError([{ field: fileName, rule: 'must be a JSON object of NAME: value' }]);
  const out: Record<string, string> = {};
  const problems: { field: string; rule: string }[] = [];
  for (const [name, value] of Object.entries(parsed.data)) {
    if (!NAME.test(name)) problems.push({ field: `${fileName}: ${JSON.stringify(name)}`, rule: 'is not a variable name' });
    else if (typeof value === 'string') out[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') out[name] = String(value);
    else if (value === null) problems.push({ field: `${fileName}: ${name}`, rule: 'must not be null (leave it out to unset it)' });
    else out[name] = JSON.stringify(value);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

function parseEnvFile(text: string, fileName: string): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: { field: string; rule: string }[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const body = line.startsWith('export ') ? line.slice(7).trimStart() : line;
    const eq = body.indexOf('=');
    const name = eq < 0 ? '' : body.slice(0, eq).trim();
    if (eq < 0 || !NAME.test(name)) {
      problems.push({ field: `${fileName}:${index + 1}`, rule: 'must be NAME=value' });
      return;
    }
    let value = body.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) value = value.slice(1, -1);
    out[name] = value;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/** The environment the CLI configures itself from: `env`, overlaid with the `--config` file when given. */
export function resolveEnv(env: Env, configFile: string | undefined, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): Env {
  if (configFile === undefined) return env;
  let text: string;
  try {
    text = readFile(configFile);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : 'read error';
    throw new ConfigError([{ field: '--config', rule: `cannot read ${configFile} (${code})` }]);
  }
  return { ...env, ...parseConfigFile(text, configFile) };
}
