import { describe, expect, expectTypeOf, it } from 'vitest';
import { entryListOfBytes } from '../../support/entry-lists.js';
import type * as z from 'zod';
import { MAX_ENTRY_LIST_BYTES } from '../../../shared/cpfs/limits.js';
import { cpfsPathLength } from '../../../shared/cpfs/path-rules.js';
import { ValidationError } from '../../../shared/errors.js';
import {
  CancelDataFlowSubTaskRequest,
  CancelDataFlowTaskRequest,
  CreateDataFlowSubTaskRequest,
  CreateDataFlowTaskRequest,
  DescribeDataFlowSubTasksRequest,
  DescribeDataFlowTasksRequest,
  DescribeDataFlowsRequest,
  findRequestIssues,
  validateRequest,
  type ValidationIssue,
} from '../../../shared/nas/schemas.js';
import type {
  CancelDataFlowTaskParams,
  CreateDataFlowSubTaskParams,
  CreateDataFlowTaskParams,
  DescribeDataFlowSubTasksParams,
  DescribeDataFlowTasksParams,
  DescribeDataFlowsParams,
  NasOperationName as OperationName,
} from '../../../shared/nas/types.js';

// Factories: documented examples of valid requests.
const cpfsImport = (over: Record<string, unknown> = {}) => ({
  FileSystemId: 'cpfs-125487ab',
  DataFlowId: 'df-194433a5be31',
  TaskAction: 'Import',
  DataType: 'Metadata',
  // Directory, EntryList and TransferFileListPath are mutually exclusive (newer API texts).
  DstDirectory: '/path_in_cpfs/',
  EntryList: '["/path_in_cpfs/file1", "/path_in_cpfs/file2"]',
  ClientToken: '123e4567-e89b-12d3-a456-42665544abcd',
  ...over,
});
/** An Import of one directory: Directory instead of an EntryList. */
const cpfsDirectoryImport = (over: Record<string, unknown> = {}) => {
  const { EntryList: _none, ...rest } = cpfsImport();
  return { ...rest, Directory: '/path_in_cpfs/', ...over };
};
const lingjunStream = (over: Record<string, unknown> = {}) => ({
  FileSystemId: 'bmcpfs-290w65p03ok64ya',
  DataFlowId: 'df-194433a5be31',
  TaskAction: 'StreamImport',
  DataType: 'MetaAndData',
  Directory: '/',
  DstDirectory: '/',
  ConflictPolicy: 'SKIP_THE_FILE',
  CreateDirIfNotExist: true,
  DryRun: false,
  ClientToken: 'tok-1',
  ...over,
});
const subTask = (over: Record<string, unknown> = {}) => ({
  FileSystemId: 'bmcpfs-370lx1ev9ss27o0',
  DataFlowId: 'df-194433a5be31',
  DataFlowTaskId: 'task-29ee8e890f45',
  SrcFilePath: '/src/a.png',
  DstFilePath: '/dst/a.png',
  Condition: { Size: 122539, ModifyTime: 1_660_373_143_000_000_000 },
  ...over,
});

function issues(op: OperationName, params: unknown): ValidationIssue[] {
  return findRequestIssues(op, params);
}

/** Asserts that `rule` (a fragment) is reported for `field`, through the thrown ValidationError. */
function expectRejected(op: OperationName, params: unknown, field: string, ruleFragment: string): void {
  let thrown: unknown;
  try {
    validateRequest(op, params);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ValidationError);
  const all = (thrown as ValidationError).cause as ValidationIssue[];
  expect(all.some((i) => i.field === field && i.rule.includes(ruleFragment)), JSON.stringify(all)).toBe(true);
}

