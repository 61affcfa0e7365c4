import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreateDataFlowTaskResponse } from '../../../shared/nas/wire.js';
import { DOCUMENTED_QUOTAS } from '../../../shared/nas/rate-limit.js';
import { EMULATOR_DOCUMENTED_QUOTAS, NO_QUOTAS } from '../../../emulator/server.js';
import { IDS, expectApiError, lingjunImport, lingjunStream, startTestEmulator, type EmulatorFixture } from '../../support/emulator-fixtures.js';

describe('emulator: per-API quotas', () => {
  let fx: EmulatorFixture;
  let started: EmulatorFixture | undefined;
  const start = async (...args: Parameters<typeof startTestEmulator>): Promise<EmulatorFixture> => {
    started = await startTestEmulator(...args);
    return started;
  };
  afterEach(async () => {
    await started?.cleanup();
    started = undefined;
  });

  it('carries the documented quotas', () => {
    expect(EMULATOR_DOCUMENTED_QUOTAS).toEqual({
      CreateDataFlowTask: { limit: 120, windowMs: 60_000 },
      CreateDataFlowSubTask: { limit: 100, windowMs: 1_000 },
      DescribeDataFlowSubTasks: { limit: 100, windowMs: 1_000 },
      CancelDataFlowSubTask: { limit: 100, windowMs: 1_000 },
      DescribeDataFlowTasks: { limit: 120, windowMs: 60_000 },
      CancelDataFlowTask: { limit: 120, windowMs: 60_000 },
      DescribeDataFlows: { limit: 120, windowMs: 60_000 },
    });
  });

  it("agrees with the client's DOCUMENTED_QUOTAS wherever the client marks a figure verified", () => {
    const verified = Object.entries(DOCUMENTED_QUOTAS).filter(([, q]) => q.verified);
    expect(verified.length).toBeGreaterThanOrEqual(5);
    for (const [op, q] of verified) {
      expect({ op, ...EMULATOR_DOCUMENTED_QUOTAS[op as keyof typeof EMULATOR_DOCUMENTED_QUOTAS] }).toEqual({ op, limit: q.limit, windowMs: q.intervalMs });
    }
  });

  describe('with the documented defaults', () => {
    beforeEach(async () => {
      fx = await start();
    });

    it('throttles the 101st CreateDataFlowSubTask within one second and does not execute it', async () => {
      const stream = CreateDataFlowTaskResponse.parse((await fx.call('CreateDataFlowTask', lingjunStream())).body);
      const sub = (i: number) =>
        fx.call('CreateDataFlowSubTask', {
          FileSystemId: IDS.lingjun,
          DataFlowId: IDS.lingjunFlow,
          DataFlowTaskId: stream.TaskId,
          SrcFilePath: `/f${i}.txt`,
          DstFilePath: `/f${i}.txt`,
        });
      // The clock does not move: all 101 arrive at the same instant.
      const statuses: number[] = [];
      for (let i = 0; i < 100; i++) statuses.push((await sub(i)).status);
      expect(statuses.every((s) => s === 200)).toBe(true);
      const throttled = await sub(100);
      expectApiError(throttled, 400, 'Throttling.User');
      expect(fx.emulator.state.subTasks.size).toBe(100);
      expect(fx.emulator.log.entries.at(-1)).toMatchObject({ code: 'Throttling.User', executed: false });

      // The window slides: one second later there is room again.
      fx.emulator.clock.advance(1_000);
      expect((await sub(101)).status).toBe(200);
    });

    it('counts quotas per API: a throttled action leaves the others alone', async () => {
      fx.emulator.quotas.set('DescribeDataFlowTasks', { limit: 2, windowMs: 60_000 });
      const describe = () => fx.call('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun });
      expect((await describe()).status).toBe(200);
      expect((await describe()).status).toBe(200);
      expectApiError(await describe(), 400, 'Throttling.User');
      expect((await fx.call('CreateDataFlowTask', lingjunImport())).status).toBe(200);
      fx.emulator.clock.advance(60_000);
      expect((await describe()).status).toBe(200);
    });
  });

  it('takes overrides at start, and null switches a quota off', async () => {
    fx = await start({ quotas: { CreateDataFlowTask: { limit: 1, windowMs: 60_000 }, DescribeDataFlowTasks: null } });
    expect((await fx.call('CreateDataFlowTask', lingjunImport())).status).toBe(200);
    expectApiError(await fx.call('CreateDataFlowTask', lingjunImport({ EntryList: '["/b"]' })), 400, 'Throttling.User');
    for (let i = 0; i < 130; i++) {
      const res = await fx.call('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun });
      if (res.status !== 200) throw new Error(`request ${i} got ${res.status}`);
    }
  });
});

describe('emulator: NO_QUOTAS (what tests and benchmarks that are not about quotas run with)', () => {
  it('switches off every documented quota, and only those', () => {
    expect(Object.keys(NO_QUOTAS).sort()).toEqual(Object.keys(EMULATOR_DOCUMENTED_QUOTAS).sort());
    expect(Object.values(NO_QUOTAS).every((quota) => quota === null)).toBe(true);
  });
});
