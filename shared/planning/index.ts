/**
 * The pure planning core: routing, CPFS path rules (re-exported from shared/cpfs/), de-duplication, grouping, EntryList packing and
 * ClientToken derivation. No environment, clock, I/O or logging in here.
 */
export type {
  Plan,
  PlannedObject,
  PlanningSettings,
  Rejection,
  RejectedRecord,
  RejectionKind,
  Route,
} from './types.js';
export { implicitRoute, routeKey, sourceKeyPrefix, type RouteMatch } from './routing.js';
export {
  assertCpfsPath,
  checkCpfsPath,
  cpfsPathLength,
  describePathProblem,
  type CpfsPathKind,
  type PathCheck,
  type PathProblem,
} from '../cpfs/path-rules.js';
export {
  ENTRY_LIST_ELEMENT_BASE,
  importDestinationOfElement,
  importEntryElement,
  importLayout,
  routeImportDstDirectory,
  STREAM_TASK_DIRECTORY,
  STREAM_TASK_DST_DIRECTORY,
  subTaskDstFilePath,
  subTaskSrcFilePath,
  type EntryListElementBase,
  type ImportLayout,
  type RouteImportLayout,
} from './path-base.js';
export {
  groupByStreamTask,
  NON_OBJECT_EVENT_NAMES,
  planSubmissions,
  streamTaskClientTokenFor,
  streamTaskGroupKey,
  subTaskClientTokenFor,
  type StreamTaskGroup,
} from './plan.js';
export { dedupeByDestination, type DedupeResult } from './dedupe.js';
export { OWN_STATE_PREFIX } from './plan.js';
export {
  CLIENT_TOKEN_PREFIXES,
  importTaskClientToken,
  MAX_CLIENT_TOKEN_LENGTH,
  normalizeETag,
  objectId,
  streamTaskClientToken,
  subTaskClientToken,
  type ImportTaskTokenInput,
  type ObjectIdInput,
  type StreamTaskTokenInput,
  type SubTaskTokenInput,
} from './client-token.js';
export {
  entryListByteLength,
  entryListStats,
  MAX_ENTRY_LIST_BYTES,
  packEntryIndices,
  packEntryLists,
  planImportBatches,
  splitImportBatch,
  type EntryListStats,
  type ImportBatch,
  type ImportBatchPlan,
  type PackedEntryLists,
  type PackedIndices,
  type PackOptions,
} from './entry-list.js';
