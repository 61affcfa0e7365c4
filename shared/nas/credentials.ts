/**
 * Where signing credentials come from, and how they are kept out of every message. A provider is
 * called again for every attempt, so an STS token that FC rotates is picked up by the next retry.
 * Errors name the missing variables or fields, never their values.
 */
import * as z from 'zod/mini';
import { ConfigError } from '../errors.js';
import type { SigningCredentials } from './signer.js';

/** Returns the credentials to sign the next attempt with. */
export type CredentialsProvider = () => SigningCredentials | Promise<SigningCredentials>;

/** The environment variables FC sets for the function's role (docs/platform.md §4). */
export const CREDENTIAL_ENV = {
  accessKeyId: 'ALIBABA_CLOUD_ACCESS_KEY_ID',
  accessKeySecret: 'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  securityToken: 'ALIBABA_CLOUD_SECURITY_TOKEN',
} as const;

// '' counts as unset: FC and shells often export empty variables.
const present = z.string().check(z.trim(), z.minLength(1));

function toCredentials(accessKeyId: string, accessKeySecret: string, securityToken: string | undefined): SigningCredentials {
  return Object.freeze(securityToken ? { accessKeyId, accessKeySecret, securityToken } : { accessKeyId, accessKeySecret });
}

/** Fixed credentials (tests, the CLI with explicit keys). */
export function staticCredentials(credentials: SigningCredentials): CredentialsProvider {
  const frozen = toCredentials(credentials.accessKeyId, credentials.accessKeySecret, credentials.securityToken);
  return () => frozen;
}

/**
 * Credentials of an FC invocation: `context.credentials {accessKeyId, accessKeySecret, securityToken}`
 * (the STS credentials of the function's role). Read at every call, so pass the current context.
 */
export function fromFcContext(context: unknown): CredentialsProvider {
  return () => {
    const creds: unknown =
      typeof context === 'object' && context !== null ? (context as { credentials?: unknown }).credentials : undefined;
    const record = typeof creds === 'object' && creds !== null ? (creds as Record<string, unknown>) : {};
    const problems: { field: string; rule: string }[] = [];
    const id = present.safeParse(record['accessKeyId']);
    const secret = present.safeParse(record['accessKeySecret']);
    const token = present.safeParse(record['securityToken']);
    if (!id.success) problems.push({ field: 'context.credentials.accessKeyId', rule: 'must be a non-empty string' });
    if (!secret.success) problems.push({ field: 'context.credentials.accessKeySecret', rule: 'must be a non-empty string' });
    if (!id.success || !secret.success) throw new ConfigError(problems);
    return toCredentials(id.data, secret.data, token.success ? token.data : undefined);
  };
}

/**
 * Credentials from `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and (STS)
 * `ALIBABA_CLOUD_SECURITY_TOKEN`. `env` is passed in (usually `process.env`) and read at every call.
 */
export function fromEnv(env: Readonly<Record<string, string | undefined>>): CredentialsProvider {
  return () => {
    const id = present.safeParse(env[CREDENTIAL_ENV.accessKeyId]);
    const secret = present.safeParse(env[CREDENTIAL_ENV.accessKeySecret]);
    const token = present.safeParse(env[CREDENTIAL_ENV.securityToken]);
    const problems: { field: string; rule: string }[] = [];
    if (!id.success) problems.push({ field: CREDENTIAL_ENV.accessKeyId, rule: 'must be set (non-empty)' });
    if (!secret.success) problems.push({ field: CREDENTIAL_ENV.accessKeySecret, rule: 'must be set (non-empty)' });
    if (!id.success || !secret.success) throw new ConfigError(problems);
    return toCredentials(id.data, secret.data, token.success ? token.data : undefined);
  };
}

/**
 * Tries each provider in turn and returns the first credentials found. When none has any, throws one
 * ConfigError listing every provider's problems. Errors that are not ConfigError (a provider that
 * crashed) are not swallowed.
 */
export function chain(...providers: CredentialsProvider[]): CredentialsProvider {
  return async () => {
    const problems: { field: string; rule: string }[] = [];
    for (const provider of providers) {
      try {
        return await provider();
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(...error.problems);
      }
    }
    if (problems.length === 0) problems.push({ field: 'credentials', rule: 'no credentials provider was configured' });
    throw new ConfigError(problems);
  };
}

/** Marker that replaces a secret in text. */
export const REDACTED = '[REDACTED]';

/** Query parameters of signed URLs (OSS reports, STS-signed links) whose values are secrets. */
const SIGNED_URL_PARAMS = /([?&](?:Signature|OSSAccessKeyId|security-token|SecurityToken|x-oss-signature|x-oss-security-token|x-oss-credential|Expires)=)[^&\s"'<>]*/gi;

/**
 * Removes secrets from text meant for a log line or an error message: the AccessKeySecret and
 * SecurityToken of `credentials` (raw and percent-encoded forms) and the signature-bearing query
 * parameters of any signed URL. The AccessKeyId is not a secret and is kept (it helps support).
 */
export function redactSecrets(text: string, credentials?: Partial<SigningCredentials>): string {
  let result = text;
  for (const secret of [credentials?.accessKeySecret, credentials?.securityToken]) {
    if (!secret || secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) {
      result = result.split(form).join(REDACTED);
    }
  }
  return result.replace(SIGNED_URL_PARAMS, `$1${REDACTED}`);
}
