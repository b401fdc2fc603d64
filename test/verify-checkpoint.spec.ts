import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  createDataItem,
  EvaluatorRegistry,
  getTag,
  LuaEvaluatorFactory,
  parseDataItem,
  sha256Hex,
  verifyProcess,
  type CheckpointRef,
  type EvaluatorFactory,
  type ItemSigner,
  type LogReader,
  type SignedDataItem,
} from '@ao/core';
import { newUser } from './support/items.js';
import { counterLog, signAssignments } from './support/signed-log.js';

// verifyProcess --from-checkpoint against an in-memory gateway: which checkpoint is trusted, what
// is checked of it, what is replayed after it. The platform-made case is verify-checkpoint.e2e-spec.ts.

const nonceOf = (raw: Uint8Array) => Number(getTag(parseDataItem(raw).tags, 'Nonce'));

class MemoryReader implements LogReader {
  readonly byId = new Map<string, Uint8Array>();
  assignmentRaws: Uint8Array[] = [];
  checkpointIds: string[] = [];
  /** What was asked of the reader, to tell what a verification read. */
  readonly asked = { items: [] as string[], checkpoints: 0, fromNonce: [] as (number | undefined)[] };

  put(...items: SignedDataItem[]): this {
    for (const i of items) this.byId.set(i.id, i.raw);
    return this;
  }

  async items(ids: readonly string[]): Promise<Map<string, Uint8Array>> {
    this.asked.items.push(...ids);
    return new Map(ids.filter((id) => this.byId.has(id)).map((id) => [id, this.byId.get(id)!]));
  }

  async *assignments(_pid: string, _su: string, fromNonce?: number): AsyncIterable<Uint8Array[]> {
    this.asked.fromNonce.push(fromNonce);
    yield this.assignmentRaws.filter((raw) => fromNonce === undefined || nonceOf(raw) >= fromNonce);
  }

  async assignmentsAt(_pid: string, _su: string, nonce: number): Promise<Uint8Array[]> {
    return this.assignmentRaws.filter((raw) => nonceOf(raw) === nonce);
  }

  async checkpoints(): Promise<CheckpointRef[]> {
    this.asked.checkpoints += 1;
    return this.checkpointIds.map((id) => {
      const item = parseDataItem(this.byId.get(id)!);
      return { id, nonce: Number(getTag(item.tags, 'Nonce')), signer: item.ownerAddress };
    });
  }
}

/** A Lua evaluator that keeps the image and state hash after the nonces asked for. */
function capturing(at: number[], images: Map<number, { image: Uint8Array; stateHash: string }>): EvaluatorRegistry {
  const lua = new LuaEvaluatorFactory();
  const factory: EvaluatorFactory = {
    formats: lua.formats,
    async create(mod, env, limits, checkpoint) {
      const inner = await lua.create(mod, env, limits, checkpoint);
      return {
        ...inner,
        evaluate: async (msg) => {
          const result = await inner.evaluate(msg);
          if (at.includes(msg.Nonce ?? -1)) images.set(msg.Nonce!, { image: await inner.checkpoint(), stateHash: await inner.stateHash() });
          return result;
        },
        dryRun: (msg) => inner.dryRun(msg),
        stateHash: () => inner.stateHash(),
        checkpoint: () => inner.checkpoint(),
        close: () => inner.close(),
      };
    },
  };
  return new EvaluatorRegistry().register(factory);
}

