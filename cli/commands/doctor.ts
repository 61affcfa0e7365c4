/**
 * `cpfs-ingest doctor`: checks the configuration and the target, each check printing pass / warn / fail /
 * skip with what to fix. Reads only, plus DryRun calls (the service validates, nothing is created).
 */
import type { Config } from '../../shared/config/load-config.js';
import { ConfigError, NasApiError } from '../../shared/errors.js';
import { describeError, isCredentialProblem } from '../../shared/nas/classify.js';
import type { NasClient } from '../../shared/nas/client.js';
import { CREDENTIAL_ENV } from '../../shared/nas/credentials.js';
import type { CreateDataFlowTaskParams } from '../../shared/nas/types.js';
import type { DataFlow } from '../../shared/nas/wire.js';
import { listObjects } from '../../shared/oss/listing.js';
import { importEntryElement, sourceKeyPrefix } from '../../shared/planning/index.js';
import { COMMON_HELP, parseCommandArgs } from '../args.js';
import type { Env } from '../config-source.js';
import { EXIT, EXIT_CODES_HELP } from '../exit-codes.js';
import { println, printJson, type CliIo } from '../io.js';
import { cliConfig, cliEnv, cliEnvListingClient, cliRuntime } from '../wiring.js';

export const DOCTOR_HELP = `Usage: cpfs-ingest doctor [options]

Checks, each printed as PASS / WARN / FAIL / SKIP with what to fix:
  config                   the configuration variables parse
  stream-import-supported  the file system's edition and version allow the import mode
  credentials              an AccessKey is in the environment (or --config file)
  credentials-accepted     the NAS endpoint answers and accepts the signature and key
  data-flow-exists         DescribeDataFlows finds CPFS_DATA_FLOW_ID on CPFS_FILE_SYSTEM_ID
  data-flow-running        the data flow is Running (tasks can be created only then)
  source-storage-path      its SourceStoragePath equals CPFS_SOURCE_STORAGE_PATH
  source-bucket            its SourceStorage bucket equals OSS_BUCKET (when set)
  dry-run-create-task      a DryRun CreateDataFlowTask (StreamImport or Import, as the mode picks) is accepted
  oss-listing              OSS_BUCKET can be listed (when set)
Only reads and DryRun calls are sent.
${COMMON_HELP}

${EXIT_CODES_HELP}
  (doctor: 1 when a check failed)`;

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix?: string;
}

/** What to do about an error code of the NAS API, in the operator's terms. */
const FIXES: Readonly<Record<string, string>> = {
  'InvalidAccessKeyId.NotFound': 'the AccessKey ID is not known to the service: check ALIBABA_CLOUD_ACCESS_KEY_ID (and that it is not disabled)',
  SignatureDoesNotMatch: 'the AccessKey secret does not belong to the AccessKey ID: check ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  'InvalidSecurityToken.Expired': 'the STS token has expired: get fresh credentials (ALIBABA_CLOUD_SECURITY_TOKEN)',
  'InvalidSecurityToken.MismatchWithAccessKey': 'the STS token belongs to other credentials: set the three ALIBABA_CLOUD_* variables from one AssumeRole answer',
  MissingSecurityToken: 'STS credentials (STS.…) need ALIBABA_CLOUD_SECURITY_TOKEN',
  'InvalidTimeStamp.Expired': "this machine's clock is more than 15 minutes off: sync it (NTP)",
  'Forbidden.RAM': 'the RAM identity lacks a NAS permission on this file system: grant the actions in deploy/ram-policy.json',
  'InvalidFileSystem.NotFound': 'CPFS_FILE_SYSTEM_ID does not exist for this account in this region: check the id and FC_REGION / NAS_ENDPOINT',
  'InvalidDataFlow.NotFound': 'CPFS_DATA_FLOW_ID is not a data flow of CPFS_FILE_SYSTEM_ID',
  'OperationDenied.InvalidState': 'the data flow is not Running: start it (or wait until it is) before creating tasks',
  'InvalidFilesystemVersion.NotSupport': 'the file system is older than 2.6: StreamImport needs CPFS for LINGJUN 2.6+ — use batch (CPFS_IMPORT_MODE=batch, or auto)',
  'OperationDenied.DataFlowNotSupported': 'the data flow does not support this task: StreamImport needs CPFS for LINGJUN 2.6+ — use CPFS_IMPORT_MODE=batch or auto',
  'OperationDenied.DependencyViolation': 'the data flow already runs its maximum of batch tasks (4 on CPFS for LINGJUN): wait for them or cancel some',
  NetworkError: 'the NAS endpoint cannot be reached: check NAS_ENDPOINT / FC_REGION and the network (inside a VPC use nas-vpc.<region>.aliyuncs.com)',
  Timeout: 'the NAS endpoint did not answer in time: check NAS_ENDPOINT and the network',
  Throttling: 'the API quota is exhausted right now: run doctor again in a minute',
  'Throttling.User': 'the API quota is exhausted right now: run doctor again in a minute',
  'Throttling.Api': 'the API quota is exhausted right now: run doctor again in a minute',
};
/** The problem loadConfig reports for StreamImport forced on a `cpfs-` file system (shared/config/load-config.ts). */
const STREAM_ON_GENERAL_RULE = /^stream needs CPFS for LINGJUN/;

