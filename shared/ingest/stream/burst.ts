/**
 * Bursts in the function (issue 10 point 2): a stream group larger than CPFS_BURST_THRESHOLD sends its first
 * `threshold` objects through sub-tasks (stream/submit.ts) and the rest through bulk Imports — CSV manifests
 * read by one Import with TransferFileListPath (LINGJUN with OSS_BUCKET and a manifest writer), else packed
 * EntryList Imports (docs/platform.md §1, "Newer API texts").
 *
 * Exactly once under FC replays, warm or cold:
 * - the split is a pure function of the group and the configuration (shared/bulk/burst-split.ts), never of
 *   the time left, so a replay puts every object on the same path as the first attempt did;
 * - a manifest's key and bytes, and the Import's ClientToken, derive from its rows' content (key, size, eTag),
 *   the ConflictPolicy and the DstDirectory: a replay re-puts identical bytes under the same key and sends the
 *   same ClientToken, and the service answers with the Import it already has;
 * - an EntryList Import's ClientToken covers the list and every entry's size and eTag (a later version of the
 *   same key is a new request, not a replay of the old one).
 *
 * Truthful report: a tail object is `submitted` only when the create answer of an Import that contains it
 * came back — for a manifest, after every part of it was written. A failed write or create fails the objects
 * of that Import, retryable or system by the error's own flags (describeError, shared/nas/classify.ts). The
 * ≤ 4 batch tasks of a LINGJUN data flow (isBatchTaskLimitCode): the submitter waits for a slot
 * (shared/bulk/batch-slots.ts) until the deadline, then fails retryably so that FC replays the event.
 *
 * Dry run: no bucket writes (PutObject has no dry run), so the tail goes as EntryList Imports with DryRun.
 */
import { createHash } from 'node:crypto';
import { BatchSlots, SlotWaitStopped } from '../../bulk/batch-slots.js';
import { splitBurst } from '../../bulk/burst-split.js';
import { ManifestPartBuilder, type ManifestPart } from '../../bulk/csv.js';
import { manifestGroupId, manifestGroupPrefix, manifestImportClientToken, manifestPartKey } from '../../bulk/manifest-names.js';
import type { Config } from '../../config/load-config.js';
import { DeadlineExceededError } from '../../errors.js';
import { isBatchTaskLimitCode, isCreateDirUnsupported, isEntryRefusalCode, nasCodeOf } from '../../nas/classify.js';
import type { CreateDataFlowTaskParams } from '../../nas/types.js';
import type { ConflictPolicy } from '../../nas/wire.js';
import { normalizeETag } from '../../planning/client-token.js';
import { planImportBatches, splitImportBatch, type ImportBatch, type PlannedObject } from '../../planning/index.js';
import { manifestLayout, manifestTransferFileListPath } from '../../planning/path-base.js';
import { importRequest } from '../batch/requests.js';
import { defaultSleep, type IngestDeps, type InvocationContext } from '../deps.js';
import { failed, submittedOutcome, type RecordOutcome } from '../outcomes.js';

export type BulkShape = 'manifest' | 'entrylist';

/** How long to wait between looks for a free batch-task slot (DescribeDataFlowTasks: 120 per 60 s, shared). */
export const BURST_SLOT_POLL_MS = 10_000;

/**
 * The bulk shape of this configuration: manifests where the platform reads them (LINGJUN — every stream group
 * is on LINGJUN ≥ 2.6) and we can write them (OSS_BUCKET set and a writer wired), never on a dry run.
 * Configuration only, so every replay chooses alike.
 */
export function burstBulkShape(config: Pick<Config, 'fileSystemKind' | 'bucket' | 'dryRun'>, canWriteManifests: boolean): BulkShape {
  return config.fileSystemKind === 'lingjun' && config.bucket !== undefined && canWriteManifests && !config.dryRun ? 'manifest' : 'entrylist';
}

export interface BurstPlan {
  /** Through sub-tasks, in this order: the leading `threshold` objects, then tail objects no bulk request can express. */
  readonly head: PlannedObject[];
  /** Through `shape`. */
  readonly tail: PlannedObject[];
  readonly shape: 'subtasks' | BulkShape;
  readonly reason: string;
}

/**
 * Splits one stream group's items (pure). Tail objects the bulk shape cannot express — a route that renames
 * a directory (manifestLayout / importLayout, shared/planning/path-base.ts), an EntryList element that breaks
 * a path rule — go back to sub-tasks, so nothing is refused that sub-tasks would take.
 * @param threshold CPFS_BURST_THRESHOLD resolved; undefined = bursts off
 */
