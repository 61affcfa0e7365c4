/**
 * The deployment file, checked offline: `s.yaml` is rendered by the Serverless Devs CLI itself
 * (`s preview -o json`, which needs neither the network nor the fc3 component — see
 * test/support/s-yaml-render.ts), then every fc3 resource is validated against the fc3 component's JSON
 * schema (vendored at ../shared/vendor/fc3-schema.json beside the clone) and against our own rules: event
 * names, filters, timeout vs batch window, async failure destination, environment variables (accepted by
 * the real config loader), handler bundles, and a RAM policy that covers exactly what the code of each
 * function calls (both functions share one role, so the policy is the union of their needs).
 *
 * The bundle checks read dist/: the suite runs after `npm run build` (`npm test` does both).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { STATE_KEY } from '../../functions/reconcile/state.js';
import { MANIFEST_KEY_PREFIX } from '../../shared/bulk/manifest-names.js';
import { CONFIG_DEFAULTS, CONFIG_VARIABLES, SUBTASK_QUOTA_PER_SECOND, loadConfig } from '../../shared/config/load-config.js';
import {
  RECONCILE_VARIABLES,
  REQUIRED_OSS_EVENTS,
  SHARED_REQUIRED_VARIABLES,
  actionsCalledByBundle,
  checkAsyncInvokeConfig,
  checkBatchTrigger,
  checkEnvironment,
  checkHandlerBundle,
  checkOssTrigger,
  checkRamPolicy,
  checkRequiredVariables,
  checkMemory,
  checkTimeout,
  checkTimerTrigger,
  createFc3Validator,
  everyIntervalSeconds,
  loadFc3Schema,
  maxRecordsForMemory,
  readMemoryFigures,
  requiredMemoryMB,
  requiredTimeoutSeconds,
  type Fc3Validator,
  type Grant,
} from '../support/s-yaml-checks.js';
import { RENDER_ACCOUNT_ID, renderServerlessYaml, type RenderedSpec } from '../support/s-yaml-render.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FC3_SCHEMA_PATH = resolve(REPO_ROOT, '../shared/vendor/fc3-schema.json');
const RAM_POLICY_PATH = resolve(REPO_ROOT, 'deploy/ram-policy.json');
const ROUTES_EXAMPLE = readFileSync(resolve(REPO_ROOT, 'deploy/routes.example.json'), 'utf8');

/** Required inputs of s.yaml, with realistic values. */
const REQUIRED_ENV = {
  OSS_BUCKET: 'cpfs-ingest-test-bucket',
  CPFS_FILE_SYSTEM_ID: 'bmcpfs-290w65p03ok64ya3vs0',
  CPFS_DATA_FLOW_ID: 'df-194433a5be31',
  CPFS_LOG_PROJECT: 'cpfs-ingest-logs',
  CPFS_LOG_STORE: 'functions',
};

/** Native OSS trigger, with non-default region, paths and an inline route table. */
const OSS_MODE_ENV = {
  ...REQUIRED_ENV,
  CPFS_REGION: 'cn-shanghai',
  CPFS_SOURCE_STORAGE_PATH: '/incoming/',
  CPFS_EVENT_PREFIX: 'incoming/',
  CPFS_ROUTES: JSON.stringify(JSON.parse(ROUTES_EXAMPLE)),
};
/** Batched path, every optional input at its default. */
const BATCH_MODE_ENV = { ...REQUIRED_ENV, CPFS_TRIGGER_MODE: 'mns-batch' };

const FUNCTIONS = [
  { resource: 'ossStreamImport', dist: 'dist/oss-stream-import' },
  { resource: 'reconcile', dist: 'dist/reconcile' },
] as const;

const Trigger = z.looseObject({ triggerName: z.string(), triggerType: z.string(), triggerConfig: z.unknown() });
const FunctionProps = z.looseObject({
  region: z.string(),
  functionName: z.string(),
  runtime: z.string(),
  code: z.string(),
  handler: z.string(),
  timeout: z.number(),
  memorySize: z.number(),
  role: z.string(),
  environmentVariables: z.record(z.string(), z.string()),
  asyncInvokeConfig: z.looseObject({ maxAsyncEventAgeInSeconds: z.number() }),
  concurrencyConfig: z.looseObject({ reservedConcurrency: z.number() }).optional(),
  logConfig: z.looseObject({ project: z.string(), logstore: z.string() }),
  triggers: z.array(Trigger),
});
type FunctionProps = z.infer<typeof FunctionProps>;