describe('request schemas: the seed parameters of CreateDataFlowTask', () => {
  // One row per seed parameter: valid values accepted, invalid values rejected with the named rule.
  const table: {
    param: string;
    base: (over: Record<string, unknown>) => Record<string, unknown>;
    valid: unknown[];
    invalid: [unknown, string][];
  }[] = [
    {
      param: 'FileSystemId',
      base: cpfsImport,
      valid: ['cpfs-125487ab', 'cpfs-0015'],
      invalid: [[undefined, 'is required'], ['nas-1234', 'or cpfs-… (CPFS general purpose)'], ['cpfs-', 'or cpfs-… (CPFS general purpose)'], [42, 'must be a string']],
    },
    {
      param: 'DataFlowId',
      base: cpfsImport,
      valid: ['df-194433a5be31'],
      invalid: [[undefined, 'is required'], ['dfid-123', 'must look like "df-…"'], ['', 'must look like "df-…"']],
    },
    {
      param: 'SrcTaskId',
      base: cpfsImport,
      valid: ['task-27aa8e890f45', undefined],
      invalid: [['27aa8e890f45', 'must look like "task-…"'], ['task-', 'must look like "task-…"']],
    },
    {
      param: 'TaskAction',
      base: cpfsImport,
      valid: ['Import', 'Export', 'Evict', 'Inventory', undefined],
      invalid: [['import', 'must be one of Import'], ['StreamImport', 'only on CPFS for LINGJUN']],
    },
    {
      param: 'DataType',
      base: cpfsImport,
      valid: ['Metadata', 'Data', 'MetaAndData'],
      invalid: [['Meta', 'must be one of Metadata, Data, MetaAndData']],
    },
    {
      param: 'Directory',
      base: cpfsDirectoryImport,
      valid: ['/', '/path_in_cpfs/', '/数据/目录/', `/${'d'.repeat(1021)}/`, '/a..b/'],
      invalid: [
        ['', 'must be 1 to 1023 characters'],
        [`/${'d'.repeat(1022)}/`, 'must be 1 to 1023 characters'],
        ['/no-trailing-slash', 'must start and end with "/"'],
        ['relative/', 'must start and end with "/"'],
        ['/a/../b/', 'must not contain a ".." path segment'],
        ['/../', 'must not contain a ".." path segment'],
        ['/a/,/b/', 'must name one directory'],
        ['/a/\n/b/', 'must name one directory'],
        ['/bad\uD800/', 'must be valid UTF-8'],
      ],
    },
    {
      param: 'DstDirectory',
      base: cpfsImport,
      valid: ['/', '/dst/', '/😀/'],
      invalid: [['dst', 'must start and end with "/"'], ['/x/../', 'must not contain a ".." path segment'], ['/a,b/', 'must name one directory']],
    },
    {
      param: 'EntryList',
      base: cpfsImport,
      valid: ['["/a"]', '["/path_in_cpfs/file1", "/日本/ファイル"]', entryListOfBytes(MAX_ENTRY_LIST_BYTES)],
      invalid: [
        ['/a', 'must be a JSON array of strings'],
        ['{"a":1}', 'must be a JSON array of strings'],
        ['[]', 'must list at least one path'],
        ['["/a", 2]', 'entry 2 must be a string'],
        ['["a"]', 'entry 1 must start with "/"'],
        ['[""]', 'entry 1 must be 1 to 1023 characters'],
        [JSON.stringify([`/${'x'.repeat(1023)}`]), 'entry 1 must be 1 to 1023 characters'],
        [entryListOfBytes(MAX_ENTRY_LIST_BYTES + 1), 'must be at most 65535 bytes'],
      ],
    },
    {
      param: 'DryRun',
      base: cpfsImport,
      valid: [true, false],
      invalid: [['true', 'must be true or false'], [1, 'must be true or false']],
    },
    {
      param: 'ClientToken',
      base: cpfsImport,
      valid: ['a', 'x'.repeat(64), '123e4567-e89b-12d3-a456-42665544****'],
      invalid: [['', 'must be 1 to 64 characters'], ['x'.repeat(65), 'must be 1 to 64 characters'], ['tökén', 'printable ASCII'], ['a\tb', 'printable ASCII']],
    },
    {
      param: 'ConflictPolicy',
      base: lingjunStream,
      valid: ['SKIP_THE_FILE', 'KEEP_LATEST', 'OVERWRITE_EXISTING'],
      invalid: [[undefined, 'is required on CPFS for LINGJUN'], ['SKIP', 'must be one of SKIP_THE_FILE']],
    },
    {
      param: 'CreateDirIfNotExist',
      base: lingjunStream,
      valid: [true, false, undefined],
      invalid: [['yes', 'must be true or false']],
    },
  ];

  it.each(table)('$param: documented values pass, each broken rule is named', ({ param, base, valid, invalid }) => {
    for (const value of valid) {
      expect(issues('CreateDataFlowTask', base({ [param]: value })), `${param}=${String(value).slice(0, 40)}`).toEqual([]);
    }
    for (const [value, rule] of invalid) {
      expectRejected('CreateDataFlowTask', base({ [param]: value }), param, rule);
    }
  });
});

