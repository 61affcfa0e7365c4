/**
 * Error type names survive the minified bundle: FC shows the thrown error's `name` as its type, so a
 * deployed handler must report a configuration error as `ConfigError`, not as a mangled one-letter name
 * (shared/errors.ts sets every name from a string literal). Run `npm run build` first (`npm test` does).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fcContext, loadFunction, type FunctionInstance } from '../../support/function-harness.js';

let fn: FunctionInstance | undefined;
afterEach(() => {
  fn?.close();
  fn = undefined;
});

describe('oss-stream-import bundle — error names', () => {
  it('reports an invalid configuration with type ConfigError and the field it names', async () => {
    // No CPFS_FILE_SYSTEM_ID: the runtime cannot be built on the first invocation.
    fn = loadFunction({ CPFS_DATA_FLOW_ID: 'df-194433a5be310001', FC_REGION: 'cn-hangzhou' });
    const invocation = await fn.invoke({ events: [] }, fcContext({ credentials: { accessKeyId: 'AKID', accessKeySecret: 'secret-not-logged' } }));
    expect(invocation.ok).toBe(false);
    expect(invocation.error?.name).toBe('ConfigError');
    expect(invocation.error?.message).toContain('CPFS_FILE_SYSTEM_ID');
  });
});
