import { createHash } from 'node:crypto';
import { AoError } from '../errors.js';
import { createDataItem } from '../data-item/create-data-item.js';
import type { ItemSigner } from '../data-item/signers.js';
import type { SignedDataItem } from '../data-item/parse-data-item.js';
import type { Scheduler } from '../su/scheduler.js';
import { toStoredItem } from '../su/scheduler.js';
import type { ProcessRecord, SchedulerStore } from '../su/ports.js';
import { getTag } from '../tags.js';
import type { Tag } from '../types.js';
import type { CrankBatch, CrankEntry, CrankFinish, PushRecord, PushStore } from './ports.js';

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

/** One result being cranked: its entry, where it comes from, and what its crank did so far. */
interface Crank {
  entry: CrankEntry;
  base: { fromProcess: string; fromNonce: number; pushedFor: string; depth: number; status: 'done' };
  report: CrankReport;
  /** Outbox entries that can never be delivered (recorded as failed pushes), as `[order, reason]`. */
  failures: [number, string][];
  /** Stopped before relaying anything (too many hops from the user's message). */
  stopped?: string;
  /** A transient error left some of its pushes undelivered: it stays pending, to be retried. */
  retry?: unknown;
}

/** One sender of a crank: its results being cranked, the pushes already recorded, the push records made now. */
interface Sender {
  process: ProcessRecord;
  cranks: Crank[];
  pushes: Map<string, PushRecord>;
  records: PushRecord[];
}

/** How one sender's crank ended (crankPendingMany): its results' reports, or the error to retry it after. */
export type CrankOutcomeOf = { processId: string; ok: true; reports: CrankReport[] } | { processId: string; ok: false; error: unknown };

const EMPTY_BATCH: CrankBatch = { entries: [], pushes: new Map(), depths: new Map(), pushedFor: new Map() };

/** Outbox messages, spawns and assignments of a result, in that order, for the order of failures. */
const ORDER = { message: 0, spawn: 1_000_000, assign: 2_000_000 } as const;

/**
 * The Messenger Unit's crank: every outbox Message becomes an item signed by the MU wallet (with
 * From-Process, From-Module, Pushed-For) scheduled on its target; every Spawn becomes a Process
 * item and the parent gets an `Action: Spawned` message; every Assignment is forwarded. Each push
 * has a deterministic identity recorded once, and the items are deterministic too, so a retried
 * crank schedules nothing twice. An entry refused for good (malformed, or refused by its target's
 * SU) is recorded as a failed push with the reason and the rest are still delivered; the crank
 * then finishes `failed` with the reasons on the result. Transient errors fail the call, to be
 * retried, after the results they did not touch are finished.
 *
 * `crankPending` relays many results of one sender at once, in nonce order: one read of their
 * context, the messages to processes issued together (the SU commits them in one batch, in this
 * order), the ones to wallets stored in one write, the pushes recorded and the results finished
 * in one write.
 */
export class Messenger {
  constructor(private readonly deps: MessengerDeps) {}

  /** Cranks one result, whatever its crank status (a re-run delivers nothing twice). */
  async crank(processId: string, nonce: number): Promise<CrankReport> {
    const batch = await this.deps.store.crankOf(processId, nonce);
    if (batch.entries.length === 0) throw new AoError('NOT_FOUND', `No result for ${processId} at nonce ${nonce} yet`, { processId, nonce }, 'transient');
    const [outcome] = await this.crankAll([{ processId, batch }]);
    if (!outcome.ok) throw outcome.error;
    return outcome.reports[0];
  }

  /** Cranks up to `limit` results of a process still pending relay, in nonce order; [] when none is. */
  async crankPending(processId: string, limit: number): Promise<CrankReport[]> {
    const [outcome] = await this.crankPendingMany([processId], limit);
    if (!outcome.ok) throw outcome.error;
    return outcome.reports;
  }

