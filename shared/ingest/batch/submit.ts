/** Batch mode: Import tasks whose EntryList is packed up to 64 KB (docs/platform.md §1). */
import { ValidationError } from '../../errors.js';
import { isBatchTaskLimitCode, isCreateDirUnsupported, isEntryRefusalCode, nasCodeOf, NOT_BATCHABLE_CODE } from '../../nas/classify.js';
import { planImportBatches, splitImportBatch, type ImportBatch, type PlannedObject } from '../../planning/index.js';
import { runPool, type IngestDeps, type InvocationContext } from '../deps.js';
import { deadlineFailure, failed, refusalOutcome, submittedOutcome, type RecordOutcome } from '../outcomes.js';
import { importRequest } from './requests.js';

/**
 * A refusal of a whole Import because of what some entry holds, without saying which entry
 * (isEntryRefusalCode). The batch is then halved and re-sent, so the good entries go through without the
 * bad one (splitImportBatch). A client-side ValidationError of the EntryList is treated alike; the
 * per-record checks before packing (planImportBatches) should make it impossible.
 */
function isEntryRefusal(error: unknown): boolean {
  if (error instanceof ValidationError) return error.field.split(', ').includes('EntryList');
  return isEntryRefusalCode(nasCodeOf(error));
}

export async function submitBatch(items: PlannedObject[], deps: IngestDeps, invocation: InvocationContext): Promise<RecordOutcome[]> {
  const { config, api, state } = deps;
  const outcomes: RecordOutcome[] = [];
  const plan = planImportBatches(items);
  for (const rejected of plan.rejected) {
    if (rejected.kind === 'not-batchable') {
      // Only reached when auto fell back to batch (a LINGJUN older than 2.6): where batch is the only mode
      // the configuration refuses such routes at load. Sending it anyway would land the file elsewhere.
      const { bucket, key } = rejected.item.record;
      outcomes.push({ status: 'failed', bucket, key, code: NOT_BATCHABLE_CODE, message: `not imported: this file system takes no sub-tasks (older than 2.6) and ${rejected.reason}`, retryable: false });
    } else {
      outcomes.push(refusalOutcome(rejected.item.record, rejected.kind, rejected.reason));
    }
  }
  const lingjun = config.fileSystemKind === 'lingjun';
  const results = new Array<RecordOutcome[]>(plan.batches.length);
  const send = (batch: ImportBatch, createDir: boolean) => api.createDataFlowTask(importRequest(batch, createDir, config.dryRun), { deadlineMs: invocation.deadlineMs });

  const sendBatch = async (batch: ImportBatch): Promise<RecordOutcome[]> => {
    if (deps.now() >= invocation.deadlineMs) return batch.items.map(deadlineFailure);
    try {
      let response;
      // Decided per request: batches run concurrently, and one that learns "no CreateDirIfNotExist here"
      // must not make another, refused for the same reason, look like it had been sent without it. A
      // LINGJUN known to be older than 2.6 (no StreamImport) gets none at all.
      const withCreateDir = lingjun && !state.capabilities.createDirUnsupported && !state.capabilities.streamImportUnsupported;
      try {
        response = await send(batch, withCreateDir);
      } catch (error) {
        if (!(withCreateDir && isCreateDirUnsupported(error))) throw error;
        state.capabilities.markCreateDirUnsupported();
        response = await send(batch, false);
      }
      return batch.items.map((item) => submittedOutcome(item, 'batch', response.TaskId, undefined, config.dryRun));
    } catch (error) {
      if (batch.items.length > 1 && isEntryRefusal(error)) {
        // One entry sinks the whole request: re-send the halves, so the good entries go without it.
        deps.logger.warn('batch.split', { entries: batch.items.length, code: nasCodeOf(error) ?? 'ValidationError' });
        const [first, second] = splitImportBatch(batch);
        return [...(await sendBatch(first)), ...(await sendBatch(second))];
      }
      // The LINGJUN batch-task limit clears when a running task ends: retry on FC's replay.
      const atBatchLimit = lingjun && isBatchTaskLimitCode(nasCodeOf(error));
      return batch.items.map((item) => failed(item, error, atBatchLimit ? true : undefined));
    }
  };

  await runPool(plan.batches.length, Math.min(4, config.maxConcurrency), async (index) => {
    results[index] = await sendBatch(plan.batches[index] as ImportBatch);
  });
  for (const batchOutcomes of results) outcomes.push(...batchOutcomes);
  return outcomes;
}
