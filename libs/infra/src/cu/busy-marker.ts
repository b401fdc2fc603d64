import type { EvaluatorFactory, ProcessInstance } from '@ao/core';

/**
 * Which process an evaluation thread is running synchronously right now, in a word of shared
 * memory the pool reads when the thread falls silent: the wall-clock backstop then fails only that
 * process's calls and replays the others on the replacement thread (see EvaluationPool).
 */
export type BusyMark = (processId: string | undefined) => void;

/** A non-zero 32-bit key of a process id (FNV-1a); 0 means "none". */
export function busyKey(processId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < processId.length; i++) h = Math.imul(h ^ processId.charCodeAt(i), 0x01000193);
  return h === 0 ? 1 : h;
}

/** A mark that stores the key in `word` (an Int32Array over a SharedArrayBuffer). */
export function sharedBusyMark(word: Int32Array): BusyMark {
  return (processId) => void Atomics.store(word, 0, processId === undefined ? 0 : busyKey(processId));
}

/** Wraps a factory so every instance marks its process while a call runs synchronously. */
export function markingFactory(inner: EvaluatorFactory, mark: BusyMark): EvaluatorFactory {
  return {
    formats: inner.formats,
    async create(mod, env, limits, checkpoint) {
      return markingInstance(await inner.create(mod, env, limits, checkpoint), env.Process.Id, mark);
    },
  };
}

function markingInstance(inner: ProcessInstance, processId: string, mark: BusyMark): ProcessInstance {
  // The synchronous part of a call (the Lua step) runs before the promise is returned.
  const around = <T>(call: () => T): T => {
    mark(processId);
    try {
      return call();
    } finally {
      mark(undefined);
    }
  };
  return {
    evaluate: (msg) => around(() => inner.evaluate(msg)),
    dryRun: (msg) => around(() => inner.dryRun(msg)),
    stateHash: () => around(() => inner.stateHash()),
    checkpoint: () => around(() => inner.checkpoint()),
    close: () => inner.close(),
  };
}
