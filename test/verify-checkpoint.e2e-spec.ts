import { gunzipSync, gzipSync } from 'node:zlib';
import type { JWKInterface } from 'arweave/node/lib/wallet.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDataItem, sha256Hex, verifyProcess, type CheckpointRef, type ItemSigner, type LogReader } from '@ao/core';
import { ArweaveGateway, GatewayLogReader, checkpointTags, createItemSigner, loadWallets } from '@ao/infra';
import { messageItem, newUser, processItem } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { until } from './support/until.js';
import { lastLine, runVerifyCli, waitMined } from './support/verify-helpers.js';

const INTERVAL = 20;
const MESSAGES = 50;

const COUNTER = `
Count = 0
Handlers.add("Inc", "Inc", function(msg) Count = Count + 1; msg.reply({ Data = tostring(Count) }) end)
`;

/** The gateway reader, counting the checkpoint listings it is asked for. */
class CountingReader implements LogReader {
  checkpointLists = 0;
  private readonly inner = new GatewayLogReader(new ArweaveGateway(inject('arweaveUrl')));
  items(ids: readonly string[]) {
    return this.inner.items(ids);
  }
  assignments(processId: string, scheduler: string, fromNonce?: number) {
    return this.inner.assignments(processId, scheduler, fromNonce);
  }
  assignmentsAt(processId: string, scheduler: string, nonce: number) {
    return this.inner.assignmentsAt(processId, scheduler, nonce);
  }
  checkpoints(processId: string): Promise<CheckpointRef[]> {
    this.checkpointLists += 1;
    return this.inner.checkpoints(processId);
  }
}

