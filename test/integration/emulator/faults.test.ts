import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreateDataFlowTaskResponse } from '../../../shared/nas/wire.js';
import { IDS, expectApiError, lingjunImport, startTestEmulator, type EmulatorFixture } from '../../support/emulator-fixtures.js';

describe('emulator: fault injection', () => {
  let fx: EmulatorFixture;
  beforeEach(async () => {
    fx = await startTestEmulator({ quotas: { DescribeDataFlowTasks: null } });
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  const describeTasks = () => fx.call('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun });

  async function outcomes(n: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await describeTasks();
      out.push(res.status === 200 ? 'ok' : `${res.status} ${String(res.body['Code'])}`);
    }
    return out;
  }

  it('draws faults from a seeded PRNG: the same seed gives the same sequence', async () => {
    fx.emulator.faults.reseed(7);
    fx.emulator.faults.set('DescribeDataFlowTasks', { throttleRate: 0.2, internalErrorRate: 0.1, unavailableRate: 0.1 });
    const first = await outcomes(40);
    fx.emulator.faults.reseed(7);
    const second = await outcomes(40);
    expect(second).toEqual(first);
    expect(new Set(first)).toEqual(new Set(['ok', '400 Throttling.User', '500 InternalError', '503 ServiceUnavailable']));
    // The log records which requests were faults, and that none of them ran.
    const faulted = fx.emulator.log.entries.filter((e) => e.fault);
    expect(faulted.length).toBe(first.filter((o) => o !== 'ok').length * 2);
    expect(faulted.every((e) => !e.executed)).toBe(true);
  });

  it('applies per-action rates over the "*" rates, and clear() removes them', async () => {
    fx.emulator.faults.set('*', { internalErrorRate: 1 });
    fx.emulator.faults.set('DescribeDataFlowTasks', {});
    expect((await describeTasks()).status).toBe(200);
    expectApiError(await fx.call('DescribeDataFlows', { FileSystemId: IDS.lingjun }), 500, 'InternalError');
    fx.emulator.faults.clear();
    expect((await fx.call('DescribeDataFlows', { FileSystemId: IDS.lingjun })).status).toBe(200);
  });

  it('injectNext() fails exactly the next requests, before rates', async () => {
    fx.emulator.faults.injectNext('DescribeDataFlowTasks', 'unavailable', 2);
    expect(await outcomes(3)).toEqual(['503 ServiceUnavailable', '503 ServiceUnavailable', 'ok']);
  });

  it('drop-before: the connection dies and nothing is created', async () => {
    fx.emulator.faults.injectNext('CreateDataFlowTask', 'drop-before');
    await expect(fx.call('CreateDataFlowTask', lingjunImport({ ClientToken: 't-1' }))).rejects.toThrow();
    expect(fx.emulator.state.tasks.size).toBe(0);
    expect(fx.emulator.log.entries.at(-1)).toMatchObject({ status: null, fault: 'drop-before', executed: false });
  });

  it('drop-after: the task is created although the client saw no answer; a retry with the token gets the same TaskId', async () => {
    fx.emulator.faults.injectNext('CreateDataFlowTask', 'drop-after');
    const params = lingjunImport({ ClientToken: 't-2' });
    await expect(fx.call('CreateDataFlowTask', params)).rejects.toThrow();
    expect(fx.emulator.state.tasks.size).toBe(1);
    expect(fx.emulator.log.entries.at(-1)).toMatchObject({ status: null, fault: 'drop-after', executed: true });
    const retry = await fx.call('CreateDataFlowTask', params);
    expect(CreateDataFlowTaskResponse.parse(retry.body).TaskId).toBe([...fx.emulator.state.tasks.keys()][0]);
    expect(fx.emulator.state.tasks.size).toBe(1);
  });

  it('adds latency to the answer, enough to trip a client timeout', async () => {
    fx.emulator.faults.set('DescribeDataFlowTasks', { latencyMs: 5_000 });
    await expect(fx.call('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun }, { timeoutMs: 50 })).rejects.toThrow(/timed out/);
    fx.emulator.faults.set('DescribeDataFlowTasks', { latencyMs: 0 });
    expect((await describeTasks()).status).toBe(200);
  });

  it('rejects rates outside 0..1', () => {
    expect(() => fx.emulator.faults.set('*', { throttleRate: 1.5 })).toThrow(RangeError);
  });
});
