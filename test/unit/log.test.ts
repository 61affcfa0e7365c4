import { describe, expect, it } from 'vitest';
import { ConfigError, NasApiError, NetworkError, ValidationError } from '../../shared/errors.js';
import { createHash } from 'node:crypto';
import { boundText, createLogger, isSecretFieldName, LOG_STRING_PREFIX, MAX_LOG_STRING, parseLogLevel, redactText, REDACTED, serializeError, withoutSecretStrings } from '../../shared/log.js';

// Shaped like real STS material, including characters that URL encoding changes.
const SECRET = 'Xk9/PqR+7sT2uVwY3zA4bC5dE6fG7h';
const TOKEN = 'CAIS+gF1q6Ft5B2yfSjIr5bSEfTHm/z0a2V8ZHhuNA==';
const SIGNATURE = 'e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804';

function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    write: (line) => lines.push(line),
    now: () => new Date('2024-05-01T08:00:00.000Z'),
    secrets: () => [SECRET, TOKEN],
    ...options,
  });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, event, base and fields', () => {
    const { logger, lines, parsed } = capture({ base: { fn: 'oss-stream-import' } });
    logger.info('batch.parsed', { records: 3 });
    logger.warn('quota.near', { rate: 95 });
    logger.error('submit.failed', { taskCount: 1 });
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
    expect(parsed()).toEqual([
      { time: '2024-05-01T08:00:00.000Z', level: 'info', event: 'batch.parsed', fn: 'oss-stream-import', records: 3 },
      { time: '2024-05-01T08:00:00.000Z', level: 'warn', event: 'quota.near', fn: 'oss-stream-import', rate: 95 },
      { time: '2024-05-01T08:00:00.000Z', level: 'error', event: 'submit.failed', fn: 'oss-stream-import', taskCount: 1 },
    ]);
  });

  it('child loggers add fields; fields cannot overwrite time/level/event', () => {
    const { logger, parsed } = capture();
    logger.child({ requestId: 'r-1' }).info('x', { level: 'fake', event: 'fake' });
    expect(parsed()[0]).toEqual({ time: '2024-05-01T08:00:00.000Z', level: 'info', event: 'x', requestId: 'r-1', 'field.level': 'fake', 'field.event': 'fake' });
  });

  it('serialises errors as {name, code, retryable, message} with known extras and the cause', () => {
    const { logger, parsed } = capture();
    const cause = new NetworkError('socket hang up');
    const error = new NasApiError('Throttling.User', 'Request was denied due to user flow control.', 400, true, 'REQ-1', 'CreateDataFlowSubTask');
    Object.defineProperty(error, 'cause', { value: cause });
    logger.error('call.failed', { error, validation: new ValidationError('EntryList', 'must be at most 64 KB') });
    expect(parsed()[0]).toMatchObject({
      error: {
        name: 'NasApiError', code: 'Throttling.User', retryable: true, httpStatus: 400, requestId: 'REQ-1', action: 'CreateDataFlowSubTask',
        message: 'CreateDataFlowSubTask failed: Throttling.User (HTTP 400): Request was denied due to user flow control.',
        cause: { name: 'NetworkError', code: 'NetworkError', retryable: true, message: 'socket hang up' },
      },
      validation: { name: 'ValidationError', code: 'ValidationError', retryable: false, field: 'EntryList', rule: 'must be at most 64 KB' },
    });
    expect(JSON.stringify(parsed()[0])).not.toContain('stack');
  });

  it('handles circular structures, bigints, buffers, dates, maps and sets without throwing', () => {
    const { logger, parsed } = capture();
    const loop: Record<string, unknown> = { name: 'loop' };
    loop['self'] = loop;
    logger.info('odd', {
      loop, big: 10n, buf: Buffer.from('abc'), when: new Date('2024-01-01T00:00:00Z'), map: new Map([['k', 1]]), set: new Set([1, 2]), fn: () => 1, nothing: undefined,
    });
    expect(parsed()[0]).toEqual({
      time: '2024-05-01T08:00:00.000Z', level: 'info', event: 'odd',
      loop: { name: 'loop', self: '[Circular]' }, big: '10', buf: '[3 bytes]', when: '2024-01-01T00:00:00.000Z', map: { k: 1 }, set: [1, 2],
    });
  });

  it('never throws, even when the sink or the secrets provider does', () => {
    const failingSink = createLogger({ write: () => { throw new Error('EPIPE'); } });
    expect(() => failingSink.info('x')).not.toThrow();
    const { logger, parsed } = capture({ secrets: () => { throw new Error('no creds'); } });
    expect(() => logger.info('y', { a: 1 })).not.toThrow();
    expect(parsed()[0]).toMatchObject({ event: 'y', a: 1 });
  });
});

