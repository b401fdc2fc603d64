import { describe, expect, it } from 'vitest';
import { createDataItem, verifyProcess, type CheckpointRef, type LogReader, type SignedDataItem, type Tag } from '@ao/core';
import { newUser } from './support/items.js';
import { alterData, counterLog, signAssignments } from './support/signed-log.js';

// verifyProcess against an in-memory gateway: the checks a real gateway cannot be made to fail
// (a gateway serving another item under an id, two signed assignments for one nonce). The tamper
// cases on a real gateway are in verify.e2e-spec.ts.

class MemoryReader implements LogReader {
  readonly byId = new Map<string, Uint8Array>();
  assignmentRaws: Uint8Array[] = [];

  put(...items: (SignedDataItem | { id: string; raw: Uint8Array })[]): this {
    for (const i of items) this.byId.set(i.id, i.raw);
    return this;
  }

  async items(ids: readonly string[]): Promise<Map<string, Uint8Array>> {
    return new Map(ids.filter((id) => this.byId.has(id)).map((id) => [id, this.byId.get(id)!]));
  }

  async *assignments(): AsyncIterable<Uint8Array[]> {
    yield this.assignmentRaws;
  }

  async assignmentsAt(): Promise<Uint8Array[]> {
    return this.assignmentRaws;
  }

  async checkpoints(): Promise<CheckpointRef[]> {
    throw new Error('a genesis verification never reads checkpoints');
  }
}

async function fixture() {
  const { owner, su, mod, log, assignments } = await counterLog(4);
  const reader = new MemoryReader().put(mod, ...log.messages);
  reader.assignmentRaws = assignments.map((a) => a.raw);
  return { owner, su, mod, log, assignments, reader };
}

describe('verifyProcess (in-memory gateway)', () => {
  it('verifies an honest log and hashes its state and results', async () => {
    const { log, reader } = await fixture();
    const report = await verifyProcess(log.process.id, { reader });
    expect(report).toMatchObject({ ok: true, messages: 5, lastNonce: 4, ignored: 0 });
    expect(report.stateHash).toMatch(/^[0-9a-f]{64}$/);
    expect(report.resultsHash).toMatch(/^[0-9a-f]{64}$/);
    const again = await verifyProcess(log.process.id, { reader });
    expect([again.stateHash, again.resultsHash]).toEqual([report.stateHash, report.resultsHash]);
  });

  it('fails where the gateway serves another valid item under an assigned id', async () => {
    const { log, reader } = await fixture();
    reader.byId.set(log.messages[2].id, log.messages[3].raw);
    const report = await verifyProcess(log.process.id, { reader });
    expect(report.failure).toMatchObject({ nonce: 2, code: 'MESSAGE_MISMATCH' });
    expect(report.failure?.reason).toContain(`hashes to ${log.messages[3].id}`);
  });

  it('fails on two scheduler-signed assignments for one nonce, ignores assignments others sign', async () => {
    const { su, log, reader, assignments } = await fixture();
    const stranger = await signAssignments(newUser(), log.process.id, log.slots);
    const fork = await signAssignments(su, log.process.id, log.slots, (s) => (s.nonce === 3 ? { ...s, timestamp: s.timestamp + 1 } : s));
    reader.assignmentRaws = [...assignments.map((a) => a.raw), ...stranger.map((a) => a.raw)];
    expect(await verifyProcess(log.process.id, { reader })).toMatchObject({ ok: true, ignored: 5 });
    reader.assignmentRaws.push(fork[3].raw);
    expect((await verifyProcess(log.process.id, { reader })).failure).toMatchObject({ nonce: 3, code: 'CONFLICTING_ASSIGNMENTS' });
  });

  it('reports the lowest failing nonce when a message and a later assignment are both bad', async () => {
    const { log, reader, su } = await fixture();
    reader.put({ id: log.messages[1].id, raw: alterData(log.messages[1], 'INC') });
    const tampered = await signAssignments(su, log.process.id, log.slots, (s) => (s.nonce === 3 ? { ...s, hashChain: log.process.id } : s));
    reader.assignmentRaws = tampered.map((a) => a.raw);
    const report = await verifyProcess(log.process.id, { reader });
    expect(report.failure).toMatchObject({ nonce: 1, code: 'BAD_MESSAGE_SIGNATURE' });
  });

  it('throws for an unknown process and answers a failure for a module that is missing', async () => {
    const { log, reader, mod } = await fixture();
    await expect(verifyProcess('U'.repeat(43), { reader })).rejects.toThrow(/not on the gateway/);
    await expect(verifyProcess('nope', { reader })).rejects.toThrow(/not a process id/);
    await expect(verifyProcess(log.messages[1].id, { reader })).rejects.toThrow(/not a Process/);
    reader.byId.delete(mod.id);
    expect((await verifyProcess(log.process.id, { reader })).failure).toMatchObject({ nonce: 0, code: 'BAD_MODULE' });
  });
});

