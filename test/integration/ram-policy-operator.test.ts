/**
 * Cancelling is an operator's act (issue 8 point 7): the operator's RAM example (deploy/ram-policy.operator.json)
 * grants nas:CancelDataFlowSubTask and nas:CancelDataFlowTask, the functions' role policy
 * (deploy/ram-policy.json) grants neither, and the functions' bundles never call a cancel. Reads the built
 * bundles' source maps like test/integration/s-yaml.test.ts does.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { actionsCalledByBundle } from '../support/s-yaml-checks.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const Policy = z.object({
  Version: z.literal('1'),
  Statement: z.array(z.object({ Effect: z.literal('Allow'), Action: z.union([z.string(), z.array(z.string())]), Resource: z.string() })),
});

function grants(file: string): Map<string, string> {
  const policy = Policy.parse(JSON.parse(readFileSync(resolve(REPO_ROOT, file), 'utf8')));
  const granted = new Map<string, string>();
  for (const statement of policy.Statement) {
    for (const action of [statement.Action].flat()) granted.set(action, statement.Resource);
  }
  return granted;
}

const CANCELS = ['nas:CancelDataFlowSubTask', 'nas:CancelDataFlowTask'];

describe('who may cancel', () => {
  it('the operator example grants both cancels on the one file system; the function role grants neither', () => {
    const operator = grants('deploy/ram-policy.operator.json');
    for (const action of CANCELS) expect(operator.get(action)).toBe('acs:nas:<region>:<account-id>:filesystem/<file-system-id>');
    const functionRole = grants('deploy/ram-policy.json');
    for (const action of CANCELS) expect(functionRole.has(action)).toBe(false);
  });

  it('the functions never call a cancel; the CLI does, and the operator example covers every NAS and OSS action it calls', () => {
    for (const dist of ['dist/oss-stream-import/index.js', 'dist/reconcile/index.js']) {
      const { actions, sources } = actionsCalledByBundle(resolve(REPO_ROOT, dist));
      expect(sources.length, dist).toBeGreaterThan(0);
      expect([...actions].filter((action) => CANCELS.includes(action)), dist).toEqual([]);
    }
    const cli = actionsCalledByBundle(resolve(REPO_ROOT, 'dist/cli/cpfs-ingest.js')).actions;
    for (const action of CANCELS) expect(cli.has(action)).toBe(true);
    const operator = grants('deploy/ram-policy.operator.json');
    const wanted = [...cli].filter((action) => action.startsWith('nas:') || action === 'oss:ListObjects');
    expect(wanted.filter((action) => !operator.has(action))).toEqual([]);
  });
});
