/**
 * CancelDataFlowSubTask in the client (issue 8 point 7): sent as its own action with the documented
 * parameters, limited by its own quota (100/s), and classified so that a cancel refused for the state of
 * the task or sub-task is not retried. HTTP is faked at the wire.
 */
import { describe, expect, it } from 'vitest';
import { NasApiError, ValidationError } from '../../../shared/errors.js';
import { CANCEL_STATE_CODES, classifyHttpError, isRetryableAnswer } from '../../../shared/nas/classify.js';
import { createNasClient } from '../../../shared/nas/client.js';
import { staticCredentials } from '../../../shared/nas/credentials.js';
import { defaultRateLimits } from '../../../shared/nas/rate-limit.js';
import type { HttpRequest } from '../../../shared/nas/transport.js';

const params = {
  FileSystemId: 'bmcpfs-290w65p03ok64ya',
  DataFlowId: 'df-194433a5be31',
  DataFlowTaskId: 'task-29ee8e890f45',
  DataFlowSubTaskId: 'subTaskId-l16sj4j4v5xxwst355x',
};

function clientWith(answer: () => { status: number; body: unknown }) {
  const requests: HttpRequest[] = [];
  const client = createNasClient({
    endpoint: 'http://127.0.0.1:9',
    credentials: staticCredentials({ accessKeyId: 'id', accessKeySecret: 'secret' }),
    maxAttempts: 3,
    baseDelayMs: 1,
    maxDelayMs: 1,
    send: async (request) => {
      requests.push(request);
      const { status, body } = answer();
      return { status, headers: {}, body: JSON.stringify(body) };
    },
  });
  return { client, requests };
}

describe('CancelDataFlowSubTask in the client', () => {
  it('sends the action with its four ids, DryRun and ClientToken', async () => {
    const { client, requests } = clientWith(() => ({ status: 200, body: { RequestId: 'r-1' } }));
    const answer = await client.cancelDataFlowSubTask({ ...params, DryRun: true, ClientToken: 'cpfs-cancel-1' });
    expect(answer.RequestId).toBe('r-1');
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers['x-acs-action']).toBe('CancelDataFlowSubTask');
    const body = new URLSearchParams(String(requests[0]?.body));
    expect(Object.fromEntries(body)).toEqual({ ...params, DryRun: 'true', ClientToken: 'cpfs-cancel-1' });
    client.close();
  });

  it('refuses a request without DataFlowSubTaskId before sending it', async () => {
    const { client, requests } = clientWith(() => ({ status: 200, body: { RequestId: 'r' } }));
    const { DataFlowSubTaskId: _omitted, ...rest } = params;
    await expect(client.cancelDataFlowSubTask(rest as typeof params)).rejects.toBeInstanceOf(ValidationError);
    expect(requests).toHaveLength(0);
    client.close();
  });

  it('has its own quota in the limiter: 97 % of 100 per second', () => {
    expect(defaultRateLimits().CancelDataFlowSubTask).toEqual({ limit: 97, intervalMs: 1_000 });
  });

  it('a refusal for the state (a finished sub-task) is not retried for a cancel, yet stays retryable for a create', async () => {
    const { client, requests } = clientWith(() => ({ status: 403, body: { RequestId: 'r', Code: 'OperationDenied.InvalidState', Message: 'sub-task is COMPLETE' } }));
    const error = await client.cancelDataFlowSubTask(params).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(NasApiError);
    expect((error as NasApiError).retryable).toBe(false);
    expect(requests).toHaveLength(1);
    client.close();
    for (const code of CANCEL_STATE_CODES) {
      expect(isRetryableAnswer('CancelDataFlowSubTask', code, 403)).toBe(false);
      expect(isRetryableAnswer('CancelDataFlowTask', code, 403)).toBe(false);
    }
    expect(isRetryableAnswer('CreateDataFlowTask', 'OperationDenied.InvalidState', 403)).toBe(true);
    expect(classifyHttpError(403, { Code: 'OperationDenied.InvalidState' }, 'CreateDataFlowTask').retryable).toBe(true);
    expect(classifyHttpError(503, { Code: 'ServiceUnavailable' }, 'CancelDataFlowSubTask').retryable).toBe(true);
  });
});
