/**
 * How the CLI builds what the functions build: configuration (environment + `--config`), the logger, the
 * NAS client, the runtime (for `invoke` and `backfill`, exactly the function's wiring) and the listing client.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { createListingClient } from '../shared/backfill.js';
import { loadConfig, type Config, type RequirableVariable } from '../shared/config/load-config.js';
import { createLogger, type Logger } from '../shared/log.js';
import { createNasClient, type NasClient } from '../shared/nas/client.js';
import { CREDENTIAL_ENV, fromEnv } from '../shared/nas/credentials.js';
import { createRuntime, type Runtime } from '../shared/runtime.js';
import { resolveEnv, type Env } from './config-source.js';
import type { CliIo } from './io.js';

export interface CommonFlags {
  readonly config?: string | undefined;
  readonly verbose?: boolean | undefined;
}

/** Environment with the `--config` file applied. @throws ConfigError */
export function cliEnv(io: CliIo, flags: CommonFlags): Env {
  return resolveEnv(io.env, flags.config);
}

/** The configuration, exactly as the functions load it. @throws ConfigError with every problem */
export function cliConfig(env: Env, require: readonly RequirableVariable[] = []): Config {
  return loadConfig(env, { require, codeDir: process.cwd() });
}

/** The secrets that must never be printed (for the logger's redaction). */
function secretsOf(env: Env): string[] {
  return [env[CREDENTIAL_ENV.accessKeySecret], env[CREDENTIAL_ENV.securityToken]].filter((s): s is string => typeof s === 'string' && s !== '');
}

/** JSON log lines of the core go to stderr with `--verbose`, nowhere otherwise (the CLI prints its own report). */
export function cliLogger(io: CliIo, env: Env, verbose: boolean | undefined): Logger {
  return createLogger({ write: verbose ? (line) => io.stderr.write(`${line}\n`) : () => undefined, secrets: () => secretsOf(env) });
}

/**
 * The function's own wiring (config, logger, NAS client, instance state, credentials chain — with no FC
 * context, the environment): the commands that need config + NAS client + logger build on it, not on a
 * parallel chain. `require`: otherwise-optional variables the command needs, reported with every other problem.
 */
export function cliRuntime(io: CliIo, env: Env, verbose: boolean | undefined, options: { require?: readonly RequirableVariable[] } = {}): Runtime {
  return createRuntime({
    env,
    codeDir: process.cwd(),
    write: verbose ? (line) => io.stderr.write(`${line}\n`) : () => undefined,
    ...(options.require !== undefined ? { require: options.require } : {}),
  });
}

/**
 * A NAS client for the read-mostly commands (doctor, status, retry-task): credentials from the environment,
 * the documented quotas as client-side limits, and few attempts so a wrong setting is reported promptly.
 */
export function cliNasClient(config: Config, env: Env, options: { maxAttempts?: number } = {}): NasClient {
  return createNasClient({ endpoint: config.nasEndpoint, credentials: fromEnv(env), maxAttempts: options.maxAttempts ?? 3 });
}

/**
 * The S3 client listing the bucket from an operator's machine (public OSS endpoint unless OSS_S3_ENDPOINT),
 * signing with the runtime's credentials chain.
 */
export function cliListingClient(runtime: Pick<Runtime, 'config' | 'credentials'>): S3Client {
  const { credentials } = runtime;
  return createListingClient(runtime.config, async () => credentials(), { internal: false });
}

/** The same listing client for the commands that build no runtime (plan offline, doctor with a broken config). */
export function cliEnvListingClient(config: Config, env: Env): S3Client {
  return cliListingClient({ config, credentials: fromEnv(env) });
}
