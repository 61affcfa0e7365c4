import { describe, expect, it } from 'vitest';
import { verifyExitCode } from '../../../cli/commands/verify.js';
import { OBJECT_STATES, type ObjectState } from '../../../shared/verify/classify.js';
import type { VerifyReport } from '../../../shared/verify/verify.js';

function report(counts: Partial<Record<ObjectState, number>>, trouble?: VerifyReport['trouble']): VerifyReport {
  const all = Object.fromEntries(OBJECT_STATES.map((s) => [s, counts[s] ?? 0])) as Record<ObjectState, number>;
  return { window: { since: '', until: '' }, counts: all, objects: [], ossCheck: 'skipped', calls: { describeSubTasks: 0, describeTasks: 0, creates: 0 }, ...(trouble ? { trouble } : {}) };
}

describe('verify exit code', () => {
  it.each([
    { name: 'all landed or on their way', counts: { complete: 3, 'in-progress': 1, 're-driven': 2, gone: 1, canceled: 1 }, code: 0 },
    { name: 'failed, not re-driven', counts: { failed: 1 }, code: 1 },
    { name: 'permanently failed', counts: { permanent: 1 }, code: 1 },
    { name: 'retryable trouble', counts: { complete: 1 }, trouble: { code: 'Throttling', message: 'x', retryable: true }, code: 3 },
    { name: 'permanent wins over trouble', counts: { permanent: 1 }, trouble: { code: 'Throttling', message: 'x', retryable: true }, code: 1 },
    { name: 'non-retryable trouble', counts: {}, trouble: { code: 'Forbidden.RAM', message: 'x', retryable: false }, code: 1 },
  ])('$name → $code', ({ counts, trouble, code }) => {
    expect(verifyExitCode(report(counts, trouble))).toBe(code);
  });
});