describe('request schemas: cross-field rules of CreateDataFlowTask', () => {
  it('keeps Evict/Inventory to cpfs- and streaming actions to bmcpfs-', () => {
    expectRejected('CreateDataFlowTask', lingjunStream({ TaskAction: 'Evict' }), 'TaskAction', 'only on CPFS file systems (cpfs-');
    expectRejected('CreateDataFlowTask', lingjunStream({ TaskAction: 'Inventory' }), 'TaskAction', 'only on CPFS file systems');
    expectRejected('CreateDataFlowTask', cpfsImport({ TaskAction: 'StreamExport' }), 'TaskAction', 'only on CPFS for LINGJUN');
    expect(issues('CreateDataFlowTask', lingjunStream({ TaskAction: 'StreamExport' }))).toEqual([]);
  });

  it('requires DataType MetaAndData on bmcpfs-', () => {
    expectRejected('CreateDataFlowTask', lingjunStream({ DataType: 'Metadata' }), 'DataType', 'must be MetaAndData');
    expect(issues('CreateDataFlowTask', cpfsImport({ DataType: 'Data' }))).toEqual([]);
  });

  it('refuses SrcTaskId with streaming actions', () => {
    expectRejected('CreateDataFlowTask', lingjunStream({ SrcTaskId: 'task-27aa8e890f45' }), 'SrcTaskId', 'streaming TaskAction');
    expect(issues('CreateDataFlowTask', cpfsImport({ SrcTaskId: 'task-27aa8e890f45' }))).toEqual([]);
  });

  it('needs ConflictPolicy on bmcpfs- unless a SrcTaskId supplies the task settings', () => {
    expect(issues('CreateDataFlowTask', lingjunStream({ ConflictPolicy: undefined, TaskAction: 'Import', SrcTaskId: 'task-1a' }))).toEqual([]);
    expect(issues('CreateDataFlowTask', cpfsImport({ ConflictPolicy: undefined }))).toEqual([]);
  });

  it('refuses CreateDirIfNotExist=true on cpfs- (LINGJUN-only parameter)', () => {
    expectRejected('CreateDataFlowTask', cpfsImport({ CreateDirIfNotExist: true }), 'CreateDirIfNotExist', 'only on CPFS for LINGJUN');
    expect(issues('CreateDataFlowTask', cpfsImport({ CreateDirIfNotExist: false }))).toEqual([]);
  });

  it('refuses more than one of Directory, EntryList, TransferFileListPath before sending, naming the fields', () => {
    const lingjunImport = (over: Record<string, unknown>) => ({ ...lingjunStream({ TaskAction: 'Import', Directory: undefined, ...over }) });
    expectRejected('CreateDataFlowTask', cpfsImport({ Directory: '/a/' }), 'Directory, EntryList', 'are mutually exclusive: send only one of Directory, EntryList, TransferFileListPath');
    expectRejected('CreateDataFlowTask', lingjunImport({ EntryList: '["/a"]', TransferFileListPath: '/lists/' }), 'EntryList, TransferFileListPath', 'mutually exclusive');
    expectRejected('CreateDataFlowTask', lingjunImport({ Directory: '/a/', TransferFileListPath: '/lists/' }), 'Directory, TransferFileListPath', 'mutually exclusive');
    expectRejected('CreateDataFlowTask', lingjunImport({ Directory: '/a/', EntryList: '["/a"]', TransferFileListPath: '/lists/' }), 'Directory, EntryList, TransferFileListPath', 'mutually exclusive');
    // DstDirectory is not part of the set; one source parameter alone is fine.
    expect(issues('CreateDataFlowTask', lingjunImport({ EntryList: '["/a"]', DstDirectory: '/d/' }))).toEqual([]);
    expect(issues('CreateDataFlowTask', lingjunImport({ TransferFileListPath: '/lists/', DstDirectory: '/d/' }))).toEqual([]);
    expect(issues('CreateDataFlowTask', lingjunImport({ Directory: '/a/' }))).toEqual([]);
  });

  it('TransferFileListPath: LINGJUN only, Import/Export only, starts and ends with "/", 1–1023 characters', () => {
    const lingjun = (over: Record<string, unknown>) => lingjunStream({ TaskAction: 'Import', Directory: undefined, ...over });
    expect(issues('CreateDataFlowTask', lingjun({ TransferFileListPath: '/csv/' }))).toEqual([]);
    expect(issues('CreateDataFlowTask', lingjun({ TaskAction: 'Export', TransferFileListPath: `/${'c'.repeat(1021)}/` }))).toEqual([]);
    expectRejected('CreateDataFlowTask', lingjun({ TransferFileListPath: `/${'c'.repeat(1022)}/` }), 'TransferFileListPath', 'must be 1 to 1023 characters');
    expectRejected('CreateDataFlowTask', lingjun({ TransferFileListPath: '/csv' }), 'TransferFileListPath', 'must start and end with "/"');
    expectRejected('CreateDataFlowTask', lingjun({ TransferFileListPath: 'csv/' }), 'TransferFileListPath', 'must start and end with "/"');
    expectRejected('CreateDataFlowTask', lingjun({ TaskAction: 'StreamImport', TransferFileListPath: '/csv/' }), 'TransferFileListPath', 'only with TaskAction Import or Export');
    const { EntryList: _e, ...general } = cpfsImport();
    expectRejected('CreateDataFlowTask', { ...general, TransferFileListPath: '/csv/' }, 'TransferFileListPath', 'only on CPFS for LINGJUN');
  });

  it('Includes: only with Directory, LINGJUN only, a JSON list of /…/ folders of 1–1023 characters, ≤ 3,000 characters in total', () => {
    const lingjun = (over: Record<string, unknown>) => lingjunStream({ TaskAction: 'Import', Directory: '/data/', ...over });
    expect(issues('CreateDataFlowTask', lingjun({ Includes: '["/a/","/b/c/"]' }))).toEqual([]);
    expectRejected('CreateDataFlowTask', lingjun({ Directory: undefined, EntryList: '["/a"]', Includes: '["/a/"]' }), 'Includes', 'only together with Directory');
    expectRejected('CreateDataFlowTask', cpfsDirectoryImport({ Includes: '["/a/"]' }), 'Includes', 'only on CPFS for LINGJUN');
    expectRejected('CreateDataFlowTask', lingjun({ Includes: '/a/' }), 'Includes', 'JSON array');
    expectRejected('CreateDataFlowTask', lingjun({ Includes: '["/a"]' }), 'Includes', 'entry 1 must start and end with "/"');
    expectRejected('CreateDataFlowTask', lingjun({ Includes: JSON.stringify([`/${'x'.repeat(1022)}/`]) }), 'Includes', 'entry 1 must be 1 to 1023 characters');
    const many = JSON.stringify(Array.from({ length: 4 }, (_, i) => `/${String(i).repeat(800)}/`));
    expect(many.length).toBeGreaterThan(3000);
    expectRejected('CreateDataFlowTask', lingjun({ Includes: many }), 'Includes', 'at most 3000 characters in total');
  });

  it('refuses unknown parameters by name', () => {
    expectRejected('CreateDataFlowTask', cpfsImport({ Directroy: '/a/' }), 'Directroy', 'is not a parameter of CreateDataFlowTask');
  });
});

