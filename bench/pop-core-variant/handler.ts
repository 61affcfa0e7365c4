/**
 * Benchmark baseline, not product code: the oss-stream-import handler as it would be written on
 * Alibaba's classic SDK core, `@alicloud/pop-core` (RPCClient, V1 HMAC-SHA1 signatures), instead of the
 * project's own NAS client. Everything else is the product's: the same module-scope wiring, config,
 * logger and use case (shared/ingest/), so the only difference in the bundle is the NAS adapter —
 * our signer, transport, request schemas, retry and rate limiter versus pop-core and its dependencies.
 *
 * The bench bundles it with the product's esbuild settings (cjs, minify, node20) and compares bundle
 * bytes and cold `require` time. It is not meant to run against the emulator, which verifies ACS3
 * signatures only; pop-core has no retry or rate limiting, so a real port would need those on top.
 */
import RPCClient from '@alicloud/pop-core';
import { loadConfig, type Config } from '../../shared/config/load-config.js';
import { RetryableIngestError, summaryOf } from '../../shared/handler-result.js';
import { ingest, InstanceState } from '../../shared/ingest/index.js';
import { createLogger, type Logger } from '../../shared/log.js';
import { classifyHttpError } from '../../shared/nas/classify.js';
import type { DataFlowApi, OperationName } from '../../shared/nas/types.js';
import {
  CancelDataFlowTaskResponse,
  CreateDataFlowSubTaskResponse,
  CreateDataFlowTaskResponse,
  DescribeDataFlowSubTasksResponse,
  DescribeDataFlowTasksResponse,
  DescribeDataFlowsResponse,
  NAS_API_VERSION,
} from '../../shared/nas/wire.js';

type Flat = Record<string, string | number | boolean>;

/** pop-core's `formatParams` would not flatten `Filters`/`Condition` the way the API wants: do it here. */
function flatten(params: object): Flat {
  const out: Flat = {};
  for (const [name, value] of Object.entries(params) as [string, unknown][]) {
    if (value === undefined) continue;
    if (name === 'Filters' && Array.isArray(value)) {
      value.forEach((filter: { Key: string; Value: string }, i) => {
        out[`Filters.${i + 1}.Key`] = filter.Key;
        out[`Filters.${i + 1}.Value`] = filter.Value;
      });
    } else if (name === 'Condition' && typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value as Record<string, number | undefined>)) if (v !== undefined) out[`Condition.${k}`] = v;
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out[name] = value;
    }
  }
  return out;
}

interface PopCoreError {
  readonly code?: string;
  readonly data?: unknown;
  readonly entry?: { readonly response?: { readonly statusCode?: number } };
}

/** The DataFlowApi port over pop-core's RPCClient (POST, form body). */
function createPopCoreApi(client: RPCClient): DataFlowApi {
  const call = async <T>(action: OperationName, params: object, parse: (json: unknown) => T): Promise<T> => {
    let json: unknown;
    try {
      json = await client.request<unknown>(action, flatten(params), { method: 'POST', formatParams: false, timeout: 10_000 });
    } catch (error) {
      const e = error as PopCoreError;
      if (e.code === undefined) throw error;
      throw classifyHttpError(e.entry?.response?.statusCode ?? 400, e.data, action);
    }
    return parse(json);
  };
  return {
    createDataFlowTask: (p) => call('CreateDataFlowTask', p, (j) => CreateDataFlowTaskResponse.parse(j)),
    createDataFlowSubTask: (p) => call('CreateDataFlowSubTask', p, (j) => CreateDataFlowSubTaskResponse.parse(j)),
    describeDataFlowTasks: (p) => call('DescribeDataFlowTasks', p, (j) => DescribeDataFlowTasksResponse.parse(j)),
    describeDataFlowSubTasks: (p) => call('DescribeDataFlowSubTasks', p, (j) => DescribeDataFlowSubTasksResponse.parse(j)),
    describeDataFlows: (p) => call('DescribeDataFlows', p, (j) => DescribeDataFlowsResponse.parse(j)),
    cancelDataFlowTask: (p) => call('CancelDataFlowTask', p, (j) => CancelDataFlowTaskResponse.parse(j)),
  };
}

interface Wiring {
  readonly config: Config;
  readonly logger: Logger;
  readonly api: DataFlowApi;
  readonly state: InstanceState;
}

let wiring: Wiring | undefined;

function wire(context: unknown): Wiring {
  const config = loadConfig(process.env, { fcContext: context, codeDir: __dirname });
  const creds = (context as { credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string } } | undefined)?.credentials;
  const client = new RPCClient({
    endpoint: config.nasEndpoint,
    apiVersion: NAS_API_VERSION,
    accessKeyId: creds?.accessKeyId ?? process.env['ALIBABA_CLOUD_ACCESS_KEY_ID'] ?? '',
    accessKeySecret: creds?.accessKeySecret ?? process.env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] ?? '',
    ...(creds?.securityToken ? { securityToken: creds.securityToken } : {}),
  });
  return { config, logger: createLogger(), api: createPopCoreApi(client), state: new InstanceState() };
}

export const handler = async (event: Buffer, context: unknown): Promise<ReturnType<typeof summaryOf>> => {
  const startMs = Date.now();
  wiring ??= wire(context);
  const timeoutMs = wiring.config.functionTimeoutMs ?? 60_000;
  const report = await ingest(event, { ...wiring, now: Date.now }, { deadlineMs: startMs + timeoutMs - wiring.config.deadlineMarginMs });
  if (report.retryableFailures > 0) throw new RetryableIngestError(report);
  return summaryOf(report);
};
