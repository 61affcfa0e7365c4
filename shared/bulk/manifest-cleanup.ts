/**
 * Who deletes a burst's manifests: the reconcile function, once per timer run (functions/reconcile/handler.ts).
 * The event function cannot — it returns as soon as the Import is accepted, and the Import reads its
 * manifests later, while it runs.
 *
 * Rule: the parts under a burst manifest directory (`.cpfs-ingest/manifests/burst-…/…/`) are deleted once an
 * Import task of the data flow that names that directory as TransferFileListPath is `Completed`. A `Failed`
 * or `Canceled` Import keeps its manifests (they say what was not imported). A late FC replay of the same
 * event re-puts identical bytes and gets the same, completed task back for its ClientToken; the next run
 * deletes them again. The service keeps ended tasks for a while (how long is not documented): only tasks it
 * still lists are cleaned up this way.
 *
 * Cost per run: DescribeDataFlowTasks pages of the data flow's Import tasks (WithReports=false; 120 per 60 s),
 * plus one listing and the deletes per completed burst directory that still holds parts (an already emptied
 * directory costs one empty listing). At most `maxDirectories` directories per run.
 */
import type { DataFlowApi } from '../nas/types.js';
import { MANIFEST_KEY_PREFIX } from './manifest-names.js';
import type { ManifestStore } from './manifest-writer.js';

/** TransferFileListPath of a burst Import (shared/ingest/stream/burst.ts): `/.cpfs-ingest/manifests/burst-<hash>/g-<hash>/`. */
const BURST_DIRECTORY = /^\/\.cpfs-ingest\/manifests\/burst-[0-9a-f]+\/g-[0-9a-f]+\/$/;

export interface ManifestCleanupDeps {
  readonly api: DataFlowApi;
  readonly fileSystemId: string;
  readonly dataFlowId: string;
  /** Keys under `prefix` (all pages). */
  readonly listKeys: (prefix: string) => Promise<string[]>;
  readonly store: ManifestStore;
  readonly deadlineMs: number;
  readonly now: () => number;
  readonly maxDirectories?: number;
}

export interface ManifestCleanupReport {
  /** Completed burst Imports whose directory was looked at. */
  readonly directories: number;
  readonly deleted: number;
}

/** Deletes the manifests of completed burst Imports (see the module comment). Errors propagate to the caller. */
export async function cleanUpBurstManifests(deps: ManifestCleanupDeps): Promise<ManifestCleanupReport> {
  const max = deps.maxDirectories ?? 100;
  const directories = new Set<string>();
  let nextToken: string | undefined;
  do {
    const page = await deps.api.describeDataFlowTasks(
      {
        FileSystemId: deps.fileSystemId,
        Filters: [{ Key: 'DataFlowIds', Value: deps.dataFlowId }, { Key: 'TaskActions', Value: 'Import' }],
        MaxResults: 100,
        WithReports: false,
        ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
      },
      { deadlineMs: deps.deadlineMs },
    );
    for (const task of page.TaskInfo?.Task ?? []) {
      const path = task.TransferFileListPath;
      if (task.Status === 'Completed' && path !== undefined && BURST_DIRECTORY.test(path)) directories.add(path.slice(1));
    }
    nextToken = page.NextToken === '' ? undefined : page.NextToken;
  } while (nextToken !== undefined && directories.size < max && deps.now() < deps.deadlineMs);

  let deleted = 0;
  let looked = 0;
  for (const prefix of [...directories].slice(0, max)) {
    if (deps.now() >= deps.deadlineMs || !prefix.startsWith(MANIFEST_KEY_PREFIX)) break;
    looked += 1;
    for (const key of await deps.listKeys(prefix)) {
      await deps.store.delete(key);
      deleted += 1;
    }
  }
  return { directories: looked, deleted };
}