describe('request schemas: EntryList counts UTF-8 bytes of the JSON as sent', () => {
  it('accepts exactly 65,535 bytes and rejects 65,536 — "less than 64 KB" (ASCII)', () => {
    expect(MAX_ENTRY_LIST_BYTES).toBe(65_535);
    const ok = entryListOfBytes(65_535);
    const tooBig = entryListOfBytes(65_536);
    expect(Buffer.byteLength(ok)).toBe(65_535);
    expect(Buffer.byteLength(tooBig)).toBe(65_536);
    expect(issues('CreateDataFlowTask', cpfsImport({ EntryList: ok }))).toEqual([]);
    expectRejected('CreateDataFlowTask', cpfsImport({ EntryList: tooBig }), 'EntryList', 'it is 65536 bytes');
  });

  it('counts multi-byte characters in bytes, not characters', () => {
    const ok = entryListOfBytes(65_535, '中');
    const tooBig = entryListOfBytes(65_536, '中');
    expect(Buffer.byteLength(ok)).toBe(65_535);
    expect(ok.length).toBeLessThan(30_000); // far fewer characters than bytes
    expect(issues('CreateDataFlowTask', cpfsImport({ EntryList: ok }))).toEqual([]);
    expectRejected('CreateDataFlowTask', cpfsImport({ EntryList: tooBig }), 'EntryList', 'must be at most 65535 bytes');
    const emoji = entryListOfBytes(65_536, '😀');
    expectRejected('CreateDataFlowTask', cpfsImport({ EntryList: emoji }), 'EntryList', 'must be at most 65535 bytes');
  });

  it('counts JSON escapes: a list that decodes small but serializes large is rejected', () => {
    const paths = Array.from({ length: 40 }, () => `/${'"'.repeat(1000)}`);
    const decodedBytes = paths.reduce((sum, p) => sum + Buffer.byteLength(p), 0);
    const sent = JSON.stringify(paths);
    expect(decodedBytes).toBeLessThan(65_535);
    expect(Buffer.byteLength(sent)).toBeGreaterThan(65_535);
    expectRejected('CreateDataFlowTask', cpfsImport({ EntryList: sent }), 'EntryList', 'must be at most 65535 bytes');
  });

  it('counts path length in characters (a 1023-character CJK path is fine)', () => {
    const path = `/${'中'.repeat(1022)}`;
    expect(cpfsPathLength(path)).toBe(1023);
    expect(issues('CreateDataFlowTask', cpfsImport({ EntryList: JSON.stringify([path]) }))).toEqual([]);
    expect(cpfsPathLength('😀')).toBe(1);
  });

  it('rejects an escaped lone surrogate inside an entry', () => {
    expectRejected('CreateDataFlowTask', cpfsImport({ EntryList: '["/a\\ud800"]' }), 'EntryList', 'entry 1 must be valid UTF-8');
  });
});