  /**
   * `crankPending` for many senders at once: their pending results read together (up to `limit`
   * each), every outbox message signed, the messages to processes scheduled in one SU batch (as
   * its bounds allow), the ones to wallets stored in one write, every push and finish recorded in
   * one write, each target kicked once. Each sender's results keep their nonce order; a sender whose
   * crank fails (a transient error, an unknown sender) is reported failed, the others are not. A
   * failed read fails them all. Outcomes come in the order of `processIds`.
   */
  async crankPendingMany(processIds: string[], limit: number): Promise<CrankOutcomeOf[]> {
    const ids = [...new Set(processIds)];
    const { store } = this.deps;
    const batches = store.pendingCranksMany
      ? await store.pendingCranksMany(ids, limit)
      : new Map(await Promise.all(ids.map(async (id) => [id, await store.pendingCranks(id, limit)] as const)));
    const groups = ids.map((processId) => ({ processId, batch: batches.get(processId) ?? EMPTY_BATCH }));
    const busy = groups.filter((g) => g.batch.entries.length > 0);
    const outcomes = new Map((await this.crankAll(busy)).map((o) => [o.processId, o]));
    return ids.map((processId) => outcomes.get(processId) ?? { processId, ok: true, reports: [] });
  }

  private async crankAll(groups: { processId: string; batch: CrankBatch }[]): Promise<CrankOutcomeOf[]> {
    if (groups.length === 0) return [];
    const { store, log, maxDepth } = this.deps;
    const failed = new Map<string, unknown>();
    const processes = await log.getProcesses(groups.map((g) => g.processId));
    const senders: Sender[] = [];
    for (const { processId, batch } of groups) {
      const process = processes.get(processId);
      if (!process) {
        failed.set(processId, new AoError('UNKNOWN_PROCESS', `Process ${processId} unknown`, { processId }));
        continue;
      }
      const { entries, depths, pushedFor: tags } = batch;
      const cranks = entries.map((entry): Crank => {
        const pushedFor = tags.get(entry.messageId) ?? entry.messageId;
        const depth = (depths.get(entry.messageId) ?? 0) + 1;
        const report: CrankReport = { processId, nonce: entry.nonce, pushed: 0, skipped: 0, status: 'done' };
        const crank: Crank = { entry, base: { fromProcess: processId, fromNonce: entry.nonce, pushedFor, depth, status: 'done' }, report, failures: [] };
        const { Messages, Spawns, Assignments } = entry.result;
        if (depth > maxDepth && (Messages.length || Spawns.length || Assignments.length)) {
          crank.stopped = `crank stopped: ${depth} hops from user message ${pushedFor} exceeds MAX_CRANK_DEPTH ${maxDepth}`;
        }
        return crank;
      });
      senders.push({ process, cranks, pushes: batch.pushes, records: [] });
    }
    const touched = new Set<string>();
    try {
      await this.pushMessages(senders, touched);
    } catch (error) {
      // Signing or a lookup failed before anything was delivered: every sender retries.
      for (const sender of senders) failed.set(sender.process.id, error);
      return groups.map(({ processId }) => ({ processId, ok: false, error: failed.get(processId) }));
    }
    for (const sender of senders) {
      for (const crank of sender.cranks) {
        if (crank.stopped || crank.retry !== undefined) continue;
        try {
          await this.pushSpawnsAndAssignments(sender.process, crank, sender.pushes, touched);
        } catch (error) {
          crank.retry = error;
        }
      }
    }
    await Promise.all([...touched].map((p) => this.deps.kickEvaluate(p)));

    const finishes: CrankFinish[] = [];
    for (const sender of senders) {
      const finished = sender.cranks.filter((c) => c.retry === undefined);
      for (const { report, failures, stopped } of finished) {
        if (stopped) Object.assign(report, { status: 'failed', error: stopped });
        else if (failures.length) {
          const reasons = failures.sort((a, b) => a[0] - b[0]).map(([, reason]) => reason);
          const error = `crank finished with ${reasons.length} outbox entr${reasons.length === 1 ? 'y' : 'ies'} refused: ${reasons.join('; ')}`.slice(0, 4000);
          Object.assign(report, { status: 'failed', error });
        }
      }
      // What was delivered is recorded even when a retry follows (a retry would find it anyway: the
      // items are deterministic and the SU dedupes them), with the finished results.
      finishes.push({
        processId: sender.process.id,
        outcomes: finished.map(({ report }) => ({ nonce: report.nonce, status: report.status, ...(report.error ? { error: report.error } : {}) })),
        pushes: sender.records.sort((a, b) => a.fromNonce - b.fromNonce || a.idx - b.idx),
      });
    }
    // Every sender's finish in one write.
    try {
      if (store.finishCranksMany) await store.finishCranksMany(finishes);
      else await Promise.all(finishes.map((f) => store.finishCranks(f.processId, f.outcomes, f.pushes)));
    } catch (error) {
      for (const sender of senders) failed.set(sender.process.id, error);
    }
    for (const sender of senders) {
      const retry = sender.cranks.find((c) => c.retry !== undefined);
      if (retry && !failed.has(sender.process.id)) failed.set(sender.process.id, retry.retry);
    }
    const bySender = new Map(senders.map((s) => [s.process.id, s]));
    return groups.map(({ processId }): CrankOutcomeOf => {
      if (failed.has(processId)) return { processId, ok: false, error: failed.get(processId) };
      return { processId, ok: true, reports: bySender.get(processId)!.cranks.map((c) => c.report) };
    });
  }

