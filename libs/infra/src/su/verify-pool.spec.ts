import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Ed25519ItemSigner, aoTags, createDataItem, verifyRawDataItem } from '@ao/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerifyPool, createItemVerifier } from './verify-pool.js';

// The threads run the built script (dist/su/verify-thread.js): `npm run build` first, as `npm test` does.
const signer = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
const target = signer.address;
const item = (data: string) => createDataItem({ data, target, anchor: randomBytes(16).toString('hex'), tags: [...aoTags('Message'), { name: 'Action', value: 'Ping' }] }, signer);

describe('VerifyPool', () => {
  let pool: VerifyPool;
  beforeAll(() => {
    pool = new VerifyPool({ threads: 2, maxBatchItems: 7 });
  });
  afterAll(() => pool.close());

  it('answers what verifyRawDataItem answers on the calling thread, over views of the same bytes', async () => {
    const good = await item('hello');
    const verified = await pool.verify(good.raw);
    expect(verified).toEqual(verifyRawDataItem(good.raw));
    expect(verified.raw.equals(good.raw)).toBe(true);
    expect(verified.data.toString()).toBe('hello');
    expect(verified.signature.buffer).toBe(verified.raw.buffer);
  });

  it('gives each of many concurrent items its own outcome, across batches and threads', async () => {
    const raws: { raw: Buffer; expect: string }[] = [];
    for (let i = 0; i < 60; i++) {
      const it = await item(`message ${i}`);
      if (i % 5 === 1) {
        const bad = Buffer.from(it.raw);
        bad[bad.length - 1] ^= 1;
        raws.push({ raw: bad, expect: 'BAD_SIGNATURE' });
      } else if (i % 5 === 3) raws.push({ raw: it.raw.subarray(0, 90), expect: 'INVALID_ITEM' });
      else raws.push({ raw: it.raw, expect: it.id });
    }
    const outcomes = await Promise.allSettled(raws.map((r) => pool.verify(r.raw)));
    outcomes.forEach((o, i) => {
      if (o.status === 'fulfilled') expect(o.value.id).toBe(raws[i].expect);
      else expect(o.reason).toMatchObject({ name: 'AoError', code: raws[i].expect });
    });
  });

  it('applies the limits it is given, with the error details', async () => {
    const big = await item('x'.repeat(2000));
    await expect(pool.verify(big.raw, { maxBytes: 1000 })).rejects.toMatchObject({ code: 'ITEM_TOO_LARGE', details: { size: big.raw.length, max: 1000 } });
    await expect(pool.verify(big.raw)).resolves.toMatchObject({ id: big.id });
  });

  it('fails the batches of a thread that dies, transiently, and goes on with a new thread', async () => {
    const one = new VerifyPool({ threads: 1 });
    const good = await item('survivor');
    await one.verify(good.raw); // the thread is up
    // Enough work (several batches) that the thread is still busy when it is stopped.
    const many = await Promise.all(Array.from({ length: 256 }, (_, i) => item(`m${i}`)));
    const outcomes = Promise.allSettled(many.map((m) => one.verify(m.raw)));
    await new Promise((r) => setImmediate(r)); // the batches are on their way to the thread
    await one['threads'][0].worker.terminate();
    const settled = await outcomes;
    const failed = settled.filter((o) => o.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect(f.reason).toMatchObject({ code: 'INTERNAL', kind: 'transient' });
    settled.forEach((o, i) => o.status === 'fulfilled' && expect(o.value.id).toBe(many[i].id));
    await expect(one.verify(good.raw)).resolves.toMatchObject({ id: good.id });
    await one.close();
  });

  it('fails transiently once closed', async () => {
    const closing = new VerifyPool({ threads: 1 });
    const good = await item('late');
    const pending = expect(closing.verify(good.raw)).rejects.toMatchObject({ code: 'INTERNAL', kind: 'transient' });
    await closing.close();
    await pending;
    await expect(closing.verify(good.raw)).rejects.toMatchObject({ code: 'INTERNAL', kind: 'transient' });
  });
});

describe('createItemVerifier', () => {
  it('verifies on the calling thread for 0 threads', async () => {
    const inline = createItemVerifier(0);
    const good = await item('inline');
    await expect(inline.verify(good.raw)).resolves.toMatchObject({ id: good.id, dedupeKey: good.dedupeKey });
    await inline.close();
  });
});
