import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DescribeDataFlowsResponse } from '../../../shared/nas/wire.js';
import { IDS, STS_KEY, TEST_KEY, expectApiError, startTestEmulator, type EmulatorFixture } from '../../support/emulator-fixtures.js';

const MINUTE = 60_000;

describe('emulator: ACS3 signature verification', () => {
  let fx: EmulatorFixture;
  beforeEach(async () => {
    fx = await startTestEmulator();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  const describeFlows = { FileSystemId: IDS.lingjun };

  it.each(['body', 'query', 'both'] as const)('accepts a correctly signed request with parameters in the %s', async (via) => {
    const res = await fx.call('DescribeDataFlows', { ...describeFlows, Filters: [{ Key: 'DataFlowIds', Value: IDS.lingjunFlow }] }, { via });
    expect(res.status).toBe(200);
    const body = DescribeDataFlowsResponse.parse(res.body);
    expect(body.DataFlowInfo?.DataFlow?.map((d) => d.DataFlowId)).toEqual([IDS.lingjunFlow]);
  });

  it('rejects a signature made with the wrong secret (SignatureDoesNotMatch, 400)', async () => {
    const res = await fx.call('DescribeDataFlows', describeFlows, {
      credentials: { accessKeyId: TEST_KEY.accessKeyId, accessKeySecret: 'not-the-secret' },
    });
    expectApiError(res, 400, 'SignatureDoesNotMatch');
  });

  it('rejects a request whose signed header was changed after signing', async () => {
    const res = await fx.call('DescribeDataFlows', describeFlows, {
      tamper: (h) => {
        h['x-acs-signature-nonce'] = 'another-nonce';
      },
    });
    expectApiError(res, 400, 'SignatureDoesNotMatch');
  });

  it('checks x-acs-content-sha256 against the raw body bytes', async () => {
    const res = await fx.call('DescribeDataFlows', describeFlows, {
      tamper: (h) => {
        h['x-acs-content-sha256'] = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
      },
    });
    expectApiError(res, 400, 'SignatureDoesNotMatch');
    expect(String(res.body['Message'])).toContain('x-acs-content-sha256');
  });

  it('answers an unknown AccessKeyId with InvalidAccessKeyId.NotFound (404)', async () => {
    const res = await fx.call('DescribeDataFlows', describeFlows, {
      credentials: { accessKeyId: 'LTAI-nobody', accessKeySecret: 'x' },
    });
    expectApiError(res, 404, 'InvalidAccessKeyId.NotFound');
  });

  it('accepts x-acs-date within 15 minutes of its clock and rejects it beyond', async () => {
    const now = fx.emulator.clock.now();
    const ok = await fx.call('DescribeDataFlows', describeFlows, { date: new Date(now - 14 * MINUTE) });
    expect(ok.status).toBe(200);
    const late = await fx.call('DescribeDataFlows', describeFlows, { date: new Date(now - 16 * MINUTE) });
    expectApiError(late, 400, 'InvalidTimeStamp.Expired');
    const early = await fx.call('DescribeDataFlows', describeFlows, { date: new Date(now + 16 * MINUTE) });
    expectApiError(early, 400, 'InvalidTimeStamp.Expired');
  });

  it('rejects a malformed x-acs-date', async () => {
    const res = await fx.call('DescribeDataFlows', describeFlows, {
      tamper: (h) => {
        h['x-acs-date'] = '2024-07-01 12:00:00';
      },
    });
    expectApiError(res, 400, 'InvalidTimeStamp.Format');
  });

  it('rejects a nonce reused within 15 minutes and accepts it again afterwards', async () => {
    const first = await fx.call('DescribeDataFlows', describeFlows, { nonce: 'nonce-1' });
    expect(first.status).toBe(200);
    fx.emulator.clock.advance(10 * MINUTE);
    const reused = await fx.call('DescribeDataFlows', describeFlows, { nonce: 'nonce-1' });
    expectApiError(reused, 400, 'SignatureNonceUsed');
    fx.emulator.clock.advance(6 * MINUTE);
    const later = await fx.call('DescribeDataFlows', describeFlows, { nonce: 'nonce-1' });
    expect(later.status).toBe(200);
  });

  it('requires the matching security token for an STS key, and reports an expired one', async () => {
    const ok = await fx.call('DescribeDataFlows', describeFlows, { credentials: STS_KEY });
    expect(ok.status).toBe(200);

    const missing = await fx.call('DescribeDataFlows', describeFlows, {
      credentials: { accessKeyId: STS_KEY.accessKeyId, accessKeySecret: STS_KEY.accessKeySecret },
    });
    expectApiError(missing, 400, 'MissingSecurityToken');

    const wrong = await fx.call('DescribeDataFlows', describeFlows, { credentials: { ...STS_KEY, securityToken: 'other-token' } });
    expectApiError(wrong, 400, 'InvalidSecurityToken.MismatchWithAccessKey');

    fx.emulator.expireSecurityToken(STS_KEY.accessKeyId);
    const expired = await fx.call('DescribeDataFlows', describeFlows, { credentials: STS_KEY });
    expectApiError(expired, 400, 'InvalidSecurityToken.Expired');
  });

  it('requires the Authorization header and the 2017-06-26 version', async () => {
    const noAuth = await fx.call('DescribeDataFlows', describeFlows, {
      tamper: (h) => {
        delete h['authorization'];
      },
    });
    expectApiError(noAuth, 400, 'IncompleteSignature');
    const badVersion = await fx.call('DescribeDataFlows', describeFlows, { version: '2018-01-01' });
    expectApiError(badVersion, 400, 'InvalidVersion');
  });

  it('answers an unknown action with InvalidAction.NotFound (404)', async () => {
    const res = await fx.call('DeleteEverything', describeFlows);
    expectApiError(res, 404, 'InvalidAction.NotFound');
  });

  it('keeps secrets, tokens and signatures out of its request log', async () => {
    await fx.call('DescribeDataFlows', describeFlows, { credentials: STS_KEY });
    await fx.call('DescribeDataFlows', describeFlows, { via: 'query' });
    const logged = JSON.stringify(fx.emulator.log.entries);
    expect(fx.emulator.log.entries).toHaveLength(2);
    expect(logged).toContain('DescribeDataFlows');
    for (const secret of [TEST_KEY.accessKeySecret, STS_KEY.accessKeySecret, STS_KEY.securityToken, 'Signature=']) {
      expect(logged).not.toContain(secret);
    }
  });
});