  /**
   * The outbox Messages of every sender's results: signed one by one, delivered together (one SU
   * batch, one write for wallets); their push records go to each sender's `records`.
   */
  private async pushMessages(senders: Sender[], touched: Set<string>): Promise<void> {
    const outgoing: { sender: Sender; crank: Crank; id: string; idx: number; target: string; item: SignedDataItem }[] = [];
    const refused = (crank: Crank, idx: number, reason: string) => crank.failures.push([ORDER.message + idx, `message ${idx}: ${reason}`]);
    for (const sender of senders) {
      const { process, pushes, records } = sender;
      for (const crank of sender.cranks) {
        if (crank.stopped) continue;
        const { nonce, result } = crank.entry;
        for (const [idx, out] of result.Messages.entries()) {
          const id = `${process.id}:${nonce}:message:${idx}`;
          const known = pushes.get(id);
          if (known) {
            crank.report.skipped += 1;
            if (known.status === 'failed') refused(crank, idx, known.error ?? 'refused');
            continue;
          }
          const tags: Tag[] = [
            ...out.Tags.filter((t) => !RESERVED.has(t.name)),
            { name: 'From-Process', value: process.id },
            { name: 'From-Module', value: process.module },
            { name: 'Pushed-For', value: crank.base.pushedFor },
          ];
          const anchor = out.Anchor && Buffer.byteLength(out.Anchor) === 32 ? out.Anchor : anchorFor(id);
          try {
            outgoing.push({ sender, crank, id, idx, target: out.Target, item: await createDataItem({ data: out.Data ?? '', target: out.Target, anchor, tags }, this.deps.signer) });
          } catch (error) {
            if (!isPermanent(error)) throw error;
            const reason = `${error.code}: ${error.message}`;
            records.push({ ...crank.base, id, kind: 'message', idx, target: out.Target, status: 'failed', error: reason });
            refused(crank, idx, reason);
          }
        }
      }
    }
    if (outgoing.length === 0) return;
    const processes = await this.deps.log.getProcesses([...new Set(outgoing.map((o) => o.target))]);
    const toProcesses = outgoing.filter((o) => processes.has(o.target));
    const toWallets = outgoing.filter((o) => !processes.has(o.target));
    // Queued in outbox order, senders in turn, so messages to one process keep that order in its
    // log (the SU commits them in one batch); the others are stored in one write.
    const [scheduled, stored] = await Promise.all([
      this.deps.scheduler.scheduleMany(toProcesses.map((o) => o.item)),
      toWallets.length
        ? this.deps.log.storeStandalone(...toWallets.map((o) => toStoredItem(o.item))).then(
            (): PromiseSettledResult<void> => ({ status: 'fulfilled', value: undefined }),
            (reason: unknown): PromiseSettledResult<void> => ({ status: 'rejected', reason }),
          )
        : undefined,
    ]);
    const settle = (o: (typeof outgoing)[number], outcome: PromiseSettledResult<unknown>) => {
      const { sender, crank, id, idx, target, item } = o;
      if (outcome.status === 'fulfilled') {
        sender.records.push({ ...crank.base, id, kind: 'message', idx, itemId: item.id, target });
        if (processes.has(target)) touched.add(target);
        crank.report.pushed += 1;
      } else if (isPermanent(outcome.reason)) {
        const reason = `${outcome.reason.code}: ${outcome.reason.message}`;
        sender.records.push({ ...crank.base, id, kind: 'message', idx, target, status: 'failed', error: reason });
        refused(crank, idx, reason);
      } else crank.retry ??= outcome.reason;
    };
    toProcesses.forEach((o, i) => settle(o, scheduled[i]));
    for (const o of toWallets) settle(o, stored!);
  }

