import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/errors.js';
import { REDACTED, chain, fromEnv, fromFcContext, redactSecrets, staticCredentials } from '../../../shared/nas/credentials.js';

const SECRET = 'Sup3r/Secret+Key==';
const TOKEN = 'CAIS-sts/token+with=chars';

async function configErrorOf(run: () => unknown): Promise<ConfigError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('fromEnv', () => {
  it('reads the three FC variables at every call; empty token means no STS', async () => {
    const env: Record<string, string | undefined> = {
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'AKID',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET,
      ALIBABA_CLOUD_SECURITY_TOKEN: TOKEN,
    };
    const provider = fromEnv(env);
    expect(await provider()).toEqual({ accessKeyId: 'AKID', accessKeySecret: SECRET, securityToken: TOKEN });
    env['ALIBABA_CLOUD_SECURITY_TOKEN'] = '';
    expect(await provider()).toEqual({ accessKeyId: 'AKID', accessKeySecret: SECRET });
  });

  it('names the missing variables and never prints values', async () => {
    const error = await configErrorOf(() => fromEnv({ ALIBABA_CLOUD_ACCESS_KEY_ID: '', ALIBABA_CLOUD_SECURITY_TOKEN: TOKEN })());
    expect(error.problems.map((p) => p.field)).toEqual(['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET']);
    expect(error.message).toContain('ALIBABA_CLOUD_ACCESS_KEY_SECRET');
    expect(error.message).not.toContain(TOKEN);
    const partial = await configErrorOf(() => fromEnv({ ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET })());
    expect(partial.message).toContain('ALIBABA_CLOUD_ACCESS_KEY_ID');
    expect(partial.message).not.toContain(SECRET);
  });
});

describe('fromFcContext', () => {
  it('reads context.credentials', async () => {
    const provider = fromFcContext({ requestId: 'r', credentials: { accessKeyId: 'STS.ID', accessKeySecret: SECRET, securityToken: TOKEN } });
    expect(await provider()).toEqual({ accessKeyId: 'STS.ID', accessKeySecret: SECRET, securityToken: TOKEN });
  });

  it('names missing fields without values', async () => {
    const error = await configErrorOf(() => fromFcContext({ credentials: { accessKeyId: 'STS.ID', securityToken: TOKEN } })());
    expect(error.problems).toEqual([{ field: 'context.credentials.accessKeySecret', rule: 'must be a non-empty string' }]);
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain('STS.ID');
    await configErrorOf(() => fromFcContext(undefined)());
  });
});

describe('chain', () => {
  it('returns the first provider that has credentials', async () => {
    const provider = chain(fromFcContext({}), fromEnv({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'AK', ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET }));
    expect((await provider()).accessKeyId).toBe('AK');
  });

  it('lists every provider’s problems when none has credentials', async () => {
    const error = await configErrorOf(() => chain(fromFcContext({}), fromEnv({}))());
    expect(error.problems.map((p) => p.field)).toEqual([
      'context.credentials.accessKeyId',
      'context.credentials.accessKeySecret',
      'ALIBABA_CLOUD_ACCESS_KEY_ID',
      'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
    ]);
  });

  it('does not swallow a crashed provider', async () => {
    const crash = () => {
      throw new TypeError('bug');
    };
    await expect(chain(crash, staticCredentials({ accessKeyId: 'a', accessKeySecret: 'b' }))()).rejects.toBeInstanceOf(TypeError);
  });
});

describe('redactSecrets', () => {
  const creds = { accessKeyId: 'AKID', accessKeySecret: SECRET, securityToken: TOKEN };

  it('removes the secret and the token in raw, URL-encoded and JSON-escaped forms; keeps the key id', () => {
    const text = `id=AKID secret=${SECRET} enc=${encodeURIComponent(SECRET)} tok=${TOKEN} enc=${encodeURIComponent(TOKEN)} json=${JSON.stringify(TOKEN)}`;
    const redacted = redactSecrets(text, creds);
    expect(redacted).not.toContain(SECRET);
    expect(redacted).not.toContain(encodeURIComponent(SECRET));
    expect(redacted).not.toContain(TOKEN);
    expect(redacted).not.toContain(encodeURIComponent(TOKEN));
    expect(redacted).toContain('AKID');
    expect(redacted).toContain(REDACTED);
  });

  it('removes signatures and tokens from signed URLs', () => {
    const url = 'https://bucket.oss-cn-hangzhou.aliyuncs.com/report.csv?OSSAccessKeyId=STS.x&Expires=1700&Signature=abc%2Bdef&security-token=CAIS123';
    const redacted = redactSecrets(`report at ${url} done`);
    expect(redacted).not.toContain('abc%2Bdef');
    expect(redacted).not.toContain('CAIS123');
    expect(redacted).toContain('report.csv?');
    expect(redacted).toMatch(/ done$/);
  });
});
