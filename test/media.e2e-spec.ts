import { createHash, generateKeyPair } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JWKInterface } from 'arweave/node/lib/wallet.js';
import { connect, createDataItemSigner } from '@permaweb/aoconnect';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDataItem, type ItemSigner } from '@ao/core';
import { encodePng, mediaVerifierBootCode, mediaVerifierProcessTags, photoSet } from '@ao/agents';
import { ArweaveGateway, createPrismaClient, loadOrCreateWallet } from '@ao/infra';
import { messageItem, newUser } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { until } from './support/until.js';
import { lastLine, runVerifyCli, waitMined } from './support/verify-helpers.js';

// A media verifier on the real platform: images uploaded to the gateway as signed data items by
// two authors, requests through the MU with aoconnect, verdicts read back through aoconnect, alerts
// delivered to a subscriber wallet, and the verifier's whole log (its reads included) reproduced
// from the gateway by npm run verify.

type Tag = { name: string; value: string };
type Result = { Messages: { Target: string; Data: string; Tags: Tag[] }[]; Error?: string };
interface LegacyAo {
  spawn(args: { module: string; scheduler: string; signer: unknown; tags?: Tag[]; data?: string }): Promise<string>;
  message(args: { process: string; signer: unknown; tags?: Tag[]; data?: string }): Promise<string>;
  result(args: { process: string; message: string }): Promise<Result>;
}
const tagsOf = (tags: Tag[]): Record<string, string> => Object.fromEntries(tags.map((t) => [t.name, t.value]));
const newWallet = async () => (await promisify(generateKeyPair)('rsa', { modulusLength: 4096, publicExponent: 65537 })).privateKey.export({ format: 'jwk' });

