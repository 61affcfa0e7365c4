import { describe, expect, it } from 'vitest';
import { signRequest, percentEncode, canonicalizeQuery, parseAuthorization } from '../../../shared/nas/signer.js';

describe('signRequest (ACS3-HMAC-SHA256)', () => {
  it('matches the known answer of Alibaba V3 signature documentation (RunInstances sample)', () => {
    const signed = signRequest({
      method: 'POST',
      host: 'ecs.cn-shanghai.aliyuncs.com',
      pathname: '/',
      query: { ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd', RegionId: 'cn-shanghai' },
      headers: {},
      body: '',
      action: 'RunInstances',
      version: '2014-05-26',
      date: new Date('2023-10-26T09:01:01Z'),
      nonce: 'd410180a5abf7fe235dd9b74aca91fc0',
      credentials: { accessKeyId: 'YourAccessKeyId', accessKeySecret: 'YourAccessKeySecret' },
    });
    expect(signed.signature).toBe('e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804');
    expect(signed.headers['authorization']).toBe(
      'ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804',
    );
    expect(signed.headers['x-acs-content-sha256']).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('adds and signs x-acs-security-token only for STS credentials', () => {
    const base = {
      method: 'POST', host: 'h', pathname: '/', query: {}, headers: {}, body: '', action: 'A', version: 'v',
      date: new Date(0), nonce: 'n',
    };
    const plain = signRequest({ ...base, credentials: { accessKeyId: 'id', accessKeySecret: 's' } });
    const sts = signRequest({ ...base, credentials: { accessKeyId: 'id', accessKeySecret: 's', securityToken: 'tok' } });
    expect(plain.headers['x-acs-security-token']).toBeUndefined();
    expect(sts.headers['x-acs-security-token']).toBe('tok');
    expect(sts.signedHeaders).toContain('x-acs-security-token');
    expect(sts.signature).not.toBe(plain.signature);
  });
});

describe('canonicalisation helpers', () => {
  it.each([
    [' ', '%20'], ['*', '%2A'], ['~', '~'], ["'", '%27'], ['+', '%2B'], ['%', '%25'], ['é', '%C3%A9'], ['(', '%28'], ['!', '%21'],
  ])('percentEncode(%j) = %s', (input, expected) => {
    expect(percentEncode(input)).toBe(expected);
  });

  it('sorts names and keeps empty values', () => {
    expect(canonicalizeQuery({ b: '', a: 'x y' })).toBe('a=x%20y&b=');
  });

  it('parses its own Authorization header', () => {
    expect(parseAuthorization('ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-date,Signature=abc')).toEqual({
      accessKeyId: 'AK', signedHeaders: ['host', 'x-acs-date'], signature: 'abc',
    });
    expect(parseAuthorization('HMAC-SHA1 nope')).toBeUndefined();
  });
});
