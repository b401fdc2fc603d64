import type { LogEntry, ProcessRecord, SchedulerStore } from '../su/ports.js';
import type { CommittedResult, ComputeStore, EvaluationHead } from './ports.js';

/**
 * A ComputeStore in memory over a SchedulerStore's log (tools and benchmarks): heads and the
 * last state hash per process are kept; results are counted, not kept, unless `keepResults`.
 */
export class InMemoryComputeStore implements ComputeStore {
  readonly heads = new Map<string, EvaluationHead>();
  readonly stateHashes = new Map<string, string>();
  readonly results = new Map<string, CommittedResult[]>();
  committed = 0;

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

  async markBroken(processId: string, nonce: number, error: string): Promise<void> {
    this.heads.set(processId, { nonce: nonce - 1, error });
  }
}
