import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { AoError } from '@ao/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngressFastPath } from './ingress-fast-path.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** One request with exactly the given headers (no content-length unless given: then the body goes chunked). */
function send(port: number, method: string, path: string, headers: Record<string, string>, chunks: Buffer[] = []): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(parts).toString()) }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('IngressFastPath', () => {
  let server: Server;
  let port: number;
  const received: Buffer[] = [];

  beforeAll(async () => {
    Logger.overrideLogger(false); // a 503 is logged as an error, as the exception filter does
    // The regular listener stands for express: it answers whatever the fast path leaves to it.
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(JSON.stringify({ regular: true })));
    });
    new IngressFastPath({
      routes: {
        '/su/': {
          status: 200,
          handle: async (body) => {
            received.push(body);
            if (body.toString() === 'bad') throw new AoError('INVALID_ITEM', 'not an item');
            if (body.toString() === 'busy') throw new AoError('BACKPRESSURE', 'behind', { backlog: 9 }, 'transient');
            return { id: 'x', size: body.length };
          },
        },
      },
      reads: [
        {
          url: /^\/r\/([a-z]+)\?k=([a-z]+)$/,
          handle: async ([, a, b]) => {
            if (a === 'missing') throw new AoError('NOT_FOUND', `no ${b}`);
            return a === 'busy' ? { status: 202, body: { status: 'pending' }, headers: { 'Retry-After': '1' } } : { status: 200, body: { a, b } };
          },
        },
      ],
      maxBytes: 100,
      rawTypes: ['application/octet-stream'],
      exposeErrors: false,
    }).install(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const raw = (body: string, extra: Record<string, string> = {}) => ({
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(Buffer.byteLength(body)), ...extra },
    chunks: [Buffer.from(body)],
  });

  it('answers a raw item with the route, given the exact bytes, as JSON', async () => {
    const { headers, chunks } = raw('hello item');
    const res = await send(port, 'POST', '/su/', headers, chunks);
    expect(res).toMatchObject({ status: 200, body: { id: 'x', size: 10 } });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(received.at(-1)?.toString()).toBe('hello item');
  });

  it("maps the route's errors like the exception filter, Retry-After included", async () => {
    const bad = raw('bad');
    expect(await send(port, 'POST', '/su/', bad.headers, bad.chunks)).toMatchObject({ status: 400, body: { error: 'not an item', code: 'INVALID_ITEM' } });
    const busy = raw('busy');
    const res = await send(port, 'POST', '/su/', busy.headers, busy.chunks);
    expect(res).toMatchObject({ status: 503, body: { code: 'BACKPRESSURE', details: { backlog: 9 } } });
    expect(res.headers['retry-after']).toBe('1');
  });

  it('answers a GET whose whole URL matches a read route, with its status, headers and errors', async () => {
    expect(await send(port, 'GET', '/r/abc?k=de', {})).toMatchObject({ status: 200, body: { a: 'abc', b: 'de' } });
    const busy = await send(port, 'GET', '/r/busy?k=de', {});
    expect(busy).toMatchObject({ status: 202, body: { status: 'pending' } });
    expect(busy.headers['retry-after']).toBe('1');
    expect(busy.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(await send(port, 'GET', '/r/missing?k=de', {})).toMatchObject({ status: 404, body: { code: 'NOT_FOUND', error: 'no de' } });
  });

  it('leaves to the regular listener what it cannot answer exactly as Nest would', async () => {
    const item = raw('hello item');
    const cases: [string, string, Record<string, string>, Buffer[]][] = [
      ['GET', '/su/', {}, []],
      ['GET', '/r/abc?k=de&other=1', {}, []],
      ['GET', '/r/ABC?k=de', {}, []],
      ['GET', '/r/abc?k=de', { 'if-none-match': 'W/"x"' }, []],
      ['POST', '/r/abc?k=de', item.headers, item.chunks],
      ['POST', '/su/?assign=x', item.headers, item.chunks],
      ['POST', '/elsewhere', item.headers, item.chunks],
      ['POST', '/su/', { ...item.headers, 'content-type': 'application/json' }, item.chunks],
      ['POST', '/su/', { ...item.headers, 'content-encoding': 'gzip' }, item.chunks],
      ['POST', '/su/', raw('x'.repeat(101)).headers, raw('x'.repeat(101)).chunks],
      ['POST', '/su/', { 'content-type': 'application/octet-stream' }, [Buffer.from('chunked'), Buffer.from(' body')]],
    ];
    const before = received.length;
    for (const [method, path, headers, chunks] of cases) {
      expect(await send(port, method, path, headers, chunks)).toMatchObject({ status: 200, body: { regular: true } });
    }
    expect(received.length).toBe(before);
  });
});
