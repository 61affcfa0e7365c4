/**
 * Issue 13, point 2, through the BUILT bundle against the emulator: a system failure (a refused signature
 * after the secret was rotated, an unknown AccessKey, a token that does not belong to the key) makes the
 * handler THROW — so FC retries the event and then hands it to the failure destination — instead of
 * returning success with every record failed. A record-scoped refusal in the same setting does not throw.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mnsBatch } from '../../support/event-factories.js';
import { loadFunction, type FunctionInstance } from '../../support/function-harness.js';
import { FUNCTION_KEY, startFunctionWorld, type FunctionWorld } from '../../support/function-world.js';

let world: FunctionWorld;
let fn: FunctionInstance | undefined;
beforeEach(async () => {
  world = await startFunctionWorld({ seed: 13 });
});
afterEach(async () => {
  fn?.close();
  fn = undefined;
  await world.cleanup();
});

const keys = Array.from({ length: 5 }, (_, i) => `incoming/system/object ${i}.bin`);

describe('oss-stream-import bundle — system failures throw', () => {
  it.each([
    ['a refused signature (rotated secret)', { ...FUNCTION_KEY, accessKeySecret: 'rotated-secret-value' }, 'SignatureDoesNotMatch'],
    ['an unknown AccessKey', { ...FUNCTION_KEY, accessKeyId: 'STS.NUunknownKey000' }, 'InvalidAccessKeyId.NotFound'],
    ['a token that does not match the key', { ...FUNCTION_KEY, securityToken: 'CAIS-some-other-token' }, 'InvalidSecurityToken.MismatchWithAccessKey'],
  ])('%s: the handler throws SystemFailureError naming the code, no sub-task exists', async (_name, credentials, code) => {
    const events = world.putObjects(keys);
    fn = loadFunction(world.env('lingjun'));
    const context = { ...world.context(30), credentials };
    const run = await fn.invoke(mnsBatch(events), context);
    expect(run.ok).toBe(false);
    expect(run.error?.name).toBe('SystemFailureError');
    expect(run.error?.message).toContain(code);
    expect(run.error?.retryable).toBe(true);
    expect(world.emulator.state.subTasks.size).toBe(0);
    // The secret that was sent never reaches a log line.
    expect(fn.allLines.join('\n')).not.toContain(credentials.accessKeySecret);
  });

  it('the same function with the right credentials returns success (control)', async () => {
    const events = world.putObjects(keys);
    fn = loadFunction(world.env('lingjun'));
    const run = await fn.invoke(mnsBatch(events), world.context(30));
    expect(run.ok).toBe(true);
    expect(run.result?.counts['submitted']).toBe(keys.length);
  });
});