async function fixture() {
  const { su, mod, log, assignments } = await counterLog(8);
  const reader = new MemoryReader().put(mod, ...log.messages);
  reader.assignmentRaws = assignments.map((a) => a.raw);
  const images = new Map<number, { image: Uint8Array; stateHash: string }>();
  const genesis = await verifyProcess(log.process.id, { reader, evaluators: capturing([3, 6], images) });
  reader.asked.items.length = 0;
  reader.asked.fromNonce.length = 0;
  /** Posts a Checkpoint item; `tags` overrides what an honest CU would tag it with. */
  const checkpoint = async (signer: ItemSigner, nonce: number, image: Uint8Array, tags: Record<string, string> = {}, data?: Uint8Array) => {
    const honest = { Type: 'Checkpoint', Process: log.process.id, Module: mod.id, Nonce: String(nonce), Timestamp: String(log.slots[Math.min(nonce, 8)].timestamp), 'SHA-256': sha256Hex(image), 'Content-Encoding': 'gzip', 'State-Hash': images.get(nonce)?.stateHash ?? '' };
    const item = await createDataItem({ data: data ?? gzipSync(image), tags: Object.entries({ 'Data-Protocol': 'ao', Variant: 'ao.TN.1', ...honest, ...tags }).map(([name, value]) => ({ name, value })) }, signer);
    reader.put(item);
    reader.checkpointIds.push(item.id);
    return item;
  };
  return { su, log, reader, images, genesis, checkpoint, assignments };
}

