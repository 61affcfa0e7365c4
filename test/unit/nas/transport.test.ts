import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkError, TimeoutError } from '../../../shared/errors.js';
import { canonicalizeQuery } from '../../../shared/nas/signer.js';
import {
  FORM_CONTENT_TYPE,
  createHttpTransport,
  encodeFormBody,
  flattenParams,
  parameterPlacement,
  placeParameters,
} from '../../../shared/nas/transport.js';
import { OPERATION_NAMES } from '../../../shared/nas/schemas.js';

describe('flattenParams', () => {
  it('flattens objects as Parent.Child and arrays as 1-based Parent.N', () => {
    expect(
      flattenParams({
        FileSystemId: 'bmcpfs-1',
        Condition: { Size: 122539, ModifyTime: 1_660_373_143_000_000_000 },
        Filters: [
          { Key: 'DataFlowIds', Value: 'df-1,df-2' },
          { Key: 'Status', Value: 'Executing' },
        ],
        DryRun: false,
        WithReports: true,
        NextToken: undefined,
        Skipped: null,
      }),
    ).toEqual({
      FileSystemId: 'bmcpfs-1',
      'Condition.Size': '122539',
      'Condition.ModifyTime': '1660373143000000000',
      'Filters.1.Key': 'DataFlowIds',
      'Filters.1.Value': 'df-1,df-2',
      'Filters.2.Key': 'Status',
      'Filters.2.Value': 'Executing',
      DryRun: 'false',
      WithReports: 'true',
    });
  });

  it('writes big integers in full, never in exponent notation', () => {
    expect(flattenParams({ N: 1e21 })).toEqual({ N: '1000000000000000000000' });
  });
});

describe('parameter placement and body encoding', () => {
  it('sends every operation as a form body', () => {
    for (const op of OPERATION_NAMES) expect(parameterPlacement(op)).toBe('body');
  });

  it('encodes the body with the same rules as the canonical query', () => {
    const flat = { EntryList: '["/a b+c%d*e~f\'g(h)!", "/中文"]', B: '', A: 'x' };
    const body = encodeFormBody(flat);
    expect(body).toBe(canonicalizeQuery(flat));
    expect(body).toBe(
      'A=x&B=&EntryList=%5B%22%2Fa%20b%2Bc%25d%2Ae~f%27g%28h%29%21%22%2C%20%22%2F%E4%B8%AD%E6%96%87%22%5D',
    );
    // Decodes back exactly, even with form semantics ("+" would be a space; we never emit a bare "+").
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual(flat);
  });

  it('placeParameters puts nothing in the query and sets the form content type', () => {
    const placed = placeParameters('CreateDataFlowSubTask', { FileSystemId: 'bmcpfs-1', Condition: { Size: 1 } });
    expect(placed).toEqual({ query: {}, body: 'Condition.Size=1&FileSystemId=bmcpfs-1', contentType: FORM_CONTENT_TYPE });
  });
});

describe('createHttpTransport (loopback server)', () => {
  let server: http.Server;
  let base: URL;
  const seen: { method?: string; headers: http.IncomingHttpHeaders; body: string; socketPort?: number }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), socketPort: req.socket.remotePort });
        if (req.url === '/hang') return; // never answers
        if (req.url === '/drop') {
          req.socket.destroy();
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-acs-request-id', 'rid-1');
        res.end(JSON.stringify({ RequestId: 'rid-1', ok: true }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('POSTs the exact body with content-length and reuses the keep-alive connection', async () => {
    const send = createHttpTransport();
    try {
      const body = 'A=%E4%B8%AD&B=1';
      const first = await send({ url: base, method: 'POST', headers: { 'content-type': FORM_CONTENT_TYPE }, body, timeoutMs: 5_000 });
      const second = await send({ url: base, method: 'POST', headers: {}, body, timeoutMs: 5_000 });
      expect(first.status).toBe(200);
      expect(first.headers['x-acs-request-id']).toBe('rid-1');
      expect(JSON.parse(first.body)).toEqual({ RequestId: 'rid-1', ok: true });
      const [a, b] = seen.slice(-2);
      expect(a?.method).toBe('POST');
      expect(a?.body).toBe(body);
      expect(a?.headers['content-length']).toBe(String(Buffer.byteLength(body)));
      expect(a?.headers['content-type']).toBe(FORM_CONTENT_TYPE);
      expect(b?.socketPort).toBe(a?.socketPort); // same socket: keep-alive
      expect(second.status).toBe(200);
    } finally {
      send.destroy();
    }
  });

  it('times out an attempt with TimeoutError', async () => {
    const send = createHttpTransport();
    try {
      await expect(send({ url: new URL('/hang', base), method: 'POST', headers: {}, body: '', timeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError);
    } finally {
      send.destroy();
    }
  });

  it('maps a dropped connection to NetworkError and an aborted signal to its reason', async () => {
    const send = createHttpTransport();
    try {
      await expect(send({ url: new URL('/drop', base), method: 'POST', headers: {}, body: '', timeoutMs: 5_000 })).rejects.toBeInstanceOf(NetworkError);
      const controller = new AbortController();
      const pending = send({ url: new URL('/hang', base), method: 'POST', headers: {}, body: '', timeoutMs: 5_000, signal: controller.signal });
      controller.abort(new Error('caller gave up'));
      await expect(pending).rejects.toThrow('caller gave up');
    } finally {
      send.destroy();
    }
  });

  it('maps a refused connection to NetworkError', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const send = createHttpTransport();
    try {
      await expect(send({ url: new URL(`http://127.0.0.1:${port}/`), method: 'POST', headers: {}, body: '', timeoutMs: 5_000 })).rejects.toBeInstanceOf(NetworkError);
    } finally {
      send.destroy();
    }
  });
});
