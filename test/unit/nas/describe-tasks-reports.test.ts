/**
 * DescribeDataFlowTasks after the newer API texts (issue 8 point 6): every lookup sends WithReports=false
 * (reports default on for LINGJUN and slow the query), the wire schema accepts the new task fields
 * (EntryList, Includes, TransferFileListPath, FsPath, Reports), and no report URL — a signed OSS link —
 * reaches a log line, a request event or an error message. HTTP is faked at the wire (`send`).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/load-config.js';
import { ingest, InstanceState } from '../../../shared/ingest/index.js';
import { createLogger } from '../../../shared/log.js';
import { createNasClient, type NasRequestEvent } from '../../../shared/nas/client.js';
import { staticCredentials } from '../../../shared/nas/credentials.js';
import type { HttpRequest } from '../../../shared/nas/transport.js';
import { DataFlowTask } from '../../../shared/nas/wire.js';
import { nativeEnvelope, objectCreatedEvent, toPayload } from '../../support/event-factories.js';

const SIGNED = 'https://bucket.oss-cn-hangzhou.aliyuncs.com/.dataflow-reports/task-1/failed.csv?Expires=1900000000&OSSAccessKeyId=STS.reportKey&Signature=c2lnbmVk%3D&security-token=CAIS.reportToken';
const FS = 'bmcpfs-unit00000001';
const FLOW = 'df-unit00000001';

function task(over: Record<string, unknown> = {}) {
  return {
    TaskId: 'task-0000000000000001',
    DataFlowId: FLOW,
    FilesystemId: FS,
    TaskAction: 'StreamImport',
    Status: 'Executing',
    ConflictPolicy: 'KEEP_LATEST',
    Directory: '/',
    DstDirectory: '/',
    FsPath: '/',
    EntryList: '["/a"]',
    Includes: '["/x/"]',
    TransferFileListPath: '/lists/',
    ReportPath: SIGNED,
    Reports: { Report: [{ Name: 'FailedFilesReport', Path: SIGNED }] },
    ...over,
  };
}

/** A fake wire: answers each action from `answers`, records every request body. */
function wire(answers: Record<string, (body: URLSearchParams) => { status: number; body: unknown }>) {
  const requests: Array<{ action: string; body: URLSearchParams }> = [];
  const send = async (request: HttpRequest) => {
    const action = String(request.headers['x-acs-action']);
    const body = new URLSearchParams(typeof request.body === 'string' ? request.body : Buffer.from(request.body ?? '').toString('utf8'));
    requests.push({ action, body });
    const answer = answers[action]?.(body) ?? { status: 404, body: { RequestId: 'r', Code: 'InvalidAction.NotFound', Message: 'no such action' } };
    return { status: answer.status, headers: {}, body: JSON.stringify(answer.body) };
  };
  return { send, requests };
}

describe('DescribeDataFlowTasks: WithReports and the new fields', () => {
  it('sends WithReports=false on every lookup unless the caller asks for reports', async () => {
    const fake = wire({ DescribeDataFlowTasks: () => ({ status: 200, body: { RequestId: 'r', TaskInfo: { Task: [] } } }) });
    const client = createNasClient({ endpoint: 'http://127.0.0.1:9', credentials: staticCredentials({ accessKeyId: 'id', accessKeySecret: 'secret' }), send: fake.send, rateLimits: false });
    await client.describeDataFlowTasks({ FileSystemId: FS });
    await client.describeDataFlowTasks({ FileSystemId: FS, WithReports: true });
    expect(fake.requests.map((r) => r.body.get('WithReports'))).toEqual(['false', 'true']);
  });

  it('accepts EntryList, Includes, TransferFileListPath, FsPath and Reports in a task', () => {
    const parsed = DataFlowTask.parse(task());
    expect(parsed).toMatchObject({ EntryList: '["/a"]', Includes: '["/x/"]', TransferFileListPath: '/lists/', FsPath: '/' });
    expect(parsed.Reports?.Report?.[0]?.Name).toBe('FailedFilesReport');
  });
});

describe('no report URL reaches a log', () => {
  it('ingest in stream mode, with tasks that carry signed report links: logs, request events and outcomes hold none', async () => {
    let subTasks = 0;
    const fake = wire({
      DescribeDataFlowTasks: () => ({ status: 200, body: { RequestId: 'r', TaskInfo: { Task: [task()] } } }),
      DescribeDataFlowSubTasks: () => ({ status: 200, body: { RequestId: 'r', DataFlowSubTask: { DataFlowSubTask: [] } } }),
      CreateDataFlowSubTask: () => ({ status: 200, body: { RequestId: 'r', DataFlowSubTaskId: `subTaskId-${++subTasks}` } }),
    });
    const events: NasRequestEvent[] = [];
    const client = createNasClient({
      endpoint: 'http://127.0.0.1:9',
      credentials: staticCredentials({ accessKeyId: 'id', accessKeySecret: 'secret' }),
      send: fake.send,
      rateLimits: false,
      onRequest: (event) => events.push(event),
    });
    const lines: string[] = [];
    const report = await ingest(
      toPayload(nativeEnvelope(['in/a.bin', 'in/b.bin'].map((key) => objectCreatedEvent({ key })))),
      {
        config: loadConfig({ CPFS_FILE_SYSTEM_ID: FS, CPFS_DATA_FLOW_ID: FLOW, NAS_ENDPOINT: 'http://127.0.0.1:9' }),
        api: client,
        logger: createLogger({ write: (line) => lines.push(line) }),
        state: new InstanceState(),
        now: () => Date.now(),
        sleep: async () => {},
      },
      { deadlineMs: Date.now() + 60_000 },
    );
    expect(report.counts.submitted, JSON.stringify(report.outcomes)).toBe(2);
    expect(fake.requests.filter((r) => r.action === 'DescribeDataFlowTasks').every((r) => r.body.get('WithReports') === 'false')).toBe(true);
    const everything = [...lines, JSON.stringify(events), JSON.stringify(report)].join('\n');
    for (const leak of [SIGNED, 'Signature=', 'OSSAccessKeyId', 'STS.reportKey', 'CAIS.reportToken', '.dataflow-reports']) expect(everything).not.toContain(leak);
  });

  it('an answer of the wrong shape is described by field and issue code, never by its values', async () => {
    const fake = wire({ DescribeDataFlowTasks: () => ({ status: 200, body: { RequestId: 'r', TaskInfo: { Task: [{ ...task(), Status: 7, Reports: SIGNED }] } } }) });
    const client = createNasClient({ endpoint: 'http://127.0.0.1:9', credentials: staticCredentials({ accessKeyId: 'id', accessKeySecret: 'secret' }), send: fake.send, rateLimits: false, maxAttempts: 1 });
    const error = await client.describeDataFlowTasks({ FileSystemId: FS }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('TaskInfo.Task.0');
    expect((error as Error).message).not.toContain('Signature=');
    expect((error as Error).message).not.toContain(SIGNED);
  });
});
