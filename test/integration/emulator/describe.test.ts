import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CreateDataFlowTaskResponse,
  DescribeDataFlowSubTasksResponse,
  DescribeDataFlowTasksResponse,
  DescribeDataFlowsResponse,
} from '../../../shared/nas/wire.js';
import type { ParamInput } from '../../support/emulator-request.js';
import { IDS, expectApiError, lingjunImport, lingjunStream, startTestEmulator, type EmulatorFixture } from '../../support/emulator-fixtures.js';

describe('emulator: Describe* filters and paging', () => {
  let fx: EmulatorFixture;
  beforeEach(async () => {
    fx = await startTestEmulator({ quotas: { CreateDataFlowSubTask: null } });
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  /** Follows NextToken to the end; returns the ids in page order and the page sizes. */
  async function pageAll(
    action: 'DescribeDataFlowTasks' | 'DescribeDataFlowSubTasks',
    params: Record<string, ParamInput>,
  ): Promise<{ ids: string[]; sizes: number[] }> {
    const ids: string[] = [];
    const sizes: number[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < 50; page++) {
      const res = await fx.call(action, { ...params, ...(nextToken ? { NextToken: nextToken } : {}) });
      expect(res.status).toBe(200);
      if (action === 'DescribeDataFlowTasks') {
        const body = DescribeDataFlowTasksResponse.parse(res.body);
        const items = body.TaskInfo?.Task ?? [];
        ids.push(...items.map((t) => t.TaskId));
        sizes.push(items.length);
        nextToken = body.NextToken;
      } else {
        const body = DescribeDataFlowSubTasksResponse.parse(res.body);
        const items = body.DataFlowSubTask?.DataFlowSubTask ?? [];
        ids.push(...items.map((t) => t.DataFlowSubTaskId));
        sizes.push(items.length);
        nextToken = body.NextToken;
      }
      if (!nextToken) break;
    }
    return { ids, sizes };
  }

  it('pages tasks with MaxResults and NextToken, each exactly once, in creation order', async () => {
    const created: string[] = [];
    for (let i = 0; i < 23; i++) {
      const res = await fx.call('CreateDataFlowTask', lingjunImport({ EntryList: `["/f${i}"]` }));
      created.push(CreateDataFlowTaskResponse.parse(res.body).TaskId ?? '');
      fx.emulator.settle(); // stay under the 4-task limit
    }
    const { ids, sizes } = await pageAll('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun, MaxResults: 10 });
    expect(sizes).toEqual([10, 10, 3]);
    expect(ids).toEqual(created);
  });

  it('filters tasks by data flow, id, action and status (ID filters match parts of ids)', async () => {
    const a = CreateDataFlowTaskResponse.parse((await fx.call('CreateDataFlowTask', lingjunImport())).body).TaskId ?? '';
    const b = CreateDataFlowTaskResponse.parse((await fx.call('CreateDataFlowTask', lingjunStream())).body).TaskId ?? '';
    const c = CreateDataFlowTaskResponse.parse((await fx.call('CreateDataFlowTask', lingjunImport({ DataFlowId: IDS.lingjunFlow2 }))).body).TaskId ?? '';
    const list = async (filters: Array<{ Key: string; Value: string }>) =>
      (DescribeDataFlowTasksResponse.parse((await fx.call('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun, Filters: filters })).body).TaskInfo?.Task ?? []).map(
        (t) => t.TaskId,
      );
    expect(await list([{ Key: 'DataFlowIds', Value: IDS.lingjunFlow2 }])).toEqual([c]);
    expect(await list([{ Key: 'TaskIds', Value: `${a},${c.slice(0, 12)}` }])).toEqual([a, c]);
    expect(await list([{ Key: 'TaskActions', Value: 'StreamImport' }])).toEqual([b]);
    expect(await list([{ Key: 'Status', Value: 'Executing' }])).toEqual([b]);
    expect(await list([{ Key: 'Status', Value: 'Pending' }, { Key: 'DataFlowIds', Value: IDS.lingjunFlow }])).toEqual([a]);
  });

  it('rejects bad paging and filter parameters', async () => {
    expectApiError(await fx.call('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun, MaxResults: 5 }), 404, 'InvalidParameter.InvalidFormat');
    expectApiError(await fx.call('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun, MaxResults: 101 }), 404, 'InvalidParameter.InvalidFormat');
    expectApiError(await fx.call('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun, NextToken: 'garbage' }), 404, 'InvalidParameter.InvalidFormat');
    expectApiError(
      await fx.call('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun, Filters: [{ Key: 'Colour', Value: 'blue' }] }),
      404,
      'InvalidParameter.InvalidFormat',
    );
    const elevenIds = Array.from({ length: 11 }, (_, i) => `task-${i}`).join(',');
    expectApiError(
      await fx.call('DescribeDataFlowTasks', { FileSystemId: IDS.lingjun, Filters: [{ Key: 'TaskIds', Value: elevenIds }] }),
      404,
      'InvalidParameter.InvalidFormat',
    );
    expectApiError(await fx.call('DescribeDataFlowTasks', {}), 400, 'MissingFileSystemId');
    expectApiError(await fx.call('DescribeDataFlowSubTasks', { FileSystemId: IDS.lingjun, MaxResults: 10 }), 404, 'InvalidParameter.InvalidFormat');
  });

  it('pages sub-tasks (MaxResults 20–100) and filters them by task, status and path', async () => {
    const stream = CreateDataFlowTaskResponse.parse((await fx.call('CreateDataFlowTask', lingjunStream())).body).TaskId ?? '';
    for (let i = 0; i < 45; i++) {
      const res = await fx.call('CreateDataFlowSubTask', {
        FileSystemId: IDS.lingjun,
        DataFlowId: IDS.lingjunFlow,
        DataFlowTaskId: stream,
        SrcFilePath: `/f${i}.txt`,
        DstFilePath: `/f${i}.txt`,
      });
      expect(res.status).toBe(200);
    }
    const { ids, sizes } = await pageAll('DescribeDataFlowSubTasks', {
      FileSystemId: IDS.lingjun,
      Filters: [{ Key: 'DataFlowTaskIds', Value: stream }],
    });
    expect(sizes).toEqual([20, 20, 5]);
    expect(new Set(ids).size).toBe(45);

    const byPath = DescribeDataFlowSubTasksResponse.parse(
      (await fx.call('DescribeDataFlowSubTasks', { FileSystemId: IDS.lingjun, Filters: [{ Key: 'SrcFilePath', Value: '/f7.txt' }] })).body,
    );
    expect(byPath.DataFlowSubTask?.DataFlowSubTask?.map((s) => s.DstFilePath)).toEqual(['/f7.txt']);
    fx.emulator.settle();
    const failed = DescribeDataFlowSubTasksResponse.parse(
      (await fx.call('DescribeDataFlowSubTasks', { FileSystemId: IDS.lingjun, MaxResults: 100, Filters: [{ Key: 'Status', Value: 'FAILED' }] })).body,
    );
    // No source files exist in the bucket directory: every sub-task failed.
    expect(failed.DataFlowSubTask?.DataFlowSubTask).toHaveLength(45);
  });

  it('describes data flows with their storage and paths', async () => {
    const res = await fx.call('DescribeDataFlows', { FileSystemId: IDS.lingjun });
    const flows = DescribeDataFlowsResponse.parse(res.body).DataFlowInfo?.DataFlow ?? [];
    expect(flows.map((f) => f.DataFlowId)).toEqual([IDS.lingjunFlow, IDS.lingjunFlow2, IDS.stoppedFlow]);
    expect(flows[1]).toMatchObject({
      FileSystemId: IDS.lingjun,
      Status: 'Running',
      SourceStorage: 'oss://test-bucket',
      SourceStoragePath: '/other/',
      FileSystemPath: '/other/',
      CreateTime: '2024-07-01 12:00:00',
    });
    const stopped = await fx.call('DescribeDataFlows', { FileSystemId: IDS.lingjun, Filters: [{ Key: 'Status', Value: 'Stopped' }] });
    expect(DescribeDataFlowsResponse.parse(stopped.body).DataFlowInfo?.DataFlow?.map((f) => f.DataFlowId)).toEqual([IDS.stoppedFlow]);
  });
});
