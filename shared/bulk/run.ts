/**
 * The bulk shapes of a backfill (`directory`, `entrylist`, `manifest`; see shape.ts). Same listing, same
 * planning (routing, path rules, own-state keys left out), same checkpoint store and stops as the `objects`
 * path in shared/backfill.ts; what differs is how the planned objects reach the NAS API.
 *
 * Requests follow the newer contract (docs/platform.md §1, "Newer API texts"): an Import carries exactly one
 * of Directory, EntryList, TransferFileListPath — never two, and never Directory with an EntryList.
 *
 * - `directory`: one Import per prefix (Directory + DstDirectory); the checkpoint moves past a prefix once its
 *   task is accepted. ClientToken: run id + directories, so a re-run is a replay.
 * - `entrylist`: per listing page, the planned objects are packed with planImportBatches (the one packer,
 *   shared/planning/entry-list.ts) and each list sent as an Import with EntryList + DstDirectory, after taking
 *   one of the ≤ 4 batch-task slots of the data flow (batch-slots.ts). The checkpoint moves past a page once
 *   every list of it is accepted. Objects a list cannot express without a Directory (a route that strips part
 *   of the key) go through the objects path for that page.
 * - `manifest` (LINGJUN): rows go to CSV parts per (DstDirectory, policy) group, written when ~partRows rows
 *   are pending and at each prefix end; the checkpoint moves only then (rows still in memory are listed again
 *   after a crash, and the rewrite of a part is byte-identical). After the listing: one Import per group with
 *   TransferFileListPath, then its ProgressStats is polled (WithReports=false) until the task ends; the parts
 *   of a Completed group are deleted. A resume continues at the part, the Import (same content-derived
 *   ClientToken: a replay), or the wait it had reached.
 */
import type { BackfillOptions, BackfillStatus, BackfillSummary, BackfillTotals, ReportedRecord, BackfillCheckpoint } from '../backfill.js';
import { addTotals, backfillSummary, checkpointComplete, checkpointMatches, describeBackfillError, emptyTotals, initialCheckpoint, MAX_REPORTED_RECORDS } from '../backfill.js';
import { isBatchTaskLimitCode, isCreateDirUnsupported, isRecordScopedRefusalCode, isTokenReusedWithOtherParameters } from '../nas/classify.js';
import { CpfsIngestError, ValidationError } from '../errors.js';
import type { ObjectCreated } from '../events/types.js';
import { ingestRecords } from '../ingest/index.js';
import type { CreateDataFlowTaskParams } from '../nas/types.js';
import type { ConflictPolicy, DataFlowTask } from '../nas/wire.js';
import { planImportBatches } from '../planning/entry-list.js';
import { manifestLayout, manifestTransferFileListPath } from '../planning/path-base.js';
import { planSubmissions } from '../planning/plan.js';
import type { PlannedObject } from '../planning/types.js';
import { toObjectCreated, type ListedPage } from '../oss/listing.js';
import { BatchSlots, SLOT_REFUSAL_CODE, SlotWaitStopped } from './batch-slots.js';
import { DEFAULT_PART_MAX_BYTES, DEFAULT_PART_MAX_ROWS, ManifestPartBuilder } from './csv.js';
import {
  directoryImportClientToken,
  manifestGroupId,
  manifestGroupPrefix,
  manifestImportClientToken,
  manifestPartKey,
  manifestRunId,
} from './manifest-names.js';
import type { BackfillShape } from './shape.js';
import type { BulkCheckpoint, BulkGroup } from './state.js';

export type BulkProgress =
  | { readonly type: 'bulk-part'; readonly group: string; readonly part: number; readonly rows: number; readonly overall: BackfillTotals }
  | { readonly type: 'bulk-task'; readonly label: string; readonly taskId: string; readonly status: string; readonly filesDone?: number; readonly filesTotal?: number }
  | { readonly type: 'bulk-wait'; readonly reason: string; readonly delayMs: number };

const TERMINAL = new Set(['Completed', 'Failed', 'Canceled']);
const DEFAULT_POLL_MS = 5_000;

class Stop extends Error {
  constructor(readonly status: BackfillStatus, readonly detail?: { code: string; message: string; retryable: boolean }, readonly pendingRetryable = 0) {
    super(status);
  }
}

