/**
 * The variables shared/config gained for listing and reconcile: OSS_BUCKET (→ planning.bucket, so records
 * of other buckets are rejected), OSS_S3_ENDPOINT, CPFS_RECONCILE_PREFIXES, CPFS_RECONCILE_SAFETY_MARGIN_SECONDS,
 * and `require` — every problem still reported at once.
 */
import { describe, expect, it } from 'vitest';
import { listingRegion } from '../../../shared/backfill.js';
import { loadConfig } from '../../../shared/config/load-config.js';
import { MAX_OSS_KEY_BYTES } from '../../../shared/cpfs/limits.js';
import { listObjects } from '../../../shared/oss/listing.js';
import { ConfigError } from '../../../shared/errors.js';
import { planSubmissions } from '../../../shared/planning/index.js';

const base = { CPFS_FILE_SYSTEM_ID: 'bmcpfs-cfg0001', CPFS_DATA_FLOW_ID: 'df-cfg0001', FC_REGION: 'cn-hangzhou' } as const;

function problems(env: Record<string, string>, require: Array<'OSS_BUCKET'> = []): Array<{ field: string; rule: string }> {
  try {
    loadConfig(env, { require });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  return expect.fail('accepted');
}

describe('OSS and reconcile variables', () => {
  it('are absent from the config when unset, and parsed when set', () => {
    const plain = loadConfig(base);
    expect(plain).not.toHaveProperty('bucket');
    expect(plain.planning).not.toHaveProperty('bucket');
    const full = loadConfig({
      ...base, OSS_BUCKET: 'my-bucket', OSS_S3_ENDPOINT: 'https://s3.oss-cn-hangzhou-internal.aliyuncs.com/',
      CPFS_RECONCILE_PREFIXES: '["a/","b/","a/"]', CPFS_RECONCILE_SAFETY_MARGIN_SECONDS: '120',
    });
    expect(full).toMatchObject({
      bucket: 'my-bucket', ossS3Endpoint: 'https://s3.oss-cn-hangzhou-internal.aliyuncs.com', reconcilePrefixes: ['a/', 'b/'], reconcileSafetyMarginSeconds: 120,
      planning: { bucket: 'my-bucket' },
    });
    expect(full.notes).toEqual([]); // CPFS_RECONCILE_* are known names now
  });

  it('rejects records of another bucket once OSS_BUCKET is set', () => {
    const config = loadConfig({ ...base, OSS_BUCKET: 'my-bucket' });
    const plan = planSubmissions([{ bucket: 'other-bucket', key: 'a.txt', eventName: 'ObjectCreated:PutObject' }], config.planning);
    expect(plan.rejected.map((r) => r.kind)).toEqual(['other-bucket']);
  });

  it('reports every problem at once, naming the variable and the rule', () => {
    expect(problems({ ...base, OSS_BUCKET: 'oss://My_Bucket', OSS_S3_ENDPOINT: 'http://s3.example.com', CPFS_RECONCILE_PREFIXES: '/abs/, ok/', CPFS_RECONCILE_SAFETY_MARGIN_SECONDS: '-5', CPFS_DATA_FLOW_ID: '' })).toEqual([
      { field: 'CPFS_DATA_FLOW_ID', rule: 'is required' },
      { field: 'OSS_BUCKET', rule: expect.stringContaining('without oss://') },
      { field: 'OSS_S3_ENDPOINT', rule: 'must use https (http is allowed only for loopback hosts)' },
      { field: 'CPFS_RECONCILE_PREFIXES[0]', rule: 'must not start with / (OSS keys never do)' },
      { field: 'CPFS_RECONCILE_SAFETY_MARGIN_SECONDS', rule: 'must be a whole number from 0 to 604800' },
    ]);
    expect(problems({ ...base, CPFS_SOURCE_STORAGE_PATH: '/data/', CPFS_RECONCILE_PREFIXES: 'logs/' })).toEqual([
      { field: 'CPFS_RECONCILE_PREFIXES[0]', rule: expect.stringContaining('outside CPFS_SOURCE_STORAGE_PATH') },
    ]);
    expect(problems({ ...base, CPFS_RECONCILE_PREFIXES: '[1]' })[0]?.field).toBe('CPFS_RECONCILE_PREFIXES');
    expect(problems({ ...base, CPFS_RECONCILE_PREFIXES: ' , ' })[0]?.rule).toContain('at least one prefix');
  });

  it('counts a reconcile prefix in UTF-8 bytes against the OSS key limit (MAX_OSS_KEY_BYTES), like the listing', async () => {
    // 511 × "é" (2 bytes) + "/" = 1,023 bytes in 512 characters: the longest prefix; one more byte is refused.
    const longest = `${'é'.repeat(511)}/`;
    expect(Buffer.byteLength(longest, 'utf8')).toBe(MAX_OSS_KEY_BYTES);
    expect(loadConfig({ ...base, CPFS_RECONCILE_PREFIXES: JSON.stringify([longest]) }).reconcilePrefixes).toEqual([longest]);
    expect(problems({ ...base, CPFS_RECONCILE_PREFIXES: JSON.stringify([`x${longest}`]) })).toEqual([
      { field: 'CPFS_RECONCILE_PREFIXES[0]', rule: `must be at most ${MAX_OSS_KEY_BYTES} bytes of UTF-8` },
    ]);
    // The listing takes the same prefix, and refuses the same one more byte before any request.
    const refused = listObjects({ client: {} as never, bucket: 'my-bucket', prefix: `x${longest}` }).next();
    await expect(refused).rejects.toThrow(`must be at most ${MAX_OSS_KEY_BYTES} bytes of UTF-8`);
  });

  it('requires OSS_BUCKET only for callers that ask, together with the other problems', () => {
    expect(problems({ ...base, CPFS_FILE_SYSTEM_ID: '' }, ['OSS_BUCKET']).map((p) => p.field)).toEqual(['CPFS_FILE_SYSTEM_ID', 'OSS_BUCKET']);
    expect(() => loadConfig(base)).not.toThrow();
  });

  it('takes the listing region from the config, else from an OSS S3 endpoint', () => {
    expect(listingRegion({ region: 'cn-shanghai' })).toBe('cn-shanghai');
    expect(listingRegion({ ossS3Endpoint: 'https://s3.oss-ap-southeast-1-internal.aliyuncs.com' })).toBe('ap-southeast-1');
    expect(listingRegion({ ossS3Endpoint: 'http://127.0.0.1:4568' })).toBe('cn-hangzhou');
    expect(() => listingRegion({ ossS3Endpoint: 'https://storage.example.com' })).toThrow(ConfigError);
  });
});