describe('verify --from-checkpoint: the CU published checkpoints as optional accelerators', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let owner: ItemSigner;
  let scheduler: string;
  let pid: string;
  let cuState: string;
  let published: { nonce: number; gatewayId: string }[];
  const forged: Record<'badSha' | 'untrusted', { id: string; signer: string }> = {} as never;
  const http = () => platform.http();
  const mu = (raw: Uint8Array) => platform.mu(raw).expect(202);

  beforeAll(async () => {
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '20000', CU_CHECKPOINT_INTERVAL: String(INTERVAL), CU_CHECKPOINT_KEEP: '5' });
    platform = await startTestPlatform(t.env);
    owner = newUser();
    const info = (await http().get('/info').expect(200)).body;
    scheduler = info.scheduler.address;
    const moduleId = info.modules['lua-5.4-aos'];
    const p = await processItem(owner, scheduler, [{ name: 'On-Boot', value: 'Data' }], COUNTER, moduleId);
    pid = p.id;
    await mu(p.raw);
    await http().get(`/cu/result/${pid}`).query({ 'process-id': pid }).expect(200);
    for (let sent = 0; sent < MESSAGES; sent += 25) {
      const items = await Promise.all(Array.from({ length: 25 }, () => messageItem(owner, pid, [{ name: 'Action', value: 'Inc' }])));
      await Promise.all(items.map((m) => mu(m.raw)));
      for (const m of items) await http().get(`/cu/result/${m.id}`).query({ 'process-id': pid }).expect(200);
    }
    cuState = (await http().get(`/cu/state/${pid}`).expect(200)).body.stateHash;
    published = await until('published checkpoints', async () => {
      const list = (await http().get(`/cu/checkpoints/${pid}`).expect(200)).body as { nonce: number; gatewayId: string | null }[];
      return list.length >= 2 && list.every((c) => c.gatewayId) ? (list as { nonce: number; gatewayId: string }[]) : undefined;
    }, 90_000);
    await until('the log uploaded and confirmed', async () => {
      const u = (await http().get(`/su/processes/${pid}`).expect(200)).body.uploads;
      return u.pending === 0 && u.uploaded === 0 && u.failed === 0 && u.confirmed > 0;
    }, 90_000);

    // Two forgeries beside the real checkpoints: the platform's key signing an image under a wrong
    // SHA-256 at nonce 45, and a stranger's key signing a well-formed one at nonce 48.
    const wallets = await loadWallets(t.env);
    const gateway = new ArweaveGateway(inject('arweaveUrl'), wallets.upload.jwk as unknown as JWKInterface);
    const newest = published.find((c) => c.nonce === 40)!;
    const image = gunzipSync(await until('the newest checkpoint on the gateway', () => gateway.data(newest.gatewayId), 90_000));
    const stateHash = (await http().get(`/cu/checkpoints/${pid}`).expect(200)).body.find((c: { nonce: number }) => c.nonce === 40).stateHash;
    const tags = (nonce: number, sha256: string) => checkpointTags({ processId: pid, moduleId, nonce, timestamp: Date.now(), sha256, contentEncoding: 'gzip', stateHash });
    const stranger = newUser();
    const badSha = await createDataItem({ data: gzipSync(image), tags: tags(45, 'f'.repeat(64)) }, createItemSigner(wallets.signing));
    const untrusted = await createDataItem({ data: gzipSync(image), tags: tags(48, sha256Hex(image)) }, stranger);
    await gateway.mint(stranger.address, '1');
    await gateway.postBundle([badSha.raw, untrusted.raw]);
    forged.badSha = { id: badSha.id, signer: badSha.ownerAddress };
    forged.untrusted = { id: untrusted.id, signer: untrusted.ownerAddress };
    await waitMined(gateway, [moduleId, ...published.map((c) => c.gatewayId), badSha.id, untrusted.id]);
  });

  afterAll(async () => {
    await Promise.all([platform?.close()]);
    await t?.cleanup();
  });

  it('verifies from genesis by default without reading a checkpoint', async () => {
    const reader = new CountingReader();
    const report = await verifyProcess(pid, { reader });
    expect(report).toMatchObject({ ok: true, messages: MESSAGES + 1, lastNonce: MESSAGES, stateHash: cuState });
    expect(report.checkpoint).toBeUndefined();
    expect(reader.checkpointLists).toBe(0);
  });

  it("starts from the newest good checkpoint the Scheduler signed, replays only what follows, and reaches genesis's state; forgeries are named", async () => {
    const reader = new CountingReader();
    const report = await verifyProcess(pid, { reader, fromCheckpoint: true });
    const newest = published.find((c) => c.nonce === 40)!;
    expect(report).toMatchObject({ ok: true, messages: MESSAGES - 40, lastNonce: MESSAGES, stateHash: cuState });
    expect(report.checkpoint).toMatchObject({ requested: 'newest', trustedSigners: [scheduler], used: { id: newest.gatewayId, nonce: 40, signer: scheduler } });
    expect(report.checkpoint!.statement).toBe(
      `verification started from checkpoint ${newest.gatewayId} at nonce 40 signed by ${scheduler}: the state at nonce 40 is that signer's claim, nothing at or before nonce 40 was verified`,
    );
    expect(report.checkpoint!.untrusted).toEqual([{ id: forged.untrusted.id, nonce: 48, signer: forged.untrusted.signer, reason: `signed by ${forged.untrusted.signer}, who is not trusted to sign checkpoints` }]);
    expect(report.checkpoint!.rejected).toEqual([{ id: forged.badSha.id, nonce: 45, signer: scheduler, reason: expect.stringMatching(/^the SHA-256 of its image is [0-9a-f]{64}, its SHA-256 tag says f{64}$/) }]);
  });

  it('the CLI says where it started; a nonce picks an older checkpoint, and a bad one asked for fails', async () => {
    const gw = inject('arweaveUrl');
    const newest = await runVerifyCli([pid, '--gateway', gw, '--from-checkpoint']);
    expect(newest.code, newest.stderr).toBe(0);
    expect(newest.stdout).toBe(`verified ${pid}: ${MESSAGES - 40} messages from checkpoint at nonce 40, state ${cuState}\n`);
    expect(newest.stderr).toContain(`checkpoint ${forged.badSha.id} at nonce 45 rejected: the SHA-256 of its image is`);
    expect(newest.stderr).toContain(`checkpoint ${forged.untrusted.id} at nonce 48 ignored: signed by ${forged.untrusted.signer}, who is not trusted`);
    expect(newest.stderr).toMatch(/nothing at or before nonce 40 was verified/);
    const older = await runVerifyCli([pid, '--gateway', gw, '--from-checkpoint', '39']);
    expect(lastLine(older.stdout)).toBe(`verified ${pid}: ${MESSAGES - 20} messages from checkpoint at nonce 20, state ${cuState}`);
    const bad = await runVerifyCli([pid, '--gateway', gw, '--from-checkpoint=45']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`^FAILED ${pid} at nonce 45: the checkpoint at nonce 45 cannot be used \\(${forged.badSha.id} at nonce 45: the SHA-256 of its image is`));
    // Trusting only the stranger: its checkpoint claims a state at nonce 48 and is taken on its word.
    const strangers = await runVerifyCli([pid, '--gateway', gw, '--from-checkpoint', '--checkpoint-signer', forged.untrusted.signer]);
    expect(strangers.stderr).toContain(`verification started from checkpoint ${forged.untrusted.id} at nonce 48 signed by ${forged.untrusted.signer}`);
    expect(lastLine(strangers.stdout)).toMatch(new RegExp(`^verified ${pid}: 2 messages from checkpoint at nonce 48, state (?!${cuState})[0-9a-f]{64}$`));
  });

  it('GET /cu/verify?fromCheckpoint=true|<nonce> answers the checkpoint it started from; without it, none', async () => {
    const from = (await http().get(`/cu/verify/${pid}`).query({ fromCheckpoint: 'true' }).expect(200)).body;
    expect(from).toMatchObject({ ok: true, messages: MESSAGES - 40, stateHash: cuState, checkpoint: { used: { nonce: 40, signer: scheduler }, rejected: [{ nonce: 45 }], untrusted: [{ nonce: 48 }] } });
    const at = (await http().get(`/cu/verify/${pid}`).query({ fromCheckpoint: '25' }).expect(200)).body;
    expect(at).toMatchObject({ ok: true, messages: MESSAGES - 20, checkpoint: { requested: 25, used: { nonce: 20 } } });
    const genesis = (await http().get(`/cu/verify/${pid}`).expect(200)).body;
    expect(genesis).toMatchObject({ ok: true, messages: MESSAGES + 1, stateHash: cuState });
    expect(genesis.checkpoint).toBeUndefined();
    expect((await http().get(`/cu/verify/${pid}`).query({ fromCheckpoint: 'yes' }).expect(400)).body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
