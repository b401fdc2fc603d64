import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_TEST_LIMITS,
  Ed25519ItemSigner,
  LuaProcess,
  MemoryItemSource,
  MessageFactory,
  aosModuleDef,
  createDataItem,
  generateEd25519Key,
  limitsFor,
  parseByteSize,
  testEnv,
  type AoMessage,
  type EvalResult,
  type ModuleLoader,
  type Tag,
} from '@ao/core';
import { mediaCodecModule } from './codec.js';
import { encodePng, flatImage, photoSet, rawPng, syntheticPhoto } from './fixtures.js';
import { mediaVerifierBootCode, mediaVerifierProcessTags, type MediaVerifierConfig } from './media-verifier.js';

// The golden scenarios of the media verifier, in a process exactly as the CU runs it (the codec
// library through ao.wasm, items through ao.read), on an in-memory Arweave.

const CODEC = 'CODEC'.padEnd(43, 'c');
const alice = new Ed25519ItemSigner(generateEd25519Key());
const bob = new Ed25519ItemSigner(generateEd25519Key());
const carol = new Ed25519ItemSigner(generateEd25519Key());
const SUBSCRIBER = 'S'.repeat(43);
const TOKEN = 'T'.repeat(43);

interface Upload {
  id: string;
  author: string;
}
const media: Record<string, Upload> = {};
const arweave = new MemoryItemSource();

async function upload(name: string, signer: Ed25519ItemSigner, data: Uint8Array, height: number, contentType = 'image/png'): Promise<void> {
  const item = await createDataItem({ data, tags: [{ name: 'Content-Type', value: contentType }] }, signer);
  arweave.add(item.id, item.raw, height, data.length);
  media[name] = { id: item.id, author: signer.address };
}

beforeAll(async () => {
  const set = await photoSet();
  const png = encodePng(syntheticPhoto(64, 48, 5));
  await upload('original', alice, set.original, 100);
  await upload('halfJpeg', bob, set.halfJpeg, 101, 'image/jpeg');
  await upload('jpegQ90', bob, set.jpegQ90, 102, 'image/jpeg');
  await upload('jpegQ50', bob, set.jpegQ50, 103, 'image/jpeg');
  await upload('progressive', bob, set.progressive, 104, 'image/jpeg');
  await upload('halfPng', carol, set.halfPng, 105);
  await upload('unrelated', carol, set.unrelated, 106);
  await upload('copy', bob, set.original, 107); // the same bytes, another author: another item id
  await upload('flat', carol, encodePng(flatImage(64, 64, [128, 128, 128])), 108);
  await upload('text', carol, new TextEncoder().encode('not an image at all'), 109, 'text/plain');
  await upload('truncated', carol, png.subarray(0, png.length >> 1), 110);
  await upload('bomb', carol, rawPng({ width: 100_000, height: 100_000, colorType: 0, bitDepth: 8, idat: new Uint8Array([120, 156, 3, 0, 0, 0, 0, 1]) }), 111);
  await upload('empty', carol, rawPng({ width: 0, height: 0, colorType: 0, bitDepth: 8, rows: [] }), 112);
  await upload('big', carol, new Uint8Array(300_000), 113);
  await upload('later', carol, set.original, 5_000_000); // confirmed after the messages' Block-Height
});

const modules: ModuleLoader = { load: async (id) => (id === CODEC ? mediaCodecModule(CODEC, 'platform') : Promise.reject(new Error(`no module ${id}`))) };

async function bootVerifier(config: MediaVerifierConfig = {}) {
  const env = testEnv([{ name: 'On-Boot', value: 'Data' }, ...mediaVerifierProcessTags(CODEC)]);
  const mod = aosModuleDef();
  const limits = limitsFor(mod, env, DEFAULT_TEST_LIMITS, { gas: 1_000_000_000, memoryBytes: 1024 ** 3 });
  const process = await LuaProcess.create(mod, env, limits, { host: { items: arweave, modules, readLimit: { defaultBytes: 16 << 20, maxBytes: parseByteSize('64-mb')! } } });
  const msgs = new MessageFactory(env);
  const log: AoMessage[] = [];
  const send = async (tags: Record<string, string>, fields: Partial<AoMessage> = {}): Promise<EvalResult> => {
    const msg = msgs.message(tags, fields);
    log.push(msg);
    const r = await process.evaluate(msg);
    expect(r.Error, JSON.stringify(tags)).toBeUndefined();
    return r;
  };
  const boot = msgs.processMessage(mediaVerifierBootCode({ maxBytes: 290_000, ...config }));
  log.push(boot);
  const booted = await process.evaluate(boot);
  expect(booted.Error).toBeUndefined();
  return { process, send, log, env };
}

