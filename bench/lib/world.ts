/**
 * The bench's emulated world (a CPFS for LINGJUN 2.6 file system and a general-purpose CPFS, each with a
 * Running data flow on the bench bucket), the environment a function instance gets for it, and the
 * reading of the emulator's request log.
 */
import { DEFAULT_EMULATOR_KEY } from '../../emulator/server.js';
import type { HostEmulatorOptions, LogEntry } from './emulator-protocol.js';
import { BENCH_BUCKET, BENCH_ROUTES } from './payload.js';

export const WORLD = Object.freeze({
  lingjun: 'bmcpfs-bench00000001',
  lingjunFlow: 'df-bench00000001',
  cpfs: 'cpfs-bench00000001',
  cpfsFlow: 'df-bench00000002',
});

/** Emulator options: both file systems, documented quotas unless overridden, seeded ids. */
export function benchWorld(overrides: Partial<HostEmulatorOptions> = {}): HostEmulatorOptions {
  return {
    seed: 20240501,
    fileSystems: [
      { id: WORLD.lingjun, version: '2.6.0' },
      { id: WORLD.cpfs, version: '2.3.0' },
    ],
    dataFlows: [
      { id: WORLD.lingjunFlow, fileSystemId: WORLD.lingjun, sourceStorage: `oss://${BENCH_BUCKET}` },
      { id: WORLD.cpfsFlow, fileSystemId: WORLD.cpfs, sourceStorage: `oss://${BENCH_BUCKET}` },
    ],
    ...overrides,
  };
}

export interface InstanceEnvOptions {
  readonly kind: 'lingjun' | 'cpfs';
  /** Use the bench routes (3 prefixes, 2 policies); default true. */
  readonly routes?: boolean;
  readonly extra?: Readonly<Record<string, string>>;
}

/**
 * What a function instance's environment holds for the bench world. The access key is the emulator's
 * local test key (not a secret; valid only against the emulator).
 */
export function instanceEnv(endpoint: string, options: InstanceEnvOptions): Record<string, string> {
  const lingjun = options.kind === 'lingjun';
  return {
    CPFS_FILE_SYSTEM_ID: lingjun ? WORLD.lingjun : WORLD.cpfs,
    CPFS_DATA_FLOW_ID: lingjun ? WORLD.lingjunFlow : WORLD.cpfsFlow,
    NAS_ENDPOINT: endpoint,
    FC_REGION: 'cn-hangzhou',
    ALIBABA_CLOUD_ACCESS_KEY_ID: DEFAULT_EMULATOR_KEY.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEFAULT_EMULATOR_KEY.accessKeySecret,
    ...(options.routes === false ? {} : { CPFS_ROUTES: JSON.stringify(BENCH_ROUTES) }),
    ...options.extra,
  };
}

export interface ActionCount {
  readonly requests: number;
  readonly ok: number;
  readonly throttled: number;
  readonly otherErrors: number;
}

export function isThrottle(entry: LogEntry): boolean {
  return entry.code !== undefined && entry.code.startsWith('Throttling');
}

/** Requests per action in the emulator log: all, answered 200, throttled, other errors. */
export function countByAction(entries: readonly LogEntry[]): Record<string, ActionCount> {
  const out: Record<string, { requests: number; ok: number; throttled: number; otherErrors: number }> = {};
  for (const e of entries) {
    const c = (out[e.action] ??= { requests: 0, ok: 0, throttled: 0, otherErrors: 0 });
    c.requests += 1;
    if (e.status === 200) c.ok += 1;
    else if (isThrottle(e)) c.throttled += 1;
    else c.otherErrors += 1;
  }
  return out;
}
