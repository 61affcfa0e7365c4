import { describe, expect, it } from 'vitest';
import { NasApiError, NetworkError, TimeoutError, ValidationError } from '../../../shared/errors.js';
import {
  classifyHttpError,
  isRetryableCode,
  isRetryableError,
  isServerError,
  isThrottling,
  toClientError,
} from '../../../shared/nas/classify.js';
import * as c from '../../../shared/nas/classify.js';

describe('isRetryableCode: the 16 error codes of the CreateDataFlowTask reference', () => {
  it.each([
    [400, 'IllegalCharacters', false],
    [400, 'MissingFileSystemId', false],
    [400, 'MissingDataFlowId', false],
    [400, 'InvalidFilesystemVersion.NotSupport', false],
    // Data flow Starting/Updating ("status is processing") passes: retried, bounded.
    [403, 'OperationDenied.InvalidState', true],
    [403, 'OperationDenied.DependencyViolation', false],
    [403, 'OperationDenied.DataFlowNotSupported', false],
    [404, 'InvalidParameter.InvalidFormat', false],
    [404, 'InvalidParameter.SizeTooLarge', false],
    [404, 'InvalidDataFlow.NotFound', false],
    [404, 'InvalidTaskAction.NotSupported', false],
    [404, 'InvalidTaskAction.PermissionDenied', false],
    [404, 'InvalidSrcTaskId.NotFound', false],
    [404, 'InvalidDataType.NotSupported', false],
    [404, 'InvalidSrcTaskId.TaskIdInvalid', false],
    [404, 'InvalidSrcTaskId.TaskIdNotFound', false],
  ])('HTTP %i %s → retryable %s', (status, code, retryable) => {
    expect(isRetryableCode(code, status)).toBe(retryable);
    const error = classifyHttpError(status, { RequestId: 'r-1', HostId: 'nas.cn-hangzhou.aliyuncs.com', Code: code, Message: 'm' }, 'CreateDataFlowTask');
    expect(error).toBeInstanceOf(NasApiError);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(error.httpStatus).toBe(status);
  });
});

describe('isRetryableCode: common Alibaba codes', () => {
  it.each([
    [400, 'Throttling', true],
    [400, 'Throttling.User', true],
    [503, 'Throttling.Api', true],
    [503, 'ServiceUnavailable', true],
    [500, 'InternalError', true],
    [502, 'SomethingNew', true],
    [400, 'SignatureDoesNotMatch', false],
    // A fresh nonce is signed on every attempt.
    [400, 'SignatureNonceUsed', true],
    [404, 'InvalidAccessKeyId.NotFound', false],
    // The client re-reads its credentials provider on every attempt.
    [400, 'InvalidSecurityToken.Expired', true],
    [403, 'Forbidden.RAM', false],
    [400, 'SomeUnknown.Code', false],
    [429, 'SomeUnknown.Code', true],
  ])('HTTP %i %s → retryable %s', (status, code, retryable) => {
    expect(isRetryableCode(code, status)).toBe(retryable);
  });

  it('a documented permanent code stays permanent even inside a 5xx', () => {
    expect(isRetryableCode('InvalidDataFlow.NotFound', 503)).toBe(false);
  });

  it('named predicates', () => {
    expect(isThrottling('Throttling.Anything')).toBe(true);
    expect(isThrottling('ThrottlingX')).toBe(false);
    expect(isThrottling(undefined)).toBe(false);
    expect(isServerError(500)).toBe(true);
    expect(isServerError(599)).toBe(true);
    expect(isServerError(499)).toBe(false);
  });
});

describe('classifyHttpError', () => {
  it('keeps RequestId from the body, else from the header', () => {
    expect(classifyHttpError(400, { Code: 'Throttling', RequestId: 'body-id' }, 'A', 'header-id').requestId).toBe('body-id');
    expect(classifyHttpError(400, { Code: 'Throttling' }, 'A', 'header-id').requestId).toBe('header-id');
  });

  it('names the action, code and status in the message; redacts and shortens the server message', () => {
    const error = classifyHttpError(400, { Code: 'SignatureDoesNotMatch', Message: `token SECRET-TOKEN ${'x'.repeat(2000)}` }, 'CreateDataFlowSubTask', undefined, (t) =>
      t.replaceAll('SECRET-TOKEN', '[REDACTED]'),
    );
    expect(error.message).toContain('CreateDataFlowSubTask failed: SignatureDoesNotMatch (HTTP 400)');
    expect(error.message).toContain('[REDACTED]');
    expect(error.message).not.toContain('SECRET-TOKEN');
    expect(error.message.length).toBeLessThan(700);
  });

  it('a body without Code becomes HTTP<status> and is never quoted', () => {
    const gateway = classifyHttpError(502, '<html>Bad gateway, your token was abc</html>', 'DescribeDataFlows');
    expect(gateway.code).toBe('HTTP502');
    expect(gateway.retryable).toBe(true);
    expect(gateway.message).not.toContain('abc');
    expect(classifyHttpError(414, undefined, 'CreateDataFlowTask').retryable).toBe(false);
  });
});

