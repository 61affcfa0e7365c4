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

/** The function's own wiring (config, logger, NAS client, instance state), credentials from the environment. */
export function cliRuntime(io: CliIo, env: Env, verbose: boolean | undefined): Runtime {
  return createRuntime({ env, codeDir: process.cwd(), write: verbose ? (line) => io.stderr.write(`${line}\n`) : () => undefined });
}

/**
 * A NAS client for the read-mostly commands (doctor, status, retry-task): credentials from the environment,
 * the documented quotas as client-side limits, and few attempts so a wrong setting is reported promptly.
 */
export function cliNasClient(config: Config, env: Env, options: { maxAttempts?: number } = {}): NasClient {
  return createNasClient({ endpoint: config.nasEndpoint, credentials: fromEnv(env), maxAttempts: options.maxAttempts ?? 3 });
}

/** The S3 client listing the bucket from an operator's machine (public OSS endpoint unless OSS_S3_ENDPOINT). */
export function cliListingClient(config: Config, env: Env): S3Client {
  const provider = fromEnv(env);
  return createListingClient(config, async () => provider(), { internal: false });
}
