import { createHash } from 'node:crypto';
import { AoError } from '../errors.js';
import { createDataItem } from '../data-item/create-data-item.js';
import type { ItemSigner } from '../data-item/signers.js';
import type { SignedDataItem } from '../data-item/parse-data-item.js';
import type { Scheduler } from '../su/scheduler.js';
import { toStoredItem } from '../su/scheduler.js';
import type { SchedulerStore } from '../su/ports.js';
import { getTag } from '../tags.js';
import type { Tag } from '../types.js';
import type { PushRecord, PushStore } from './ports.js';

export interface MessengerDeps {
  store: PushStore;
  log: SchedulerStore;
  scheduler: Scheduler;
  /** The MU wallet: signs every pushed item. */
  signer: ItemSigner;
  maxDepth: number;
  /** Asks for a process to be evaluated (after something was scheduled on it). */
  kickEvaluate(processId: string): Promise<void>;
}

/** What one crank did. */
export interface CrankReport {
  processId: string;
  nonce: number;
  pushed: number;
  skipped: number;
  status: 'done' | 'failed';
  error?: string;
}

const RESERVED = new Set(['From-Process', 'From-Module', 'Pushed-For']);

/** A refusal that retrying cannot change (a malformed outbox entry, a target that refuses it). */
function isPermanent(error: unknown): error is AoError {
  return error instanceof AoError && error.kind === 'permanent';
}

/** A 32-character anchor derived from a push's identity, so a re-signed push is the same item. */
function anchorFor(identity: string): string {
  return createHash('sha256').update(identity).digest('base64url').slice(0, 32);
}

/**
 * The Messenger Unit's crank for one result: every outbox Message becomes an item signed by the
 * MU wallet (with From-Process, From-Module, Pushed-For) scheduled on its target; every Spawn
 * becomes a Process item and the parent gets an `Action: Spawned` message; every Assignment is
 * forwarded. Each push has a deterministic identity recorded once, and the items are deterministic
 * too, so a retried crank schedules nothing twice. An entry refused for good (malformed, or refused
 * by its target's SU) is recorded as a failed push with the reason and the rest are still
 * delivered; the crank then finishes `failed` with the reasons on the result. Transient errors
 * fail the job, to be retried.
 */
export class Messenger {
  constructor(private readonly deps: MessengerDeps) {}

