/**
 * The reconcile state as one JSON object in the bucket (`.cpfs-ingest/reconcile-state.json`), read with
 * GetObject and replaced with PutObject — a PutObject replaces an object atomically, so a run that dies
 * mid-write leaves the previous state. Needs `oss:GetObject` and `oss:PutObject` on that one key.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ResponseShapeError } from '../../shared/errors.js';
import { describeOssFailure, OssApiError } from '../../shared/oss/errors.js';
import { ReconcileStateSchema, STATE_KEY, type ReconcileState, type ReconcileStateStore } from './state.js';

export function ossStateStore(options: { readonly client: Pick<S3Client, 'send'>; readonly bucket: string; readonly key?: string }): ReconcileStateStore {
  const key = options.key ?? STATE_KEY;
  const fail = (operation: string, error: unknown, attempt = 1) => {
    const failure = describeOssFailure(error);
    return new OssApiError(failure.code, failure.httpStatus, failure.retryable, operation, options.bucket, key, attempt, failure.requestId);
  };
  return {
    async load(): Promise<ReconcileState | undefined> {
      let text: string;
      try {
        const answer = await options.client.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
        text = (await answer.Body?.transformToString('utf8')) ?? '';
      } catch (error) {
        const failure = describeOssFailure(error);
        if (failure.code === 'NoSuchKey' || failure.httpStatus === 404) return undefined;
        throw fail('GetObject', error);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new ResponseShapeError(`oss://${options.bucket}/${key} is not JSON: delete it to start reconcile afresh`);
      }
      const parsed = ReconcileStateSchema.safeParse(json);
      if (!parsed.success) throw new ResponseShapeError(`oss://${options.bucket}/${key} is not a reconcile state (version 1): delete it to start afresh`);
      return parsed.data;
    },
    async save(state: ReconcileState): Promise<void> {
      try {
        await options.client.send(
          new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: `${JSON.stringify(state)}\n`, ContentType: 'application/json' }),
        );
      } catch (error) {
        throw fail('PutObject', error);
      }
    },
  };
}
