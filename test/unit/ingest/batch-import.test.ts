/**
 * Batch mode of the use case (shared/ingest/batch/submit.ts `submitBatch`) against an in-memory DataFlowApi: the Import
 * request shape of the newer API texts (EntryList + DstDirectory, never Directory), CreateDirIfNotExist
 * only where it takes effect, per-record element rules before packing, re-sending the good entries of a
 * refused Import without the bad one, and routes batch cannot express when auto falls back to batch.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/load-config.js';
import { ingest, InstanceState, NOT_BATCHABLE_CODE, type IngestDeps, type RecordOutcome } from '../../../shared/ingest/index.js';
import { createLogger } from '../../../shared/log.js';
import { MAX_ENTRY_LIST_BYTES } from '../../../shared/cpfs/limits.js';
import { EXCLUSIVE_SOURCE_PARAMETERS, validateRequest } from '../../../shared/nas/schemas.js';
import type { CreateDataFlowTaskParams } from '../../../shared/nas/types.js';
import { nativeEnvelope, objectCreatedEvent, toPayload } from '../../support/event-factories.js';
import { FakeDataFlowApi, nasError } from '../../support/fake-data-flow-api.js';

const NOW = Date.UTC(2024, 6, 1, 12, 0, 0);
const invocation = { deadlineMs: NOW + 60_000 };

function harness(env: Record<string, string>, state = new InstanceState()) {
  const api = new FakeDataFlowApi();
  const lines: string[] = [];
  const deps: IngestDeps = {
    config: loadConfig({ CPFS_DATA_FLOW_ID: 'df-unit00000001', NAS_ENDPOINT: 'http://127.0.0.1:9', CPFS_SOURCE_STORAGE_PATH: '/in/', ...env }),
    api,
    logger: createLogger({ write: (line) => lines.push(line) }),
    state,
    now: () => NOW,
    sleep: async () => {},
  };
  return { api, deps, lines };
}

const payload = (...keys: string[]) => toPayload(nativeEnvelope(keys.map((key) => objectCreatedEvent({ key }))));
const importRequests = (api: FakeDataFlowApi): CreateDataFlowTaskParams[] =>
  api.calls
    .filter((c) => c.operation === 'CreateDataFlowTask' && (c.params as CreateDataFlowTaskParams).TaskAction === 'Import')
    .map((c) => c.params as CreateDataFlowTaskParams);
const byKey = (outcomes: readonly RecordOutcome[]) => new Map(outcomes.filter((o) => o.key !== undefined).map((o) => [o.key as string, o]));

/** Every Import request passes the client's schema: one exclusive source parameter, EntryList ≤ 65,535 bytes. */
function expectValidImports(requests: readonly CreateDataFlowTaskParams[]): void {
  for (const request of requests) {
    expect(() => validateRequest('CreateDataFlowTask', request)).not.toThrow();
    expect(EXCLUSIVE_SOURCE_PARAMETERS.filter((name) => request[name] !== undefined)).toEqual(['EntryList']);
    expect(Buffer.byteLength(request.EntryList as string, 'utf8')).toBeLessThanOrEqual(MAX_ENTRY_LIST_BYTES);
  }
}

describe('batch Import requests (newer API texts)', () => {
  it('LINGJUN ≥ 2.6 in batch mode: EntryList + DstDirectory + ConflictPolicy + CreateDirIfNotExist, no Directory', async () => {
    const { api, deps } = harness({
      CPFS_FILE_SYSTEM_ID: 'bmcpfs-unit00000001',
      CPFS_IMPORT_MODE: 'batch',
      CPFS_ROUTES: JSON.stringify([{ prefix: 'in/keep/', dstDirectory: '/landing/keep/' }]),
    });
    const report = await ingest(payload('in/keep/a.bin', 'in/keep/b/c.bin'), deps, invocation);
    expect(report.counts.submitted).toBe(2);
    const [request, ...more] = importRequests(api);
    expect(more).toEqual([]);
    expect(request).toEqual({
      FileSystemId: 'bmcpfs-unit00000001',
      DataFlowId: 'df-unit00000001',
      TaskAction: 'Import',
      DataType: 'MetaAndData',
      DstDirectory: '/landing/',
      EntryList: '["/in/keep/a.bin","/in/keep/b/c.bin"]',
      ConflictPolicy: 'KEEP_LATEST',
      CreateDirIfNotExist: true,
      ClientToken: expect.stringMatching(/^cpfs-imp-[0-9a-f]{48}$/) as unknown as string,
    });
    expectValidImports(importRequests(api));
  });

  it('general-purpose CPFS: no Directory and no CreateDirIfNotExist (it takes no effect there)', async () => {
    const { api, deps } = harness({ CPFS_FILE_SYSTEM_ID: 'cpfs-unit00000001' });
    await ingest(payload('in/a.bin'), deps, invocation);
    const [request] = importRequests(api);
    expect(request?.Directory).toBeUndefined();
    expect(request?.CreateDirIfNotExist).toBeUndefined();
    expect(request?.DstDirectory).toBe('/');
    expectValidImports(importRequests(api));
  });
});

