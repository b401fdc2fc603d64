import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { isAoError, type Messenger } from '@ao/core';
import { pipelineCounters, pushJobSchema } from '@ao/infra';
import type { StageProcessor } from '../processor-registry.js';
import { MESSENGER } from '../worker.tokens.js';

/** Results cranked together in one go (their outboxes are signed, delivered and recorded in batches). */
const CRANK_BATCH = 256;

/** Cranks every result of a process still pending relay, in nonce order, in batches; returns the count. */
export async function crankAllPending(messenger: Messenger, processId: string): Promise<number> {
  let cranked = 0;
  for (;;) {
    const reports = await messenger.crankPending(processId, CRANK_BATCH);
    cranked += reports.length;
    if (reports.length > 0) {
      pipelineCounters.add('crank_rounds_total');
      pipelineCounters.add('cranked_results_total', reports.length);
      pipelineCounters.add('pushed_total', reports.reduce((n, r) => n + r.pushed, 0));
    }
    if (reports.length < CRANK_BATCH) return cranked;
  }
}

/**
 * Cranks every pending result of many processes, their rounds together (Messenger.crankPendingMany:
 * one read, one SU batch, one finish per round); a process stays in the next round while it had a
 * full one. Returns the processes whose crank failed, with the error (their pending results wait
 * for a retry).
 */
export async function crankAllPendingMany(messenger: Messenger, processIds: string[]): Promise<Map<string, unknown>> {
  const failed = new Map<string, unknown>();
  let round = processIds;
  while (round.length > 0) {
    let outcomes;
    try {
      outcomes = await messenger.crankPendingMany(round, CRANK_BATCH);
    } catch (error) {
      for (const id of round) failed.set(id, error);
      break;
    }
    const next: string[] = [];
    let cranked = 0;
    let pushed = 0;
    for (const outcome of outcomes) {
      if (!outcome.ok) {
        failed.set(outcome.processId, outcome.error);
        continue;
      }
      cranked += outcome.reports.length;
      pushed += outcome.reports.reduce((n, r) => n + r.pushed, 0);
      if (outcome.reports.length === CRANK_BATCH) next.push(outcome.processId);
    }
    if (cranked > 0) {
      pipelineCounters.add('crank_rounds_total');
      pipelineCounters.add('cranked_results_total', cranked);
      pipelineCounters.add('pushed_total', pushed);
    }
    round = next;
  }
  return failed;
}

/**
 * Stage `push`: the MU's crank for one process (see Messenger.crankPending): every result of the
 * process still pending relay, in nonce order, in batches. Retried with backoff; permanent errors
 * fail the job with the reason.
 */
@Injectable()
export class PushProcessor implements StageProcessor {
  readonly stage = 'push' as const;

  constructor(@Inject(MESSENGER) private readonly messenger: Messenger) {}

  async process(job: Job): Promise<unknown> {
    const { processId } = pushJobSchema.parse(job.data);
    try {
      let cranked = await crankAllPending(this.messenger, processId);
      // Release the coalescing key, then look once more: a result committed after this point
      // makes a new job, and one committed before it is caught by this second pass.
      await job.removeDeduplicationKey();
      cranked += await crankAllPending(this.messenger, processId);
      return { processId, cranked };
    } catch (error) {
      if (isAoError(error) && error.kind === 'permanent') throw new UnrecoverableError(`${error.code}: ${error.message}`);
      throw error;
    }
  }
}