function resource(spec: RenderedSpec, name: string): Record<string, unknown> {
  const found = spec.resources[name];
  if (found === undefined) throw new Error(`resource ${name} is missing`);
  return found.props;
}
const functionProps = (spec: RenderedSpec, name: string): FunctionProps => FunctionProps.parse(resource(spec, name));
const stringVar = (spec: RenderedSpec, name: string): string => z.string().parse(spec.vars[name]);

/** Inputs of the timeout rule for oss-stream-import, read from the rendered file. */
function timeoutInputs(props: FunctionProps, recordsPerInvocation: number) {
  const rate = props.environmentVariables['CPFS_SUBTASK_RATE'];
  return {
    recordsPerInvocation,
    concurrentInvocations: props.concurrencyConfig?.reservedConcurrency ?? Number.POSITIVE_INFINITY,
    perInstanceRate: rate ? Number(rate) : CONFIG_DEFAULTS.subTaskRatePerSecond,
    quotaPerSecond: SUBTASK_QUOTA_PER_SECOND,
  };
}

type FunctionResource = (typeof FUNCTIONS)[number]['resource'];

/**
 * What one function needs from RAM, derived from the rendered file (not from the policy). reconcile also
 * lists the bucket and reads/replaces its state object — that one key only (STATE_KEY, from its code).
 */
function expectedGrantsOf(spec: RenderedSpec, fn: FunctionResource): Grant[] {
  const props = functionProps(spec, fn);
  const fileSystemId = z.string().parse(props.environmentVariables['CPFS_FILE_SYSTEM_ID']);
  const nas = `acs:nas:${props.region}:${RENDER_ACCOUNT_ID}:filesystem/${fileSystemId}`;
  const destination = z.object({ destinationConfig: z.object({ onFailure: z.object({ destination: z.string() }) }) })
    .parse(props.asyncInvokeConfig).destinationConfig.onFailure.destination;
  const { project, logstore } = props.logConfig;
  const bucket = `acs:oss:*:${RENDER_ACCOUNT_ID}:${stringVar(spec, 'bucket')}`;
  const common: Grant[] = [
    ...['CreateDataFlowTask', 'CreateDataFlowSubTask', 'DescribeDataFlowTasks', 'DescribeDataFlowSubTasks', 'DescribeDataFlows']
      .map((action) => ({ action: `nas:${action}`, resource: nas })),
    { action: 'mns:SendMessage', resource: destination },
    { action: 'log:PostLogStoreLogs', resource: `acs:log:${props.region}:${RENDER_ACCOUNT_ID}:project/${project}/logstore/${logstore}` },
  ];
  // Burst manifests (shared/ingest/stream/burst.ts): written, and deletable, under .cpfs-ingest/manifests/ only.
  const manifests = `${bucket}/${MANIFEST_KEY_PREFIX}*`;
  if (fn === 'ossStreamImport') {
    return [...common, { action: 'oss:PutObject', resource: manifests }, { action: 'oss:DeleteObject', resource: manifests }];
  }
  return [
    ...common,
    { action: 'oss:ListObjects', resource: bucket },
    { action: 'oss:GetObject', resource: `${bucket}/${STATE_KEY}` },
    { action: 'oss:PutObject', resource: `${bucket}/${STATE_KEY}` },
    // It deletes the manifests of completed burst Imports (shared/bulk/manifest-cleanup.ts).
    { action: 'oss:DeleteObject', resource: manifests },
  ];
}

/** Both functions run with one role (asserted below), so its policy must grant the union of their needs. */
function expectedGrants(spec: RenderedSpec): Grant[] {
  const unique = new Map(FUNCTIONS.flatMap((f) => expectedGrantsOf(spec, f.resource)).map((g) => [`${g.action} on ${g.resource}`, g]));
  return [...unique.values()];
}

/** Values for the `<name>` placeholders of deploy/ram-policy.json, taken from the rendered file. */
function policyPlaceholders(spec: RenderedSpec): Record<string, string> {
  const ingest = functionProps(spec, 'ossStreamImport');
  return {
    region: ingest.region,
    'account-id': RENDER_ACCOUNT_ID,
    'file-system-id': z.string().parse(ingest.environmentVariables['CPFS_FILE_SYSTEM_ID']),
    bucket: stringVar(spec, 'bucket'),
    'failure-queue': stringVar(spec, 'failureQueue'),
    'log-project': ingest.logConfig.project,
    'log-store': ingest.logConfig.logstore,
  };
}