describe('redaction', () => {
  it.each([
    'accessKeySecret', 'AccessKeySecret', 'access_key_secret', 'securityToken', 'SecurityToken', 'x-acs-security-token',
    'token', 'sessionToken', 'authorization', 'Authorization', 'signature', 'x-oss-signature', 'secret', 'password', 'credentials', 'apiKey',
  ])('%s is a secret field name', (name) => {
    expect(isSecretFieldName(name)).toBe(true);
  });

  it.each(['clientToken', 'ClientToken', 'NextToken', 'accessKeyId', 'requestId', 'key', 'signedHeaders', 'bucket', 'eTag'])('%s is not', (name) => {
    expect(isSecretFieldName(name)).toBe(false);
  });

  it.each([
    ['OSS V1 signed URL', `https://b.oss-cn-hangzhou.aliyuncs.com/report.csv?OSSAccessKeyId=STS.NUx&Expires=1714550400&Signature=${encodeURIComponent('abc+/=')}&security-token=${encodeURIComponent(TOKEN)}`],
    ['OSS V4 signed URL', 'https://b.oss-cn-hangzhou.aliyuncs.com/r?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=AK%2F20240501%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-signature=deadbeef&x-oss-security-token=tok'],
    ['S3 presigned URL', 'https://s3.oss-cn-hangzhou.aliyuncs.com/b/k?X-Amz-Credential=AK%2F20240501&X-Amz-Signature=cafe&X-Amz-Security-Token=tok'],
    ['ACS3 Authorization header', `ACS3-HMAC-SHA256 Credential=STS.NUx,SignedHeaders=host;x-acs-date,Signature=${SIGNATURE}`],
    ['V1 RPC query', `AccessKeyId=STS.NUx&SecurityToken=${encodeURIComponent(TOKEN)}&Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D`],
  ])('%s loses every signing value', (_name, text) => {
    const out = redactText(text);
    for (const value of ['abc', 'deadbeef', 'cafe', SIGNATURE, 'OLeaidS1', 'STS.NUx', 'tok', encodeURIComponent(TOKEN), 'AK%2F']) {
      expect(out).not.toContain(`=${value}`);
    }
    expect(out).toContain(`=${REDACTED}`);
  });

  it('replaces the provided secrets and their URL-encoded forms anywhere in a string', () => {
    const lowerHex = encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
    const text = `a ${SECRET} b ${encodeURIComponent(TOKEN)} c ${lowerHex} d`;
    const out = redactText(text, [SECRET, TOKEN]);
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(encodeURIComponent(TOKEN));
    expect(out).not.toContain(lowerHex);
    expect(out.startsWith('a [REDACTED] b [REDACTED] c')).toBe(true);
  });

  it('redacts secret-looking pairs inside serialised text', () => {
    const out = redactText('failed with {"accessKeySecret":"s3cr3tvalue","securityToken":"t0kenvalue","bucket":"b"}');
    expect(out).not.toMatch(/s3cr3tvalue|t0kenvalue/);
    expect(out).toContain('"bucket":"b"');
  });

  it('a secret and a token passed in many places never appear in the output', () => {
    const { logger, lines } = capture({ base: { credentials: { accessKeyId: 'STS.id', accessKeySecret: SECRET, securityToken: TOKEN } } });
    const signedUrl = `https://b.oss-cn-hangzhou.aliyuncs.com/k?OSSAccessKeyId=STS.id&Expires=1&Signature=${SIGNATURE}&security-token=${encodeURIComponent(TOKEN)}`;
    const withSecretInMessage = new Error(`signing with ${SECRET} and ${TOKEN} failed`);
    const withSecretInStack = new Error('boom');
    withSecretInStack.stack = `Error: boom ${SECRET}\n    at sign (${TOKEN})`;
    const nested = new ConfigError([{ field: 'x', rule: `saw ${TOKEN}` }]);
    Object.defineProperty(nested, 'cause', { value: { headers: { 'x-acs-security-token': TOKEN } } });

    logger.info(`event with ${SECRET}`, {
      accessKeySecret: SECRET,
      securityToken: TOKEN,
      token: TOKEN,
      Authorization: `ACS3-HMAC-SHA256 Credential=STS.id,SignedHeaders=host,Signature=${SIGNATURE}`,
      headers: { 'x-acs-security-token': TOKEN, authorization: 'x', host: 'nas.cn-hangzhou.aliyuncs.com' },
      url: signedUrl,
      urlObject: new URL(signedUrl),
      list: [SECRET, { deeper: { secret: SECRET, note: `token is ${TOKEN}` } }],
      map: new Map([[SECRET, TOKEN]]),
      stackText: withSecretInStack.stack,
      message: `request ${encodeURIComponent(SECRET)} denied`,
    });
    logger.error('failure', { error: withSecretInMessage, other: withSecretInStack, config: nested });
    logger.child({ sts: TOKEN }).warn('child');

    const output = lines.join('\n');
    for (const needle of [SECRET, TOKEN, encodeURIComponent(SECRET), encodeURIComponent(TOKEN), SIGNATURE]) {
      expect(output).not.toContain(needle);
    }
    // Useful, non-secret data survives.
    expect(output).toContain('"host":"nas.cn-hangzhou.aliyuncs.com"');
    expect(output).toContain('b.oss-cn-hangzhou.aliyuncs.com/k?');
    expect(lines).toHaveLength(3);
  });

  it('picks up rotated secrets at every line', () => {
    let current = ['first-secret-value'];
    const { logger, lines } = capture({ secrets: () => current });
    logger.info('a', { m: 'first-secret-value second-secret-value' });
    current = ['second-secret-value'];
    logger.info('b', { m: 'first-secret-value second-secret-value' });
    expect(lines[0]).not.toContain('first-secret-value');
    expect(lines[1]).not.toContain('second-secret-value');
  });

  it('serializeError redacts message and cause text', () => {
    const error = new Error(`bad ${SECRET}`, { cause: `token ${TOKEN}` });
    const out = JSON.stringify(serializeError(error, [SECRET, TOKEN]));
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(TOKEN);
  });
});

