import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { messageItem, newUser, processItem } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/** A seeded PRNG (mulberry32): a failure names its seed and case, and reproduces with them. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    int,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)],
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => int(256))),
  };
}

const SEED = Number(process.env.BAD_INPUT_SEED ?? 20261208);
const MAX_ITEM_BYTES = 64 * 1024;
const CODE = `Handlers.add("Ping", "Ping", function(msg) msg.reply({ Data = "pong" }) end)`;

/** Path and query values no route accepts as an id or a number: NUL, invalid UTF-8, huge, long, traversal. */
const NASTY = ['%00', 'a%00b', '%FF%FE', '%C3%28', '%ED%A0%80', '99999999999999999999', '9223372036854775808', '-1', '1e400', 'x'.repeat(5000), '..%2F..%2Fetc', '%', '%zz', "'%20OR%201=1--", '%E2%80%AE', 'A'.repeat(42) + '%00'];
const CONTENT_TYPES = ['application/octet-stream', 'application/x-ans104', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/octet-stream; charset=%FF', ''];

interface Case {
  name: string;
  send(): Promise<{ status: number }>;
}

describe('bad input: no request gets a 5xx or wedges anything', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let owner: ItemSigner;
  let pid: string;
  let valid: Buffer;
  let port: number;
  const http = () => platform.http();

  beforeAll(async () => {
    t = await createTestEnv({ MAX_ITEM_BYTES: String(MAX_ITEM_BYTES), RESULT_TIMEOUT_MS: '20000', ADMIN_TOKEN: 'bad-input-admin' });
    platform = await startTestPlatform(t.env, { listen: true });
    port = Number(new URL(platform.url!).port);
    owner = newUser();
    const info = (await http().get('/info').expect(200)).body;
    const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }], CODE, info.modules['lua-5.4-aos']);
    await platform.mu(p.raw).expect(202);
    await platform.result(p.id, p.id);
    pid = p.id;
    valid = Buffer.from((await messageItem(owner, pid, [{ name: 'Action', value: 'Ping' }])).raw);
  });

  afterAll(async () => {
    await platform?.close();
    await t?.cleanup();
  });

  /** A raw HTTP/1.1 exchange (for headers supertest will not lie in): the status, or 0 when the server just closed. */
  const raw = (head: string, body: Buffer): Promise<{ status: number }> =>
    new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let answer = '';
      const done = () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0) });
      socket.setTimeout(15_000, () => socket.destroy());
      socket.on('data', (d) => {
        answer += d.toString('latin1');
        if (/^HTTP\/1\.1 \d{3}/.test(answer)) socket.end();
      });
      socket.on('close', done);
      socket.on('error', () => undefined);
      socket.write(head);
      socket.end(body);
    });

  function cases(): Case[] {
    const r = prng(SEED);
    const out: Case[] = [];
    const postItem = (path: string, body: Buffer, type = 'application/octet-stream') => () =>
      type ? http().post(path).set('content-type', type).send(body) : http().post(path).send(body);
    const mutate = (): { kind: string; body: Buffer } => {
      const k = r.int(4);
      if (k === 0) return { kind: 'random bytes', body: r.bytes(r.int(3000)) };
      if (k === 1) return { kind: 'truncated item', body: valid.subarray(0, r.int(valid.length)) };
      const flipped = Buffer.from(valid);
      for (let i = 0; i <= r.int(3); i += 1) flipped[r.int(flipped.length)] ^= 1 << r.int(8);
      if (k === 2) return { kind: 'bit-flipped item', body: flipped };
      return { kind: 'item with trailing garbage', body: Buffer.concat([valid, r.bytes(1 + r.int(64))]) };
    };
    for (let i = 0; i < 120; i += 1) {
      const path = r.pick(['/su/', '/mu/', '/su', '/mu', `/mu/monitor/${pid}`]);
      const m = mutate();
      const type = r.pick(CONTENT_TYPES);
      out.push({ name: `POST ${path} ${m.kind} (${m.body.length} B) as ${type || 'no type'}`, send: postItem(path, m.body, type) });
    }
    for (const path of ['/su/', '/mu/', `/mu/monitor/${pid}`]) {
      out.push({ name: `POST ${path} oversized`, send: postItem(path, r.bytes(MAX_ITEM_BYTES + 1)) });
      out.push({ name: `POST ${path} empty`, send: postItem(path, Buffer.alloc(0)) });
    }
    const get = (url: string) => () => http().get(url);
    for (let i = 0; i < 110; i += 1) {
      const v = r.pick(NASTY);
      const url = r.pick([
        `/su/${v}`,
        `/su/${v}/latest`,
        `/su/processes/${v}`,
        `/su/${pid}?from=${v}`,
        `/su/${pid}?to=${v}`,
        `/su/${pid}?from-nonce=${v}`,
        `/su/${pid}?to-nonce=${v}`,
        `/su/${pid}?limit=${v}`,
        `/su/${pid}?process-id=${v}`,
        `/cu/result/${v}?process-id=${pid}`,
        `/cu/result/${pid}?process-id=${v}`,
        `/cu/results/${v}`,
        `/cu/results/${pid}?from=${v}&sort=${v}`,
        `/cu/results/${pid}?to=${v}&limit=${v}`,
        `/cu/state/${v}`,
        `/cu/checkpoints/${v}`,
        `/cu/verify/${v}`,
        `/cu/verify/${pid}?fromCheckpoint=${v}&compare=${v}`,
        `/info?x=${v}`,
        `/metrics?${v}`,
        `/api/blueprints?${v}=${v}`,
        `/api/agents/${v}`,
        `/api/agents/${v}/logs?limit=${v}`,
        `/api/agents?limit=${v}`,
        `/api/feed?after=${v}&limit=${v}`,
        `/api/strategies/${v}`,
        `/api/subscriptions?${v}`,
        `/su/${pid}?${v}=${v}`,
      ]);
      out.push({ name: `GET ${url.slice(0, 120)}`, send: get(url) });
    }
    const admin = (method: 'post' | 'get', url: string, token: string) => () => http()[method](url).set('authorization', token);
    for (const [method, url] of [
      ['get', '/mu/failed'],
      ['post', `/mu/failed/${r.pick(NASTY)}/${r.pick(NASTY)}/retry`],
      ['post', `/mu/failed/evaluate/${r.pick(NASTY)}/retry`],
      ['get', '/api/admin/cron'],
      ['post', `/api/admin/cron/${r.pick(NASTY)}/pause`],
      ['post', `/api/admin/cron/${pid}/resume`],
    ] as const) {
      for (const token of ['', 'bad-input-admin', 'Bearer wrong', 'Bearer bad-input-admin\u0000', 'Basic bad-input-admin', 'Bearer bad-input-admin']) {
        out.push({ name: `${method.toUpperCase()} ${url.slice(0, 80)} with "${token.slice(0, 24)}"`, send: token.includes('\u0000') ? () => raw(`${method.toUpperCase()} ${url} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer bad\u0000\r\nContent-Length: 0\r\n\r\n`, Buffer.alloc(0)) : admin(method, url, token) });
      }
    }
    const dryRun = (body: Buffer, type: string) => () => http().post(`/cu/dry-run?process-id=${pid}`).set('content-type', type).send(body);
    const jsonBodies = [
      '{"Tags":[{"name":"Action","value":"Ping\\u0000"}]}',
      '{"Tags":[{"name":"\\u0000","value":"x"}],"Data":"\\u0000"}',
      '{"Tags":"not an array"}',
      '{"Tags":[1,2,3]}',
      '{"Owner":{"$gt":""}}',
      '{"Data":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
      '['.repeat(100000),
      '{"Tags":[{"name":"Action","value":"Ping"}],"Extra":1}',
      '{"Id":"\\ud800"}',
      'null',
      '"just a string"',
      '{"Data": 1e400}',
      '{',
      '',
    ];
    for (const body of jsonBodies) out.push({ name: `POST /cu/dry-run ${body.slice(0, 60)}`, send: dryRun(Buffer.from(body), 'application/json') });
    for (let i = 0; i < 20; i += 1) {
      const body = Buffer.concat([Buffer.from('{"Data":"'), r.bytes(1 + r.int(200)), Buffer.from('"}')]);
      out.push({ name: `POST /cu/dry-run JSON with raw bytes #${i}`, send: dryRun(body, r.pick(['application/json', 'application/json; charset=utf-8', 'text/plain'])) });
    }
    for (const path of ['/api/auth/login', '/api/agents', '/api/strategies', '/api/subscriptions', '/api/agents/x/start']) {
      for (const body of jsonBodies.slice(0, 8)) out.push({ name: `POST ${path} ${body.slice(0, 40)}`, send: () => http().post(path).set('content-type', 'application/json').send(Buffer.from(body)) });
    }
    out.push({ name: 'POST /cu/dry-run 2 MB of JSON', send: dryRun(Buffer.from(JSON.stringify({ Data: 'x'.repeat(2 * 1024 * 1024) })), 'application/json') });
    out.push({ name: `POST /cu/dry-run without process-id`, send: () => http().post('/cu/dry-run').send({}) });
    // Lying headers, over a raw socket.
    const item = valid.toString('latin1');
    const lies: [string, string, Buffer][] = [
      ['Content-Length larger than the body', `POST /su/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${valid.length + 500}\r\n\r\n`, valid],
      ['Content-Length smaller than the body', `POST /mu/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 10\r\n\r\n`, Buffer.from(item, 'latin1')],
      ['two Content-Lengths', `POST /su/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n`, Buffer.from('hello!')],
      ['negative Content-Length', `POST /su/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: -1\r\n\r\n`, Buffer.from('x')],
      ['huge Content-Length', `POST /mu/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 99999999999999999999\r\n\r\n`, Buffer.from('x')],
      ['chunked with a bad chunk size', `POST /su/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n`, Buffer.from('zz\r\nabc\r\n0\r\n\r\n')],
      ['gzip that is not gzip', `POST /su/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Encoding: gzip\r\nContent-Length: ${valid.length}\r\n\r\n`, valid],
      ['json body claimed, item sent', `POST /cu/dry-run?process-id=${pid} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${valid.length}\r\n\r\n`, valid],
      ['NUL in the path', `GET /su/a\u0000b HTTP/1.1\r\nHost: x\r\n\r\n`, Buffer.alloc(0)],
      ['invalid UTF-8 in the path', `GET /su/\u00ff\u00fe HTTP/1.1\r\nHost: x\r\n\r\n`, Buffer.alloc(0)],
      ['invalid UTF-8 in a header', `GET /su/ HTTP/1.1\r\nHost: x\r\nX-Name: \u00c3\u0028\r\n\r\n`, Buffer.alloc(0)],
    ];
    for (const [name, head, body] of lies) out.push({ name: `raw: ${name}`, send: () => raw(head, body) });
    return out;
  }

  it(`answers ${'>'}= 300 malformed requests without a 5xx (seed ${SEED}), and the platform still works after`, async () => {
    const all = cases();
    expect(all.length).toBeGreaterThanOrEqual(300);
    const failures: string[] = [];
    for (let i = 0; i < all.length; i += 8) {
      await Promise.all(
        all.slice(i, i + 8).map(async (c, j) => {
          const res = (await c.send()) as { status: number; text?: string };
          if (res.status >= 500) failures.push(`#${i + j} ${c.name}: ${res.status} ${res.text?.slice(0, 300) ?? ''}`);
        }),
      );
    }
    expect(failures, `seed ${SEED}`).toEqual([]);

    // Nothing is stuck: the API, the pipeline and the process all still answer.
    // (No cron service runs in this test: its check is the one allowed down.)
    const health = (await http().get('/health')).body as { checks: Record<string, { status: string }> };
    expect(Object.entries(health.checks).filter(([name, c]) => name !== 'cron' && c.status !== 'up')).toEqual([]);
    await platform.mu(valid).expect(202);
    const ping = await messageItem(owner, pid, [{ name: 'Action', value: 'Ping' }]);
    await platform.mu(ping.raw).expect(202);
    expect((await platform.result(pid, ping.id)).Messages[0].Data).toBe('pong');
    const { edges } = (await http().get(`/su/${pid}`).expect(200)).body;
    expect(edges.map((e: { node: { message: { id: string } } }) => e.node.message.id)).toEqual(expect.arrayContaining([pid, ping.id]));
    expect((await http().get(`/cu/state/${pid}`).expect(200)).body.nonce).toBe(edges.length - 1);
  }, 600_000);
});
