import { describe, expect, it } from 'vitest';
import {
  classifyAttempts,
  groupAttempts,
  inWindow,
  lagStats,
  latestAttempt,
  MAX_ZONE_OFFSET_MS,
  objectLag,
  parseServiceTime,
  redriveImportToken,
  redriveSubTaskToken,
} from '../../../shared/verify/classify.js';

describe('classifyAttempts', () => {
  it.each([
    { statuses: ['COMPLETE'], kind: 'complete', attempt: 1 },
    { statuses: ['FAILED', 'COMPLETE'], kind: 'complete', attempt: 2 },
    { statuses: ['CREATED'], kind: 'in-progress', attempt: 1 },
    { statuses: ['FAILED', 'RUNNING'], kind: 'in-progress', attempt: 2 },
    { statuses: ['FAILED'], kind: 'redrive', attempt: 1 },
    { statuses: ['EXPIRED'], kind: 'redrive', attempt: 1 },
    { statuses: ['FAILED', 'EXPIRED'], kind: 'redrive', attempt: 2 },
    { statuses: ['FAILED', 'FAILED', 'FAILED'], kind: 'permanent', attempt: 3 },
    { statuses: ['EXPIRED', 'FAILED', 'EXPIRED', 'FAILED'], kind: 'permanent', attempt: 4 },
    // A COMPLETE ends a version: the failures of the next version start a fresh count.
    { statuses: ['FAILED', 'FAILED', 'COMPLETE', 'FAILED'], kind: 'redrive', attempt: 1 },
    { statuses: ['FAILED', 'FAILED', 'COMPLETE', 'FAILED', 'FAILED', 'FAILED'], kind: 'permanent', attempt: 3 },
    { statuses: ['CANCELED'], kind: 'canceled', attempt: 1 },
    { statuses: ['FAILED', 'CANCELING'], kind: 'canceled', attempt: 2 },
  ])('$statuses → $kind (attempt $attempt)', ({ statuses, kind, attempt }) => {
    expect(classifyAttempts(statuses)).toEqual({ kind, attempt });
  });
});

describe('service times and the window', () => {
  it('reads a zone-less time as UTC and says it had no zone', () => {
    expect(parseServiceTime('2024-07-01 19:59:29')).toEqual({ ms: Date.UTC(2024, 6, 1, 19, 59, 29), zoned: false });
    expect(parseServiceTime('2024-07-01T19:59:29+08:00')).toEqual({ ms: Date.UTC(2024, 6, 1, 11, 59, 29), zoned: true });
    expect(parseServiceTime('yesterday')).toBeUndefined();
  });

  const window = { sinceMs: Date.UTC(2024, 6, 2), untilMs: Date.UTC(2024, 6, 3) };
  it.each([
    { text: '2024-07-02 10:00:00', inside: true },
    // 13 h before the window as UTC: inside if the service wrote UTC+13 local time, so kept.
    { text: '2024-07-01 11:00:00', inside: true },
    { text: '2024-07-01 09:59:59', inside: false },
    { text: '2024-07-03 13:59:59', inside: true },
    { text: '2024-07-03 14:00:01', inside: false },
    // A zoned time is compared exactly.
    { text: '2024-07-01T23:00:00Z', inside: false },
    { text: '2024-07-02T00:00:00Z', inside: true },
    { text: undefined, inside: true },
  ])('$text inside: $inside', ({ text, inside }) => {
    expect(inWindow(text, window)).toBe(inside);
  });

  it('widens by 14 hours', () => {
    expect(MAX_ZONE_OFFSET_MS).toBe(14 * 3_600_000);
  });
});

describe('attempt order', () => {
  it('groups by (SrcFilePath, DstFilePath) and orders by CreateTime, then listing order', () => {
    const subs = [
      { DataFlowSubTaskId: 's3', SrcFilePath: '/a', DstFilePath: '/x/a', Status: 'CREATED', CreateTime: '2024-07-01 12:00:05' },
      { DataFlowSubTaskId: 's1', SrcFilePath: '/a', DstFilePath: '/x/a', Status: 'FAILED', CreateTime: '2024-07-01 12:00:01' },
      { DataFlowSubTaskId: 's2', SrcFilePath: '/a', DstFilePath: '/y/a', Status: 'COMPLETE', CreateTime: '2024-07-01 12:00:02' },
      { DataFlowSubTaskId: 's4', SrcFilePath: '/a', DstFilePath: '/x/a', Status: 'FAILED', CreateTime: '2024-07-01 12:00:05' },
    ];
    const groups = [...groupAttempts(subs).values()].map((g) => g.map((s) => s.DataFlowSubTaskId));
    expect(groups).toEqual([['s1', 's3', 's4'], ['s2']]);
    expect(latestAttempt(subs.filter((s) => s.DstFilePath === '/x/a'))?.DataFlowSubTaskId).toBe('s4');
  });
});

describe('re-drive tokens', () => {
  it('depend on the failed id only, are ASCII and fit the 64-character limit', () => {
    const a = redriveSubTaskToken('bmcpfs-1', 'df-1', 'subTaskId-1');
    expect(a).toBe(redriveSubTaskToken('bmcpfs-1', 'df-1', 'subTaskId-1'));
    expect(a).not.toBe(redriveSubTaskToken('bmcpfs-1', 'df-1', 'subTaskId-2'));
    expect(a).toMatch(/^cpfs-rd-[0-9a-f]{48}$/);
    expect(redriveImportToken('bmcpfs-1', 'df-1', 'task-1')).toMatch(/^cpfs-rdi-[0-9a-f]{48}$/);
    expect(redriveImportToken('bmcpfs-1', 'df-1', 'task-1').length).toBeLessThanOrEqual(64);
  });
});

describe('lag', () => {
  it('computes nearest-rank p50 / p95 / max', () => {
    expect(lagStats([])).toBeUndefined();
    const values = Array.from({ length: 100 }, (_, i) => (i + 1) * 10);
    expect(lagStats(values)).toEqual({ count: 100, p50Ms: 500, p95Ms: 950, maxMs: 1000 });
    expect(lagStats([7])).toEqual({ count: 1, p50Ms: 7, p95Ms: 7, maxMs: 7 });
  });

  it('measures from ModifyTime when the answer has it, else from the first attempt of the version', () => {
    const modifyNs = Date.UTC(2024, 6, 1, 12, 0, 0) * 1e6;
    expect(objectLag([{ DataFlowSubTaskId: 's', Status: 'COMPLETE', CreateTime: '2024-07-01 12:00:03', EndTime: '2024-07-01 12:00:10', FileDetail: { ModifyTime: modifyNs } }])).toEqual({
      ms: 10_000,
      basis: 'modify-time',
    });
    expect(
      objectLag([
        { DataFlowSubTaskId: 'old', Status: 'COMPLETE', CreateTime: '2024-07-01 11:00:00', EndTime: '2024-07-01 11:00:01' },
        { DataFlowSubTaskId: 'f', Status: 'FAILED', CreateTime: '2024-07-01 12:00:00', EndTime: '2024-07-01 12:00:01' },
        { DataFlowSubTaskId: 'c', Status: 'COMPLETE', CreateTime: '2024-07-01 12:00:02', EndTime: '2024-07-01 12:00:30' },
      ]),
    ).toEqual({ ms: 30_000, basis: 'create-time' });
    expect(objectLag([{ DataFlowSubTaskId: 'f', Status: 'FAILED' }])).toBeUndefined();
  });
});