describe('withoutSecretStrings (results, not log lines)', () => {
  it('replaces the secrets and their URL-encoded forms in nested strings and field names, and nothing else', () => {
    const result = {
      mode: 'stream',
      counts: { submitted: 1, rejected: 1 },
      outcomes: [
        { status: 'rejected', key: `in/${SECRET}.txt`, reason: `SrcFilePath: bad (${encodeURIComponent(TOKEN)})` },
        { status: 'submitted', key: 'in/x-acs-signature=abc.txt' },
      ],
      [`k-${TOKEN}`]: true,
    };
    const out = withoutSecretStrings(result, [SECRET, TOKEN, undefined]);
    const text = JSON.stringify(out);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(encodeURIComponent(TOKEN));
    expect(out.outcomes[0]).toEqual({ status: 'rejected', key: `in/${REDACTED}.txt`, reason: `SrcFilePath: bad (${REDACTED})` });
    // Only the literal secrets: a key that merely looks like a signed parameter reads as it is (logs would redact it).
    expect(out.outcomes[1]).toBe(result.outcomes[1]);
    expect(out.counts).toBe(result.counts);
    expect(Object.keys(out)).toContain(`k-${REDACTED}`);
    // The input is not changed.
    expect(result.outcomes[0]?.key).toBe(`in/${SECRET}.txt`);
  });

  it('returns the very value when no string holds a secret, or when there are no secrets', () => {
    const result = { outcomes: [{ key: 'a' }, { key: 'b' }], n: 3 };
    expect(withoutSecretStrings(result, [SECRET, TOKEN])).toBe(result);
    expect(withoutSecretStrings(result, [undefined, ''])).toBe(result);
    expect(withoutSecretStrings(`x${SECRET}`, [])).toBe(`x${SECRET}`);
  });
});