const tags = (m: { Tags: Tag[] }): Record<string, string> => Object.fromEntries(m.Tags.map((t) => [t.name, t.value]));
const from = (address: string): Partial<AoMessage> => ({ From: address, Owner: address });
const reply = (r: EvalResult, action: string) => {
  const m = r.Messages.find((x) => tags(x).Action === action);
  if (!m) throw new Error(`no ${action} in ${JSON.stringify(r.Messages.map((x) => tags(x).Action))}`);
  return tags(m);
};
const notices = (r: EvalResult): Record<string, string>[] => r.Messages.filter((m) => tags(m).Action === 'Notify-On-Topic').map((m) => ({ target: m.Target, ...tags(m) }));

describe('media verifier: golden scenarios', () => {
  it('judges the photo set: the original, its copies by another author, an unrelated photo, and bad items', async () => {
    const v = await bootVerifier();
    await v.send({ Action: 'Start' });
    const verify = async (name: string, who = carol.address) => v.send({ Action: 'Verify-Media', 'Media-Id': media[name].id }, from(who));
    const verdict = async (name: string) => {
      const r = reply(await verify(name), 'Verification-Result');
      return { verdict: r.Verdict, nearest: r['Nearest-Id'], nearestAuthor: r['Nearest-Author'], distance: r['Nearest-Distance'], author: r.Author, r };
    };
    const original = await verdict('original');
    expect(original).toMatchObject({ verdict: 'original', author: alice.address, nearest: undefined });
    expect(original.r).toMatchObject({ Format: 'png', Width: '512', Height: '384', 'Block-Height': '100', 'Content-Type-Declared': 'image/png', Codec: CODEC });
    expect(original.r['Content-Sha256']).toMatch(/^[0-9a-f]{64}$/);
    for (const copy of ['halfJpeg', 'jpegQ90', 'jpegQ50', 'progressive', 'halfPng']) {
      const c = await verdict(copy);
      expect({ copy, ...c, r: undefined }).toMatchObject({ copy, verdict: 'near-duplicate', nearest: media.original.id, nearestAuthor: alice.address });
      expect(Number(c.distance)).toBeLessThanOrEqual(10);
    }
    expect(await verdict('copy')).toMatchObject({ verdict: 'identical', nearest: media.original.id, nearestAuthor: alice.address, author: bob.address, distance: '0' });
    expect(await verdict('unrelated')).toMatchObject({ verdict: 'original' });
    expect(await verdict('flat')).toMatchObject({ verdict: 'low-detail' });
    expect(await verdict('text')).toMatchObject({ verdict: 'unsupported' });
    expect((await verdict('truncated')).r.Reason).toMatch(/^corrupt: truncated/);
    expect(await verdict('bomb')).toMatchObject({ verdict: 'too-large' });
    expect((await verdict('empty')).r).toMatchObject({ Verdict: 'unsupported', Reason: expect.stringMatching(/^empty: the image has no pixels/) });
    expect(await verdict('big')).toMatchObject({ verdict: 'too-large' });

    const info = JSON.parse((await v.send({ Action: 'Info' })).Messages[0].Data!);
    expect(info).toMatchObject({ registry: 2, verdicts: { original: 2, 'near-duplicate': 5, identical: 1, 'low-detail': 1, unsupported: 3, 'too-large': 2 } });
  }, 120_000);

  it('answers errors for items it may not read and leaves the registry as it was', async () => {
    const v = await bootVerifier();
    await v.send({ Action: 'Start' });
    await v.send({ Action: 'Verify-Media', 'Media-Id': media.original.id });
    for (const [id, code] of [['A'.repeat(43), 'not-admissible'], [media.later.id, 'not-admissible'], ['nope', 'invalid-id'], ['', 'missing-media-id']]) {
      const r = await v.send({ Action: 'Verify-Media', 'Media-Id': id });
      expect(reply(r, 'Verify-Media-Error')).toMatchObject({ Error: code });
      expect(notices(r)).toEqual([]);
    }
    expect(JSON.parse((await v.send({ Action: 'Info' })).Messages[0].Data!).registry).toBe(1);
    await v.send({ Action: 'Stop' });
    expect(reply(await v.send({ Action: 'Verify-Media', 'Media-Id': media.unrelated.id }), 'Verify-Media-Error')).toMatchObject({ Error: 'not-running' });
  }, 60_000);

  it('publishes every result on verifications and copies on duplicate-alerts, once per subscriber', async () => {
    const v = await bootVerifier();
    await v.send({ Action: 'Start' });
    await v.send({ Action: 'Register-Subscriber', Topics: '["duplicate-alerts","verifications"]' }, from(SUBSCRIBER));
    const first = notices(await v.send({ Action: 'Verify-Media', 'Media-Id': media.original.id }));
    expect(first.map((n) => [n.target, n.Topic])).toEqual([[SUBSCRIBER, 'verifications']]);
    const second = notices(await v.send({ Action: 'Verify-Media', 'Media-Id': media.halfJpeg.id }));
    expect(second.map((n) => [n.target, n.Topic])).toEqual([[SUBSCRIBER, 'verifications'], [SUBSCRIBER, 'duplicate-alerts']]);
    expect(Number(second[1]['Event-Seq'])).toBe(Number(second[0]['Event-Seq']) + 1);
    const alert = JSON.parse(v.log.length ? (await v.send({ Action: 'Get-Result', 'Request-Id': v.log.at(-1)!.Id })).Messages[0].Data! : '{}');
    expect(alert).toMatchObject({ verdict: 'near-duplicate', nearestAuthor: alice.address, author: bob.address });
  }, 60_000);

  it('answers Find-Similar and Get-Result, and registers references from the owner or attestors only', async () => {
    const v = await bootVerifier({ attestors: [bob.address] });
    await v.send({ Action: 'Start' });
    const r = reply(await v.send({ Action: 'Verify-Media', 'Media-Id': media.original.id }), 'Verification-Result');
    const similar = JSON.parse((await v.send({ Action: 'Find-Similar', Hash: r.DHash, 'Max-Distance': '3' })).Messages[0].Data!);
    expect(similar).toEqual([expect.objectContaining({ id: media.original.id, author: alice.address, distance: 0, kind: 'original' })]);
    expect(reply(await v.send({ Action: 'Find-Similar', Hash: 'xyz' }), 'Find-Similar-Error')).toMatchObject({ Error: 'bad-request' });
    expect(reply(await v.send({ Action: 'Get-Result', 'Request-Id': r['Request-Id'] }), 'Verification-Result')).toMatchObject({ Verdict: 'original', 'Media-Id': media.original.id });
    expect(reply(await v.send({ Action: 'Get-Result', 'Request-Id': 'none' }), 'Get-Result-Error')).toMatchObject({ Error: 'not-found' });
    expect(reply(await v.send({ Action: 'Register-Reference', Hash: '0123456789abcdef' }, from(carol.address)), 'Register-Reference-Error')).toMatchObject({ Error: 'not-attestor' });
    expect(reply(await v.send({ Action: 'Register-Reference', Hash: '0123456789abcdef', Label: 'logo' }, from(bob.address)), 'Register-Reference-Confirmation')).toMatchObject({ Registry: '2' });
    const ref = reply(await v.send({ Action: 'Register-Reference', 'Media-Id': media.unrelated.id }), 'Register-Reference-Confirmation');
    expect(ref).toMatchObject({ 'Reference-Id': media.unrelated.id, Registry: '3' });
    expect(reply(await v.send({ Action: 'Verify-Media', 'Media-Id': media.halfPng.id }), 'Verification-Result')).toMatchObject({ Verdict: 'near-duplicate' });
  }, 60_000);

  it('charges a fee in a token when configured, and refunds requests it cannot serve', async () => {
    const v = await bootVerifier({ feeToken: TOKEN, feeAmount: '100' });
    await v.send({ Action: 'Start' });
    expect(reply(await v.send({ Action: 'Verify-Media', 'Media-Id': media.original.id }, from(carol.address)), 'Verify-Media-Error')).toMatchObject({ Error: 'payment-required' });
    const pay = (quantity: string, id: string, token = TOKEN) =>
      v.send({ Action: 'Credit-Notice', Sender: carol.address, Quantity: quantity, 'X-Action': 'Verify-Media', 'X-Media-Id': id }, from(token));
    const short = await pay('99', media.original.id);
    expect(reply(short, 'Transfer')).toMatchObject({ Recipient: carol.address, Quantity: '99', 'X-Error': 'insufficient-fee' });
    expect(reply(short, 'Verify-Media-Error')).toMatchObject({ Error: 'insufficient-fee' });
    const unknown = await pay('100', 'A'.repeat(43));
    expect(reply(unknown, 'Transfer')).toMatchObject({ Quantity: '100', 'X-Error': 'not-admissible' });
    const wrong = await pay('100', media.original.id, 'W'.repeat(43));
    expect(reply(wrong, 'Transfer')).toMatchObject({ 'X-Error': 'wrong-token' });
    const paid = await pay('100', media.original.id);
    expect(paid.Messages.find((m) => tags(m).Action === 'Transfer')).toBeUndefined();
    const result = paid.Messages.find((m) => tags(m).Action === 'Verification-Result')!;
    expect(result.Target).toBe(carol.address);
    expect(tags(result)).toMatchObject({ Verdict: 'original', Requester: carol.address });
  }, 60_000);

  it('gives byte-identical results and state when its log is replayed in a fresh process', async () => {
    const run = async () => {
      const v = await bootVerifier();
      const results: EvalResult[] = [];
      results.push(await v.send({ Action: 'Start' }));
      for (const name of ['original', 'halfJpeg', 'copy', 'flat', 'text', 'unrelated', 'progressive']) {
        results.push(await v.send({ Action: 'Verify-Media', 'Media-Id': media[name].id }));
      }
      return { results, hash: await v.process.stateHash() };
    };
    const a = await run();
    const b = await run();
    expect(JSON.stringify(b.results)).toBe(JSON.stringify(a.results));
    expect(b.hash).toBe(a.hash);
  }, 120_000);
});
