import { describe, expect, it } from 'vitest';
import { AoError, isAoError } from '../errors.js';
import type { LogEntry, ProcessRecord } from '../su/ports.js';
import { ComputeUnit, stoppedError } from './compute-unit.js';
import { EvaluatorRegistry, type ModuleDef } from './evaluator.js';
import { DEFAULT_TEST_LIMITS } from './lua/testing.js';
import type { CommittedResult, ComputeStore, EvaluationHead, ModuleLoader } from './ports.js';

const PID = 'P'.repeat(43);
const MODULE_ID = 'M'.repeat(43);

/** A process with an empty log; records what the CU marks. */
class FakeStore implements ComputeStore {
  head: EvaluationHead = { nonce: -1 };
  async getProcess(): Promise<ProcessRecord> {
    return { id: PID, owner: 'o', module: MODULE_ID, scheduler: 's', tags: [], timestamp: 0, blockHeight: 0 };
  }
  async readLog(): Promise<LogEntry[]> {
    return [];
  }
  async evaluationHead(): Promise<EvaluationHead> {
    return this.head;
  }
  async commit(_p: string, _r: CommittedResult[]): Promise<void> {}
  async markBroken(_p: string, nonce: number, error: string): Promise<void> {
    this.head = { nonce: nonce - 1, error };
  }
}

const unit = (store: ComputeStore, modules: ModuleLoader) =>
  new ComputeUnit(store, modules, new EvaluatorRegistry(), { maxLive: 4, batchSize: 10, defaults: DEFAULT_TEST_LIMITS, maxima: DEFAULT_TEST_LIMITS, platformAddresses: [] });

describe('ComputeUnit: a module that cannot load', () => {
  it('records a permanent module failure on the process, and later evaluations answer it with its code', async () => {
    const store = new FakeStore();
    const mod: ModuleDef = { id: MODULE_ID, owner: 'o', tags: [], format: 'cobol-85', source: new Uint8Array() };
    const cu = unit(store, { load: async () => mod });
    await expect(cu.evaluate(PID)).rejects.toSatisfy((e: unknown) => isAoError(e, 'UNKNOWN_MODULE_FORMAT'));
    expect(store.head).toEqual({ nonce: -1, error: expect.stringMatching(/^UNKNOWN_MODULE_FORMAT: no evaluator for module format "cobol-85"/) });
    await expect(cu.evaluate(PID)).rejects.toSatisfy((e: unknown) => isAoError(e, 'UNKNOWN_MODULE_FORMAT') && (e as AoError).kind === 'permanent');
  });

  it('records nothing for a transient failure (gateway unreachable): the next attempt may succeed', async () => {
    const store = new FakeStore();
    const cu = unit(store, {
      load: async () => {
        throw new AoError('MODULE_LOAD_FAILED', 'gateway unreachable', {}, 'transient');
      },
    });
    await expect(cu.evaluate(PID)).rejects.toSatisfy((e: unknown) => isAoError(e, 'MODULE_LOAD_FAILED'));
    expect(store.head).toEqual({ nonce: -1 });
  });

  it('records a module still missing after the wait like an unloadable one; before it, nothing', async () => {
    const store = new FakeStore(); // the process was created at timestamp 0
    const missing = { load: async (): Promise<ModuleDef> => {
      throw new AoError('MODULE_LOAD_FAILED', `Module ${MODULE_ID} is not on this SU nor on the gateway`, {}, 'transient');
    } };
    const options = { maxLive: 4, batchSize: 10, defaults: DEFAULT_TEST_LIMITS, maxima: DEFAULT_TEST_LIMITS, platformAddresses: [], moduleWaitMs: 60_000 };
    const early = new ComputeUnit(store, missing, new EvaluatorRegistry(), { ...options, now: () => 59_000 });
    await expect(early.evaluate(PID)).rejects.toSatisfy((e: unknown) => isAoError(e, 'MODULE_LOAD_FAILED') && (e as AoError).kind === 'transient');
    expect(store.head).toEqual({ nonce: -1 });
    const late = new ComputeUnit(store, missing, new EvaluatorRegistry(), { ...options, now: () => 61_000 });
    await expect(late.evaluate(PID)).rejects.toSatisfy((e: unknown) => isAoError(e, 'MODULE_LOAD_FAILED') && (e as AoError).kind === 'permanent');
    expect(store.head).toEqual({ nonce: -1, error: expect.stringMatching(/^MODULE_LOAD_FAILED: Module M+ is not on this SU nor on the gateway, 61 s after the process was created/) });
    const reader = stoppedError(store.head.error!, { processId: PID });
    expect([reader.code, reader.kind]).toEqual(['MODULE_LOAD_FAILED', 'permanent']);
  });

  it('stoppedError keeps a broken chain a BROKEN_HASH_CHAIN and a coded reason its code', () => {
    expect(stoppedError('hash chain broken at nonce 3', {}).code).toBe('BROKEN_HASH_CHAIN');
    const e = stoppedError('MODULE_LOAD_FAILED: cannot load module X: bad magic', { processId: PID }, 'stopped: ');
    expect([e.code, e.message, e.details]).toEqual(['MODULE_LOAD_FAILED', 'stopped: cannot load module X: bad magic', { processId: PID }]);
  });
});
