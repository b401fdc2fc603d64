import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, DashboardStatic, IMMUTABLE, REVALIDATE, SHORT } from './dashboard-static.js';

const INDEX = '<!doctype html><title>dashboard</title><script type="module" src="/assets/index-Ab12.js"></script>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});`;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A server with the dashboard in front of a stand-in for Nest (which answers 418 with the path). */
async function serve(dir: string): Promise<{ server: Server; get(path: string, headers?: Record<string, string>, method?: string): Promise<Answer> }> {
  const dashboard = new DashboardStatic(dir);
  const server = createServer((req, res) =>
    dashboard.middleware(req, res, () => {
      res.writeHead(418, { 'content-type': 'text/plain' });
      res.end(`next ${req.url}`);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // node:http, not fetch: fetch would decode the content coding this test checks.
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    new Promise<Answer>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
  return { server, get };
}

describe('DashboardStatic: the built dashboard served by the API', () => {
  let root: string;
  let app: Awaited<ReturnType<typeof serve>>;
  let unbuilt: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'dashboard-'));
    const dist = join(root, 'dist');
    await mkdir(join(dist, 'assets'), { recursive: true });
    await writeFile(join(dist, 'index.html'), INDEX);
    await writeFile(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(join(dist, 'assets', 'index-Ab12.js'), SCRIPT);
    await writeFile(join(dist, 'assets', 'index-Ab12.js.gz'), gzipSync(SCRIPT));
    await writeFile(join(dist, 'assets', 'index-Ab12.js.br'), brotliCompressSync(SCRIPT));
    app = await serve(dist);
    unbuilt = await serve(join(root, 'missing'));
  });

  afterAll(async () => {
    app?.server.close();
    unbuilt?.server.close();
    await rm(root, { recursive: true, force: true });
  });

  it('answers / with index.html, revalidated on every load, under a strict content security policy', async () => {
    const res = await app.get('/');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(INDEX);
    expect(res.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': REVALIDATE,
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
    });
    expect(res.headers.etag).toMatch(/^W\/"[A-Za-z0-9_-]{22}"$/);
  });

  it('answers a deep link of the app (explorer, agent pages) with index.html', async () => {
    for (const path of [`/explorer/${'a'.repeat(43)}`, '/dead-letters', '/agents/42?tab=config']) {
      const res = await app.get(path);
      expect([path, res.status, res.body.toString()]).toEqual([path, 200, INDEX]);
    }
  });

  it('serves hashed assets as immutable, precompressed in the best coding the client accepts', async () => {
    const br = await app.get('/assets/index-Ab12.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers).toMatchObject({ 'content-encoding': 'br', 'cache-control': IMMUTABLE, 'content-type': 'text/javascript; charset=utf-8', vary: 'Accept-Encoding' });
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(brotliDecompressSync(br.body).toString()).toBe(SCRIPT);

    const gz = await app.get('/assets/index-Ab12.js', { 'accept-encoding': 'gzip, br;q=0' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(SCRIPT);

    const plain = await app.get('/assets/index-Ab12.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(SCRIPT);
    expect(br.headers.etag).toBe(plain.headers.etag);
  });

  it('answers 304 to a revalidation with the current ETag, and HEAD without a body', async () => {
    const first = await app.get('/');
    const again = await app.get('/', { 'if-none-match': String(first.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect((await app.get('/', { 'if-none-match': 'W/"something-else"' })).status).toBe(200);
    const head = await app.get('/favicon.svg', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['cache-control']).toBe(SHORT);
    expect(head.body.length).toBe(0);
  });

  it('leaves the API prefixes, other methods, missing assets and paths outside the build to the API', async () => {
    for (const path of ['/health', '/api/agents', '/docs', '/docs/json', '/su/x', '/cu/result/x', '/mu/failed', '/admin/cron', '/metrics', '/info', '/assets/gone-1234.js', '/robots.txt']) {
      expect([path, (await app.get(path)).status]).toEqual([path, 418]);
    }
    expect((await app.get('/', {}, 'POST')).status).toBe(418);
    for (const path of ['/..%2f..%2fetc%2fpasswd', '/assets/..%2f..%2findex.html', '/%00', '/%E0%A4%A']) {
      const res = await app.get(path);
      expect([path, res.status]).toEqual([path, 418]);
    }
  });

  it('says the dashboard is not built when the build is missing, and the API keeps answering', async () => {
    const res = await unbuilt.get('/');
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body.toString())).toMatchObject({ code: 'NOT_FOUND', error: expect.stringContaining('npm run build') });
    expect((await unbuilt.get('/health')).status).toBe(418);
  });
});