function codeOf(error: unknown): string {
  return describeError(error).code;
}
function fixFor(error: unknown): string | undefined {
  return FIXES[codeOf(error)];
}
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function runDoctor(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {});
  if (values.help) {
    println(io, DOCTOR_HELP);
    return EXIT.OK;
  }
  const env = cliEnv(io, values);
  const checks = await diagnose(env);
  const failed = checks.some((c) => c.status === 'fail');
  if (values.json) {
    printJson(io, { ok: !failed, checks });
  } else {
    for (const check of checks) {
      println(io, `${check.status.toUpperCase().padEnd(4)}  ${check.name.padEnd(24)} ${check.detail}`);
      if (check.fix !== undefined) println(io, `${' '.repeat(31)}fix: ${check.fix}`);
    }
    println(io);
    println(io, failed ? `${checks.filter((c) => c.status === 'fail').length} check(s) failed` : 'all checks passed');
  }
  return failed ? EXIT.FAILED : EXIT.OK;
}

/** Runs every check in order; a check that cannot run for an earlier failure is `skip` with the reason. */
export async function diagnose(env: Env): Promise<CheckResult[]> {
  const checks: CheckResult[] = [];
  const add = (check: CheckResult) => checks.push(check);

  // 1. Configuration. StreamImport forced on a cpfs- file system is a config error; name it as its own check
  // and go on with the other checks as if the mode were batch, so one run shows every problem.
  let config: Config | undefined;
  let streamOnGeneral = false;
  try {
    config = cliConfig(env);
    add({ name: 'config', status: 'pass', detail: `${config.fileSystemId}, ${config.dataFlowId}, CPFS_IMPORT_MODE=${config.importMode}, endpoint ${config.nasEndpoint}` });
    for (const note of config.notes) add({ name: 'config', status: 'warn', detail: note });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    streamOnGeneral = error.problems.some((p) => p.field === 'CPFS_IMPORT_MODE' && STREAM_ON_GENERAL_RULE.test(p.rule));
    add({
      name: 'config',
      status: 'fail',
      detail: error.problems.map((p) => `${p.field}: ${p.rule}`).join('; '),
      fix: 'correct the variables named (shared/config/README.md has the table)',
    });
    if (streamOnGeneral) {
      try {
        config = cliConfig({ ...env, CPFS_IMPORT_MODE: 'batch' });
      } catch {
        config = undefined;
      }
    }
  }

  // 2. Edition vs mode, from the configuration alone (the version is learnt from the DryRun below).
  if (streamOnGeneral) {
    add({
      name: 'stream-import-supported',
      status: 'fail',
      detail: 'CPFS_IMPORT_MODE=stream on a cpfs-… (CPFS general purpose) file system: it has no StreamImport',
      fix: 'set CPFS_IMPORT_MODE=batch (or auto, which picks batch for cpfs-…)',
    });
  }
  if (config === undefined) {
    add({ name: 'credentials', status: 'skip', detail: 'configuration does not parse' });
    return checks;
  }

  // 3. Credentials present.
  const id = env[CREDENTIAL_ENV.accessKeyId]?.trim();
  const secret = env[CREDENTIAL_ENV.accessKeySecret]?.trim();
  if (!id || !secret) {
    const missing = [!id && CREDENTIAL_ENV.accessKeyId, !secret && CREDENTIAL_ENV.accessKeySecret].filter(Boolean).join(' and ');
    add({ name: 'credentials', status: 'fail', detail: `${missing} not set`, fix: 'export the AccessKey (or STS credentials with ALIBABA_CLOUD_SECURITY_TOKEN), or put them in the --config file' });
    return checks;
  }
  add({ name: 'credentials', status: 'pass', detail: `AccessKey ${id}${env[CREDENTIAL_ENV.securityToken]?.trim() ? ' with an STS token' : ''}` });

  // The functions' wiring (with the mode the checks above settled on); its configuration is `config` again.
  const { api } = cliRuntime(streamOnGeneral ? { ...env, CPFS_IMPORT_MODE: 'batch' } : env, { interactive: true });
  try {
    await remoteChecks(config, api, streamOnGeneral, add);
  } finally {
    api.close();
  }
  await listingCheck(config, env, add);
  return checks;
}

