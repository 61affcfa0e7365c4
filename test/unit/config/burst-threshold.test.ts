/** CPFS_BURST_THRESHOLD (shared/config/load-config.ts): unset = off, a whole number, or auto (rate × (timeout − margin)). */
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig, MAX_BURST_THRESHOLD } from '../../../shared/config/load-config.js';
import { ConfigError } from '../../../shared/errors.js';

const BASE = { CPFS_FILE_SYSTEM_ID: 'bmcpfs-unit00000026', CPFS_DATA_FLOW_ID: 'df-unit00000026', FC_REGION: 'cn-hangzhou' };

function problems(env: Record<string, string>): Array<{ field: string; rule: string }> {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('CPFS_BURST_THRESHOLD', () => {
  it('is a known variable, off when unset or empty', () => {
    expect(CONFIG_VARIABLES).toContain('CPFS_BURST_THRESHOLD');
    expect(loadConfig(BASE).burstThreshold).toBeUndefined();
    expect(loadConfig({ ...BASE, CPFS_BURST_THRESHOLD: '  ' }).burstThreshold).toBeUndefined();
  });

  it('takes a whole number from 0 to the maximum', () => {
    expect(loadConfig({ ...BASE, CPFS_BURST_THRESHOLD: '0' }).burstThreshold).toBe(0);
    expect(loadConfig({ ...BASE, CPFS_BURST_THRESHOLD: ' 500 ' }).burstThreshold).toBe(500);
    expect(loadConfig({ ...BASE, CPFS_BURST_THRESHOLD: String(MAX_BURST_THRESHOLD) }).burstThreshold).toBe(MAX_BURST_THRESHOLD);
  });

  it('auto: the configured rate over the function timeout minus the margin (FC default 60 s without a context)', () => {
    expect(loadConfig({ ...BASE, CPFS_BURST_THRESHOLD: 'auto' }).burstThreshold).toBe(5_529); // 97/s × 57 s
    expect(loadConfig({ ...BASE, CPFS_BURST_THRESHOLD: 'AUTO', CPFS_SUBTASK_RATE: '50' }, { fcContext: { function: { timeout: 120 } } }).burstThreshold).toBe(5_850); // 50/s × 117 s
  });

  it.each(['-1', '1.5', 'many', String(MAX_BURST_THRESHOLD + 1)])('refuses %j, naming the variable and the rule, not the value', (value) => {
    const found = problems({ CPFS_BURST_THRESHOLD: value });
    expect(found).toEqual([{ field: 'CPFS_BURST_THRESHOLD', rule: `must be auto or a whole number from 0 to ${MAX_BURST_THRESHOLD} (unset: no bursts)` }]);
  });
});