describe('request schemas: CreateDataFlowSubTask', () => {
  it('accepts a documented sub-task and ns timestamps beyond 2^53', () => {
    expect(issues('CreateDataFlowSubTask', subTask())).toEqual([]);
    expect(issues('CreateDataFlowSubTask', subTask({ Condition: undefined, DryRun: true, ClientToken: 't' }))).toEqual([]);
  });

  it.each([
    ['FileSystemId', 'cpfs-125487ab', 'sub-tasks exist only on CPFS for LINGJUN'],
    ['DataFlowTaskId', 'df-1', 'must look like "task-…"'],
    ['DataFlowTaskId', undefined, 'is required'],
    ['SrcFilePath', '/dir/', 'must end with a file name'],
    ['SrcFilePath', 'a.png', 'must start with "/"'],
    ['SrcFilePath', `/${'f'.repeat(1023)}`, 'must be 1 to 1023 characters'],
    ['DstFilePath', '/a/../b.png', 'must not contain a ".." path segment'],
    ['DstFilePath', '', 'must be 1 to 1023 characters'],
  ])('%s=%j → %s', (field, value, rule) => {
    expectRejected('CreateDataFlowSubTask', subTask({ [field]: value }), field, rule);
  });

  it.each([
    [{ Size: -1 }, 'Condition.Size', 'integer ≥ 0'],
    [{ Size: 1.5 }, 'Condition.Size', 'integer ≥ 0'],
    [{ Size: '10' }, 'Condition.Size', 'integer ≥ 0'],
    [{ ModifyTime: -5 }, 'Condition.ModifyTime', 'integer ≥ 0'],
    [{ ModifyTime: 0.5 }, 'Condition.ModifyTime', 'integer ≥ 0'],
    [{ Mtime: 1 }, 'Condition.Mtime', 'is not a parameter'],
  ])('Condition %j → %s', (condition, field, rule) => {
    expectRejected('CreateDataFlowSubTask', subTask({ Condition: condition }), field, rule);
  });
});

