import { describe, expect, it } from 'vitest';
import { ConfigError, ValidationError } from '../../../shared/errors.js';
import { CONFIG_DEFAULTS, loadConfig, ROUTES_ENV_NOTE_BYTES, type LoadConfigOptions } from '../../../shared/config/load-config.js';
import { fileSystemKind } from '../../../shared/cpfs/file-system.js';

const base = {
  CPFS_FILE_SYSTEM_ID: 'bmcpfs-290w65p03ok64ya0001',
  CPFS_DATA_FLOW_ID: 'df-194433a5be310001',
  FC_REGION: 'cn-hangzhou',
} as const;

/** The problems loadConfig throws for `env`, or fails the test if it does not throw. */
function problemsOf(env: Record<string, string | undefined>, options?: LoadConfigOptions): Array<{ field: string; rule: string }> {
  try {
    loadConfig(env, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  expect.fail('loadConfig accepted an invalid configuration');
}
const fieldsOf = (env: Record<string, string | undefined>, options?: LoadConfigOptions) => problemsOf(env, options).map((p) => p.field);

describe('loadConfig — defaults', () => {
  it('builds a complete config from the required variables alone', () => {
    const config = loadConfig(base);
    expect(config).toEqual({
      fileSystemId: 'bmcpfs-290w65p03ok64ya0001',
      fileSystemKind: 'lingjun',
      dataFlowId: 'df-194433a5be310001',
      sourceStoragePath: '/',
      routes: [],
      routesSource: 'none',
      defaultConflictPolicy: 'KEEP_LATEST',
      importMode: 'auto',
      dryRun: false,
      keyEncoding: 'raw',
      region: 'cn-hangzhou',
      nasEndpoint: 'https://nas.cn-hangzhou.aliyuncs.com',
      maxConcurrency: CONFIG_DEFAULTS.maxConcurrency,
      deadlineMarginMs: CONFIG_DEFAULTS.deadlineMarginMs,
      subTaskRatePerSecond: CONFIG_DEFAULTS.subTaskRatePerSecond,
      planning: {
        fileSystemId: 'bmcpfs-290w65p03ok64ya0001',
        dataFlowId: 'df-194433a5be310001',
        sourceStoragePath: '/',
        routes: [],
        defaultConflictPolicy: 'KEEP_LATEST',
      },
      logLevel: 'info',
      notes: [],
    });
  });

  it('keeps the sub-task rate under the 100/s quota by default', () => {
    expect(CONFIG_DEFAULTS.subTaskRatePerSecond).toBeLessThan(100);
    expect(CONFIG_DEFAULTS.subTaskRatePerSecond).toBeGreaterThanOrEqual(80);
  });

  it('is deep-frozen', () => {
    const config = loadConfig({ ...base, CPFS_ROUTES: '[{"prefix":"a/","dstDirectory":"/a/"}]' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.routes)).toBe(true);
    expect(Object.isFrozen(config.routes[0])).toBe(true);
    expect(Object.isFrozen(config.planning.routes[0])).toBe(true);
    expect(() => { (config as { dryRun: boolean }).dryRun = true; }).toThrow(TypeError);
  });

  it("treats '' and whitespace as unset, and trims values", () => {
    const config = loadConfig({ ...base, CPFS_SOURCE_STORAGE_PATH: '', CPFS_CONFLICT_POLICY: '  ', CPFS_DRY_RUN: '', CPFS_KEY_ENCODING: ' url ', NAS_ENDPOINT: '' });
    expect(config.sourceStoragePath).toBe('/');
    expect(config.defaultConflictPolicy).toBe('KEEP_LATEST');
    expect(config.dryRun).toBe(false);
    expect(config.keyEncoding).toBe('url');
    expect(config.nasEndpoint).toBe('https://nas.cn-hangzhou.aliyuncs.com');
    expect(fieldsOf({ ...base, CPFS_FILE_SYSTEM_ID: '' })).toEqual(['CPFS_FILE_SYSTEM_ID']);
  });
});

describe('loadConfig — each variable', () => {
  it.each([
    ['bmcpfs-0015abc', 'lingjun'],
    ['cpfs-125487abc', 'general'],
  ])('CPFS_FILE_SYSTEM_ID %s is %s', (id, kind) => {
    const config = loadConfig({ ...base, CPFS_FILE_SYSTEM_ID: id, CPFS_IMPORT_MODE: 'batch' });
    expect(config.fileSystemId).toBe(id);
    expect(config.fileSystemKind).toBe(kind);
    expect(config.planning.fileSystemId).toBe(id);
  });

  it.each(['nas-123', 'bmcpfs-', 'cpfs_123', 'CPFS-123', 'bmcpfs-12 3', 'extreme-123'])('CPFS_FILE_SYSTEM_ID %j is rejected', (id) => {
    expect(problemsOf({ ...base, CPFS_FILE_SYSTEM_ID: id })).toEqual([{ field: 'CPFS_FILE_SYSTEM_ID', rule: expect.stringContaining('bmcpfs-') }]);
  });

  it.each(['df-', 'dataflow-1', 'DF-12', 'df-12/3'])('CPFS_DATA_FLOW_ID %j is rejected', (id) => {
    expect(fieldsOf({ ...base, CPFS_DATA_FLOW_ID: id })).toEqual(['CPFS_DATA_FLOW_ID']);
  });

  it.each([['/'], ['/data/'], ['/数据/in/']])('CPFS_SOURCE_STORAGE_PATH %j is accepted', (path) => {
    expect(loadConfig({ ...base, CPFS_SOURCE_STORAGE_PATH: path }).planning.sourceStoragePath).toBe(path);
  });

  it.each([
    ['data/', 'must start and end with /'],
    ['/data', 'must start and end with /'],
    ['/a/../b/', 'must not contain . or .. segments'],
    ['/a//b/', 'must not contain an empty segment (//)'],
    [`/${'x'.repeat(1023)}/`, 'must be 1–1023 characters'],
  ])('CPFS_SOURCE_STORAGE_PATH %j: %s', (path, rule) => {
    expect(problemsOf({ ...base, CPFS_SOURCE_STORAGE_PATH: path })).toEqual([{ field: 'CPFS_SOURCE_STORAGE_PATH', rule }]);
  });

  it.each(['SKIP_THE_FILE', 'KEEP_LATEST', 'OVERWRITE_EXISTING'])('CPFS_CONFLICT_POLICY %s', (policy) => {
    const config = loadConfig({ ...base, CPFS_CONFLICT_POLICY: policy });
    expect(config.defaultConflictPolicy).toBe(policy);
    expect(config.planning.defaultConflictPolicy).toBe(policy);
  });

  it('CPFS_CONFLICT_POLICY outside the enum names the allowed values', () => {
    expect(problemsOf({ ...base, CPFS_CONFLICT_POLICY: 'keep_latest' })).toEqual([
      { field: 'CPFS_CONFLICT_POLICY', rule: 'must be one of SKIP_THE_FILE, KEEP_LATEST, OVERWRITE_EXISTING' },
    ]);
  });

  it.each(['auto', 'stream', 'batch'])('CPFS_IMPORT_MODE %s on LINGJUN', (mode) => {
    expect(loadConfig({ ...base, CPFS_IMPORT_MODE: mode }).importMode).toBe(mode);
  });

  it('CPFS_IMPORT_MODE stream with a cpfs- file system is a problem; auto and batch are fine', () => {
    const general = { ...base, CPFS_FILE_SYSTEM_ID: 'cpfs-125487abc' };
    expect(problemsOf({ ...general, CPFS_IMPORT_MODE: 'stream' })).toEqual([{ field: 'CPFS_IMPORT_MODE', rule: expect.stringContaining('StreamImport is never sent to a cpfs-') }]);
    expect(loadConfig({ ...general, CPFS_IMPORT_MODE: 'auto' }).importMode).toBe('auto');
    expect(fieldsOf({ ...base, CPFS_IMPORT_MODE: 'streaming' })).toEqual(['CPFS_IMPORT_MODE']);
  });

  it.each([['true', true], ['TRUE', true], ['1', true], ['false', false], ['False', false], ['0', false]])('CPFS_DRY_RUN %s → %s', (text, value) => {
    expect(loadConfig({ ...base, CPFS_DRY_RUN: text }).dryRun).toBe(value);
  });

  it.each(['yes', 'no', '2', 'on'])('CPFS_DRY_RUN %j is rejected', (text) => {
    expect(problemsOf({ ...base, CPFS_DRY_RUN: text })).toEqual([{ field: 'CPFS_DRY_RUN', rule: 'must be true, false, 1 or 0' }]);
  });

  it('CPFS_KEY_ENCODING raw | url', () => {
    expect(loadConfig({ ...base, CPFS_KEY_ENCODING: 'raw' }).keyEncoding).toBe('raw');
    expect(loadConfig({ ...base, CPFS_KEY_ENCODING: 'url' }).keyEncoding).toBe('url');
    expect(problemsOf({ ...base, CPFS_KEY_ENCODING: 'auto' })).toEqual([{ field: 'CPFS_KEY_ENCODING', rule: 'must be one of raw, url' }]);
  });

  it('CPFS_MAX_CONCURRENCY, CPFS_DEADLINE_MARGIN_MS, CPFS_SUBTASK_RATE', () => {
    const config = loadConfig({ ...base, CPFS_MAX_CONCURRENCY: '4', CPFS_DEADLINE_MARGIN_MS: '0', CPFS_SUBTASK_RATE: '12.5' });
    expect([config.maxConcurrency, config.deadlineMarginMs, config.subTaskRatePerSecond]).toEqual([4, 0, 12.5]);
  });

  it.each([
    ['CPFS_MAX_CONCURRENCY', '0'], ['CPFS_MAX_CONCURRENCY', '1.5'], ['CPFS_MAX_CONCURRENCY', '-3'], ['CPFS_MAX_CONCURRENCY', '257'], ['CPFS_MAX_CONCURRENCY', 'many'],
    ['CPFS_DEADLINE_MARGIN_MS', '-1'], ['CPFS_DEADLINE_MARGIN_MS', '3s'],
    ['CPFS_SUBTASK_RATE', '0'], ['CPFS_SUBTASK_RATE', '101'], ['CPFS_SUBTASK_RATE', 'fast'],
  ])('%s=%j is rejected', (name, value) => {
    expect(fieldsOf({ ...base, [name]: value })).toEqual([name]);
  });
});

describe('loadConfig — region and endpoint', () => {
  it('takes the region from FC_REGION, then ALIBABA_CLOUD_REGION_ID, then the FC context', () => {
    const { FC_REGION: _r, ...noRegion } = base;
    expect(loadConfig({ ...noRegion, FC_REGION: 'cn-shanghai', ALIBABA_CLOUD_REGION_ID: 'cn-beijing' }).region).toBe('cn-shanghai');
    expect(loadConfig({ ...noRegion, ALIBABA_CLOUD_REGION_ID: 'cn-beijing' }).nasEndpoint).toBe('https://nas.cn-beijing.aliyuncs.com');
    expect(loadConfig(noRegion, { fcContext: { region: 'ap-southeast-1' } }).nasEndpoint).toBe('https://nas.ap-southeast-1.aliyuncs.com');
  });

  it('requires a region unless NAS_ENDPOINT is set', () => {
    const { FC_REGION: _r, ...noRegion } = base;
    expect(problemsOf(noRegion)).toEqual([{ field: 'FC_REGION', rule: 'is required (or ALIBABA_CLOUD_REGION_ID) unless NAS_ENDPOINT is set' }]);
    const config = loadConfig({ ...noRegion, NAS_ENDPOINT: 'https://nas-vpc.cn-hangzhou.aliyuncs.com' });
    expect(config.nasEndpoint).toBe('https://nas-vpc.cn-hangzhou.aliyuncs.com');
    expect(config).not.toHaveProperty('region');
  });

  it('rejects a region that does not look like one', () => {
    expect(problemsOf({ ...base, FC_REGION: 'Hangzhou' })).toEqual([{ field: 'FC_REGION', rule: 'must be a region id such as cn-hangzhou' }]);
  });

  it.each([
    ['https://nas.cn-hangzhou.aliyuncs.com', 'https://nas.cn-hangzhou.aliyuncs.com'],
    ['https://nas.cn-hangzhou.aliyuncs.com/', 'https://nas.cn-hangzhou.aliyuncs.com'],
    ['http://127.0.0.1:4567', 'http://127.0.0.1:4567'],
    ['http://localhost:8080/', 'http://localhost:8080'],
    ['http://[::1]:9000', 'http://[::1]:9000'],
  ])('NAS_ENDPOINT %s → %s', (text, origin) => {
    expect(loadConfig({ ...base, NAS_ENDPOINT: text }).nasEndpoint).toBe(origin);
  });

  it.each([
    ['nas.cn-hangzhou.aliyuncs.com', 'must be an absolute URL'],
    ['http://nas.cn-hangzhou.aliyuncs.com', 'http is allowed only for loopback'],
    ['http://10.0.0.1:80', 'http is allowed only for loopback'],
    ['ftp://127.0.0.1', 'http is allowed only for loopback'],
    ['https://user:pass@nas.cn-hangzhou.aliyuncs.com', 'must not contain credentials'],
    ['https://nas.cn-hangzhou.aliyuncs.com/api', 'origin only'],
    ['https://nas.cn-hangzhou.aliyuncs.com/?x=1', 'origin only'],
  ])('NAS_ENDPOINT %s is rejected (%s) without echoing it', (text, rule) => {
    const problems = problemsOf({ ...base, NAS_ENDPOINT: text });
    expect(problems).toEqual([{ field: 'NAS_ENDPOINT', rule: expect.stringContaining(rule) }]);
    expect(JSON.stringify(problems)).not.toContain('pass');
  });

  it('uses the FC context timeout and checks the deadline margin against it', () => {
    expect(loadConfig(base, { fcContext: { function: { timeout: 60 } } }).functionTimeoutMs).toBe(60_000);
    expect(problemsOf({ ...base, CPFS_DEADLINE_MARGIN_MS: '5000' }, { fcContext: { function: { timeout: 5 } } })).toEqual([
      { field: 'CPFS_DEADLINE_MARGIN_MS', rule: 'must be less than the function timeout (5000 ms)' },
    ]);
    // A context of an unexpected shape is not a configuration problem.
    expect(loadConfig(base, { fcContext: { function: 'x', region: 7 } }).functionTimeoutMs).toBeUndefined();
  });

  it('reads each FC context field on its own: a wrong one counts as absent without hiding the other', () => {
    const { FC_REGION: _r, ...noRegion } = base;
    const both = loadConfig(noRegion, { fcContext: { region: ' cn-qingdao ', function: { timeout: 90.5, memorySize: 512 }, extra: 1 } });
    expect([both.region, both.functionTimeoutMs]).toEqual(['cn-qingdao', 90_500]);
    const badTimeout = loadConfig(noRegion, { fcContext: { region: 'cn-qingdao', function: { timeout: '60' } } });
    expect([badTimeout.region, badTimeout.functionTimeoutMs]).toEqual(['cn-qingdao', undefined]);
    for (const timeout of [0, -1, Number.NaN, null]) {
      expect(loadConfig(base, { fcContext: { region: 7, function: { timeout } } }).functionTimeoutMs).toBeUndefined();
    }
    expect(loadConfig(base, { fcContext: { region: 7, function: { timeout: 30 } } }).functionTimeoutMs).toBe(30_000);
    for (const fcContext of ['cn-qingdao', [{ region: 'cn-qingdao' }], null, 42]) {
      expect(problemsOf(noRegion, { fcContext }).map((p) => p.field)).toEqual(['FC_REGION']);
    }
  });
});

describe('loadConfig — routes', () => {
  it('parses CPFS_ROUTES and fills each missing conflictPolicy from CPFS_CONFLICT_POLICY', () => {
    const config = loadConfig({
      ...base,
      CPFS_CONFLICT_POLICY: 'SKIP_THE_FILE',
      CPFS_ROUTES: JSON.stringify([
        { prefix: 'images/', dstDirectory: '/datasets/images/' },
        { prefix: 'ckpt/', dstDirectory: '/checkpoints/', conflictPolicy: 'OVERWRITE_EXISTING' },
        { prefix: '', dstDirectory: '/misc/' },
      ]),
    });
    expect(config.routesSource).toBe('env');
    expect(config.planning.routes).toEqual([
      { prefix: 'images/', dstDirectory: '/datasets/images/', conflictPolicy: 'SKIP_THE_FILE' },
      { prefix: 'ckpt/', dstDirectory: '/checkpoints/', conflictPolicy: 'OVERWRITE_EXISTING' },
      { prefix: '', dstDirectory: '/misc/', conflictPolicy: 'SKIP_THE_FILE' },
    ]);
    expect(config.routes).toEqual(config.planning.routes);
  });

  it('rejects unknown route keys, naming them (strict)', () => {
    expect(problemsOf({ ...base, CPFS_ROUTES: '[{"prefix":"a/","dstDirectory":"/a/","dstDir":"/b/","policy":"X"}]' })).toEqual([
      { field: 'CPFS_ROUTES[0]', rule: 'unknown key "dstDir" (allowed: prefix, dstDirectory, conflictPolicy)' },
      { field: 'CPFS_ROUTES[0]', rule: 'unknown key "policy" (allowed: prefix, dstDirectory, conflictPolicy)' },
    ]);
  });

  it('bounds an unknown route key it echoes: a 10 KB key gives a short problem that still names the route index', () => {
    const huge = 'k'.repeat(10_240);
    const problems = problemsOf({ ...base, CPFS_ROUTES: JSON.stringify([{ prefix: 'a/', dstDirectory: '/a/' }, { prefix: 'b/', dstDirectory: '/b/', [huge]: 1 }]) });
    expect(problems).toHaveLength(1);
    const [problem] = problems;
    expect(problem?.field).toBe('CPFS_ROUTES[1]');
    expect(problem?.rule).toMatch(/^unknown key "k+…\[/);
    expect(problem?.rule.length).toBeLessThan(200);
    expect(problem?.rule).not.toContain(huge.slice(0, 100));
  });

  it.each([
    ['{"prefix":"a/"}', 'CPFS_ROUTES', 'must be a JSON array of routes'],
    ['[1]', 'CPFS_ROUTES[0]', 'each route must be an object'],
    ['[{"prefix":"a/","dstDirectory":"a/"}]', 'CPFS_ROUTES[0].dstDirectory', 'must start and end with /'],
    ['[{"prefix":"a/","dstDirectory":"/a/../b/"}]', 'CPFS_ROUTES[0].dstDirectory', 'must not contain . or .. segments'],
    ['[{"prefix":"a/"}]', 'CPFS_ROUTES[0].dstDirectory', 'must be a string'],
    ['[{"dstDirectory":"/a/"}]', 'CPFS_ROUTES[0].prefix', 'must be a string'],
    ['[{"prefix":"/a/","dstDirectory":"/a/"}]', 'CPFS_ROUTES[0].prefix', 'must not start with /'],
    ['[{"prefix":"a/","dstDirectory":"/a/","conflictPolicy":"NEWEST"}]', 'CPFS_ROUTES[0].conflictPolicy', 'must be one of'],
    ['[{"prefix":"a/","dstDirectory":"/a/"},{"prefix":"a/","dstDirectory":"/b/"}]', 'CPFS_ROUTES[1].prefix', 'duplicates the prefix of route 0'],
    ['[{"prefix":"a/",', 'CPFS_ROUTES', 'must be valid JSON'],
  ])('CPFS_ROUTES=%s → %s: %s', (routes, field, rule) => {
    expect(problemsOf({ ...base, CPFS_ROUTES: routes })).toEqual([{ field, rule: expect.stringContaining(rule) }]);
  });

  it('rejects a route prefix outside CPFS_SOURCE_STORAGE_PATH', () => {
    const env = { ...base, CPFS_SOURCE_STORAGE_PATH: '/data/' };
    expect(loadConfig({ ...env, CPFS_ROUTES: '[{"prefix":"data/x/","dstDirectory":"/x/"},{"prefix":"","dstDirectory":"/rest/"},{"prefix":"da","dstDirectory":"/d/"}]' }).routes).toHaveLength(3);
    expect(problemsOf({ ...env, CPFS_ROUTES: '[{"prefix":"logs/","dstDirectory":"/logs/"}]' })).toEqual([
      { field: 'CPFS_ROUTES[0].prefix', rule: 'lies outside CPFS_SOURCE_STORAGE_PATH, so it could never match' },
    ]);
  });

  it('reads CPFS_ROUTES_FILE relative to the function code directory', () => {
    const reads: string[] = [];
    const readFile = (path: string) => {
      reads.push(path);
      return '[{"prefix":"a/","dstDirectory":"/a/","conflictPolicy":"SKIP_THE_FILE"}]';
    };
    const config = loadConfig({ ...base, CPFS_ROUTES_FILE: 'config/routes.json', FC_FUNC_CODE_PATH: '/code/' }, { readFile });
    expect(reads).toEqual(['/code/config/routes.json']);
    expect(config.routesSource).toBe('file');
    expect(config.routes).toEqual([{ prefix: 'a/', dstDirectory: '/a/', conflictPolicy: 'SKIP_THE_FILE' }]);

    loadConfig({ ...base, CPFS_ROUTES_FILE: 'routes.json', FC_FUNC_CODE_PATH: '/code/' }, { readFile, codeDir: '/opt/bundle' });
    loadConfig({ ...base, CPFS_ROUTES_FILE: '/etc/routes.json', FC_FUNC_CODE_PATH: '/code/' }, { readFile });
    expect(reads.slice(1)).toEqual(['/opt/bundle/routes.json', '/etc/routes.json']);
  });

  it('reports an unreadable or invalid routes file on CPFS_ROUTES_FILE', () => {
    const missing = () => { throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }); };
    expect(problemsOf({ ...base, CPFS_ROUTES_FILE: 'routes.json' }, { readFile: missing })).toEqual([
      { field: 'CPFS_ROUTES_FILE', rule: expect.stringContaining('cannot be read (ENOENT)') },
    ]);
    expect(fieldsOf({ ...base, CPFS_ROUTES_FILE: 'routes.json' }, { readFile: () => '[{"prefix":"a/","dstDirectory":"/a/","x":1}]' })).toEqual(['CPFS_ROUTES_FILE[0]']);
  });

  it('refuses CPFS_ROUTES and CPFS_ROUTES_FILE together', () => {
    expect(problemsOf({ ...base, CPFS_ROUTES: '[]', CPFS_ROUTES_FILE: 'routes.json' }, { readFile: () => '[]' })).toEqual([
      { field: 'CPFS_ROUTES_FILE', rule: 'set either CPFS_ROUTES or CPFS_ROUTES_FILE, not both' },
    ]);
  });

  it(`notes a CPFS_ROUTES above ${ROUTES_ENV_NOTE_BYTES} bytes (FC allows 4 KB of variables in all)`, () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ prefix: `p${i}/`, dstDirectory: `/dst/${i}/` }));
    const small = loadConfig({ ...base, CPFS_ROUTES: JSON.stringify(many.slice(0, 2)) });
    const large = loadConfig({ ...base, CPFS_ROUTES: JSON.stringify(many) });
    expect(small.notes).toEqual([]);
    expect(Buffer.byteLength(JSON.stringify(many))).toBeGreaterThan(ROUTES_ENV_NOTE_BYTES);
    expect(large.notes).toEqual([expect.stringMatching(/CPFS_ROUTES is \d+ bytes; FC allows 4 KB .* CPFS_ROUTES_FILE/)]);
  });

  it('notes CPFS_* variables it does not know (likely typos)', () => {
    expect(loadConfig({ ...base, CPFS_ROUTE: '[]' }).notes).toEqual([expect.stringContaining('CPFS_ROUTE is not a cpfs-ingest setting')]);
  });

  it('suggests the nearest setting for a typo, and none for a name far from every setting', () => {
    expect(loadConfig({ ...base, CPFS_ROUTE: '[]', CPFS_MAX_CONCURENCY: '4', CPFS_SOMETHING_ELSE_ENTIRELY: 'x' }).notes).toEqual([
      'CPFS_ROUTE is not a cpfs-ingest setting and is ignored (did you mean CPFS_ROUTES?)',
      'CPFS_MAX_CONCURENCY is not a cpfs-ingest setting and is ignored (did you mean CPFS_MAX_CONCURRENCY?)',
      'CPFS_SOMETHING_ELSE_ENTIRELY is not a cpfs-ingest setting and is ignored (see the configuration table)',
    ]);
  });

  it('CPFS_LOG_LEVEL: debug|info|warn|error (any case), default info; anything else is a problem', () => {
    expect(loadConfig(base).logLevel).toBe('info');
    expect(loadConfig({ ...base, CPFS_LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
    expect(() => loadConfig({ ...base, CPFS_LOG_LEVEL: 'verbose' })).toThrow(expect.objectContaining({
      problems: [{ field: 'CPFS_LOG_LEVEL', rule: 'must be one of debug, info, warn, error' }],
    }));
  });
});

describe('loadConfig — all problems at once', () => {
  it('reports every problem in one ConfigError, never echoing values', () => {
    let caught: unknown;
    try {
      loadConfig({
        CPFS_FILE_SYSTEM_ID: 'cpfs-abc',
        CPFS_DATA_FLOW_ID: 'flow-secretvalue',
        CPFS_SOURCE_STORAGE_PATH: 'nope',
        CPFS_IMPORT_MODE: 'stream',
        CPFS_DRY_RUN: 'maybe',
        CPFS_MAX_CONCURRENCY: '0',
        CPFS_ROUTES: '[{"prefix":"a/","dstDirectory":"/a/"},{"prefix":"a/","dstDirectory":"bad","extra":true}]',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems.map((p) => p.field)).toEqual([
      'CPFS_DATA_FLOW_ID',
      'CPFS_SOURCE_STORAGE_PATH',
      'CPFS_DRY_RUN',
      'CPFS_IMPORT_MODE',
      'CPFS_MAX_CONCURRENCY',
      'FC_REGION',
      'CPFS_ROUTES[1].dstDirectory',
      'CPFS_ROUTES[1]',
      'CPFS_ROUTES[1].prefix',
    ]);
    expect((caught as ConfigError).message).not.toContain('secretvalue');
    expect((caught as ConfigError).retryable).toBe(false);
  });
});

describe('fileSystemKind', () => {
  it('tells LINGJUN from general purpose', () => {
    expect(fileSystemKind('bmcpfs-290w65p03ok64ya')).toBe('lingjun');
    expect(fileSystemKind('cpfs-125487')).toBe('general');
  });

  it('throws a ValidationError for anything else', () => {
    expect(() => fileSystemKind('nas-1')).toThrow(ValidationError);
    expect(() => fileSystemKind('bmcpfs')).toThrow(/fileSystemId/);
  });
});
