import type { DefaultJobOptions } from 'bullmq';
import type { QueueStage } from '../env/env.schema.js';

/** BullMQ queue name of each pipeline stage (the Redis prefix is applied by BullMQ's `prefix`). */
export const QUEUE_NAMES: Record<QueueStage, string> = {
  schedule: 'su-schedule',
  evaluate: 'cu-evaluate',
  push: 'mu-push',
  upload: 'su-upload',
  cron: 'cron-tick',
};

/**
 * Job defaults, set once for every queue: retried with exponential backoff, kept after failure
 * (the dead-letter list an admin can inspect and retry), removed after success so Redis stays small.
 */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { count: 1_000 },
  removeOnFail: false,
};