describe('verifyProcess checks each assignment\'s own tags (in-memory gateway)', () => {
  /** The log with the assignment at `nonce` re-signed by the scheduler with its tags changed. */
  async function withTags(nonce: number, change: (tags: Tag[]) => Tag[]) {
    const f = await fixture();
    const altered = await createDataItem({ data: '', tags: change(f.assignments[nonce].tags) }, f.su);
    f.reader.assignmentRaws = f.assignments.map((a, i) => (i === nonce ? altered.raw : a.raw));
    return { ...f, altered, report: await verifyProcess(f.log.process.id, { reader: f.reader }) };
  }
  const set = (name: string, value: string) => (tags: Tag[]) => tags.map((t) => (t.name === name ? { name, value } : t));

  it('a Timestamp or Block-Height that is not an integer', async () => {
    for (const [name, value] of [['Timestamp', '1700000002000.0x'], ['Timestamp', '17e11'], ['Block-Height', '1.5']]) {
      const { report, altered } = await withTags(2, set(name, value));
      expect(report.failure, `${name} ${value}`).toEqual({ nonce: 2, code: 'BAD_ASSIGNMENT', reason: `assignment ${altered.id}: Timestamp and Block-Height must be integers` });
    }
  });

  it('an Epoch other than 0, and a slot that names no message', async () => {
    const epoch = await withTags(2, set('Epoch', '1'));
    expect(epoch.report.failure).toEqual({ nonce: 2, code: 'BAD_ASSIGNMENT', reason: `assignment ${epoch.altered.id}: Epoch must be 0` });
    const noMessage = await withTags(3, (tags) => tags.filter((t) => t.name !== 'Message'));
    expect(noMessage.report.failure).toEqual({ nonce: 3, code: 'BAD_ASSIGNMENT', reason: `assignment ${noMessage.altered.id} names no message` });
  });

  it('a block height going down alone is out of order', async () => {
    const { su, log, reader } = await fixture();
    const lower = await signAssignments(su, log.process.id, log.slots.map((s) => (s.nonce >= 3 ? { ...s, blockHeight: s.blockHeight - 1 } : s)));
    reader.assignmentRaws = lower.map((a) => a.raw);
    expect((await verifyProcess(log.process.id, { reader })).failure).toMatchObject({ nonce: 3, code: 'OUT_OF_ORDER', reason: expect.stringContaining('height 99 < 100') });
  });

  it('an item of another Type or Process, or a non-numeric Nonce, is not an assignment of the log', async () => {
    for (const change of [set('Type', 'Message'), set('Process', 'x'.repeat(43)), set('Nonce', '2a')]) {
      const { report } = await withTags(2, change);
      expect(report.failure).toMatchObject({ nonce: 2, code: 'MISSING_NONCE' });
      expect(report.ignored).toBe(1);
    }
  });
});