describe('redaction keeps prose (issue 9: "[REDACTED] be set")', () => {
  it('a variable name followed by a word is not a secret pair', () => {
    expect(redactText('ALIBABA_CLOUD_ACCESS_KEY_SECRET: must be set')).toBe('ALIBABA_CLOUD_ACCESS_KEY_SECRET: must be set');
    expect(redactText('securityToken: missing, retry later')).toBe('securityToken: missing, retry later');
  });

  it('still redacts values that look like secrets, after = or in quotes', () => {
    expect(redactText('ALIBABA_CLOUD_ACCESS_KEY_SECRET: Xk9PqR7sT2uV')).toBe(`ALIBABA_CLOUD_ACCESS_KEY_SECRET: ${REDACTED}`);
    expect(redactText('ALIBABA_CLOUD_ACCESS_KEY_SECRET=abcdef')).toBe(`ALIBABA_CLOUD_ACCESS_KEY_SECRET=${REDACTED}`);
    expect(redactText('{"securityToken": "abcdef"}')).toBe(`{"securityToken": "${REDACTED}"}`);
  });
});

describe('log levels', () => {
  it('parses the four levels, any case, and nothing else', () => {
    expect(['debug', 'INFO', ' Warn ', 'error'].map(parseLogLevel)).toEqual(['debug', 'info', 'warn', 'error']);
    expect(parseLogLevel('verbose')).toBeUndefined();
    expect(parseLogLevel(undefined)).toBeUndefined();
  });

  it('drops lines below the level (default info)', () => {
    const byDefault = capture();
    byDefault.logger.debug('d');
    byDefault.logger.info('i');
    expect(byDefault.parsed().map((l) => l['event'])).toEqual(['i']);

    const warn = capture({ level: 'warn' });
    warn.logger.debug('d');
    warn.logger.info('i');
    warn.logger.child({ requestId: 'r' }).warn('w');
    warn.logger.error('e');
    expect(warn.parsed().map((l) => [l['level'], l['event']])).toEqual([['warn', 'w'], ['error', 'e']]);

    const debug = capture({ level: 'debug' });
    debug.logger.debug('d');
    expect(debug.parsed()[0]).toMatchObject({ level: 'debug', event: 'd' });
  });
});

describe('bounded lines (issue 13: a 10 MB key must not make a 10 MB line)', () => {
  const hash16 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

  it('boundText keeps short strings and cuts long ones to prefix + length + hash', () => {
    expect(boundText('a'.repeat(MAX_LOG_STRING))).toBe('a'.repeat(MAX_LOG_STRING));
    const long = `k/${'x'.repeat(5000)}`;
    expect(boundText(long)).toBe(`${long.slice(0, LOG_STRING_PREFIX)}…[${long.length} chars, sha256:${hash16(long)}]`);
  });

  it('never ends the prefix on half a surrogate pair', () => {
    const text = `${'a'.repeat(LOG_STRING_PREFIX - 1)}😀${'b'.repeat(2000)}`;
    const out = boundText(text);
    expect(out.startsWith(`${'a'.repeat(LOG_STRING_PREFIX - 1)}…[`)).toBe(true);
  });

  it('a 10 MB key, field name and error message make a short line; a 1,023-byte key is kept whole', () => {
    const { logger, lines } = capture();
    const huge = `big/${'k'.repeat(10 * 1024 * 1024)}`;
    const normal = `ok/${'n'.repeat(1020)}`;
    logger.warn('record.failed', { key: huge, [huge]: 1, error: new Error(huge), keys: [huge, normal], normal });
    expect(lines).toHaveLength(1);
    expect((lines[0] as string).length).toBeLessThan(4000);
    expect(lines[0]).toContain(`${huge.length} chars, sha256:${hash16(huge)}`);
    expect(lines[0]).toContain(`"normal":"${normal}"`);
  });

  it('redacts before cutting: a secret straddling the cut never shows even in part', () => {
    const { logger, lines } = capture();
    const text = `${'p'.repeat(LOG_STRING_PREFIX - 10)}${SECRET}${'q'.repeat(3000)}`;
    logger.info('x', { text });
    expect(lines[0]).not.toContain(SECRET.slice(0, 10));
    expect(lines[0]).toContain('[REDA');
  });
});