describe('request schemas: Describe* and Cancel', () => {
  it.each([
    ['DescribeDataFlowTasks', 'cpfs-1a', 10, 100],
    ['DescribeDataFlowSubTasks', 'bmcpfs-1a', 20, 100],
    ['DescribeDataFlows', 'cpfs-1a', 10, 100],
  ] as const)('%s MaxResults %i–%i', (op, fs, min, max) => {
    expect(issues(op, { FileSystemId: fs, MaxResults: min })).toEqual([]);
    expect(issues(op, { FileSystemId: fs, MaxResults: max })).toEqual([]);
    expectRejected(op, { FileSystemId: fs, MaxResults: min - 1 }, 'MaxResults', `from ${min} to ${max}`);
    expectRejected(op, { FileSystemId: fs, MaxResults: max + 1 }, 'MaxResults', `from ${min} to ${max}`);
    expectRejected(op, { FileSystemId: fs, MaxResults: 50.5 }, 'MaxResults', `from ${min} to ${max}`);
  });

  it('checks filter keys per operation and ≤ 10 ids for *Ids keys', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `task-${i}a`).join(',');
    expect(issues('DescribeDataFlowTasks', { FileSystemId: 'cpfs-1a', Filters: [{ Key: 'TaskIds', Value: ids(10) }, { Key: 'Status', Value: 'Executing' }] })).toEqual([]);
    expectRejected('DescribeDataFlowTasks', { FileSystemId: 'cpfs-1a', Filters: [{ Key: 'TaskIds', Value: ids(11) }] }, 'Filters.1.Value', 'at most 10 comma-separated ids');
    expectRejected('DescribeDataFlowTasks', { FileSystemId: 'cpfs-1a', Filters: [{ Key: 'Status', Value: 'x' }, { Key: 'DataFlowTaskIds', Value: 'task-1a' }] }, 'Filters.2.Key', 'must be one of DataFlowIds, TaskIds');
    expectRejected('DescribeDataFlowSubTasks', { FileSystemId: 'bmcpfs-1a', Filters: [{ Key: 'TaskIds', Value: 'task-1a' }] }, 'Filters.1.Key', 'DataFlowSubTaskIds');
    expectRejected('DescribeDataFlowSubTasks', { FileSystemId: 'bmcpfs-1a', Filters: [{ Key: 'DataFlowSubTaskIds', Value: 'a,,b' }] }, 'Filters.1.Value', 'empty id');
    expectRejected('DescribeDataFlows', { FileSystemId: 'cpfs-1a', Filters: [{ Key: 'FsetIds', Value: ids(11) }] }, 'Filters.1.Value', 'at most 10');
    expectRejected('DescribeDataFlows', { FileSystemId: 'cpfs-1a', Filters: [{ Key: 'Status' }] }, 'Filters.1.Value', 'is required');
    expect(issues('DescribeDataFlows', { FileSystemId: 'cpfs-1a', Filters: [{ Key: 'SourceStoragePath', Value: '/p/' }] })).toEqual([]);
  });

  it('sub-task listing is LINGJUN-only; NextToken must not be empty', () => {
    expectRejected('DescribeDataFlowSubTasks', { FileSystemId: 'cpfs-1a' }, 'FileSystemId', 'only on CPFS for LINGJUN');
    expectRejected('DescribeDataFlowTasks', { FileSystemId: 'cpfs-1a', NextToken: '' }, 'NextToken', 'must not be empty');
    expectRejected('DescribeDataFlowTasks', { FileSystemId: 'cpfs-1a', WithReports: 'no' }, 'WithReports', 'true or false');
  });

  it('CancelDataFlowTask needs FileSystemId, DataFlowId and a task id', () => {
    expect(issues('CancelDataFlowTask', { FileSystemId: 'bmcpfs-1a', DataFlowId: 'df-1a', TaskId: 'task-1a', DryRun: true })).toEqual([]);
    expectRejected('CancelDataFlowTask', { FileSystemId: 'bmcpfs-1a', DataFlowId: 'df-1a' }, 'TaskId', 'is required');
    expectRejected('CancelDataFlowTask', 'nope', '(request)', 'must be an object');
  });
});