  async crank(processId: string, nonce: number): Promise<CrankReport> {
    const { store, log } = this.deps;
    const found = await store.result(processId, nonce);
    if (!found) throw new AoError('NOT_FOUND', `No result for ${processId} at nonce ${nonce} yet`, { processId, nonce }, 'transient');
    const { result, messageId } = found;
    // Everything the crank needs to know, read at once (one round trip on a pooled store).
    const [process, message, hops, pushes] = await Promise.all([
      log.getProcess(processId),
      log.getItem(messageId),
      store.depthOf(messageId),
      store.pushesOf(processId, nonce),
    ]);
    if (!process) throw new AoError('UNKNOWN_PROCESS', `Process ${processId} unknown`, { processId });
    const pushedFor = (message && getTag(message.tags, 'Pushed-For')) ?? messageId;
    const depth = hops + 1;
    const report: CrankReport = { processId, nonce, pushed: 0, skipped: 0, status: 'done' };
    if (depth > this.deps.maxDepth && (result.Messages.length || result.Spawns.length || result.Assignments.length)) {
      const error = `crank stopped: ${depth} hops from user message ${pushedFor} exceeds MAX_CRANK_DEPTH ${this.deps.maxDepth}`;
      await store.finishCrank(processId, nonce, 'failed', error);
      return { ...report, status: 'failed', error };
    }
    const base = { fromProcess: processId, fromNonce: nonce, pushedFor, depth, status: 'done' as const };
    const touched = new Set<string>();
    // Outbox entries that can never be delivered (recorded as failed pushes); the others still are.
    const failures: string[] = [];
    const refuse = async (push: Omit<PushRecord, keyof typeof base | 'status' | 'error'>, what: string, reason: string) => {
      await store.recordPushes([{ ...base, ...push, status: 'failed', error: reason }]);
      failures.push(`${what}: ${reason}`);
    };

    // Messages: signed one by one, delivered together, recorded together.
    const records: PushRecord[] = [];
    const outgoing: { id: string; idx: number; target: string; item: SignedDataItem }[] = [];
    for (const [idx, out] of result.Messages.entries()) {
      const id = `${processId}:${nonce}:message:${idx}`;
      const known = pushes.get(id);
      if (known) {
        report.skipped += 1;
        if (known.status === 'failed') failures.push(`message ${idx}: ${known.error}`);
        continue;
      }
      const tags: Tag[] = [
        ...out.Tags.filter((t) => !RESERVED.has(t.name)),
        { name: 'From-Process', value: processId },
        { name: 'From-Module', value: process.module },
        { name: 'Pushed-For', value: pushedFor },
      ];
      const anchor = out.Anchor && Buffer.byteLength(out.Anchor) === 32 ? out.Anchor : anchorFor(id);
      try {
        outgoing.push({ id, idx, target: out.Target, item: await createDataItem({ data: out.Data ?? '', target: out.Target, anchor, tags }, this.deps.signer) });
      } catch (error) {
        if (!isPermanent(error)) throw error;
        records.push({ ...base, id, kind: 'message', idx, target: out.Target, status: 'failed', error: `${error.code}: ${error.message}` });
      }
    }
    const targets = [...new Set(outgoing.map((o) => o.target))];
    const isProcess = new Map(await Promise.all(targets.map(async (t) => [t, (await log.getProcess(t)) !== undefined] as const)));
    // Issued in outbox order, so messages to one process keep that order in its log (the SU
    // queues them in call order and commits them in one batch).
    const delivered = await Promise.allSettled(
      outgoing.map((o) => (isProcess.get(o.target) ? this.deps.scheduler.scheduleVerified(o.item) : log.storeStandalone(toStoredItem(o.item)))),
    );
    let retry: unknown;
    delivered.forEach((outcome, i) => {
      const { id, idx, target, item } = outgoing[i];
      if (outcome.status === 'fulfilled') {
        records.push({ ...base, id, kind: 'message', idx, itemId: item.id, target });
        if (isProcess.get(target)) touched.add(target);
        report.pushed += 1;
      } else if (isPermanent(outcome.reason)) {
        records.push({ ...base, id, kind: 'message', idx, target, status: 'failed', error: `${outcome.reason.code}: ${outcome.reason.message}` });
      } else retry ??= outcome.reason;
    });
    records.sort((a, b) => a.idx - b.idx);
    for (const r of records) if (r.status === 'failed') failures.push(`message ${r.idx}: ${r.error}`);
    // What was delivered is recorded even when a retry follows (a retry would find it anyway:
    // the items are deterministic and the SU dedupes them).
    if (records.length) await store.recordPushes(records);
    if (retry !== undefined) throw retry;

    for (const [idx, spawn] of result.Spawns.entries()) {
      const id = `${processId}:${nonce}:spawn:${idx}`;
      const known = pushes.get(id);
      if (known?.status === 'failed') {
        failures.push(`spawn ${idx}: ${known.error}`);
        continue;
      }
      let childId = known?.itemId;
      if (!childId) {
        const tags: Tag[] = spawn.Tags.filter((t) => !RESERVED.has(t.name));
        if (!getTag(tags, 'Module')) {
          await refuse({ id, kind: 'spawn', idx }, `spawn ${idx}`, 'Spawn without a Module tag');
          continue;
        }
        if (!getTag(tags, 'Scheduler')) tags.push({ name: 'Scheduler', value: this.deps.scheduler.address });
        tags.push({ name: 'From-Process', value: processId }, { name: 'From-Module', value: process.module }, { name: 'Pushed-For', value: pushedFor });
        const anchor = spawn.Anchor && Buffer.byteLength(spawn.Anchor) === 32 ? spawn.Anchor : anchorFor(id);
        let child: SignedDataItem;
        try {
          child = await createDataItem({ data: spawn.Data ?? '', anchor, tags }, this.deps.signer);
          await this.deps.scheduler.scheduleVerified(child);
        } catch (error) {
          if (!isPermanent(error)) throw error;
          await refuse({ id, kind: 'spawn', idx }, `spawn ${idx}`, `${error.code}: ${error.message}`);
          continue;
        }
        touched.add(child.id);
        await store.recordPushes([{ ...base, id, kind: 'spawn', idx, itemId: child.id, target: child.id }]);
        childId = child.id;
        report.pushed += 1;
      }
      const noticeId = `${processId}:${nonce}:spawned:${idx}`;
      if (pushes.has(noticeId)) continue;
      const reference = getTag(spawn.Tags, 'Reference');
      const notice = await createDataItem(
        {
          data: childId,
          target: processId,
          anchor: anchorFor(noticeId),
          tags: [
            { name: 'Data-Protocol', value: 'ao' },
            { name: 'Variant', value: 'ao.TN.1' },
            { name: 'Type', value: 'Message' },
            { name: 'Action', value: 'Spawned' },
            { name: 'AO-Spawn-Success', value: 'true' },
            { name: 'Process', value: childId },
            ...(reference ? [{ name: 'Reference', value: reference }, { name: 'X-Reference', value: reference }] : []),
            { name: 'From-Process', value: processId },
            { name: 'From-Module', value: process.module },
            { name: 'Pushed-For', value: pushedFor },
          ],
        },
        this.deps.signer,
      );
      await this.deliver(notice, processId, touched);
      await store.recordPushes([{ ...base, id: noticeId, kind: 'spawned', idx, itemId: notice.id, target: processId }]);
      report.pushed += 1;
    }

    for (const [idx, assignment] of result.Assignments.entries()) {
      for (const target of assignment.Processes) {
        const id = `${processId}:${nonce}:assign:${idx}:${target}`;
        const known = pushes.get(id);
        if (known) {
          if (known.status === 'failed') failures.push(`assignment ${idx} to ${target}: ${known.error}`);
          continue;
        }
        try {
          await this.deps.scheduler.assign(target, assignment.Message);
        } catch (error) {
          if (!isPermanent(error)) throw error;
          await refuse({ id, kind: 'assign', idx, itemId: assignment.Message, target }, `assignment ${idx} to ${target}`, `${error.code}: ${error.message}`);
          continue;
        }
        touched.add(target);
        await store.recordPushes([{ ...base, id, kind: 'assign', idx, itemId: assignment.Message, target }]);
        report.pushed += 1;
      }
    }

    await Promise.all([...touched].map((p) => this.deps.kickEvaluate(p)));
    if (failures.length) {
      const error = `crank finished with ${failures.length} outbox entr${failures.length === 1 ? 'y' : 'ies'} refused: ${failures.join('; ')}`.slice(0, 4000);
      await store.finishCrank(processId, nonce, 'failed', error);
      return { ...report, status: 'failed', error };
    }
    await store.finishCrank(processId, nonce, 'done');
    return report;
  }

  /** Schedules an item on its target process, or stores it for the gateway when the target is not a process here. */
  private async deliver(item: SignedDataItem, target: string, touched: Set<string>): Promise<void> {
    if (await this.deps.log.getProcess(target)) {
      await this.deps.scheduler.scheduleVerified(item);
      touched.add(target);
    } else {
      await this.deps.log.storeStandalone(toStoredItem(item));
    }
  }
}

export type { PushRecord };
