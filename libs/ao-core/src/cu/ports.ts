import type { EvalResult } from '../types.js';
import type { LogEntry, ProcessRecord } from '../su/ports.js';
import type { ModuleDef } from './evaluator.js';

/** How far a process is evaluated: the last committed nonce (-1 before slot 0), or where it broke. */
export interface EvaluationHead {
  nonce: number;
  error?: string;
}

/** A result to commit, with the message it belongs to. */
export interface CommittedResult {
  nonce: number;
  messageId: string;
  result: EvalResult;
}

/** What the CU reads and writes. Commits are idempotent: a result per (process, nonce) once. */
export interface ComputeStore {
  getProcess(processId: string): Promise<ProcessRecord | undefined>;
  /** Log entries after `afterNonce` (exclusive), in nonce order. */
  readLog(processId: string, afterNonce: number, limit: number): Promise<LogEntry[]>;
  evaluationHead(processId: string): Promise<EvaluationHead>;
  /** Stores results and moves the head to the last one, atomically, with the state hash after the last one when known. */
  commit(processId: string, results: CommittedResult[], stateHash: string | undefined): Promise<void>;
  /** Records that evaluation stopped at `nonce` for good (e.g. a broken hash chain). */
  markBroken(processId: string, nonce: number, error: string): Promise<void>;
}

/** Loads a module (a `Type: Module` item) by id. */
export interface ModuleLoader {
  load(moduleId: string): Promise<ModuleDef>;
}