export function planBurst(items: readonly PlannedObject[], threshold: number | undefined, shape: BulkShape): BurstPlan {
  if (threshold === undefined) return { head: [...items], tail: [], shape: 'subtasks', reason: 'bursts are off (CPFS_BURST_THRESHOLD unset)' };
  const split = splitBurst({ groupSize: items.length, threshold, bulkShape: shape });
  if (split.bulk === 0) return { head: [...items], tail: [], shape: 'subtasks', reason: split.reason };
  const head = items.slice(0, split.subTasks);
  const candidates = items.slice(split.subTasks);
  let expressible: (item: PlannedObject) => boolean;
  if (shape === 'manifest') {
    expressible = (item) => manifestLayout(item.srcFilePath, item.dstFilePath) !== undefined;
  } else {
    const refused = new Set(planImportBatches(candidates).rejected.map((r) => r.item));
    expressible = (item) => !refused.has(item);
  }
  const tail: PlannedObject[] = [];
  for (const item of candidates) (expressible(item) ? tail : head).push(item);
  return { head, tail, shape: tail.length > 0 ? shape : 'subtasks', reason: split.reason };
}

const hex = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');
const rowIdentity = (item: PlannedObject) => [item.record.key, item.record.size ?? null, normalizeETag(item.record.eTag)];

/** One manifest Import of a burst: its parts (keys and bodies) and its request. */
export interface ManifestImport {
  readonly items: PlannedObject[];
  readonly parts: ReadonlyArray<{ readonly key: string; readonly body: string }>;
  readonly request: CreateDataFlowTaskParams;
}

/**
 * The manifest Imports of a burst tail (pure): one per (DstDirectory, ConflictPolicy), rows in tail order.
 * Keys: `.cpfs-ingest/manifests/burst-<content hash>/g-<group>/part-NNNNN.csv`, the hash over the file system,
 * data flow, policy, DstDirectory and every row's (key, size, eTag). ClientToken: manifestImportClientToken
 * over that run and every part's SHA-256.
 */
export function planManifestImports(tail: readonly PlannedObject[], createDir: boolean, partMaxRows?: number): ManifestImport[] {
  type Group = { fileSystemId: string; dataFlowId: string; policy: ConflictPolicy; dstDirectory: string; items: PlannedObject[]; names: string[] };
  const groups = new Map<string, Group>();
  for (const item of tail) {
    const layout = manifestLayout(item.srcFilePath, item.dstFilePath);
    if (layout === undefined) throw new Error('planManifestImports: an item without a manifest layout (planBurst keeps those on sub-tasks)');
    const id = JSON.stringify([item.fileSystemId, item.dataFlowId, item.conflictPolicy, layout.dstDirectory]);
    let group = groups.get(id);
    if (group === undefined) {
      group = { fileSystemId: item.fileSystemId, dataFlowId: item.dataFlowId, policy: item.conflictPolicy, dstDirectory: layout.dstDirectory, items: [], names: [] };
      groups.set(id, group);
    }
    group.items.push(item);
    group.names.push(layout.name);
  }
  return [...groups.values()].map((group) => {
    const run = `burst-${hex(['v1', group.fileSystemId, group.dataFlowId, group.policy, group.dstDirectory, group.items.map(rowIdentity)]).slice(0, 24)}`;
    const groupId = manifestGroupId(group.dstDirectory, group.policy);
    const builder = new ManifestPartBuilder(partMaxRows);
    const built: ManifestPart[] = [];
    for (const name of group.names) built.push(...builder.add(name, 'file'));
    const last = builder.flush();
    if (last !== undefined) built.push(last);
    return {
      items: group.items,
      parts: built.map((part, index) => ({ key: manifestPartKey(run, groupId, index), body: part.body })),
      request: {
        FileSystemId: group.fileSystemId,
        DataFlowId: group.dataFlowId,
        TaskAction: 'Import',
        DataType: 'MetaAndData',
        TransferFileListPath: manifestTransferFileListPath(manifestGroupPrefix(run, groupId)),
        DstDirectory: group.dstDirectory,
        ConflictPolicy: group.policy,
        ...(createDir ? { CreateDirIfNotExist: true } : {}),
        ClientToken: manifestImportClientToken({
          fileSystemId: group.fileSystemId, dataFlowId: group.dataFlowId, conflictPolicy: group.policy,
          dstDirectory: group.dstDirectory, run, partHashes: built.map((p) => p.sha256),
        }),
      },
    };
  });
}

/**
 * ClientToken of a burst EntryList Import (`cpfs-bel-…`): the list as sent plus every entry's size and eTag,
 * so a new version of a key packed the same way is a new request (importTaskClientToken covers the names only).
 */
export function burstEntryListClientToken(batch: Pick<ImportBatch, 'fileSystemId' | 'dataFlowId' | 'conflictPolicy' | 'dstDirectory' | 'entryList' | 'items'>): string {
  const versions = batch.items.map((item) => [item.record.size ?? null, normalizeETag(item.record.eTag)]);
  return `cpfs-bel-${hex(['v1', 'burst-entrylist', batch.fileSystemId, batch.dataFlowId, batch.conflictPolicy, batch.dstDirectory, batch.entryList, versions]).slice(0, 48)}`;
}

/** The EntryList Imports of a burst tail (pure): planImportBatches' packing, with {@link burstEntryListClientToken}. */
export function planEntryListImports(tail: readonly PlannedObject[]): ImportBatch[] {
  return planImportBatches(tail).batches.map(withBurstToken);
}

