import type { ObjectCreated } from '../../../shared/events/types.js';
import type { PlanningSettings, Route } from '../../../shared/planning/types.js';

/** An ObjectCreated record as the events module produces it (PutObject in bucket `src-bucket`). */
export function objectCreated(overrides: Partial<ObjectCreated> = {}): ObjectCreated {
  return {
    bucket: 'src-bucket',
    key: 'raw/images/a.png',
    size: 122_539,
    eTag: '688A7BF4F233DC9C88A80BF985AB1234',
    eventName: 'ObjectCreated:PutObject',
    eventTime: '2024-06-13T06:45:43.000Z',
    region: 'cn-hangzhou',
    ...overrides,
  };
}

export function route(prefix: string, dstDirectory: string, conflictPolicy: Route['conflictPolicy'] = 'KEEP_LATEST'): Route {
  return { prefix, dstDirectory, conflictPolicy };
}

/** Settings of a LINGJUN data flow over the whole bucket, no routes. */
export function planningSettings(overrides: Partial<PlanningSettings> = {}): PlanningSettings {
  return {
    fileSystemId: 'bmcpfs-290w65p03ok64ya',
    dataFlowId: 'df-194433a5be31****',
    sourceStoragePath: '/',
    routes: [],
    defaultConflictPolicy: 'SKIP_THE_FILE',
    ...overrides,
  };
}
