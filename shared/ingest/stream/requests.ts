/**
 * The requests of stream mode, as pure functions of the plan: the submitters send exactly these, and the
 * tests that check requests build their expectations with them.
 */
import type { CreateDataFlowSubTaskParams, CreateDataFlowTaskParams } from '../../nas/types.js';
import type { PlannedObject, StreamTaskGroup } from '../../planning/index.js';

/** CreateDataFlowTask for a group's long-lived StreamImport task (Directory/DstDirectory: shared/planning/path-base.ts). */
export function streamTaskRequest(group: StreamTaskGroup, clientToken: string, dryRun: boolean): CreateDataFlowTaskParams {
  return {
    FileSystemId: group.fileSystemId,
    DataFlowId: group.dataFlowId,
    TaskAction: 'StreamImport',
    DataType: 'MetaAndData',
    Directory: group.directory,
    DstDirectory: group.dstDirectory,
    ConflictPolicy: group.conflictPolicy,
    // CreateDirIfNotExist: sent as true. The newer API texts say it takes effect when TaskAction is Import
    // (LINGJUN ≥ 2.6); whether StreamImport sub-tasks create missing parent directories with it is
    // UNVERIFIED (docs/platform.md §1). StreamImport exists only on LINGJUN ≥ 2.6, which accepts the
    // parameter, so sending it costs nothing where it is ignored and covers the reading where it applies:
    // sub-tasks write below routed directories that may not exist yet.
    CreateDirIfNotExist: true,
    ClientToken: clientToken,
    ...(dryRun ? { DryRun: true } : {}),
  };
}

/** CreateDataFlowSubTask for one object, with `Condition.Size` from the event (docs/platform.md §1). */
export function subTaskRequest(item: PlannedObject, taskId: string, clientToken: string, dryRun: boolean): CreateDataFlowSubTaskParams {
  return {
    FileSystemId: item.fileSystemId,
    DataFlowId: item.dataFlowId,
    DataFlowTaskId: taskId,
    SrcFilePath: item.srcFilePath,
    DstFilePath: item.dstFilePath,
    ...(item.record.size !== undefined ? { Condition: { Size: item.record.size } } : {}),
    ClientToken: clientToken,
    ...(dryRun ? { DryRun: true } : {}),
  };
}