  /** A result's Spawns (each with its `Spawned` notice to the parent) and Assignments, one by one. */
  private async pushSpawnsAndAssignments(process: ProcessRecord, crank: Crank, pushes: Map<string, PushRecord>, touched: Set<string>): Promise<void> {
    const { store } = this.deps;
    const { nonce, result } = crank.entry;
    const { base, report } = crank;
    const refuse = async (push: Pick<PushRecord, 'id' | 'kind' | 'idx' | 'itemId' | 'target'>, order: number, what: string, reason: string) => {
      await store.recordPushes([{ ...base, ...push, status: 'failed', error: reason }]);
      crank.failures.push([order, `${what}: ${reason}`]);
    };

    for (const [idx, spawn] of result.Spawns.entries()) {
      const id = `${process.id}:${nonce}:spawn:${idx}`;
      const known = pushes.get(id);
      if (known?.status === 'failed') {
        crank.failures.push([ORDER.spawn + idx, `spawn ${idx}: ${known.error}`]);
        continue;
      }
      let childId = known?.itemId;
      if (!childId) {
        const tags: Tag[] = spawn.Tags.filter((t) => !RESERVED.has(t.name));
        if (!getTag(tags, 'Module')) {
          await refuse({ id, kind: 'spawn', idx }, ORDER.spawn + idx, `spawn ${idx}`, 'Spawn without a Module tag');
          continue;
        }
        if (!getTag(tags, 'Scheduler')) tags.push({ name: 'Scheduler', value: this.deps.scheduler.address });
        tags.push({ name: 'From-Process', value: process.id }, { name: 'From-Module', value: process.module }, { name: 'Pushed-For', value: base.pushedFor });
        const anchor = spawn.Anchor && Buffer.byteLength(spawn.Anchor) === 32 ? spawn.Anchor : anchorFor(id);
        let child: SignedDataItem;
        try {
          child = await createDataItem({ data: spawn.Data ?? '', anchor, tags }, this.deps.signer);
          await this.deps.scheduler.scheduleVerified(child);
        } catch (error) {
          if (!isPermanent(error)) throw error;
          await refuse({ id, kind: 'spawn', idx }, ORDER.spawn + idx, `spawn ${idx}`, `${error.code}: ${error.message}`);
          continue;
        }
        touched.add(child.id);
        await store.recordPushes([{ ...base, id, kind: 'spawn', idx, itemId: child.id, target: child.id }]);
        childId = child.id;
        report.pushed += 1;
      }
      const noticeId = `${process.id}:${nonce}:spawned:${idx}`;
      if (pushes.has(noticeId)) continue;
      const reference = getTag(spawn.Tags, 'Reference');
      const notice = await createDataItem(
        {
          data: childId,
          target: process.id,
          anchor: anchorFor(noticeId),
          tags: [
            { name: 'Data-Protocol', value: 'ao' },
            { name: 'Variant', value: 'ao.TN.1' },
            { name: 'Type', value: 'Message' },
            { name: 'Action', value: 'Spawned' },
            { name: 'AO-Spawn-Success', value: 'true' },
            { name: 'Process', value: childId },
            ...(reference ? [{ name: 'Reference', value: reference }, { name: 'X-Reference', value: reference }] : []),
            { name: 'From-Process', value: process.id },
            { name: 'From-Module', value: process.module },
            { name: 'Pushed-For', value: base.pushedFor },
          ],
        },
        this.deps.signer,
      );
      await this.deliver(notice, process.id, touched);
      await store.recordPushes([{ ...base, id: noticeId, kind: 'spawned', idx, itemId: notice.id, target: process.id }]);
      report.pushed += 1;
    }

    for (const [idx, assignment] of result.Assignments.entries()) {
      for (const target of assignment.Processes) {
        const id = `${process.id}:${nonce}:assign:${idx}:${target}`;
        const known = pushes.get(id);
        if (known) {
          if (known.status === 'failed') crank.failures.push([ORDER.assign + idx, `assignment ${idx} to ${target}: ${known.error}`]);
          continue;
        }
        try {
          await this.deps.scheduler.assign(target, assignment.Message);
        } catch (error) {
          if (!isPermanent(error)) throw error;
          await refuse({ id, kind: 'assign', idx, itemId: assignment.Message, target }, ORDER.assign + idx, `assignment ${idx} to ${target}`, `${error.code}: ${error.message}`);
          continue;
        }
        touched.add(target);
        await store.recordPushes([{ ...base, id, kind: 'assign', idx, itemId: assignment.Message, target }]);
        report.pushed += 1;
      }
    }
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

