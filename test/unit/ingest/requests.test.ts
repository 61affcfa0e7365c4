/**
 * The pure request builders of shared/ingest/ (stream/requests.ts, batch/requests.ts): what the submitters
 * send, checked against the client's request validation, and the instance cache's parts.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/load-config.js';
import { importRequest, InstanceState, streamTaskRequest, subTaskRequest } from '../../../shared/ingest/index.js';
import { validateRequest } from '../../../shared/nas/schemas.js';
import { groupByStreamTask, planImportBatches, planSubmissions } from '../../../shared/planning/index.js';

const config = loadConfig({ CPFS_FILE_SYSTEM_ID: 'bmcpfs-290w65p03ok64ya0001', CPFS_DATA_FLOW_ID: 'df-194433a5be310001', FC_REGION: 'cn-hangzhou', CPFS_SOURCE_STORAGE_PATH: '/in/' });
const records = [
  { bucket: 'b', key: 'in/a/1.bin', size: 5, eTag: 'E1', eventName: 'ObjectCreated:PutObject' },
  { bucket: 'b', key: 'in/a/2.bin', eTag: 'E2', eventName: 'ObjectCreated:PutObject' },
];
const plan = planSubmissions(records, config.planning);

describe('request builders', () => {
  it('builds the StreamImport task request: Directory and DstDirectory of the group, CreateDirIfNotExist, DryRun only on a dry run', () => {
    const [group] = groupByStreamTask(plan.items);
    const request = streamTaskRequest(group!, 'cpfs-st-0123456789abcdef0123456789abcdef0123456789abcdef', false);
    expect(request).toMatchObject({ TaskAction: 'StreamImport', DataType: 'MetaAndData', Directory: group!.directory, DstDirectory: group!.dstDirectory, CreateDirIfNotExist: true });
    expect(request).not.toHaveProperty('DryRun');
    expect(streamTaskRequest(group!, 'cpfs-st-x', true)).toMatchObject({ DryRun: true });
    expect(() => validateRequest('CreateDataFlowTask', request)).not.toThrow();
  });

  it('builds a sub-task request with Condition.Size only when the event gave a size', () => {
    const [sized, unsized] = plan.items;
    const token = 'cpfs-sub-0123456789abcdef0123456789abcdef0123456789abcdef';
    expect(subTaskRequest(sized!, 'task-1', token, false)).toMatchObject({ DataFlowTaskId: 'task-1', SrcFilePath: sized!.srcFilePath, DstFilePath: sized!.dstFilePath, Condition: { Size: 5 }, ClientToken: token });
    expect(subTaskRequest(unsized!, 'task-1', token, false)).not.toHaveProperty('Condition');
    expect(() => validateRequest('CreateDataFlowSubTask', subTaskRequest(sized!, 'task-0123456789abcdef', token, false))).not.toThrow();
  });

  it('builds an Import request with an EntryList and no Directory; CreateDirIfNotExist only when asked', () => {
    const [batch] = planImportBatches(plan.items).batches;
    const request = importRequest(batch!, true, false);
    expect(request).toMatchObject({ TaskAction: 'Import', EntryList: batch!.entryList, DstDirectory: batch!.dstDirectory, CreateDirIfNotExist: true, ClientToken: batch!.clientToken });
    expect(request).not.toHaveProperty('Directory');
    expect(importRequest(batch!, false, true)).not.toHaveProperty('CreateDirIfNotExist');
    expect(importRequest(batch!, false, true)).toMatchObject({ DryRun: true });
    expect(() => validateRequest('CreateDataFlowTask', request)).not.toThrow();
  });
});

describe('InstanceState', () => {
  it('keeps stream tasks, capabilities and sent sub-tasks apart, each changed through its methods', () => {
    const state = new InstanceState(10);
    state.streamTasks.set('g', 'task-1');
    expect(state.streamTasks.get('g')).toBe('task-1');
    state.streamTasks.delete('g');
    expect(state.streamTasks.get('g')).toBeUndefined();

    expect(state.streamImportUnsupported).toBe(false);
    state.capabilities.markStreamImportUnsupported();
    expect(state.streamImportUnsupported).toBe(true);
    expect(state.createDirUnsupported).toBe(false);
    state.capabilities.markCreateDirUnsupported();
    expect(state.capabilities.createDirUnsupported).toBe(true);
  });

  it('forgets the oldest tenth of the sent sub-tasks when full', () => {
    const state = new InstanceState(10);
    for (let i = 0; i < 11; i += 1) state.subTasks.remember(`t${i}`, `s${i}`);
    expect(state.subTasks.lookup('t0')).toBeUndefined();
    expect(state.subTasks.lookup('t1')).toBe('s1');
    expect(state.subTasks.lookup('t10')).toBe('s10');
  });
});