describe('one bad record never sinks the others of its EntryList (issue 13.3)', () => {
  // "in/" + 1,020 bytes: SrcFilePath "/" + the path below /in/ has 1,021 characters and passes the path
  // rules; the EntryList element "/" + the full object name has 1,024, one more than an element may have.
  const longKey = `in/${'a'.repeat(250)}/${'b'.repeat(250)}/${'c'.repeat(250)}/${'d'.repeat(250)}/${'e'.repeat(16)}`;
  const goodKeys = Array.from({ length: 1000 }, (_, i) => `in/batch/img-${String(i).padStart(5, '0')}.jpg`);

  it('a 1,023-byte key in batch mode with 1,000 good keys: the long one is rejected with its reason, never packed', async () => {
    expect(Buffer.byteLength(longKey)).toBe(1023);
    const { api, deps } = harness({ CPFS_FILE_SYSTEM_ID: 'cpfs-unit00000001' });
    const report = await ingest(payload(...goodKeys.slice(0, 400), longKey, ...goodKeys.slice(400)), deps, invocation);
    expect(report.counts).toEqual({ submitted: 1000, ignored: 0, duplicate: 0, rejected: 1, failed: 0 });
    expect(byKey(report.outcomes).get(longKey)).toEqual({
      status: 'rejected',
      bucket: expect.any(String) as unknown as string,
      key: longKey,
      kind: 'invalid-path',
      reason: 'EntryList element: longer than 1023 characters (1024)',
    });
    const sent = importRequests(api).flatMap((r) => JSON.parse(r.EntryList as string) as string[]);
    expect(sent).toEqual(goodKeys.map((key) => `/${key}`));
    expectValidImports(importRequests(api));
  });

  it('an Import the service refuses because of one entry: the good entries are re-sent without it', async () => {
    const bad = 'in/batch/bad\u2028name.jpg';
    const { api, deps } = harness({ CPFS_FILE_SYSTEM_ID: 'cpfs-unit00000001' });
    api.fail((op, params) => {
      const entryList = (params as CreateDataFlowTaskParams).EntryList;
      return op === 'CreateDataFlowTask' && entryList !== undefined && (JSON.parse(entryList) as string[]).includes(`/${bad}`)
        ? nasError('IllegalCharacters', false, 400, 'CreateDataFlowTask')
        : undefined;
    });
    const report = await ingest(payload(...goodKeys.slice(0, 600), bad, ...goodKeys.slice(600)), deps, invocation);
    expect(report.counts.submitted).toBe(1000);
    expect(byKey(report.outcomes).get(bad)).toMatchObject({ status: 'failed', code: 'IllegalCharacters', retryable: false });
    for (const key of goodKeys) expect(byKey(report.outcomes).get(key)).toMatchObject({ status: 'submitted', mode: 'batch' });
    // Every good entry went out in a request the service accepted; halving costs about log2(1001) refusals.
    const accepted = api.importTasks().flatMap((t) => JSON.parse(t.EntryList as string) as string[]);
    expect(accepted.sort()).toEqual(goodKeys.map((key) => `/${key}`).sort());
    const refused = importRequests(api).filter((r) => (JSON.parse(r.EntryList as string) as string[]).includes(`/${bad}`));
    expect(refused.length).toBeLessThanOrEqual(11);
    expectValidImports(importRequests(api));
  });

  it('a refusal that is not about an entry is not split: every record of the batch fails with it', async () => {
    const { api, deps } = harness({ CPFS_FILE_SYSTEM_ID: 'cpfs-unit00000001' });
    api.fail((op) => (op === 'CreateDataFlowTask' ? nasError('Forbidden.RAM', false, 403, 'CreateDataFlowTask') : undefined));
    const report = await ingest(payload('in/a.bin', 'in/b.bin'), deps, invocation);
    expect(report.outcomes.map((o) => (o.status === 'failed' ? o.code : o.status))).toEqual(['Forbidden.RAM', 'Forbidden.RAM']);
    expect(importRequests(api)).toHaveLength(1);
  });
});

describe('routes batch Import cannot express, when auto falls back to batch (LINGJUN older than 2.6)', () => {
  it('fail with a clear non-retryable reason; the expressible routes are imported', async () => {
    const { api, deps } = harness({
      CPFS_FILE_SYSTEM_ID: 'bmcpfs-unit00000001',
      CPFS_ROUTES: JSON.stringify([
        { prefix: 'in/imgs/', dstDirectory: '/datasets/images/' },
        { prefix: 'in/raw/', dstDirectory: '/raw/' },
      ]),
    });
    api.fail((op, params) =>
      op === 'CreateDataFlowTask' && (params as CreateDataFlowTaskParams).TaskAction === 'StreamImport'
        ? nasError('InvalidFilesystemVersion.NotSupport', false, 400, 'CreateDataFlowTask')
        : undefined,
    );
    const report = await ingest(payload('in/imgs/cat.png', 'in/raw/x.bin'), deps, invocation);
    expect(report.mode).toBe('batch');
    const renamed = byKey(report.outcomes).get('in/imgs/cat.png');
    expect(renamed).toMatchObject({ status: 'failed', code: NOT_BATCHABLE_CODE, retryable: false });
    expect(renamed?.status === 'failed' ? renamed.message : '').toContain('only sub-tasks can rename');
    expect(byKey(report.outcomes).get('in/raw/x.bin')).toMatchObject({ status: 'submitted', mode: 'batch' });
    expect(report.retryableFailures).toBe(0);
    const requests = importRequests(api);
    expect(requests.map((r) => [r.DstDirectory, r.EntryList, r.CreateDirIfNotExist])).toEqual([['/', '["/in/raw/x.bin"]', undefined]]);
    expectValidImports(requests);
  });
});