describe('media verifier end to end', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let ao: LegacyAo;
  let gateway: ArweaveGateway;
  let signer: unknown;
  let pid: string;
  let codecId: string;
  const alice = newUser();
  const bob = newUser();
  const subscriber = newUser();
  const media: Record<string, { id: string; raw: Uint8Array }> = {};

  const sign = async (who: ItemSigner, data: Uint8Array, contentType: string) => createDataItem({ data, tags: [{ name: 'Content-Type', value: contentType }] }, who);
  const ask = async (tags: Record<string, string>) => {
    const id = await ao.message({ process: pid, signer, tags: Object.entries(tags).map(([name, value]) => ({ name, value })) });
    const result = await ao.result({ process: pid, message: id });
    expect(result.Error).toBeUndefined();
    return { id, result };
  };
  const replyOf = (r: Result, action: string) => {
    const m = r.Messages.find((x) => tagsOf(x.Tags).Action === action);
    if (!m) throw new Error(`no ${action} among ${JSON.stringify(r.Messages.map((x) => tagsOf(x.Tags).Action))}`);
    return { ...tagsOf(m.Tags), target: m.Target, data: m.Data } as Record<string, string>;
  };

  beforeAll(async () => {
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '60000' });
    platform = await startTestPlatform(t.env, { listen: true });
    const info = (await platform.http().get('/info').expect(200)).body;
    codecId = info.modules['media-codec'];
    expect(codecId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    ao = connect({ MODE: 'legacy', MU_URL: `${platform.url}/mu`, CU_URL: `${platform.url}/cu`, GATEWAY_URL: info.gateway }) as unknown as LegacyAo;
    signer = createDataItemSigner(await newWallet());
    const upload = await loadOrCreateWallet(join(inject('walletDir'), 'arweave-wallet.json'), 'arweave');
    gateway = new ArweaveGateway(inject('arweaveUrl'), upload.jwk as unknown as JWKInterface);

    // Two authors upload: Alice the original, Bob a half-size JPEG copy and an unrelated photo.
    const set = await photoSet(256, 192);
    const items = {
      original: await sign(alice, set.original, 'image/png'),
      copy: await sign(bob, set.halfJpeg, 'image/jpeg'),
      unrelated: await sign(bob, set.unrelated, 'image/png'),
      text: await sign(alice, new TextEncoder().encode('a poem, not a picture'), 'text/plain'),
      truncated: await sign(bob, set.original.subarray(0, set.original.length >> 1), 'image/png'),
    };
    await gateway.postBundle(Object.values(items).map((i) => i.raw));
    for (const [name, item] of Object.entries(items)) media[name] = { id: item.id, raw: item.raw };
    await waitMined(gateway, Object.values(items).map((i) => i.id));
    // Requests must be scheduled at or after the block that confirmed the items (the SU stamps the gateway's height).
    const { height } = await gateway.info();
    await until('the SU to stamp the height of the uploads', async () => (await platform.http().get('/su/timestamp').expect(200)).body.block_height >= height, 30_000, 500);

    pid = await ao.spawn({
      module: info.modules['lua-5.4-aos'],
      scheduler: info.scheduler.address,
      signer,
      tags: [{ name: 'Name', value: 'media-verifier' }, { name: 'Authority', value: info.scheduler.address }, { name: 'On-Boot', value: 'Data' }, ...mediaVerifierProcessTags(codecId)],
      data: mediaVerifierBootCode({}),
    });
    const boot = await ao.result({ process: pid, message: pid });
    expect(boot.Error, JSON.stringify(boot)).toBeUndefined();
    expect(boot.Messages, JSON.stringify(boot)).toBeDefined();
    expect(replyOf((await ask({ Action: 'Start' })).result, 'Status-Changed')).toMatchObject({ Status: 'Running' });
    // The subscriber wallet registers itself for both topics.
    const reg = await messageItem(subscriber, pid, [{ name: 'Action', value: 'Register-Subscriber' }, { name: 'Topics', value: '["verifications","duplicate-alerts"]' }]);
    await platform.mu(reg.raw).expect(202);
    expect(replyOf(await platform.result(pid, reg.id), 'Register-Subscriber-Confirmation')).toMatchObject({ Status: 'OK' });
  }, 240_000);

  afterAll(async () => {
    await platform?.close();
    await t?.cleanup();
  });

  it('tells the original from the second author\'s resized copy, which it flags with the first author\'s id', async () => {
    const original = replyOf((await ask({ Action: 'Verify-Media', 'Media-Id': media.original.id })).result, 'Verification-Result');
    expect(original).toMatchObject({ Verdict: 'original', Author: alice.address, Format: 'png', Width: '256', Height: '192', Codec: codecId });
    expect(original['Content-Sha256']).toBe(createHash('sha256').update(Buffer.from((await gateway.data(media.original.id))!)).digest('hex'));
    const copy = replyOf((await ask({ Action: 'Verify-Media', 'Media-Id': media.copy.id })).result, 'Verification-Result');
    expect(copy).toMatchObject({ Verdict: 'near-duplicate', Author: bob.address, 'Nearest-Id': media.original.id, 'Nearest-Author': alice.address, Format: 'jpeg', Width: '128' });
    expect(Number(copy['Nearest-Distance'])).toBeLessThanOrEqual(10);
    expect(JSON.parse(copy.data)).toMatchObject({ verdict: 'near-duplicate', nearestAuthor: alice.address });
    expect(replyOf((await ask({ Action: 'Verify-Media', 'Media-Id': media.unrelated.id })).result, 'Verification-Result')).toMatchObject({ Verdict: 'original', Author: bob.address });
  }, 120_000);

  it('answers bad requests clearly: not on the gateway, not an image, a corrupt file', async () => {
    const neverUploaded = await sign(alice, encodePng({ width: 2, height: 2, data: new Uint8Array(16).fill(9) }), 'image/png');
    expect(replyOf((await ask({ Action: 'Verify-Media', 'Media-Id': neverUploaded.id })).result, 'Verify-Media-Error')).toMatchObject({ Error: 'not-admissible' });
    expect(replyOf((await ask({ Action: 'Verify-Media', 'Media-Id': 'not-an-id' })).result, 'Verify-Media-Error')).toMatchObject({ Error: 'invalid-id' });
    expect(replyOf((await ask({ Action: 'Verify-Media', 'Media-Id': media.text.id })).result, 'Verification-Result')).toMatchObject({ Verdict: 'unsupported' });
    expect(replyOf((await ask({ Action: 'Verify-Media', 'Media-Id': media.truncated.id })).result, 'Verification-Result')).toMatchObject({ Verdict: 'unsupported', Reason: expect.stringMatching(/^corrupt/) });
    const info = JSON.parse(replyOf((await ask({ Action: 'Info' })).result, 'Info-Response').data);
    expect(info).toMatchObject({ registry: 2, verdicts: { original: 2, 'near-duplicate': 1, unsupported: 2 } });
  }, 120_000);

  it('delivers each alert to the subscriber wallet once', async () => {
    // The MU stores messages to wallets and uploads them: the wallet finds them on the gateway.
    const delivered = async (topic: string) => {
      const data = await gateway.graphql<{ transactions: { edges: { node: { id: string; recipient: string; tags: Tag[] } }[] } }>(
        'query($tags: [TagFilter!]) { transactions(first: 100, tags: $tags) { edges { node { id recipient tags { name value } } } } }',
        { tags: [{ name: 'From-Process', values: [pid] }, { name: 'Action', values: ['Notify-On-Topic'] }, { name: 'Topic', values: [topic] }] },
      );
      return data.transactions.edges.filter((e) => e.node.recipient === subscriber.address).map((e) => tagsOf(e.node.tags));
    };
    const alerts = await until('the alert on the gateway', async () => {
      const found = await delivered('duplicate-alerts');
      return found.length > 0 ? found : undefined;
    }, 90_000, 500);
    const all = await until('every verification on the gateway', async () => {
      const found = await delivered('verifications');
      return found.length >= 5 ? found : undefined;
    }, 90_000, 500);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ 'From-Process': pid, Blueprint: 'media-verifier' });
    // one per result (errors publish nothing), each event once
    expect(all).toHaveLength(5);
    expect(new Set(all.map((n) => n['Event-Seq'])).size).toBe(5);
  }, 120_000);

  it('keeps the items it read in Postgres, once each', async () => {
    const prisma = createPrismaClient(t.env.DATABASE_URL, 1);
    try {
      const rows = await prisma.cuReadItem.findMany({ select: { id: true, blockHeight: true } });
      const read = [media.original.id, media.copy.id, media.unrelated.id, media.text.id, media.truncated.id];
      expect(rows.map((r) => r.id).sort()).toEqual([...read].sort());
      expect(rows.every((r) => r.blockHeight > 0n)).toBe(true);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('is reproduced from the gateway alone, its reads included, by npm run verify and GET /cu/verify', async () => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const u = (await platform.http().get(`/su/processes/${pid}`).expect(200)).body.uploads;
      if (u.pending === 0 && u.uploaded === 0 && u.failed === 0) break;
      if (Date.now() > deadline) throw new Error(`uploads of ${pid} not confirmed: ${JSON.stringify(u)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await until('the codec library on the gateway', async () => gateway.hasItem(codecId), 60_000, 500);
    const cli = await runVerifyCli([pid, '--gateway', inject('arweaveUrl'), '--cu', `${platform.url}/cu`], 240_000);
    expect(cli.code, cli.stderr).toBe(0);
    expect(lastLine(cli.stdout)).toMatch(new RegExp(`^verified ${pid}: \\d+ messages, state [0-9a-f]{64}$`));
    expect(cli.stderr).toMatch(/CU agrees/);
    const http = (await platform.http().get(`/cu/verify/${pid}`).query({ compare: 'true' }).expect(200)).body;
    expect(http).toMatchObject({ ok: true, processId: pid });
  }, 300_000);
});
