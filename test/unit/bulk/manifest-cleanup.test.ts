/** cleanUpBurstManifests: only Completed burst Imports lose their manifests; Failed/Canceled/other directories keep theirs. */
import { describe, expect, it } from 'vitest';
import { cleanUpBurstManifests } from '../../../shared/bulk/manifest-cleanup.js';
import type { ManifestStore } from '../../../shared/bulk/manifest-writer.js';
import type { DataFlowApi, DescribeDataFlowTasksParams } from '../../../shared/nas/types.js';

const dir = (n: string) => `.cpfs-ingest/manifests/burst-${n.repeat(24)}/g-${'c'.repeat(12)}/`;

function world(tasks: Array<{ Status: string; TransferFileListPath?: string }>, pageSize = 2) {
  const objects = new Map<string, string>();
  for (const n of ['a', 'b', 'd']) for (const part of ['part-00000.csv', 'part-00001.csv']) objects.set(`${dir(n)}${part}`, 'Name,Type\r\n');
  objects.set('.cpfs-ingest/manifests/run-x/g-1/part-00000.csv', 'Name,Type\r\n');
  const describes: DescribeDataFlowTasksParams[] = [];
  const api = {
    async describeDataFlowTasks(params: DescribeDataFlowTasksParams) {
      describes.push(params);
      const start = params.NextToken === undefined ? 0 : Number(params.NextToken);
      const page = tasks.slice(start, start + pageSize).map((t, i) => ({ TaskId: `task-${start + i}`, TaskAction: 'Import', ...t }));
      return { RequestId: 'r', TaskInfo: { Task: page }, ...(start + pageSize < tasks.length ? { NextToken: String(start + pageSize) } : {}) };
    },
  } as unknown as DataFlowApi;
  const store: ManifestStore = { put: async () => {}, delete: async (key) => void objects.delete(key) };
  const listKeys = async (prefix: string) => [...objects.keys()].filter((k) => k.startsWith(prefix));
  return { api, store, listKeys, objects, describes };
}

describe('cleanUpBurstManifests', () => {
  it('deletes the parts of Completed burst Imports only, across pages of tasks', async () => {
    const w = world([
      { Status: 'Completed', TransferFileListPath: `/${dir('a')}` },
      { Status: 'Failed', TransferFileListPath: `/${dir('b')}` },
      { Status: 'Completed', TransferFileListPath: '/.cpfs-ingest/manifests/run-x/g-1/' },
      { Status: 'Completed' },
      { Status: 'Executing', TransferFileListPath: `/${dir('d')}` },
    ]);
    const report = await cleanUpBurstManifests({ api: w.api, fileSystemId: 'bmcpfs-x', dataFlowId: 'df-x', listKeys: w.listKeys, store: w.store, deadlineMs: Number.MAX_SAFE_INTEGER, now: () => 0 });
    expect(report).toEqual({ directories: 1, deleted: 2 });
    expect([...w.objects.keys()].some((k) => k.startsWith(dir('a')))).toBe(false);
    expect([...w.objects.keys()].filter((k) => k.startsWith(dir('b')) || k.startsWith(dir('d')))).toHaveLength(4);
    expect(w.objects.has('.cpfs-ingest/manifests/run-x/g-1/part-00000.csv')).toBe(true);
    expect(w.describes).toHaveLength(3);
    expect(w.describes[0]).toMatchObject({ WithReports: false, Filters: [{ Key: 'DataFlowIds', Value: 'df-x' }, { Key: 'TaskActions', Value: 'Import' }] });
  });

  it('does nothing past the deadline', async () => {
    const w = world([{ Status: 'Completed', TransferFileListPath: `/${dir('a')}` }]);
    const report = await cleanUpBurstManifests({ api: w.api, fileSystemId: 'bmcpfs-x', dataFlowId: 'df-x', listKeys: w.listKeys, store: w.store, deadlineMs: 10, now: () => 10 });
    expect(report).toEqual({ directories: 0, deleted: 0 });
  });
});
