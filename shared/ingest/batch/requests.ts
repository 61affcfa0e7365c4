/** The Import request of batch mode, as a pure function of a packed batch (shared by the submitter and tests). */
import type { CreateDataFlowTaskParams } from '../../nas/types.js';
import type { ImportBatch } from '../../planning/index.js';

/**
 * Import requests carry EntryList + DstDirectory + ConflictPolicy and no Directory: Directory, EntryList
 * and TransferFileListPath are mutually exclusive (docs/platform.md §1; paths: shared/planning/path-base.ts).
 */
export function importRequest(batch: ImportBatch, createDir: boolean, dryRun: boolean): CreateDataFlowTaskParams {
  return {
    FileSystemId: batch.fileSystemId,
    DataFlowId: batch.dataFlowId,
    TaskAction: 'Import',
    // LINGJUN accepts only MetaAndData (docs/platform.md §1); general-purpose CPFS gets the same, full import.
    DataType: 'MetaAndData',
    DstDirectory: batch.dstDirectory,
    EntryList: batch.entryList,
    ConflictPolicy: batch.conflictPolicy,
    // CreateDirIfNotExist takes effect on Import on LINGJUN ≥ 2.6 only (docs/platform.md §1): sent there.
    ...(createDir ? { CreateDirIfNotExist: true } : {}),
    ClientToken: batch.clientToken,
    ...(dryRun ? { DryRun: true } : {}),
  };
}
