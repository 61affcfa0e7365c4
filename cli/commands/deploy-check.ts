/**
 * `cpfs-ingest deploy-check` (`npm run deploy:check`): checks the shell variables `s.yaml` reads, offline,
 * before `s preview` / `s deploy` — every problem at once. `s` itself stops at the first missing variable
 * ("env('X') not found") and cannot judge a value; here the function's environment is rebuilt the way s.yaml
 * renders it and given to the product's own configuration loader (shared/config/load-config.ts), so
 * `CPFS_ROUTES='not json'` is caught before it reaches FC. test/integration/s-yaml.test.ts checks s.yaml
 * renders the same variables.
 */
import * as path from 'node:path';
import { closestName, CONFIG_VARIABLES, loadConfig } from '../../shared/config/load-config.js';
import { ConfigError } from '../../shared/errors.js';
import { COMMON_HELP, parseCommandArgs } from '../args.js';
import type { Env } from '../config-source.js';
import { EXIT, EXIT_CODES_HELP } from '../exit-codes.js';
import { println, printJson, type CliIo } from '../io.js';
import { cliEnv } from '../wiring.js';

/** Inputs of s.yaml that are not function settings (s.yaml's header documents each). */
export const DEPLOY_VARIABLES = [
  'CPFS_REGION', 'CPFS_TRIGGER_MODE', 'CPFS_NAME_PREFIX', 'CPFS_FC_ROLE_NAME', 'CPFS_EVENT_PREFIX', 'CPFS_EVENT_SUFFIX',
  'CPFS_MNS_QUEUE', 'CPFS_MNS_DEAD_LETTER_QUEUE', 'CPFS_FAILURE_QUEUE', 'CPFS_RECONCILE_SCHEDULE', 'CPFS_LOG_PROJECT',
  'CPFS_LOG_STORE', 'CPFS_VPC_ID', 'CPFS_VSWITCH_IDS', 'CPFS_SECURITY_GROUP_ID',
] as const;

/** s.yaml's required inputs (`${env('X')}` without a default). */
const REQUIRED = ['OSS_BUCKET', 'CPFS_FILE_SYSTEM_ID', 'CPFS_DATA_FLOW_ID', 'CPFS_LOG_PROJECT', 'CPFS_LOG_STORE'] as const;
export const TRIGGER_MODES = ['oss', 'mns-batch', 'mns'] as const;

/** Function settings s.yaml passes to both functions, and to reconcile only. */
const BOTH = [
  'CPFS_FILE_SYSTEM_ID', 'CPFS_DATA_FLOW_ID', 'OSS_BUCKET', 'CPFS_SOURCE_STORAGE_PATH', 'CPFS_ROUTES', 'CPFS_ROUTES_FILE',
  'CPFS_CONFLICT_POLICY', 'CPFS_IMPORT_MODE', 'CPFS_DRY_RUN', 'CPFS_KEY_ENCODING', 'CPFS_MAX_CONCURRENCY', 'CPFS_SUBTASK_RATE',
  'CPFS_DEADLINE_MARGIN_MS', 'CPFS_LOG_LEVEL',
] as const;
const RECONCILE_ONLY = ['CPFS_RECONCILE_PREFIXES', 'CPFS_RECONCILE_SAFETY_MARGIN_SECONDS'] as const;

export const DEPLOY_CHECK_HELP = `Usage: cpfs-ingest deploy-check [options]      (also: npm run deploy:check)

Checks, offline, the variables s.yaml reads before \`s preview\` / \`s deploy\`, and reports every problem
at once: the required inputs, CPFS_TRIGGER_MODE, the optional VPC, and the functions' own settings as s.yaml
would pass them, through the functions' configuration loader (so CPFS_ROUTES='not json' is caught here).
A relative CPFS_ROUTES_FILE is looked up in deploy/ (npm run build copies deploy/routes.json next to each
bundle). Sends nothing.
${COMMON_HELP}

${EXIT_CODES_HELP}
  (deploy-check: 0 when every variable is fine, 2 with the list of problems)`;

type Problem = { field: string; rule: string };

export interface DeployCheckResult {
  readonly triggerMode: 'oss' | 'mns-batch';
  readonly region: string;
  readonly vpc: boolean;
  readonly nasEndpoint: string;
  /** Advice (likely typos), not errors. */
  readonly notes: readonly string[];
}

const value = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
};

/**
 * The deploy variables' problems, all of them. `deployDir` is where a relative CPFS_ROUTES_FILE is looked
 * for. @throws ConfigError listing every problem.
 */
