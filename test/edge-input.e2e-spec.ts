import type { INestApplication } from '@nestjs/common';
import { createData } from 'arbundles';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import { newUser, processItem, randomAnchor } from './support/items.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/** A message signed with arbundles directly: our own builder refuses tags a store cannot keep. */
async function rawMessage(signer: ItemSigner, target: string, tags: { name: string; value: string }[]): Promise<Buffer> {
  const item = createData('hi', signer as never, {
    target,
    anchor: randomAnchor(),
    tags: [{ name: 'Data-Protocol', value: 'ao' }, { name: 'Variant', value: 'ao.TN.1' }, { name: 'Type', value: 'Message' }, ...tags],
  });
  await item.sign(signer as never);
  return item.getRaw();
}

/** Input the API cannot store or compare: each must end in a 4xx with `{error, code, details}`, never a 500. */
describe('edge input: what Postgres cannot store never reaches it', () => {
  let t: TestEnv;
  let api: INestApplication;
  let su: string;
  const http = () => request(api.getHttpServer());
  const post = (path: string, raw: Uint8Array) => http().post(path).set('content-type', 'application/octet-stream').send(Buffer.from(raw));

  beforeAll(async () => {
    t = await createTestEnv();
    api = await createApiApp(t.env, { logger: false });
    await api.init();
    su = (await http().get('/su/').expect(200)).body.address;
  });

  afterAll(async () => {
    await api?.close();
    await t?.cleanup();
  });

  it('invalid UTF-8 in tags fails alone with 400 and a NUL is kept: 60 valid items posted with 15 odd ones from the same signers', async () => {
    const signers = Array.from({ length: 60 }, () => newUser());
    const pids = await Promise.all(
      signers.map(async (s) => (await post('/su/', (await processItem(s, su)).raw).expect(200)).body.id as string),
    );
    const valid = await Promise.all(signers.map((s, i) => rawMessage(s, pids[i], [{ name: 'Action', value: `Ping-${i}` }])));
    // A NUL in a tag name or value is valid ANS-104 (tags are byte strings): stored and scheduled.
    const nulTag = (i: number) => (i % 3 === 0 ? { name: 'Action', value: `hi\u0000there-${i}` } : { name: `X\u0000${i}`, value: 'v' });
    const odd = await Promise.all(
      Array.from({ length: 15 }, async (_, i) => {
        const signer = signers[i];
        if (i % 3 !== 2) return rawMessage(signer, pids[i], [nulTag(i)]);
        // Invalid UTF-8 in a tag value: the signed bytes patched after signing.
        const raw = await rawMessage(signer, pids[i], [{ name: 'Action', value: 'Vxlue' }]);
        raw[raw.indexOf(Buffer.from('Vxlue')) + 1] = 0xff;
        return raw;
      }),
    );
    const all = [...valid.map((raw, i) => ({ raw, ok: true, path: i % 2 ? '/mu/' : '/su/' })), ...odd.map((raw, i) => ({ raw, ok: i % 3 !== 2, path: i % 2 ? '/su/' : '/mu/' }))];
    // Interleaved, all in flight at once, so bad items share the SU's batches with good ones.
    const order = all.map((_, i) => (i * 37) % all.length);
    const answers = await Promise.all(order.map(async (k) => ({ k, res: await post(all[k].path, all[k].raw) })));
    for (const { k, res } of answers) {
      if (all[k].ok) expect([200, 202], `item ${k}: ${JSON.stringify(res.body)}`).toContain(res.status);
      else {
        expect(res.status, `item ${k}: ${JSON.stringify(res.body)}`).toBe(400);
        expect(res.body).toEqual({ error: expect.any(String), code: 'INVALID_TAGS', details: expect.any(Object) });
      }
    }
    // Each valid message is in its process's log, the NUL tags exactly as signed, and no invalid one is anywhere.
    type Entry = { node: { message: { tags: { name: string; value: string }[] } } };
    for (const [i, pid] of pids.entries()) {
      const log = await http().get(`/su/${pid}`).expect(200);
      const tags = log.body.edges.slice(1).map((e: Entry) => e.node.message.tags.filter((t) => t.name === 'Action' || t.name.startsWith('X')));
      const expected = [[{ name: 'Action', value: `Ping-${i}` }]];
      if (i < 15 && i % 3 !== 2) expected.push([nulTag(i)]);
      expect(tags).toHaveLength(expected.length);
      expect(tags).toEqual(expect.arrayContaining(expected));
    }
  });

  it('numbers beyond what the stores compare exactly are 400 on every route with numeric parameters', async () => {
    const pid = (await post('/su/', (await processItem(newUser(), su)).raw).expect(200)).body.id as string;
    const huge = ['99999999999999999999', '9223372036854775808', '9007199254740993', '1e400', '-5', '0x10', ' 1'];
    const urls = huge.flatMap((n) => [
      `/su/${pid}?from-nonce=${encodeURIComponent(n)}`,
      `/su/${pid}?to-nonce=${encodeURIComponent(n)}`,
      `/su/${pid}?from=${encodeURIComponent(n)}`,
      `/su/${pid}?to=${encodeURIComponent(n)}`,
      `/cu/results/${pid}?from=${encodeURIComponent(n)}`,
      `/cu/results/${pid}?to=${encodeURIComponent(n)}`,
      `/cu/verify/${pid}?fromCheckpoint=${encodeURIComponent(n)}`,
    ]);
    // limit is a number of entries: out of range is 400 (hex or padded spellings of a fit value are read as it).
    for (const n of ['99999999999999999999', '9223372036854775808', '1e400', '-5', '0']) urls.push(`/su/${pid}?limit=${n}`, `/cu/results/${pid}?limit=${n}`);
    for (const url of urls) {
      const res = await http().get(url);
      expect(res.status, `${url}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body).toMatchObject({ error: expect.any(String), code: expect.any(String) });
    }
    // The largest exact values still read (an empty page), and -1 still includes slot 0.
    const max = String(Number.MAX_SAFE_INTEGER);
    expect((await http().get(`/su/${pid}?from-nonce=${max}&to-nonce=${max}`).expect(200)).body.edges).toEqual([]);
    expect((await http().get(`/su/${pid}?from=${max}`).expect(200)).body.edges).toEqual([]);
    expect((await http().get(`/su/${pid}?from-nonce=-1`).expect(200)).body.edges).toHaveLength(1);
    await http().get(`/cu/results/${pid}?from=${max}&to=${max}`).expect(200);
  });

  it('a NUL or a malformed id in a path parameter is 400, on every route that takes one', async () => {
    const paths = ['/su/a%00b', '/su/a%00b/latest', '/su/processes/a%00b', '/cu/results/a%00b', '/cu/state/a%00b', '/cu/checkpoints/a%00b', '/cu/verify/a%00b', '/cu/result/a%00b?process-id=a'];
    for (const p of paths) {
      const res = await http().get(p);
      expect(res.status, `${p}: ${JSON.stringify(res.body)}`).toBe(400);
    }
    for (const p of ['/mu/monitor/a%00b']) {
      const res = await http().post(p).set('content-type', 'application/octet-stream').send(Buffer.from('x'));
      expect(res.status, `${p}: ${JSON.stringify(res.body)}`).toBe(400);
    }
  });
});