function withBurstToken(batch: ImportBatch): ImportBatch {
  return { ...batch, clientToken: burstEntryListClientToken(batch) };
}

/**
 * Submits a burst tail (see the module comment) and returns one outcome per item. Never throws.
 */
export async function submitBurstTail(tail: readonly PlannedObject[], shape: BulkShape, deps: IngestDeps, invocation: InvocationContext): Promise<RecordOutcome[]> {
  const { config, api, state } = deps;
  if (tail.length === 0) return [];
  const first = tail[0] as PlannedObject;
  const sleep = deps.sleep ?? defaultSleep;
  const slots = new BatchSlots({
    api,
    fileSystemId: first.fileSystemId,
    dataFlowId: first.dataFlowId,
    pollMs: BURST_SLOT_POLL_MS,
    sleep,
    // Stop when the next look would start past the deadline: the replay continues.
    shouldStop: () => deps.now() + BURST_SLOT_POLL_MS >= invocation.deadlineMs,
    deadlineMs: invocation.deadlineMs,
  });
  const noSlot = () => new DeadlineExceededError('not submitted: no batch-task slot of the data flow (≤ 4 Import tasks at once on CPFS for LINGJUN) freed up before the invocation deadline; an FC retry continues from here');

  /** Creates one Import, waiting for a slot on a batch-task-limit refusal; returns the TaskId (undefined on a dry run). */
  const createImport = async (params: CreateDataFlowTaskParams): Promise<string | undefined> => {
    for (;;) {
      await slots.acquire();
      if (deps.now() >= invocation.deadlineMs) throw new DeadlineExceededError('not submitted: the invocation deadline arrived first; an FC retry continues from here');
      try {
        const response = await api.createDataFlowTask(params, { deadlineMs: invocation.deadlineMs });
        slots.started();
        return response.TaskId;
      } catch (error) {
        if (!isBatchTaskLimitCode(nasCodeOf(error))) throw error;
        deps.logger.info('burst.slot.wait', { code: nasCodeOf(error), waitMs: BURST_SLOT_POLL_MS });
        await slots.refused();
      }
    }
  };
  const failAll = (items: readonly PlannedObject[], error: unknown): RecordOutcome[] =>
    items.map((item) => (error instanceof SlotWaitStopped ? failed(item, noSlot()) : failed(item, error, isBatchTaskLimitCode(nasCodeOf(error)) ? true : undefined)));

  const outcomes: RecordOutcome[] = [];
  if (shape === 'manifest') {
    const store = deps.manifests;
    if (store === undefined) throw new Error('submitBurstTail: the manifest shape needs deps.manifests');
    for (const plan of planManifestImports(tail, !state.capabilities.createDirUnsupported)) {
      if (deps.now() >= invocation.deadlineMs) {
        outcomes.push(...failAll(plan.items, new DeadlineExceededError('not submitted: the invocation deadline arrived first; an FC retry continues from here')));
        continue;
      }
      try {
        // Every part first: the Import reads the whole directory, and only an Import answer confirms its objects.
        for (const part of plan.parts) await store.put(part.key, part.body);
        const taskId = await createImport(plan.request);
        deps.logger.info('burst.import', { shape, taskId, objects: plan.items.length, parts: plan.parts.length, transferFileListPath: plan.request.TransferFileListPath });
        for (const item of plan.items) outcomes.push(submittedOutcome(item, 'batch', taskId, undefined, false));
      } catch (error) {
        outcomes.push(...failAll(plan.items, error));
      }
    }
    return outcomes;
  }

  const send = async (batch: ImportBatch): Promise<RecordOutcome[]> => {
    if (deps.now() >= invocation.deadlineMs) return failAll(batch.items, new DeadlineExceededError('not submitted: the invocation deadline arrived first; an FC retry continues from here'));
    const withCreateDir = config.fileSystemKind === 'lingjun' && !state.capabilities.createDirUnsupported;
    try {
      let taskId: string | undefined;
      try {
        taskId = await createImport(importRequest(batch, withCreateDir, config.dryRun));
      } catch (error) {
        if (!(withCreateDir && isCreateDirUnsupported(error))) throw error;
        state.capabilities.markCreateDirUnsupported();
        taskId = await createImport(importRequest(batch, false, config.dryRun));
      }
      deps.logger.info('burst.import', { shape, taskId, objects: batch.items.length });
      return batch.items.map((item) => submittedOutcome(item, 'batch', taskId, undefined, config.dryRun));
    } catch (error) {
      if (batch.items.length > 1 && isEntryRefusalCode(nasCodeOf(error))) {
        // One entry sinks the whole request: re-send the halves (new lists, new tokens) without it.
        const [a, b] = splitImportBatch(batch);
        return [...(await send(withBurstToken(a))), ...(await send(withBurstToken(b)))];
      }
      return failAll(batch.items, error);
    }
  };
  for (const batch of planEntryListImports(tail)) outcomes.push(...(await send(batch)));
  return outcomes;
}