let ossMode: RenderedSpec;
let batchMode: RenderedSpec;
let validator: Fc3Validator;

beforeAll(async () => {
  validator = createFc3Validator(loadFc3Schema(FC3_SCHEMA_PATH));
  [ossMode, batchMode] = await Promise.all([
    renderServerlessYaml({ cwd: REPO_ROOT, env: OSS_MODE_ENV }),
    renderServerlessYaml({ cwd: REPO_ROOT, env: BATCH_MODE_ENV }),
  ]);
});

const modes = () => [['oss', ossMode], ['mns-batch', batchMode]] as const;

describe('s.yaml rendered offline by `s preview -o json`', () => {
  it('resolves every variable in both trigger modes', () => {
    for (const [, spec] of modes()) {
      expect(spec.edition).toBe('3.0.0');
      expect(Object.keys(spec.resources).sort()).toEqual(['ossStreamImport', 'reconcile']);
      expect(JSON.stringify(spec.resources)).not.toContain('${');
      for (const fn of FUNCTIONS) expect(spec.resources[fn.resource]?.component).toBe('fc3');
    }
    expect(functionProps(ossMode, 'ossStreamImport').role).toBe(`acs:ram::${RENDER_ACCOUNT_ID}:role/cpfs-ingest-fc`);
    // One role for both: deploy/ram-policy.json is that role's policy (the union of both functions' needs).
    expect(functionProps(ossMode, 'reconcile').role).toBe(functionProps(ossMode, 'ossStreamImport').role);
  });

  it('validates every resource against the fc3 schema, trigger configs by their type, with no unknown key', () => {
    for (const [mode, spec] of modes()) {
      for (const fn of FUNCTIONS) {
        const props = resource(spec, fn.resource);
        const where = `${mode}/${fn.resource}`;
        expect(validator.validateProps(props), where).toEqual([]);
        expect(validator.findUnknownKeys(props), where).toEqual([]);
        for (const trigger of functionProps(spec, fn.resource).triggers) {
          expect(validator.validateTriggerConfig(trigger.triggerType, trigger.triggerConfig), `${where}/${trigger.triggerName}`).toEqual([]);
        }
      }
    }
  });

  it('runs both functions on nodejs20 from their bundles, built before deploy', () => {
    for (const [, spec] of modes()) {
      for (const fn of FUNCTIONS) {
        const props = functionProps(spec, fn.resource);
        expect(props.runtime).toBe('nodejs20');
        expect(props.handler).toBe('index.handler');
        expect(props.code).toBe(`./${fn.dist}`);
        expect(spec.resources[fn.resource]?.actions).toEqual({ 'pre-deploy': [{ run: 'npm run build', path: './' }] });
      }
    }
  });

  it('finds each handler in dist/<function>/index.js (fails until the function is written and built)', () => {
    const problems = FUNCTIONS.flatMap((fn) => checkHandlerBundle(REPO_ROOT, functionProps(ossMode, fn.resource)));
    expect(problems).toEqual([]);
  });

  it('oss mode: one native OSS trigger, exactly the four complete-object events, prefix and suffix set', () => {
    const props = functionProps(ossMode, 'ossStreamImport');
    expect(props.triggers.map((t) => t.triggerType)).toEqual(['oss']);
    const expected = {
      region: 'cn-shanghai',
      accountId: RENDER_ACCOUNT_ID,
      bucket: OSS_MODE_ENV.OSS_BUCKET,
      sourceStoragePath: OSS_MODE_ENV.CPFS_SOURCE_STORAGE_PATH,
    };
    expect(checkOssTrigger(props.triggers[0], expected)).toEqual([]);
    expect(JSON.stringify(props.triggers)).not.toContain('ObjectCreated:*');
  });

  it('mns-batch mode: one batching EventBridge trigger on the MNS queue and no OSS trigger', () => {
    const props = functionProps(batchMode, 'ossStreamImport');
    expect(props.triggers.map((t) => t.triggerType)).toEqual(['eventbridge']);
    expect(checkBatchTrigger(props.triggers[0])).toEqual([]);
  });

  it('sizes the timeout for a full batch at the sub-task quota, with bounded concurrency', () => {
    const batchProps = functionProps(batchMode, 'ossStreamImport');
    const window = z.object({ triggerConfig: z.object({ runOptions: z.object({ batchWindow: z.object({ CountBasedWindow: z.number() }) }) }) })
      .parse(batchProps.triggers[0]).triggerConfig.runOptions.batchWindow.CountBasedWindow;
    expect(checkTimeout(batchProps.timeout, timeoutInputs(batchProps, window))).toEqual([]);
    const ossProps = functionProps(ossMode, 'ossStreamImport');
    expect(checkTimeout(ossProps.timeout, timeoutInputs(ossProps, 1))).toEqual([]);
  });

  it('sizes memory for a full batch from the bench memory figures, and says which batch each size holds', () => {
    const figures = readMemoryFigures(resolve(REPO_ROOT, 'bench/results/latest.json'));
    const batchProps = functionProps(batchMode, 'ossStreamImport');
    const window = z.object({ triggerConfig: z.object({ runOptions: z.object({ batchWindow: z.object({ CountBasedWindow: z.number() }) }) }) })
      .parse(batchProps.triggers[0]).triggerConfig.runOptions.batchWindow.CountBasedWindow;
    expect(checkMemory(batchProps.memorySize, window, figures)).toEqual([]);
    // The rule can fail: just past the largest batch a 128 MB instance holds, it does.
    expect(checkMemory(128, maxRecordsForMemory(128, figures) + 500, figures)).toHaveLength(1);
    // deploy/DEPLOY.md's table states the largest batch per memory size; it must follow the same figures.
    const deployDoc = readFileSync(resolve(REPO_ROOT, 'deploy/DEPLOY.md'), 'utf8');
    for (const memoryMB of [128, 256, 512]) {
      const records = Math.min(10_000, maxRecordsForMemory(memoryMB, figures));
      const shown = records >= 10_000 ? 'any batch (≤ 10,000)' : `≤ ${(Math.floor(records / 500) * 500).toLocaleString('en-US')}`;
      expect(deployDoc, `DEPLOY.md row for ${memoryMB} MB`).toContain(`| ${memoryMB} MB | ${shown} |`);
      expect(requiredMemoryMB(Math.min(records, 10_000), figures)).toBeLessThanOrEqual(memoryMB);
    }
  });

  it('sends async invocations that fail every retry to a failure destination', () => {
    for (const [mode, spec] of modes()) {
      for (const fn of FUNCTIONS) {
        const props = functionProps(spec, fn.resource);
        expect(checkAsyncInvokeConfig(props.asyncInvokeConfig, { region: props.region, accountId: RENDER_ACCOUNT_ID }), `${mode}/${fn.resource}`).toEqual([]);
      }
    }
  });

  it('runs reconcile on an enabled timer, one sweep at a time, each ending before the next tick', () => {
    const props = functionProps(ossMode, 'reconcile');
    expect(props.triggers.map((t) => t.triggerType)).toEqual(['timer']);
    expect(props.concurrencyConfig?.reservedConcurrency).toBe(1);
    const fn = { timeoutSeconds: props.timeout, maxAsyncEventAgeInSeconds: props.asyncInvokeConfig.maxAsyncEventAgeInSeconds };
    expect(checkTimerTrigger(props.triggers[0], fn)).toEqual([]);
  });

  it('passes only documented variables, as strings within 4 KB, that the real config loader accepts', () => {
    const functionVariables = CONFIG_VARIABLES.filter((name) => !name.startsWith('FC_'));
    for (const [mode, spec] of modes()) {
      const ingest = functionProps(spec, 'ossStreamImport');
      const reconcile = functionProps(spec, 'reconcile');
      // reconcile-only variables have no business in the ingest function's 4 KB.
      const ingestVariables = functionVariables.filter((name) => !(RECONCILE_VARIABLES as readonly string[]).includes(name));
      expect(checkEnvironment(ingest.environmentVariables, ingestVariables), mode).toEqual([]);
      expect(checkEnvironment(reconcile.environmentVariables, [...functionVariables, ...RECONCILE_VARIABLES]), mode).toEqual([]);

      const ingestConfig = loadConfig({ ...ingest.environmentVariables, FC_REGION: ingest.region });
      expect(ingestConfig.notes, mode).toEqual([]);
      const reconcileConfig = loadConfig({ ...reconcile.environmentVariables, FC_REGION: reconcile.region });
      const otherNotes = reconcileConfig.notes.filter((note) => !RECONCILE_VARIABLES.some((name) => note.startsWith(name)));
      expect(otherNotes, mode).toEqual([]);
    }
    // The example route table went through CPFS_ROUTES in oss mode.
    const config = loadConfig({ ...functionProps(ossMode, 'ossStreamImport').environmentVariables, FC_REGION: 'cn-shanghai' });
    expect(config.routes).toHaveLength(3);
    expect(config.sourceStoragePath).toBe('/incoming/');
  });

  it('passes the bucket (OSS_BUCKET) to both functions: ingest rejects records of any other bucket', () => {
    for (const [mode, spec] of modes()) {
      for (const fn of FUNCTIONS) {
        const env = functionProps(spec, fn.resource).environmentVariables;
        expect(checkRequiredVariables(env, SHARED_REQUIRED_VARIABLES), `${mode}/${fn.resource}`).toEqual([]);
        expect(env['OSS_BUCKET'], `${mode}/${fn.resource}`).toBe(REQUIRED_ENV.OSS_BUCKET);
      }
      const ingest = functionProps(spec, 'ossStreamImport');
      const config = loadConfig({ ...ingest.environmentVariables, FC_REGION: ingest.region });
      expect(config.planning.bucket, mode).toBe(REQUIRED_ENV.OSS_BUCKET);
    }
    const { OSS_BUCKET: _dropped, ...withoutBucket } = functionProps(ossMode, 'ossStreamImport').environmentVariables;
    expect(checkRequiredVariables(withoutBucket, SHARED_REQUIRED_VARIABLES)).toEqual(['environmentVariables.OSS_BUCKET: missing or empty']);
    expect(checkRequiredVariables({ ...withoutBucket, OSS_BUCKET: ' ' }, ['OSS_BUCKET'])).toHaveLength(1);
  });

  it('derives the NAS (public) and OSS (internal) endpoints from the region', () => {
    const ingest = functionProps(ossMode, 'ossStreamImport').environmentVariables;
    const reconcile = functionProps(ossMode, 'reconcile').environmentVariables;
    expect(ingest['NAS_ENDPOINT']).toBe('https://nas.cn-shanghai.aliyuncs.com');
    expect(reconcile['OSS_S3_ENDPOINT']).toBe('https://s3.oss-cn-shanghai-internal.aliyuncs.com');
    expect(reconcile['OSS_BUCKET']).toBe(OSS_MODE_ENV.OSS_BUCKET);
  });
});