export async function runBulkBackfill(options: BackfillOptions, shape: Exclude<BackfillShape, 'objects'>): Promise<BackfillSummary> {
  const { deps, bucket, prefixes } = options;
  const { config } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const minPageTimeMs = options.minPageTimeMs ?? 5_000;
  const partRows = options.manifestPartRows ?? DEFAULT_PART_MAX_ROWS;
  if (shape === 'manifest' && options.manifests === undefined) throw new ValidationError('manifests', 'the manifest shape needs a store to write the CSV parts to');
  if (shape === 'manifest' && config.fileSystemKind !== 'lingjun') throw new ValidationError('shape', 'manifest (TransferFileListPath) exists on CPFS for LINGJUN only');
  if (shape === 'directory' && options.directoryImports?.length !== prefixes.length) throw new ValidationError('directoryImports', 'must hold one Import per prefix (use chooseShape)');

  const loaded = await options.checkpoint?.load();
  if (loaded !== undefined && !checkpointMatches(loaded, bucket, prefixes, options.since, shape)) {
    throw new ValidationError(
      'checkpoint',
      `was written for another backfill (shape ${loaded.shape ?? 'objects'}, bucket ${loaded.bucket}, prefixes ${JSON.stringify(loaded.prefixes)}, since ${loaded.since ?? 'the beginning'}); ` +
        'use the same --shape/--prefix/--since values, or another checkpoint file',
    );
  }
  const fresh = initialCheckpoint(bucket, prefixes, options.since, new Date(deps.now()), shape);
  let checkpoint: BackfillCheckpoint = loaded ?? { ...fresh, bulk: { run: manifestRunId(bucket, prefixes, fresh.since), phase: 'listing', groups: [], tasksAccepted: 0 } };
  const bulk: BulkCheckpoint = structuredClone(checkpoint.bulk ?? { run: manifestRunId(bucket, prefixes, fresh.since), phase: 'listing', groups: [], tasksAccepted: 0 });
  const alreadyComplete = checkpointComplete(checkpoint) && bulk.phase === 'done';
  const overall: BackfillTotals = { ...checkpoint.totals };
  const run = emptyTotals();
  const reported: ReportedRecord[] = [];
  const tasks = new Map<string, { taskId: string; label: string; status: string; filesDone?: number; filesTotal?: number }>();
  let tasksThisRun = 0;
  const deadlinePassed = (marginMs: number) => options.deadlineMs !== undefined && deps.now() + marginMs >= options.deadlineMs;
  const shouldStop = () => deadlinePassed(0) || options.signal?.aborted === true;
  const callOptions = () => (options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {});
  const slots = new BatchSlots({ api: deps.api, fileSystemId: config.fileSystemId, dataFlowId: config.dataFlowId, pollMs, sleep, shouldStop, ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}) });
  const lingjun = config.fileSystemKind === 'lingjun';

  const save = async (moved: Partial<BackfillCheckpoint>): Promise<void> => {
    checkpoint = { ...checkpoint, ...moved, totals: { ...overall }, bulk: structuredClone(bulk), updatedAt: new Date(deps.now()).toISOString() };
    if ('startAfter' in moved && moved.startAfter === undefined) {
      const { startAfter: _gone, ...rest } = checkpoint;
      checkpoint = rest;
    }
    await options.checkpoint?.save(checkpoint);
  };
  const report = (record: ReportedRecord) => {
    if (reported.length < MAX_REPORTED_RECORDS) reported.push(record);
  };
  const summary = (status: BackfillStatus, error?: BackfillSummary['error'], pendingRetryable = 0): BackfillSummary =>
    backfillSummary({ run, overall, checkpoint, alreadyComplete, reported }, status, {
      pendingRetryable,
      error,
      bulk: { shape, tasksAccepted: tasksThisRun, tasks: [...tasks.values()] },
    });

  /**
   * CreateDataFlowTask(Import) with a slot; waits out DependencyViolation. Returns the task id (undefined on
   * DryRun). CreateDirIfNotExist (asked for on LINGJUN) is dropped for the rest of the process once the file
   * system refuses it — LINGJUN before 2.6 does not know it (docs/platform.md §1) — as batch ingest and
   * `retry-task` do; the same ClientToken, so a re-run whose earlier run was accepted without the flag
   * (IdempotentParameterMismatch) is a replay too.
   */
  const createImport = async (params: CreateDataFlowTaskParams, label: string): Promise<string | undefined> => {
    for (;;) {
      await slots.acquire();
      const { CreateDirIfNotExist: _createDir, ...withoutCreateDir } = params;
      const request: CreateDataFlowTaskParams = deps.state.capabilities.createDirUnsupported ? withoutCreateDir : params;
      try {
        // The NAS client validates the request (shared/nas/schemas.ts: one of Directory / EntryList /
        // TransferFileListPath, LINGJUN-only fields) before anything is signed or sent.
        const response = await deps.api.createDataFlowTask(request, callOptions());
        slots.started();
        tasksThisRun += 1;
        bulk.tasksAccepted += 1;
        if (response.TaskId !== undefined) tasks.set(response.TaskId, { taskId: response.TaskId, label, status: 'Pending' });
        return response.TaskId;
      } catch (error) {
        if (error instanceof CpfsIngestError && error.code === SLOT_REFUSAL_CODE) {
          options.onProgress?.({ type: 'bulk-wait', reason: `${SLOT_REFUSAL_CODE}: the data flow runs its maximum of batch tasks`, delayMs: pollMs });
          await slots.refused();
          continue;
        }
        if (request.CreateDirIfNotExist === true && (isCreateDirUnsupported(error) || isTokenReusedWithOtherParameters(error))) {
          deps.state.capabilities.markCreateDirUnsupported();
          continue;
        }
        throw error;
      }
    }
  };
  const importBase = (policy: ConflictPolicy | string) => ({
    FileSystemId: config.fileSystemId,
    DataFlowId: config.dataFlowId,
    TaskAction: 'Import' as const,
    // LINGJUN accepts only MetaAndData (docs/platform.md §1).
    DataType: 'MetaAndData' as const,
    ConflictPolicy: policy as ConflictPolicy,
    // Routed directories may not exist yet; only LINGJUN ≥ 2.6 knows the flag (docs/platform.md §1).
    ...(lingjun ? { CreateDirIfNotExist: true } : {}),
    ...(config.dryRun ? { DryRun: true } : {}),
  });

  /** Records of a page (minus excluded keys), planned; counts what planning refused. */
  const planPage = (page: ListedPage, counts: BackfillTotals): PlannedObject[] => {
    counts.skippedFolderMarkers += page.skippedFolderMarkers;
    counts.skippedNotModifiedSince += page.skippedNotModifiedSince;
    const records: ObjectCreated[] = [];
    for (const object of page.objects) {
      if (options.exclude?.(object.key)) counts.excluded += 1;
      else records.push(toObjectCreated(object, bucket, options.region));
    }
    counts.listed += records.length;
    const plan = planSubmissions(records, config.planning);
    for (const refused of plan.rejected) {
      if (refused.kind === 'duplicate') counts.duplicate += 1;
      else if (refused.kind === 'ignored-event' || refused.kind === 'directory-marker') counts.ignored += 1;
      else {
        counts.rejected += 1;
        report({ status: 'rejected', key: refused.record.key, kind: refused.kind, reason: refused.reason });
      }
    }
    return plan.items;
  };

  /** Objects a bulk request cannot express go through the objects path (one try; retryable → stop before the page). */
  const submitObjects = async (records: ObjectCreated[], counts: BackfillTotals): Promise<void> => {
    if (records.length === 0) return;
    const result = await ingestRecords(records, deps, { deadlineMs: options.deadlineMs ?? deps.now() + 10 * 60_000 });
    let pending = 0;
    for (const outcome of result.outcomes) {
      if (outcome.status === 'failed') {
        if (outcome.retryable || isBatchTaskLimitCode(outcome.code)) { pending += 1; continue; }
        if (!isRecordScopedRefusalCode(outcome.code)) throw new Stop('error', { code: outcome.code, message: outcome.message, retryable: false });
        report({ status: 'failed', key: outcome.key, code: outcome.code, message: outcome.message, retryable: false });
      } else if (outcome.status === 'rejected') {
        report({ status: 'rejected', key: outcome.key ?? '', kind: outcome.kind, reason: outcome.reason });
      }
      counts[outcome.status] += 1;
    }
    if (pending > 0) throw new Stop('retryable-failures', { code: 'RetryableFailures', message: `${pending} object(s) outside the bulk request failed retryably; the page is submitted again by the next run`, retryable: true }, pending);
  };

  try {
    if (shape === 'directory') await runDirectory();
    else if (shape === 'entrylist') await runEntryList();
    else await runManifest();
    return summary('complete');
  } catch (error) {
    if (error instanceof Stop) return summary(error.status, error.detail, error.pendingRetryable);
    if (error instanceof SlotWaitStopped) return summary(options.signal?.aborted ? 'interrupted' : 'deadline');
    if (options.signal?.aborted) return summary('interrupted');
    return summary('error', describeBackfillError(error));
  }

  async function runDirectory(): Promise<void> {
    const imports = options.directoryImports ?? [];
    bulk.directoryTasks ??= [];
    while (checkpoint.prefixIndex < prefixes.length) {
      if (shouldStop()) throw new Stop(options.signal?.aborted ? 'interrupted' : 'deadline');
      const imp = imports[checkpoint.prefixIndex];
      if (imp === undefined) throw new ValidationError('directoryImports', 'missing an Import for a prefix');
      const params: CreateDataFlowTaskParams = {
        ...importBase(imp.conflictPolicy),
        Directory: imp.directory,
        DstDirectory: imp.dstDirectory,
        ClientToken: directoryImportClientToken({ fileSystemId: config.fileSystemId, dataFlowId: config.dataFlowId, conflictPolicy: imp.conflictPolicy, directory: imp.directory, dstDirectory: imp.dstDirectory, run: bulk.run }),
      };
      const taskId = await createImport(params, `directory ${imp.directory} → ${imp.dstDirectory}`);
      if (taskId !== undefined) bulk.directoryTasks.push(taskId);
      if (taskId !== undefined) options.onProgress?.({ type: 'bulk-task', label: `directory ${imp.directory} → ${imp.dstDirectory}`, taskId, status: 'accepted' });
      await save({ prefixIndex: checkpoint.prefixIndex + 1, startAfter: undefined });
      options.onProgress?.({ type: 'prefix-done', prefix: imp.prefix, overall: { ...overall } });
    }
    bulk.phase = 'done';
    await save({});
  }

  async function* pagesFromCheckpoint(): AsyncGenerator<{ prefix: string; page: ListedPage | undefined }> {
    while (!checkpointComplete(checkpoint)) {
      const prefix = checkpoint.prefixes[checkpoint.prefixIndex] as string;
      const pages = options.list({
        prefix,
        ...(checkpoint.startAfter !== undefined ? { startAfter: checkpoint.startAfter } : {}),
        ...(options.since !== undefined ? { modifiedSince: options.since } : {}),
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
      });
      for await (const page of pages) yield { prefix, page };
      // The end of the prefix: the caller moves the checkpoint to the next one.
      yield { prefix, page: undefined };
    }
  }

  async function runEntryList(): Promise<void> {
    for await (const { prefix, page } of pagesFromCheckpoint()) {
      if (page === undefined) {
        await save({ prefixIndex: checkpoint.prefixIndex + 1, startAfter: undefined });
        options.onProgress?.({ type: 'prefix-done', prefix, overall: { ...overall } });
        continue;
      }
      if (deadlinePassed(minPageTimeMs)) throw new Stop('deadline');
      const counts = emptyTotals();
      const items = planPage(page, counts);
      const plan = planImportBatches(items);
      const viaObjects: ObjectCreated[] = [];
      // planImportBatches refuses what an EntryList cannot express (path-base.ts): those go one object at a time.
      for (const refused of plan.rejected) {
        if (refused.kind === 'duplicate') counts.duplicate += 1;
        else viaObjects.push(refused.item.record);
      }
      for (const batch of plan.batches) {
        const taskId = await createImport({ ...importBase(batch.conflictPolicy), DstDirectory: batch.dstDirectory, EntryList: batch.entryList, ClientToken: batch.clientToken }, `entrylist ${batch.items.length} → ${batch.dstDirectory}`);
        counts.submitted += batch.items.length;
        if (taskId !== undefined) options.onProgress?.({ type: 'bulk-task', label: `entrylist of ${batch.items.length}`, taskId, status: 'accepted' });
      }
      await submitObjects(viaObjects, counts);
      counts.pages = 1;
      addTotals(run, counts);
      addTotals(overall, counts);
      await save(page.lastKey !== undefined ? { startAfter: page.lastKey } : {});
      options.onProgress?.({ type: 'page', prefix, page: counts, overall: { ...overall }, reported: [], ...(checkpoint.startAfter !== undefined ? { startAfter: checkpoint.startAfter } : {}) });
      if (options.signal?.aborted) throw new Stop('interrupted');
    }
    bulk.phase = 'done';
    await save({});
  }

  async function runManifest(): Promise<void> {
    const store = options.manifests;
    if (store === undefined) throw new ValidationError('manifests', 'missing');
    if (bulk.phase === 'listing') {
      const builders = new Map<string, ManifestPartBuilder>();
      let pendingRows = 0;
      let pendingBytes = 0;
      let pendingCounts = emptyTotals();
      const group = (dstDirectory: string, policy: string): BulkGroup => {
        const id = manifestGroupId(dstDirectory, policy);
        let found = bulk.groups.find((g) => g.id === id);
        if (found === undefined) {
          found = { id, dstDirectory, conflictPolicy: policy, parts: [], rows: 0, cleaned: false };
          bulk.groups.push(found);
        }
        return found;
      };
      /** Writes every pending row as parts; only then may the checkpoint move. */
      const flushAll = async () => {
        for (const [id, builder] of builders) {
          const part = builder.flush();
          if (part === undefined) continue;
          const g = bulk.groups.find((x) => x.id === id) as BulkGroup;
          const index = g.parts.length;
          if (!config.dryRun) await store.put(manifestPartKey(bulk.run, id, index), part.body);
          g.parts.push(part.sha256);
          g.rows += part.rows;
          options.onProgress?.({ type: 'bulk-part', group: id, part: index, rows: part.rows, overall: { ...overall } });
        }
        pendingRows = 0;
        pendingBytes = 0;
        addTotals(run, pendingCounts);
        addTotals(overall, pendingCounts);
        pendingCounts = emptyTotals();
      };
      for await (const { prefix, page } of pagesFromCheckpoint()) {
        if (page === undefined) {
          await flushAll();
          await save({ prefixIndex: checkpoint.prefixIndex + 1, startAfter: undefined });
          options.onProgress?.({ type: 'prefix-done', prefix, overall: { ...overall } });
          continue;
        }
        if (deadlinePassed(minPageTimeMs) || options.signal?.aborted) {
          // Rows since the last flush are listed again by the next run; the parts written so far stay.
          throw new Stop(options.signal?.aborted ? 'interrupted' : 'deadline');
        }
        const counts = emptyTotals();
        const viaObjects: ObjectCreated[] = [];
        for (const item of planPage(page, counts)) {
          const layout = manifestLayout(item.srcFilePath, item.dstFilePath);
          if (layout === undefined) {
            viaObjects.push(item.record);
            continue;
          }
          const g = group(layout.dstDirectory, item.conflictPolicy);
          let builder = builders.get(g.id);
          if (builder === undefined) {
            // Parts are cut here, at page boundaries, never inside the builder.
            builder = new ManifestPartBuilder(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
            builders.set(g.id, builder);
          }
          builder.add(layout.name, 'file');
          pendingRows += 1;
          pendingBytes += layout.name.length + 8;
          counts.submitted += 1;
        }
        await submitObjects(viaObjects, counts);
        counts.pages = 1;
        addTotals(pendingCounts, counts);
        if (pendingRows >= partRows || pendingBytes >= DEFAULT_PART_MAX_BYTES / 2) {
          await flushAll();
          await save(page.lastKey !== undefined ? { startAfter: page.lastKey } : {});
        }
        options.onProgress?.({ type: 'page', prefix, page: counts, overall: { ...overall, ...sumTotals(overall, pendingCounts) }, reported: [], ...(checkpoint.startAfter !== undefined ? { startAfter: checkpoint.startAfter } : {}) });
      }
      bulk.phase = 'importing';
      await save({});
    }
    if (bulk.phase === 'importing') {
      for (const g of bulk.groups) {
        if (g.taskId !== undefined || g.parts.length === 0) continue;
        if (shouldStop()) throw new Stop(options.signal?.aborted ? 'interrupted' : 'deadline');
        const params: CreateDataFlowTaskParams = {
          ...importBase(g.conflictPolicy),
          TransferFileListPath: manifestTransferFileListPath(manifestGroupPrefix(bulk.run, g.id)),
          DstDirectory: g.dstDirectory,
          ClientToken: manifestImportClientToken({ fileSystemId: config.fileSystemId, dataFlowId: config.dataFlowId, conflictPolicy: g.conflictPolicy, dstDirectory: g.dstDirectory, run: bulk.run, partHashes: g.parts }),
        };
        const taskId = await createImport(params, `manifest ${g.rows} row(s) → ${g.dstDirectory}`);
        if (taskId === undefined) continue; // DryRun: nothing to wait for.
        g.taskId = taskId;
        g.status = 'Pending';
        options.onProgress?.({ type: 'bulk-task', label: `manifest of ${g.rows} → ${g.dstDirectory}`, taskId, status: 'accepted' });
        await save({});
      }
      bulk.phase = 'waiting';
      await save({});
    }
    if (bulk.phase === 'waiting') {
      for (;;) {
        const open = bulk.groups.filter((g) => g.taskId !== undefined && !g.cleaned && !TERMINAL.has(g.status ?? ''));
        if (open.length > 0) {
          const seen = await describeTasks(open.map((g) => g.taskId as string));
          for (const g of open) {
            const task = seen.get(g.taskId as string);
            if (task === undefined) continue;
            g.status = task.Status;
            const stats = task.ProgressStats;
            const entry = { taskId: task.TaskId, label: `manifest → ${g.dstDirectory}`, status: task.Status, ...(stats?.FilesDone !== undefined ? { filesDone: stats.FilesDone } : {}), ...(stats?.FilesTotal !== undefined ? { filesTotal: stats.FilesTotal } : {}) };
            tasks.set(task.TaskId, entry);
            options.onProgress?.({ type: 'bulk-task', ...entry });
          }
        }
        for (const g of bulk.groups) {
          if (g.status === 'Completed' && !g.cleaned) {
            for (let index = 0; index < g.parts.length; index += 1) await store.delete(manifestPartKey(bulk.run, g.id, index));
            g.cleaned = true;
            await save({});
          }
        }
        const failed = bulk.groups.find((g) => g.status === 'Failed' || g.status === 'Canceled');
        if (failed !== undefined) {
          await save({});
          throw new Stop('error', { code: `ImportTask${failed.status}`, message: `the Import of ${failed.dstDirectory} (task ${failed.taskId}) ended ${failed.status}; its manifests are kept under ${manifestGroupPrefix(bulk.run, failed.id)}`, retryable: false });
        }
        if (bulk.groups.every((g) => g.taskId === undefined || g.cleaned)) break;
        if (shouldStop()) {
          await save({});
          throw new Stop(options.signal?.aborted ? 'interrupted' : 'deadline');
        }
        await sleep(pollMs);
      }
      bulk.phase = 'done';
      await save({});
    }
  }

  /** The given tasks by id (DescribeDataFlowTasks, WithReports=false, ≤ 10 ids per call as the filters allow). */
  async function describeTasks(taskIds: readonly string[]): Promise<Map<string, DataFlowTask>> {
    const found = new Map<string, DataFlowTask>();
    for (let i = 0; i < taskIds.length; i += 10) {
      const wanted = new Set(taskIds.slice(i, i + 10));
      const page = await deps.api.describeDataFlowTasks(
        { FileSystemId: config.fileSystemId, Filters: [{ Key: 'DataFlowIds', Value: config.dataFlowId }, { Key: 'TaskIds', Value: [...wanted].join(',') }], MaxResults: 100, WithReports: false },
        callOptions(),
      );
      // Filters may match parts of ids (docs/platform.md §1): compare exactly here.
      for (const task of page.TaskInfo?.Task ?? []) if (wanted.has(task.TaskId)) found.set(task.TaskId, task);
    }
    return found;
  }
}

function sumTotals(a: BackfillTotals, b: BackfillTotals): BackfillTotals {
  const out = { ...a };
  addTotals(out, b);
  return out;
}
