/**
 * The official SDK as a test-only oracle for our ACS3 signer (STYLE: "known-answer tests from the
 * official docs plus a cross-check against the official SDK"). The SDK is imported here and nowhere
 * in shared/ (bundle.test.ts checks that).
 */
import { OpenApiUtil } from '@alicloud/openapi-core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildCanonicalRequest,
  buildStringToSign,
  canonicalizeHeaderEntries,
  canonicalizeQuery,
  computeSignature,
  formatAcsDate,
  sha256Hex,
  signRequest,
} from '../../../shared/nas/signer.js';
import { encodeFormBody } from '../../../shared/nas/transport.js';

type SdkRequest = Parameters<typeof OpenApiUtil.getAuthorization>[0];
const ALGORITHM = 'ACS3-HMAC-SHA256';

/** Our step functions over one canonical request; `methodLine` is used verbatim (see vector 1). */
function signWithSteps(parts: {
  methodLine: string;
  pathname: string;
  query: Record<string, string>;
  headers: [string, string][];
  payloadHash: string;
  secret: string;
}): { signedHeaders: string; signature: string } {
  const { canonicalHeaders, signedHeaders } = canonicalizeHeaderEntries(parts.headers);
  const canonicalRequest = buildCanonicalRequest({
    method: 'GET',
    pathname: parts.pathname,
    canonicalQuery: canonicalizeQuery(parts.query),
    canonicalHeaders,
    signedHeaders,
    hashedPayload: parts.payloadHash,
  }).replace(/^GET\n/, `${parts.methodLine}\n`);
  return { signedHeaders, signature: computeSignature(parts.secret, buildStringToSign(canonicalRequest)) };
}

describe('signer vs the official SDK unit-test vectors', () => {
  // Inputs shared by the SDK's getAuthorization tests in every language of darabonba-openapi(-util).
  const query = { test: 'ok', empty: '' };
  const headers: [string, string][] = [
    ['x-acs-TEST', 'https'],
    ['x-acs-test', 'http'],
  ];
  const payloadHash = '55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23';

  it('aliyun/darabonba-openapi ts/test/util.spec.ts "getAuthorization should ok" (method and pathname unset)', () => {
    // The TS test leaves method/pathname unset: its canonical request starts with the text
    // "undefined" and an empty URI — a JS concatenation quirk. Our typed signer upper-cases real
    // methods, so that one line is given verbatim; every other step is ours.
    const first = signWithSteps({ methodLine: 'undefined', pathname: '', query, headers, payloadHash, secret: 'secret' });
    expect(first.signedHeaders).toBe('x-acs-test');
    expect(first.signature).toBe('0f2d549523cf082c83bb8135b5863614f7fe16ca7c2c7fc537e74d67374eeeac');
    const empty = signWithSteps({ methodLine: 'undefined', pathname: '', query: {}, headers: [], payloadHash, secret: 'secret' });
    expect(empty.signedHeaders).toBe('');
    expect(empty.signature).toBe('608b887e491f3e88e85276b188a4d24e29230a559464685ccbf2dcc458e1fde8');
  });

  it('aliyun/darabonba-openapi-util cpp/tests/main.cpp getAuthorization (GET, empty pathname)', () => {
    const result = signWithSteps({ methodLine: 'GET', pathname: '', query, headers, payloadHash, secret: 'secret' });
    expect(result.signature).toBe('910e59dd385879346de704a06c96613f8157aa7124e6d1c4f2bdffa1e5588187');
    // The installed SDK reads the same inputs the same way.
    const sdk = OpenApiUtil.getAuthorization(
      { method: 'GET', query, headers: Object.fromEntries(headers) } as unknown as SdkRequest,
      ALGORITHM,
      payloadHash,
      'acesskey',
      'secret',
    );
    expect(sdk).toBe(`${ALGORITHM} Credential=acesskey,SignedHeaders=x-acs-test,Signature=${result.signature}`);
  });

  it('the SDK agrees with the documented RunInstances known answer that signer.test.ts pins', () => {
    const sdk = OpenApiUtil.getAuthorization(
      {
        method: 'POST',
        pathname: '/',
        query: { ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd', RegionId: 'cn-shanghai' },
        headers: {
          host: 'ecs.cn-shanghai.aliyuncs.com',
          'x-acs-action': 'RunInstances',
          'x-acs-version': '2014-05-26',
          'x-acs-date': '2023-10-26T09:01:01Z',
          'x-acs-signature-nonce': 'd410180a5abf7fe235dd9b74aca91fc0',
          'x-acs-content-sha256': sha256Hex(''),
        },
      } as unknown as SdkRequest,
      ALGORITHM,
      sha256Hex(''),
      'YourAccessKeyId',
      'YourAccessKeySecret',
    );
    expect(sdk).toContain('Signature=e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804');
  });
});

// ---------------------------------------------------------------------------------------------
// Cross-check on generated requests.
// ---------------------------------------------------------------------------------------------

const tricky = fc.constantFrom('*', '~', "'", ' ', '+', '%', '%20', '(', ')', '!', '&', '=', '/', '?', '#', ',', '"', '\\', 'é', '中文', '😀', '\t', '');
const valueArb = fc.array(fc.oneof(tricky, fc.string({ unit: 'grapheme', maxLength: 6 }), fc.string({ maxLength: 6 })), { maxLength: 8 }).map((parts) => parts.join(''));
// Real parameter names are ASCII words with dotted flattening; the SDK does not encode names (we do),
// and the two agree exactly on such names.
const nameArb = fc.oneof(
  fc.constantFrom('FileSystemId', 'DataFlowId', 'EntryList', 'Directory', 'DstDirectory', 'ClientToken', 'Filters.1.Key', 'Filters.1.Value', 'Condition.Size', 'Condition.ModifyTime', 'DryRun'),
  fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,12}(\.[1-9][0-9]?\.[A-Z][a-z]{0,5})?$/),
);
const requestArb = fc.record({
  params: fc.dictionary(nameArb, valueArb, { maxKeys: 12, noNullPrototype: true }),
  placement: fc.constantFrom('query', 'form-sdk', 'form-ours'),
  sts: fc.option(fc.string({ minLength: 1, maxLength: 40 }).map((s) => `CAIS${s}`), { nil: undefined }),
  accessKeyId: fc.stringMatching(/^(STS\.)?[A-Za-z0-9]{8,24}$/),
  accessKeySecret: fc.string({ minLength: 1, maxLength: 40 }),
  host: fc.constantFrom('nas.cn-hangzhou.aliyuncs.com', 'nas-vpc.cn-beijing.aliyuncs.com', '127.0.0.1:18080'),
  action: fc.constantFrom('CreateDataFlowTask', 'CreateDataFlowSubTask', 'DescribeDataFlowTasks', 'CancelDataFlowTask'),
  date: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T23:59:59Z'), noInvalidDate: true }),
  nonce: fc.uuid(),
});