describe('deploy/ram-policy.json', () => {
  const policy = readFileSync(RAM_POLICY_PATH, 'utf8');

  it('grants exactly what the rendered deployment needs, on its resources, without wildcards', () => {
    for (const [mode, spec] of modes()) {
      expect(checkRamPolicy(policy, policyPlaceholders(spec), expectedGrants(spec)), mode).toEqual([]);
    }
  });

  it('covers every action the bundled code of each function calls, and each function needs what it is granted', () => {
    for (const fn of FUNCTIONS) {
      const granted = new Set(expectedGrantsOf(ossMode, fn.resource).map((g) => g.action));
      const { actions, sources } = actionsCalledByBundle(resolve(REPO_ROOT, fn.dist, 'index.js'));
      expect(sources.length, fn.dist).toBeGreaterThan(0);
      expect([...actions].filter((action) => !granted.has(action)), fn.dist).toEqual([]);
      // The other way round for OSS (NAS calls hide behind the DataFlowApi port and are always granted):
      // an OSS grant nothing in the bundle uses is a stale grant.
      expect([...granted].filter((action) => action.startsWith('oss:') && !actions.has(action)), fn.dist).toEqual([]);
    }
  });

  it('lets the event function write and delete objects under .cpfs-ingest/manifests/ only', () => {
    const objectGrants = expectedGrantsOf(ossMode, 'ossStreamImport').filter((g) => g.action.startsWith('oss:'));
    expect(objectGrants.map((g) => g.action).sort()).toEqual(['oss:DeleteObject', 'oss:PutObject']);
    for (const grant of objectGrants) expect(grant.resource).toBe(`acs:oss:*:${RENDER_ACCOUNT_ID}:${OSS_MODE_ENV.OSS_BUCKET}/.cpfs-ingest/manifests/*`);
    const text = readFileSync(RAM_POLICY_PATH, 'utf8');
    expect(text).toContain('<bucket>/.cpfs-ingest/manifests/*');
    for (const wider of ['<bucket>/*', '<bucket>/.cpfs-ingest/*']) {
      const problems = checkRamPolicy(text.replace('<bucket>/.cpfs-ingest/manifests/*', wider), policyPlaceholders(ossMode), expectedGrants(ossMode));
      expect(problems.join(), wider).toContain('broader than needed: oss:DeleteObject');
      expect(problems.join(), wider).toContain('missing: oss:DeleteObject');
    }
  });

  it('gives reconcile object access to its state object only', () => {
    const state = expectedGrantsOf(ossMode, 'reconcile').filter((g) => g.action === 'oss:GetObject' || g.action === 'oss:PutObject');
    expect(state.map((g) => g.action).sort()).toEqual(['oss:GetObject', 'oss:PutObject']);
    for (const grant of state) expect(grant.resource).toBe(`acs:oss:*:${RENDER_ACCOUNT_ID}:${OSS_MODE_ENV.OSS_BUCKET}/.cpfs-ingest/reconcile-state.json`);
  });
});

