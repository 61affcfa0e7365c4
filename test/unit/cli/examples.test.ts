/**
 * examples/: the sample events the README's tour invokes are read by the function's own parser into the
 * objects of examples/bucket (same key, size and MD5 eTag), and examples/routes.json is a valid route table.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/load-config.js';
import { parseEvents } from '../../../shared/events/parse-events.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const read = (name: string) => readFileSync(path.join(EXAMPLES, name));

function objectOf(key: string) {
  const body = read(path.join('bucket', key));
  return { bucket: 'demo-bucket', key, size: body.length, eTag: createHash('md5').update(body).digest('hex').toUpperCase() };
}

describe('examples/', () => {
  it.each([
    ['oss-native.json', ['datasets/images/cat-001.jpg']],
    ['eventbridge-cloudevent.json', ['datasets/images/cat-002.jpg']],
    ['mns-batch.json', ['checkpoints/run-1/step-100.pt', 'checkpoints/run-1/step-200.pt', 'datasets/images/cat-001.jpg']],
  ])('%s holds object-created events for files of examples/bucket', (file, keys) => {
    const parsed = parseEvents(read(file), { keyEncoding: 'raw' });
    expect(parsed.malformed).toEqual([]);
    expect(parsed.ignored).toEqual([]);
    expect(parsed.records.map((r) => ({ bucket: r.bucket, key: r.key, size: r.size, eTag: r.eTag }))).toEqual(keys.map(objectOf));
  });

  it('routes.json is a route table the loader accepts, and keys.txt plans without rejections', () => {
    const config = loadConfig(
      { CPFS_FILE_SYSTEM_ID: 'bmcpfs-demo00000001', CPFS_DATA_FLOW_ID: 'df-demo00000001', NAS_ENDPOINT: 'http://127.0.0.1:1', CPFS_ROUTES_FILE: 'routes.json' },
      { codeDir: EXAMPLES },
    );
    expect(config.routes.map((r) => r.prefix)).toEqual(['datasets/images/', 'checkpoints/', '']);
    expect(read('keys.txt').toString('utf8').trim().split('\n')).toHaveLength(5);
  });
});
