import { createHash } from 'node:crypto';
import type { Heartbeats } from '../redis/heartbeats.js';
import { QUEUE_NAMES } from './queues.js';

/** The evaluate queue of one worker instance: jobs for the processes of its share (see EvaluationOwners). */
export function ownEvaluateQueue(instance: string): string {
  return `${QUEUE_NAMES.evaluate}.${instance.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/**
 * The instance of `instances` with the highest weight for `processId` (ties, improbable with 48
 * bits, go to the smaller id): the same on every reader whatever the list's order. The weight
 * hashes the instance with the process, so a worker's share spreads over the evaluation pool's
 * threads (chosen by a hash of the process id alone).
 */
export function rendezvousOwner(instances: readonly string[], processId: string): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const instance of instances) {
    const weight = createHash('sha256').update(instance).update('\0').update(processId).digest().readUIntBE(0, 6);
    if (weight > bestWeight || (weight === bestWeight && best !== undefined && instance < best)) {
      best = instance;
      bestWeight = weight;
    }
  }
  return best;
}

/** Whether a worker heartbeat says it runs the evaluate stage. */
function evaluates(info: Record<string, unknown>): boolean {
  const queues = info.queues;
  return queues === 'all' || (Array.isArray(queues) && queues.includes('evaluate'));
}

/**
 * Process affinity across worker processes (docs/pipeline-batching.md, item 4): each process is
 * owned by the live worker running the evaluate stage with the highest `hash(instance, processId)`
 * (rendezvous hashing), so a process's live instance stays warm on one worker and its lock is not
 * contended. When a worker joins it takes only the processes it now scores highest for, and when
 * one leaves only its own share moves: the others keep their processes warm. The live workers come from the heartbeats, read every `refreshMs`; a
 * worker that stops beating loses its share at the first read past its heartbeat's expiry, and the
 * others pick it up. With fewer than two workers nobody owns anything (one worker takes every job,
 * as without affinity). Ownership only routes work; one evaluator per process is still the lock's.
 */
export class EvaluationOwners {
  private live: string[] = [];
  private readonly timer: NodeJS.Timeout;
  private refreshing?: Promise<void>;

  constructor(
    private readonly heartbeats: Heartbeats,
    refreshMs = 1_000,
  ) {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), refreshMs);
    this.timer.unref();
  }

  /** Reads the live workers now (also done every `refreshMs`). */
  refresh(): Promise<void> {
    this.refreshing ??= this.heartbeats
      .list('worker')
      .then((beats) => {
        this.live = beats
          .filter(evaluates)
          .map((b) => b.instance)
          .sort();
      })
      .catch(() => undefined)
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** The live worker instances that run the evaluate stage, as last read. */
  get workers(): readonly string[] {
    return this.live;
  }

  /** The instance that owns `processId`, or undefined while fewer than two workers are live. */
  ownerOf(processId: string): string | undefined {
    if (this.live.length < 2) return undefined;
    return rendezvousOwner(this.live, processId);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