describe('the checks reject broken deployments (mutated copies of the rendered file)', () => {
  const ossTrigger = () => structuredClone(functionProps(ossMode, 'ossStreamImport').triggers[0]);
  const expectations = {
    region: 'cn-shanghai', accountId: RENDER_ACCOUNT_ID, bucket: OSS_MODE_ENV.OSS_BUCKET, sourceStoragePath: '/incoming/',
  };

  it('rejects the oss:ObjectCreated:* wildcard', () => {
    const trigger = z.looseObject({ triggerConfig: z.looseObject({ events: z.array(z.string()) }) }).parse(ossTrigger());
    trigger.triggerConfig.events = ['oss:ObjectCreated:*'];
    const problems = checkOssTrigger(trigger, expectations);
    expect(problems.some((p) => p.includes('wildcard'))).toBe(true);
    for (const event of REQUIRED_OSS_EVENTS) expect(problems).toContain(`events: "${event}" is missing`);
  });

  it('rejects a filter without suffix, a trigger outside the source path, and a missing event', () => {
    const noSuffix = z.looseObject({ triggerConfig: z.looseObject({ filter: z.looseObject({ key: z.record(z.string(), z.string()) }) }) }).parse(ossTrigger());
    delete noSuffix.triggerConfig.filter.key['suffix'];
    expect(checkOssTrigger(noSuffix, expectations)).not.toEqual([]);
    expect(validator.validateTriggerConfig('oss', noSuffix.triggerConfig)).not.toEqual([]);

    const outside = z.looseObject({ triggerConfig: z.looseObject({ filter: z.looseObject({ key: z.looseObject({ prefix: z.string() }) }) }) }).parse(ossTrigger());
    outside.triggerConfig.filter.key.prefix = 'elsewhere/';
    expect(checkOssTrigger(outside, expectations).join()).toContain('outside the source path');

    const three = z.looseObject({ triggerConfig: z.looseObject({ events: z.array(z.string()) }) }).parse(ossTrigger());
    three.triggerConfig.events.pop();
    expect(checkOssTrigger(three, expectations)).toEqual(['events: "oss:ObjectCreated:CompleteMultipartUpload" is missing']);
  });

  it('rejects unknown keys and an EventBridge config the schema requires more of', () => {
    const props = structuredClone(resource(ossMode, 'ossStreamImport'));
    props['asyncInvokeConfigs'] = props['asyncInvokeConfig'];
    expect(validator.findUnknownKeys(props).join()).toContain('asyncInvokeConfigs');

    const batch = z.looseObject({ triggerConfig: z.record(z.string(), z.unknown()) }).parse(structuredClone(functionProps(batchMode, 'ossStreamImport').triggers[0]));
    delete batch.triggerConfig['eventSinkConfig'];
    expect(validator.validateTriggerConfig('eventbridge', batch.triggerConfig).join()).toContain('eventSinkConfig');
    batch.triggerConfig['asyncInvocationType'] = true;
    expect(checkBatchTrigger(batch).join()).toContain('asyncInvocationType');
  });

  it('rejects a timeout too short for the batch, or unbounded concurrency', () => {
    const inputs = { recordsPerInvocation: 1000, concurrentInvocations: 10, perInstanceRate: 90, quotaPerSecond: 100 };
    expect(checkTimeout(129, inputs)).toHaveLength(1);
    expect(checkTimeout(130, inputs)).toEqual([]);
    expect(checkTimeout(600, { ...inputs, concurrentInvocations: Number.POSITIVE_INFINITY })).toHaveLength(1);
  });

  it('rejects undocumented, non-string and oversized environment variables', () => {
    expect(checkEnvironment({ CPFS_ROUTE: '[]' }, ['CPFS_ROUTES'])).toHaveLength(1);
    expect(checkEnvironment({ CPFS_DRY_RUN: true }, ['CPFS_DRY_RUN'])).toHaveLength(1);
    expect(checkEnvironment({ CPFS_ROUTES: 'x'.repeat(4096) }, ['CPFS_ROUTES']).join()).toContain('4096');
  });

  it('rejects an async config without failure destination', () => {
    const config = { maxAsyncRetryAttempts: 3, maxAsyncEventAgeInSeconds: 60, destinationConfig: { onSuccess: { destination: 'x' } } };
    expect(checkAsyncInvokeConfig(config, { region: 'cn-shanghai', accountId: RENDER_ACCOUNT_ID })).not.toEqual([]);
    const wrongRegion = { ...config, destinationConfig: { onFailure: { destination: `acs:mns:cn-beijing:${RENDER_ACCOUNT_ID}:/queues/q/messages` } } };
    expect(checkAsyncInvokeConfig(wrongRegion, { region: 'cn-shanghai', accountId: RENDER_ACCOUNT_ID })).toHaveLength(1);
  });

  it('rejects a policy with a wildcard, an extra action or a missing one', () => {
    const policy = z.looseObject({ Statement: z.array(z.looseObject({ Action: z.union([z.string(), z.array(z.string())]) })) })
      .parse(JSON.parse(readFileSync(RAM_POLICY_PATH, 'utf8')));
    const variant = (edit: (actions: string[][]) => void): string => {
      const copy = structuredClone(policy);
      const lists = copy.Statement.map((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
      edit(lists);
      copy.Statement.forEach((s, i) => (s.Action = lists[i] ?? []));
      return JSON.stringify(copy);
    };
    const placeholders = policyPlaceholders(ossMode);
    const grants = expectedGrants(ossMode);
    expect(checkRamPolicy(variant(() => {}), placeholders, grants)).toEqual([]);
    expect(checkRamPolicy(variant((l) => l[0]?.push('nas:*')), placeholders, grants).join()).toContain('wildcard');
    expect(checkRamPolicy(variant((l) => l[0]?.push('nas:CancelDataFlowTask')), placeholders, grants).join()).toContain('broader than needed');
    expect(checkRamPolicy(variant((l) => l[1]?.pop()), placeholders, grants).join()).toContain('missing: oss:ListObjects');
    expect(checkRamPolicy(variant((l) => l[2]?.pop()), placeholders, grants).join()).toContain('missing: oss:PutObject');
  });

  it('rejects object access widened beyond the state object', () => {
    const text = readFileSync(RAM_POLICY_PATH, 'utf8');
    expect(text).toContain('<bucket>/.cpfs-ingest/reconcile-state.json');
    const grants = expectedGrants(ossMode);
    for (const wider of ['<bucket>/*', '<bucket>/.cpfs-ingest/*']) {
      const problems = checkRamPolicy(text.replace('<bucket>/.cpfs-ingest/reconcile-state.json', wider), policyPlaceholders(ossMode), grants);
      expect(problems.join(), wider).toContain('broader than needed: oss:PutObject');
      expect(problems.join(), wider).toContain('missing: oss:GetObject');
    }
  });
});

describe('rules behind the checks', () => {
  it('computes the timeout from batch size, concurrency, rates and margin', () => {
    expect(requiredTimeoutSeconds({ recordsPerInvocation: 1000, concurrentInvocations: 10, perInstanceRate: 90, quotaPerSecond: 100 })).toBe(130);
    // Alone, an instance is held to its own cap (1000 / 90 = 11.2 s), slower than its share of the quota.
    expect(requiredTimeoutSeconds({ recordsPerInvocation: 1000, concurrentInvocations: 1, perInstanceRate: 90, quotaPerSecond: 100 })).toBe(42);
    expect(requiredTimeoutSeconds({ recordsPerInvocation: 1, concurrentInvocations: 10, perInstanceRate: 90, quotaPerSecond: 100 })).toBe(31);
  });

  it('reads @every intervals and leaves cron expressions alone', () => {
    expect(everyIntervalSeconds('@every 15m')).toBe(900);
    expect(everyIntervalSeconds('@every 1h30m')).toBe(5400);
    expect(everyIntervalSeconds('0 */15 * * * *')).toBeUndefined();
  });
});

describe('rendering refuses bad input', () => {
  it('names a missing required variable', async () => {
    const { CPFS_FILE_SYSTEM_ID: _omitted, ...env } = REQUIRED_ENV;
    await expect(renderServerlessYaml({ cwd: REPO_ROOT, env })).rejects.toThrow("env('CPFS_FILE_SYSTEM_ID') not found");
  });

  it('refuses an unknown trigger mode instead of deploying the default', async () => {
    await expect(renderServerlessYaml({ cwd: REPO_ROOT, env: { ...REQUIRED_ENV, CPFS_TRIGGER_MODE: 'sqs' } }))
      .rejects.toThrow('CPFS_TRIGGER_MODE is not oss, mns-batch or mns');
  });
});

describe('optional VPC, tuning variables and the mns alias (issue 9)', () => {
  const TUNING = { CPFS_MAX_CONCURRENCY: '8', CPFS_SUBTASK_RATE: '50', CPFS_DEADLINE_MARGIN_MS: '5000', CPFS_LOG_LEVEL: 'warn' };
  const VPC = { CPFS_VPC_ID: 'vpc-bp1abc', CPFS_VSWITCH_IDS: 'vsw-bp1one, vsw-bp1two', CPFS_SECURITY_GROUP_ID: 'sg-bp1abc' };
  let inVpc: RenderedSpec;
  beforeAll(async () => {
    inVpc = await renderServerlessYaml({ cwd: REPO_ROOT, env: { ...REQUIRED_ENV, ...TUNING, ...VPC, CPFS_TRIGGER_MODE: 'mns' } });
  });

  it('without CPFS_VPC_ID: the all-empty vpcConfig and the public endpoint', () => {
    for (const fn of FUNCTIONS) expect(functionProps(ossMode, fn.resource)['vpcConfig']).toEqual({ vpcId: '', vSwitchIds: [], securityGroupId: '' });
    expect(functionProps(ossMode, 'ossStreamImport').environmentVariables['NAS_ENDPOINT']).toBe('https://nas.cn-shanghai.aliyuncs.com');
  });

  it('with CPFS_VPC_ID: vpcConfig on both functions (schema-valid) and the nas-vpc endpoint', () => {
    for (const fn of FUNCTIONS) {
      const props = functionProps(inVpc, fn.resource);
      expect(props['vpcConfig']).toEqual({ vpcId: 'vpc-bp1abc', vSwitchIds: ['vsw-bp1one', 'vsw-bp1two'], securityGroupId: 'sg-bp1abc' });
      expect(props.environmentVariables['NAS_ENDPOINT']).toBe('https://nas-vpc.cn-hangzhou.aliyuncs.com');
    }
    for (const [name, resource] of Object.entries(inVpc.resources)) expect(validator.validateProps(resource.props), name).toEqual([]);
  });

  it('passes the tuning variables to both functions, and the loader reads them', () => {
    for (const fn of FUNCTIONS) {
      const env = functionProps(inVpc, fn.resource).environmentVariables;
      expect(env).toMatchObject(TUNING);
      const config = loadConfig({ ...env, FC_REGION: 'cn-hangzhou' });
      expect([config.maxConcurrency, config.subTaskRatePerSecond, config.deadlineMarginMs, config.logLevel]).toEqual([8, 50, 5000, 'warn']);
    }
  });

  it('CPFS_TRIGGER_MODE=mns is mns-batch', () => {
    const triggers = functionProps(inVpc, 'ossStreamImport').triggers;
    expect(triggers.map((t) => t.triggerType)).toEqual(['eventbridge']);
  });
});