describe('verifyProcess from a checkpoint (in-memory gateway)', () => {
  it('replays from genesis by default and never reads checkpoints', async () => {
    const { log, reader, images, su, checkpoint, genesis } = await fixture();
    await checkpoint(su, 6, images.get(6)!.image);
    const report = await verifyProcess(log.process.id, { reader });
    expect(report).toMatchObject({ ok: true, messages: 9, lastNonce: 8, stateHash: genesis.stateHash });
    expect(report.checkpoint).toBeUndefined();
    expect(reader.asked.checkpoints).toBe(0);
    expect(reader.asked.fromNonce).toEqual([undefined]);
  });

  it("starts from the newest checkpoint the Scheduler signed, replays only what follows, and reaches genesis's state", async () => {
    const { log, reader, images, su, checkpoint, genesis } = await fixture();
    await checkpoint(su, 3, images.get(3)!.image);
    const six = await checkpoint(su, 6, images.get(6)!.image);
    const report = await verifyProcess(log.process.id, { reader, fromCheckpoint: true });
    expect(report).toMatchObject({ ok: true, messages: 2, lastNonce: 8, stateHash: genesis.stateHash });
    expect(report.checkpoint).toMatchObject({ requested: 'newest', trustedSigners: [su.address], used: { id: six.id, nonce: 6, signer: su.address, stateHash: images.get(6)!.stateHash }, rejected: [], untrusted: [] });
    expect(report.checkpoint!.statement).toBe(
      `verification started from checkpoint ${six.id} at nonce 6 signed by ${su.address}: the state at nonce 6 is that signer's claim, nothing at or before nonce 6 was verified`,
    );
    expect(reader.asked.fromNonce).toEqual([7]);
    // Messages at or before the checkpoint are never fetched.
    expect(reader.asked.items).not.toContain(log.messages[6].id);
    const five = await verifyProcess(log.process.id, { reader, fromCheckpoint: 5 });
    expect(five).toMatchObject({ ok: true, messages: 5, stateHash: genesis.stateHash, checkpoint: { requested: 5, used: { nonce: 3 } } });
  });

  it('ignores checkpoints by untrusted signers without downloading them, and rejects bad trusted ones, falling back to an older one', async () => {
    const { log, reader, images, su, checkpoint, genesis } = await fixture();
    const image = images.get(6)!.image;
    await checkpoint(su, 6, image);
    const stranger = await checkpoint(newUser(), 8, image, { 'State-Hash': images.get(6)!.stateHash });
    const badSha = await checkpoint(su, 7, image, { 'SHA-256': 'a'.repeat(64), 'State-Hash': images.get(6)!.stateHash });
    const badState = await checkpoint(su, 7, image, { 'State-Hash': images.get(3)!.stateHash });
    const garbage = await checkpoint(su, 5, image, { 'State-Hash': images.get(6)!.stateHash }, Buffer.from('not gzip'));
    const beyond = await checkpoint(su, 5, image, { Nonce: '20', 'State-Hash': images.get(6)!.stateHash });
    reader.checkpointIds.pop();
    reader.checkpointIds.push(beyond.id);
    const report = await verifyProcess(log.process.id, { reader, fromCheckpoint: true });
    expect(report).toMatchObject({ ok: true, messages: 2, stateHash: genesis.stateHash, checkpoint: { used: { nonce: 6 } } });
    expect(report.checkpoint!.untrusted).toEqual([{ id: stranger.id, nonce: 8, signer: stranger.ownerAddress, reason: `signed by ${stranger.ownerAddress}, who is not trusted to sign checkpoints` }]);
    expect(reader.asked.items).not.toContain(stranger.id);
    const rejected = Object.fromEntries(report.checkpoint!.rejected.map((r) => [r.id, r.reason]));
    expect(rejected[badSha.id]).toMatch(/^the SHA-256 of its image is [0-9a-f]{64}, its SHA-256 tag says a{64}$/);
    expect(rejected[badState.id]).toMatch(/^the resumed state hashes to [0-9a-f]{64}, its State-Hash tag says /);
    expect(rejected[beyond.id]).toMatch(/^its nonce cannot be tied to the log: the gateway has no assignment by scheduler \S+ for nonce 20$/);
    expect(rejected[garbage.id]).toBeUndefined(); // older than the one used: never tried
    expect(report.checkpoint!.rejected.map((r) => r.nonce)).toEqual([20, 7, 7]);
  });

  it('fails, without falling back, when the checkpoint at the nonce asked for is bad; falls back to genesis when none is usable', async () => {
    const { log, reader, images, su, checkpoint, genesis } = await fixture();
    await checkpoint(su, 3, images.get(3)!.image);
    const garbage = await checkpoint(su, 6, images.get(6)!.image, {}, Buffer.from('not gzip'));
    const asked = await verifyProcess(log.process.id, { reader, fromCheckpoint: 6 });
    expect(asked).toMatchObject({ ok: false, failure: { nonce: 6, code: 'BAD_CHECKPOINT' } });
    expect(asked.failure!.reason).toMatch(new RegExp(`^the checkpoint at nonce 6 cannot be used \\(${garbage.id} at nonce 6: its data does not gunzip`));
    expect((await verifyProcess(log.process.id, { reader, fromCheckpoint: 2 })).failure).toMatchObject({ nonce: 2, code: 'NO_CHECKPOINT', reason: `no checkpoint at or below nonce 2 signed by ${su.address}` });
    // Only untrusted signers: nothing to start from, so genesis, and the report says so.
    const none = await verifyProcess(log.process.id, { reader, fromCheckpoint: true, checkpointSigners: [newUser().address] });
    expect(none).toMatchObject({ ok: true, messages: 9, stateHash: genesis.stateHash, checkpoint: { rejected: [] } });
    expect(none.checkpoint!.used).toBeUndefined();
    expect(none.checkpoint!.untrusted).toHaveLength(2);
    expect(none.checkpoint!.statement).toBe('no usable checkpoint: verification started from genesis');
  });

  it('checks the log after the checkpoint: its hash chain continues from the assignment at the checkpoint nonce', async () => {
    const { log, reader, images, su, checkpoint } = await fixture();
    await checkpoint(su, 6, images.get(6)!.image);
    const tampered = await signAssignments(su, log.process.id, log.slots, (s) => (s.nonce === 7 ? { ...s, hashChain: log.process.id } : s));
    reader.assignmentRaws = tampered.map((a) => a.raw);
    const report = await verifyProcess(log.process.id, { reader, fromCheckpoint: true });
    expect(report).toMatchObject({ ok: false, checkpoint: { used: { nonce: 6 } }, failure: { nonce: 7, code: 'BAD_HASH_CHAIN', reason: expect.stringMatching(/does not follow nonce 6/) } });
    // Tampering before the checkpoint is not seen: that part is the signer's word.
    const before = await signAssignments(su, log.process.id, log.slots, (s) => (s.nonce === 2 ? { ...s, hashChain: log.process.id } : s));
    reader.assignmentRaws = before.map((a) => a.raw);
    expect(await verifyProcess(log.process.id, { reader, fromCheckpoint: true })).toMatchObject({ ok: true, messages: 2 });
    expect((await verifyProcess(log.process.id, { reader })).failure).toMatchObject({ nonce: 2, code: 'BAD_HASH_CHAIN' });
  });
});
