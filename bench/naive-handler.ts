/**
 * Benchmark baseline, not product code: the naive way to ingest OSS events into CPFS — one
 * CreateDataFlowTask(TaskAction=Import) per object, each with a one-element EntryList. It parses and
 * plans exactly like the product (so both see the same objects) and differs only in how it submits.
 *
 * The bench runs it against the emulator and counts its requests, to compare with the product's stream
 * mode (one sub-task per object on a 100/s quota) and batch mode (64 KB EntryLists on a 2/s quota).
 */
import type { Config } from '../shared/config/load-config.js';
import { parseEvents } from '../shared/events/parse-events.js';
import type { DataFlowApi } from '../shared/nas/types.js';
import { importLayout, importTaskClientToken, planSubmissions, type PlannedObject } from '../shared/planning/index.js';

export interface NaiveReport {
  readonly submitted: number;
  readonly failed: number;
  /** Planned objects that an Import task cannot express (the route renames the file). */
  readonly skipped: number;
  /** CreateDataFlowTask calls made (first attempts; the client's own retries are not counted here). */
  readonly calls: number;
}

/** Sends one Import task per planned object, `config.maxConcurrency` at a time. */
export async function naiveIngest(payload: Buffer, config: Config, api: DataFlowApi, deadlineMs: number): Promise<NaiveReport> {
  const parsed = parseEvents(payload, { keyEncoding: config.keyEncoding });
  const plan = planSubmissions(parsed.records, config.planning);
  let submitted = 0;
  let failed = 0;
  let skipped = 0;
  let calls = 0;
  let next = 0;

  const submitOne = async (item: PlannedObject): Promise<void> => {
    const layout = importLayout(item.srcFilePath, item.dstFilePath, item.record.key);
    if (layout === undefined) {
      skipped += 1;
      return;
    }
    const entryList = JSON.stringify([layout.entry]);
    const common = {
      fileSystemId: item.fileSystemId,
      dataFlowId: item.dataFlowId,
      conflictPolicy: item.conflictPolicy,
      dstDirectory: layout.dstDirectory,
    };
    calls += 1;
    try {
      await api.createDataFlowTask(
        {
          FileSystemId: item.fileSystemId,
          DataFlowId: item.dataFlowId,
          TaskAction: 'Import',
          DataType: 'MetaAndData',
          DstDirectory: layout.dstDirectory,
          EntryList: entryList,
          ConflictPolicy: item.conflictPolicy,
          ClientToken: importTaskClientToken({ ...common, entryList }),
        },
        { deadlineMs },
      );
      submitted += 1;
    } catch {
      failed += 1;
    }
  };

  const worker = async (): Promise<void> => {
    while (next < plan.items.length) {
      const item = plan.items[next++] as PlannedObject;
      await submitOne(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, config.maxConcurrency) }, worker));
  return { submitted, failed, skipped, calls };
}