export function checkDeployVariables(env: Env, deployDir: string, readFile?: (path: string) => string): DeployCheckResult {
  const problems: Problem[] = [];
  for (const name of REQUIRED) {
    if (value(env, name) === undefined) problems.push({ field: name, rule: 'is required by s.yaml' });
  }
  const mode = value(env, 'CPFS_TRIGGER_MODE') ?? 'oss';
  if (!(TRIGGER_MODES as readonly string[]).includes(mode)) {
    problems.push({ field: 'CPFS_TRIGGER_MODE', rule: 'must be oss (native OSS trigger) or mns-batch (alias mns: batches through an MNS queue)' });
  }
  const region = value(env, 'CPFS_REGION') ?? 'cn-hangzhou';
  if (!/^[a-z]{2,}(?:-[a-z0-9]+)+$/.test(region)) problems.push({ field: 'CPFS_REGION', rule: 'must be a region id such as cn-hangzhou' });
  for (const name of ['CPFS_LOG_PROJECT', 'CPFS_LOG_STORE'] as const) {
    const v = value(env, name);
    // SLS naming: 3–63 lowercase letters, digits and hyphens (logstores also underscores), alphanumeric ends.
    const pattern = name === 'CPFS_LOG_PROJECT' ? /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/ : /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/;
    if (v !== undefined && !pattern.test(v)) {
      problems.push({ field: name, rule: `must be an SLS ${name === 'CPFS_LOG_PROJECT' ? 'project' : 'logstore'} name: 3–63 lowercase letters, digits, hyphens${name === 'CPFS_LOG_STORE' ? ' or underscores' : ''}` });
    }
  }

  const vpcId = value(env, 'CPFS_VPC_ID');
  const vSwitches = (value(env, 'CPFS_VSWITCH_IDS') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const securityGroup = value(env, 'CPFS_SECURITY_GROUP_ID');
  const vpc = vpcId !== undefined || vSwitches.length > 0 || securityGroup !== undefined;
  if (vpc) {
    if (vpcId === undefined) problems.push({ field: 'CPFS_VPC_ID', rule: 'is required when CPFS_VSWITCH_IDS or CPFS_SECURITY_GROUP_ID is set' });
    else if (!/^vpc-[0-9a-z]+$/.test(vpcId)) problems.push({ field: 'CPFS_VPC_ID', rule: 'must be vpc- followed by lowercase letters and digits' });
    if (vSwitches.length === 0) problems.push({ field: 'CPFS_VSWITCH_IDS', rule: 'is required with a VPC: comma-separated vSwitch ids (vsw-…)' });
    vSwitches.forEach((id, i) => {
      if (!/^vsw-[0-9a-z]+$/.test(id)) problems.push({ field: `CPFS_VSWITCH_IDS[${i}]`, rule: 'must be vsw- followed by lowercase letters and digits' });
    });
    if (securityGroup === undefined) problems.push({ field: 'CPFS_SECURITY_GROUP_ID', rule: 'is required with a VPC (sg-…)' });
    else if (!/^sg-[0-9a-z]+$/.test(securityGroup)) problems.push({ field: 'CPFS_SECURITY_GROUP_ID', rule: 'must be sg- followed by lowercase letters and digits' });
  }

  // The functions' environment as s.yaml renders it, plus what FC sets (FC_REGION).
  const nasEndpoint = value(env, 'NAS_ENDPOINT') ?? `https://${vpc ? 'nas-vpc' : 'nas'}.${region}.aliyuncs.com`;
  const functionEnv: Record<string, string> = { FC_REGION: region, NAS_ENDPOINT: nasEndpoint };
  for (const name of [...BOTH, ...RECONCILE_ONLY]) functionEnv[name] = env[name] ?? '';
  functionEnv['OSS_S3_ENDPOINT'] = value(env, 'OSS_S3_ENDPOINT') ?? `https://s3.oss-${region}-internal.aliyuncs.com`;
  try {
    loadConfig(functionEnv, { require: ['OSS_BUCKET'], codeDir: deployDir, ...(readFile ? { readFile } : {}) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A required variable missing is already reported above, in s.yaml's terms.
    const seen = new Set(problems.map((p) => p.field));
    for (const p of error.problems) if (!seen.has(p.field) || !p.rule.startsWith('is required')) problems.push(p);
  }
  if (problems.length > 0) throw new ConfigError(dedupe(problems));

  const known = [...CONFIG_VARIABLES, ...DEPLOY_VARIABLES] as readonly string[];
  const notes = Object.keys(env)
    .filter((name) => name.startsWith('CPFS_') && !known.includes(name))
    .map((name) => {
      const guess = closestName(name, known);
      return `${name.slice(0, 64)} is neither an s.yaml input nor a function setting and is ignored${guess ? ` (did you mean ${guess}?)` : ''}`;
    });
  return { triggerMode: mode === 'oss' ? 'oss' : 'mns-batch', region, vpc, nasEndpoint, notes };
}

function dedupe(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.field}\u0000${p.rule}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export async function runDeployCheck(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {});
  if (values.help) {
    println(io, DEPLOY_CHECK_HELP);
    return EXIT.OK;
  }
  const env = cliEnv(io, values);
  const result = checkDeployVariables(env, path.resolve('deploy'));
  if (values.json) {
    printJson(io, { ok: true, ...result });
  } else {
    for (const note of result.notes) io.stderr.write(`cpfs-ingest: warning: ${note}\n`);
    println(io, `deploy-check: ok — trigger ${result.triggerMode}, region ${result.region}, ${result.vpc ? 'in a VPC' : 'no VPC'}, NAS endpoint ${result.nasEndpoint}`);
    println(io, 'next: npx s preview -o json, then npx s deploy -y (deploy/DEPLOY.md)');
  }
  return EXIT.OK;
}