describe('validateRequest error reporting', () => {
  it('puts the first issue in field/rule and lists every issue in the message', () => {
    let thrown: unknown;
    try {
      validateRequest('CreateDataFlowTask', { FileSystemId: 'x', DataFlowId: 'y', ClientToken: '' });
    } catch (error) {
      thrown = error;
    }
    const error = thrown as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.field).toBe('FileSystemId');
    expect(error.rule).toContain('must be bmcpfs-… (CPFS for LINGJUN) or cpfs-…');
    expect(error.message).toContain('DataFlowId: must look like "df-…"');
    expect(error.message).toContain('ClientToken: must be 1 to 64 characters');
    expect(error.retryable).toBe(false);
  });

  it('returns the parameters when they are valid', () => {
    const params = cpfsImport();
    expect(validateRequest('CreateDataFlowTask', params)).toBe(params);
  });

  it('schemas accept exactly the port parameter types (compile-time)', () => {
    expectTypeOf<CreateDataFlowTaskParams>().toExtend<z.input<typeof CreateDataFlowTaskRequest>>();
    expectTypeOf<z.output<typeof CreateDataFlowTaskRequest>>().toExtend<CreateDataFlowTaskParams>();
    expectTypeOf<CreateDataFlowSubTaskParams>().toExtend<z.input<typeof CreateDataFlowSubTaskRequest>>();
    expectTypeOf<z.output<typeof CreateDataFlowSubTaskRequest>>().toExtend<CreateDataFlowSubTaskParams>();
    expectTypeOf<DescribeDataFlowTasksParams>().toExtend<z.input<typeof DescribeDataFlowTasksRequest>>();
    expectTypeOf<z.output<typeof DescribeDataFlowTasksRequest>>().toExtend<DescribeDataFlowTasksParams>();
    expectTypeOf<DescribeDataFlowSubTasksParams>().toExtend<z.input<typeof DescribeDataFlowSubTasksRequest>>();
    expectTypeOf<z.output<typeof DescribeDataFlowSubTasksRequest>>().toExtend<DescribeDataFlowSubTasksParams>();
    expectTypeOf<DescribeDataFlowsParams>().toExtend<z.input<typeof DescribeDataFlowsRequest>>();
    expectTypeOf<z.output<typeof DescribeDataFlowsRequest>>().toExtend<DescribeDataFlowsParams>();
    expectTypeOf<CancelDataFlowTaskParams>().toExtend<z.input<typeof CancelDataFlowTaskRequest>>();
    expectTypeOf<z.output<typeof CancelDataFlowTaskRequest>>().toExtend<CancelDataFlowTaskParams>();
  });
});

describe('request schemas: CancelDataFlowSubTask (newer API texts)', () => {
  const cancel = (over: Record<string, unknown> = {}) => ({
    FileSystemId: 'bmcpfs-290w65p03ok64ya',
    DataFlowId: 'df-194433a5be31',
    DataFlowTaskId: 'task-29ee8e890f45',
    DataFlowSubTaskId: 'subTaskId-l16sj4j4v5xxwst355x',
    ...over,
  });

  it('takes the four ids, DryRun and ClientToken', () => {
    expect(issues('CancelDataFlowSubTask', cancel())).toEqual([]);
    expect(issues('CancelDataFlowSubTask', cancel({ DryRun: true, ClientToken: 'cancel-1' }))).toEqual([]);
    expect(CancelDataFlowSubTaskRequest.safeParse(cancel()).success).toBe(true);
  });

  it.each(['FileSystemId', 'DataFlowId', 'DataFlowTaskId', 'DataFlowSubTaskId'])('requires %s', (field) => {
    expectRejected('CancelDataFlowSubTask', cancel({ [field]: undefined }), field, 'is required');
  });

  it('is LINGJUN-only and refuses ids that are not ids', () => {
    expectRejected('CancelDataFlowSubTask', cancel({ FileSystemId: 'cpfs-125487ab' }), 'FileSystemId', 'must be bmcpfs-… followed by lowercase letters and digits');
    expectRejected('CancelDataFlowSubTask', cancel({ DataFlowSubTaskId: 'a b' }), 'DataFlowSubTaskId', 'must be a data flow sub-task id');
    expectRejected('CancelDataFlowSubTask', cancel({ DataFlowTaskId: 'x' }), 'DataFlowTaskId', 'must look like "task-…"');
    expectRejected('CancelDataFlowSubTask', cancel({ TaskId: 'task-1' }), 'TaskId', 'is not a parameter of CancelDataFlowSubTask');
  });
});
