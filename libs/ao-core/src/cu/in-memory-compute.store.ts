import type { LogEntry, ProcessRecord, SchedulerStore } from '../su/ports.js';
import type { CommittedResult, ComputeStore, EvaluationHead, PendingLog, ProcessCommit } from './ports.js';

/**
 * A ComputeStore in memory over a SchedulerStore's log (tools and benchmarks): heads and the
 * last state hash per process are kept; results are counted, not kept, unless `keepResults`.
 */
export class InMemoryComputeStore implements ComputeStore {
  readonly heads = new Map<string, EvaluationHead>();
  readonly stateHashes = new Map<string, string>();
  readonly results = new Map<string, CommittedResult[]>();
  committed = 0;
  /** Batched reads and commits served (readPending, commitMany). */
  batchedReads = 0;
  batchedCommits = 0;

  constructor(
    private readonly log: SchedulerStore,
    private readonly options: { keepResults?: boolean } = {},
  ) {}

  getProcess(processId: string): Promise<ProcessRecord | undefined> {
    return this.log.getProcess(processId);
  }

  async readLog(processId: string, afterNonce: number, limit: number): Promise<LogEntry[]> {
    return (await this.log.readLog(processId, { fromNonce: afterNonce, limit })).entries;
  }

  async evaluationHead(processId: string): Promise<EvaluationHead> {
    return this.heads.get(processId) ?? { nonce: -1 };
  }

  async commit(processId: string, results: CommittedResult[], stateHash: string | undefined): Promise<void> {
    if (results.length === 0) return;
    this.heads.set(processId, { nonce: results[results.length - 1].nonce });
    if (stateHash) this.stateHashes.set(processId, stateHash);
    if (this.options.keepResults) this.results.set(processId, [...(this.results.get(processId) ?? []), ...results]);
    this.committed += results.length;
  }

  async readPending(processIds: string[], limit: number): Promise<Map<string, PendingLog>> {
    this.batchedReads += 1;
    const logs = new Map<string, PendingLog>();
    for (const id of processIds) {
      const head = await this.evaluationHead(id);
      logs.set(id, { head, entries: head.error ? [] : await this.readLog(id, head.nonce, limit) });
    }
    return logs;
  }

  async commitMany(commits: ProcessCommit[]): Promise<void> {
    this.batchedCommits += 1;
    for (const c of commits) await this.commit(c.processId, c.results, c.stateHash);
  }

  async markBroken(processId: string, nonce: number, error: string): Promise<void> {
    this.heads.set(processId, { nonce: nonce - 1, error });
  }
}
