/**
 * How the CLI builds what the functions build: configuration (environment + `--config`), the logger, the
 * runtime (shared/runtime.ts createRuntime: config, NAS client, credentials — the functions' own wiring, for
 * every command that calls NAS) and the listing client.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { createListingClient } from '../shared/backfill.js';
import { loadConfig, type Config, type RequirableVariable } from '../shared/config/load-config.js';
import { fromEnv } from '../shared/nas/credentials.js';
import { createRuntime, INTERACTIVE_MAX_ATTEMPTS, type Runtime } from '../shared/runtime.js';
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

/**
 * The function's own wiring (config, logger, NAS client, instance state, credentials): every command that
 * calls NAS builds on it, not on a parallel chain. The CLI has no FC context, so its credentials come from
 * the environment alone (errors name ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET). `require`: otherwise-optional
 * variables the command needs, reported with every other problem; `interactive`: an operator waits for
 * the answer (status, cancel, retry-task, doctor), so each call gets INTERACTIVE_MAX_ATTEMPTS. The core's
 * JSON log lines go to `io.stderr` with `verbose`, nowhere otherwise (the CLI prints its own report).
 * @throws ConfigError with every configuration problem
 */
export function cliRuntime(
  env: Env,
  options: { io?: CliIo; verbose?: boolean | undefined; require?: readonly RequirableVariable[]; interactive?: boolean } = {},
): Runtime {
  const { io } = options;
  return createRuntime({
    env,
    codeDir: process.cwd(),
    credentialsFrom: 'env',
    write: io !== undefined && options.verbose ? (line) => io.stderr.write(`${line}\n`) : () => undefined,
    ...(options.require !== undefined ? { require: options.require } : {}),
    ...(options.interactive ? { maxAttempts: INTERACTIVE_MAX_ATTEMPTS } : {}),
  });
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
