import { createHash } from 'node:crypto';
import type { Heartbeats } from '../redis/heartbeats.js';
import { QUEUE_NAMES } from './queues.js';

/** The evaluate queue of one worker instance: jobs for the processes of its share (see EvaluationOwners). */
export function ownEvaluateQueue(instance: string): string {
  return `${QUEUE_NAMES.evaluate}.${instance.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** Whether a worker heartbeat says it runs the evaluate stage. */
function evaluates(info: Record<string, unknown>): boolean {
  const queues = info.queues;
  return queues === 'all' || (Array.isArray(queues) && queues.includes('evaluate'));
}

/**
 * Process affinity across worker processes (docs/pipeline-batching.md, item 4): each live worker
 * that runs the evaluate stage owns the processes whose `hash(processId) mod n` is its rank among
 * the n live ones (by instance id), so a process's live instance stays warm on one worker and its
 * lock is not contended. The live workers come from the heartbeats, read every `refreshMs`; a
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
    const n = this.live.length;
    if (n < 2) return undefined;
    // Other bytes of the digest than the evaluation pool's thread choice, so that a worker's share
    // spreads over all of its threads.
    return this.live[createHash('sha256').update(processId).digest().readUInt32BE(4) % n];
  }

  close(): void {
    clearInterval(this.timer);
  }
}