async function remoteChecks(config: Config, api: NasClient, streamOnGeneral: boolean, add: (c: CheckResult) => void): Promise<void> {
  // 4. The endpoint answers and accepts our signature: DescribeDataFlows is the first call.
  let flow: DataFlow | undefined;
  try {
    const answer = await api.describeDataFlows({ FileSystemId: config.fileSystemId, Filters: [{ Key: 'DataFlowIds', Value: config.dataFlowId }], MaxResults: 10 });
    flow = (answer.DataFlowInfo?.DataFlow ?? []).find((d) => d.DataFlowId === config.dataFlowId);
    add({ name: 'credentials-accepted', status: 'pass', detail: `DescribeDataFlows answered (${config.nasEndpoint})` });
  } catch (error) {
    const code = codeOf(error);
    if (isCredentialProblem(code) || !(error instanceof NasApiError) || code === 'Forbidden.RAM') {
      add({ name: 'credentials-accepted', status: 'fail', detail: `DescribeDataFlows: ${messageOf(error)}`, ...optionalFix(fixFor(error)) });
      add({ name: 'data-flow-exists', status: 'skip', detail: 'no answer from the service' });
      return;
    }
    add({ name: 'credentials-accepted', status: 'pass', detail: 'the service checked the signature' });
    add({ name: 'data-flow-exists', status: 'fail', detail: `DescribeDataFlows: ${messageOf(error)}`, ...optionalFix(fixFor(error)) });
    return;
  }

  // 5–8. The data flow.
  if (flow === undefined) {
    add({ name: 'data-flow-exists', status: 'fail', detail: `no data flow ${config.dataFlowId} on ${config.fileSystemId}`, fix: FIXES['InvalidDataFlow.NotFound'] as string });
    return;
  }
  add({ name: 'data-flow-exists', status: 'pass', detail: `${flow.DataFlowId}: ${flow.SourceStorage ?? '?'}${flow.SourceStoragePath ?? ''} -> ${flow.FileSystemPath ?? '/'}` });
  const running = flow.Status === 'Running';
  add(
    running
      ? { name: 'data-flow-running', status: 'pass', detail: 'Running' }
      : {
          name: 'data-flow-running',
          status: 'fail',
          detail: `data flow is ${flow.Status}${flow.ErrorMessage ? ` (${flow.ErrorMessage})` : ''}; tasks can be created only while it is Running`,
          fix: flow.Status === 'Misconfigured' ? 'fix the data flow (bucket tag cpfs-dataflow=true, region, permissions) and start it' : 'start the data flow (console or StartDataFlow) and wait for Running',
        },
  );
  const actualPath = flow.SourceStoragePath ?? '/';
  add(
    actualPath === config.sourceStoragePath
      ? { name: 'source-storage-path', status: 'pass', detail: actualPath }
      : {
          name: 'source-storage-path',
          status: 'fail',
          detail: `the data flow's SourceStoragePath is ${actualPath}, CPFS_SOURCE_STORAGE_PATH is ${config.sourceStoragePath}: SrcFilePath and EntryList paths would name other objects`,
          fix: `set CPFS_SOURCE_STORAGE_PATH=${actualPath}`,
        },
  );
  const flowBucket = (flow.SourceStorage ?? '').replace(/^oss:\/\//, '').replace(/\/.*$/, '');
  if (config.bucket === undefined) {
    add({ name: 'source-bucket', status: 'skip', detail: `OSS_BUCKET not set (the data flow reads ${flowBucket || '?'}); reconcile and backfill need it` });
  } else if (flowBucket === config.bucket) {
    add({ name: 'source-bucket', status: 'pass', detail: flowBucket });
  } else {
    add({ name: 'source-bucket', status: 'fail', detail: `the data flow reads bucket ${flowBucket || '?'}, OSS_BUCKET is ${config.bucket}`, fix: `set OSS_BUCKET=${flowBucket}` });
  }

  // 9–10. What the function would create, as a DryRun.
  if (!running) {
    if (config.fileSystemKind === 'lingjun' && config.importMode !== 'batch') add({ name: 'stream-import-supported', status: 'skip', detail: 'the data flow is not Running (a DryRun would be refused)' });
    add({ name: 'dry-run-create-task', status: 'skip', detail: 'the data flow is not Running (a DryRun would be refused)' });
    return;
  }
  const base = { FileSystemId: config.fileSystemId, DataFlowId: config.dataFlowId, DataType: 'MetaAndData', ConflictPolicy: config.defaultConflictPolicy, DryRun: true } as const;
  let useStream = config.fileSystemKind === 'lingjun' && config.importMode !== 'batch';
  if (config.fileSystemKind === 'general' && !streamOnGeneral) {
    add({ name: 'stream-import-supported', status: 'pass', detail: 'not needed: cpfs-… takes batch Import tasks, which the function sends' });
  } else if (config.fileSystemKind === 'lingjun' && config.importMode === 'batch') {
    add({ name: 'stream-import-supported', status: 'skip', detail: 'CPFS_IMPORT_MODE=batch' });
  }
  if (useStream) {
    try {
      await api.createDataFlowTask({ ...base, TaskAction: 'StreamImport', Directory: '/', DstDirectory: '/' });
      add({ name: 'stream-import-supported', status: 'pass', detail: 'StreamImport accepted (CPFS for LINGJUN 2.6+)' });
      add({ name: 'dry-run-create-task', status: 'pass', detail: 'DryRun CreateDataFlowTask (StreamImport) accepted' });
      return;
    } catch (error) {
      if (codeOf(error) !== 'InvalidFilesystemVersion.NotSupport') {
        add({ name: 'dry-run-create-task', status: 'fail', detail: `DryRun CreateDataFlowTask (StreamImport): ${messageOf(error)}`, ...optionalFix(fixFor(error)) });
        return;
      }
      if (config.importMode === 'stream') {
        add({ name: 'stream-import-supported', status: 'fail', detail: 'file system older than 2.6: no StreamImport (InvalidFilesystemVersion.NotSupport)', fix: 'use batch: CPFS_IMPORT_MODE=batch (or auto, which falls back to batch)' });
        add({ name: 'dry-run-create-task', status: 'skip', detail: 'StreamImport is not supported' });
        return;
      }
      add({ name: 'stream-import-supported', status: 'warn', detail: 'file system older than 2.6: no StreamImport; CPFS_IMPORT_MODE=auto uses batch Import tasks instead' });
      useStream = false;
    }
  }
  // The Import the function sends: EntryList + DstDirectory, no Directory (exclusive with EntryList).
  const probeKey = `${sourceKeyPrefix(config.sourceStoragePath)}cpfs-ingest-doctor-probe`;
  const probe = importEntryElement(probeKey, 'cpfs-ingest-doctor-probe');
  const importParams: CreateDataFlowTaskParams = { ...base, TaskAction: 'Import', DstDirectory: '/', EntryList: JSON.stringify([probe]) };
  try {
    await api.createDataFlowTask(importParams);
    add({ name: 'dry-run-create-task', status: 'pass', detail: 'DryRun CreateDataFlowTask (Import) accepted' });
  } catch (error) {
    add({ name: 'dry-run-create-task', status: 'fail', detail: `DryRun CreateDataFlowTask (Import): ${messageOf(error)}`, ...optionalFix(fixFor(error)) });
  }
}

async function listingCheck(config: Config, env: Env, add: (c: CheckResult) => void): Promise<void> {
  if (config.bucket === undefined) {
    add({ name: 'oss-listing', status: 'skip', detail: 'OSS_BUCKET not set' });
    return;
  }
  const prefix = config.reconcilePrefixes?.[0] ?? sourceKeyPrefix(config.sourceStoragePath);
  let client;
  try {
    client = cliEnvListingClient(config, env);
    for await (const page of listObjects({ client, bucket: config.bucket, prefix, pageSize: 1, retry: { maxAttempts: 2 } })) {
      add({ name: 'oss-listing', status: 'pass', detail: `listed oss://${config.bucket}/${prefix} (${page.objects.length > 0 || page.lastKey !== undefined ? 'not empty' : 'empty'})` });
      return;
    }
  } catch (error) {
    const fix = error instanceof ConfigError
      ? error.problems.map((p) => `${p.field} ${p.rule}`).join('; ')
      : 'check OSS_BUCKET, OSS_S3_ENDPOINT and that the credentials may oss:ListObjects on the bucket';
    add({ name: 'oss-listing', status: 'fail', detail: messageOf(error), fix });
  } finally {
    client?.destroy();
  }
}

function optionalFix(fix: string | undefined): { fix?: string } {
  return fix === undefined ? {} : { fix };
}