describe('signer vs the official SDK on generated requests', () => {
  it('produces the same Authorization as OpenApiUtil.getAuthorization for ≥ 200 requests', () => {
    let checked = 0;
    fc.assert(
      fc.property(requestArb, (r) => {
        const inBody = r.placement !== 'query';
        const body = r.placement === 'form-sdk' ? OpenApiUtil.toForm(r.params) : r.placement === 'form-ours' ? encodeFormBody(r.params) : '';
        const query = inBody ? {} : r.params;
        const date = formatAcsDate(r.date);
        const sdkHash = OpenApiUtil.hash(Buffer.from(body, 'utf8'), ALGORITHM).toString('hex');

        // The header set openapi-core builds for an RPC call (doRequest), STS headers included.
        const sdkHeaders: Record<string, string> = {
          host: r.host,
          'x-acs-version': '2017-06-26',
          'x-acs-action': r.action,
          'user-agent': 'oracle-test',
          'x-acs-date': date,
          'x-acs-signature-nonce': r.nonce,
          accept: 'application/json',
          ...(inBody ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          'x-acs-content-sha256': sdkHash,
          ...(r.sts ? { 'x-acs-accesskey-id': r.accessKeyId, 'x-acs-security-token': r.sts } : {}),
        };
        const expected = OpenApiUtil.getAuthorization(
          { method: 'POST', pathname: '/', query, headers: sdkHeaders } as unknown as SdkRequest,
          ALGORITHM,
          sdkHash,
          r.accessKeyId,
          r.accessKeySecret,
        );

        const ours = signRequest({
          method: 'POST',
          host: r.host,
          pathname: '/',
          query,
          headers: {
            'user-agent': 'oracle-test',
            accept: 'application/json',
            ...(inBody ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
            ...(r.sts ? { 'x-acs-accesskey-id': r.accessKeyId } : {}),
          },
          body,
          action: r.action,
          version: '2017-06-26',
          date: r.date,
          nonce: r.nonce,
          credentials: { accessKeyId: r.accessKeyId, accessKeySecret: r.accessKeySecret, securityToken: r.sts },
        });
        checked++;
        expect(ours.headers['x-acs-content-sha256']).toBe(sdkHash);
        expect(ours.headers['authorization']).toBe(expected);
      }),
      { seed: 20240611, numRuns: 300 },
    );
    expect(checked).toBeGreaterThanOrEqual(200);
  });
});