describe('toClientError', () => {
  const sysError = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN'])('%s → NetworkError (retryable)', (code) => {
    const mapped = toClientError(sysError(code));
    expect(mapped).toBeInstanceOf(NetworkError);
    expect(isRetryableError(mapped)).toBe(true);
    expect(mapped.cause).toBeInstanceOf(Error);
  });

  it('"socket hang up" → NetworkError; ETIMEDOUT → TimeoutError', () => {
    expect(toClientError(new Error('socket hang up'))).toBeInstanceOf(NetworkError);
    const timeout = toClientError(sysError('ETIMEDOUT'));
    expect(timeout).toBeInstanceOf(TimeoutError);
    expect(isRetryableError(timeout)).toBe(true);
  });

  it('our errors pass through; programming errors stay non-retryable', () => {
    const ours = new ValidationError('F', 'r');
    expect(toClientError(ours)).toBe(ours);
    const bug = new TypeError('x is undefined');
    expect(toClientError(bug)).toBe(bug);
    expect(isRetryableError(bug)).toBe(false);
    expect(toClientError('weird')).toBeInstanceOf(Error);
  });
});

describe('readings of answers for the use case (one home each)', () => {
  const answer = (code: string, status = 403) => new NasApiError(code, 'refused', status, false);

  it('names a gone streaming task, StreamImport / CreateDirIfNotExist unsupported, and a reused token', () => {
    for (const code of ['OperationDenied.InvalidState', 'InvalidTaskId.NotFound', 'InvalidDataFlowTask.NotFound']) expect(c.isStreamTaskGone(answer(code))).toBe(true);
    expect(c.isStreamTaskGone(answer('IllegalCharacters'))).toBe(false);
    expect(c.isStreamTaskGone(new Error('OperationDenied.InvalidState'))).toBe(false); // only a service answer counts
    expect(c.isStreamImportUnsupported(answer('InvalidFilesystemVersion.NotSupport'))).toBe(true);
    expect(c.isCreateDirUnsupported(answer('InvalidFilesystemVersion.NotSupport'))).toBe(true);
    expect(c.isStreamImportUnsupported(answer('InvalidParameter'))).toBe(false);
    expect(c.isTokenReusedWithOtherParameters(answer('IdempotentParameterMismatch'))).toBe(true);
  });

  it('treats the batch-task limit as wait-and-retry and only record refusals as record-scoped', () => {
    expect(c.isBatchTaskLimitCode('OperationDenied.DependencyViolation')).toBe(true);
    expect(c.isBatchTaskLimitCode('OperationDenied.InvalidState')).toBe(false);
    for (const code of ['IllegalCharacters', 'InvalidParameter.InvalidFormat', 'InvalidParameter.SizeTooLarge', 'ValidationError', c.NOT_BATCHABLE_CODE]) {
      expect(c.isRecordScopedRefusalCode(code)).toBe(true);
    }
    for (const code of ['OperationDenied.DependencyViolation', 'InvalidAccessKeyId.NotFound', 'Forbidden.RAM']) expect(c.isRecordScopedRefusalCode(code)).toBe(false);
  });

  it('describes every error one way: hierarchy errors by their code, anything else as Unexpected', () => {
    expect(c.describeError(answer('InvalidAccessKeyId.NotFound'))).toMatchObject({ code: 'InvalidAccessKeyId.NotFound', retryable: false, system: true });
    expect(c.describeError(new TypeError('boom'))).toEqual({ code: 'Unexpected', message: 'boom', retryable: false, system: false });
    expect(c.describeError('text')).toEqual({ code: 'Unexpected', message: 'text', retryable: false, system: false });
    expect(c.describeError(new Error('x'.repeat(10_000))).message.length).toBeLessThan(1_000);
  });
});
