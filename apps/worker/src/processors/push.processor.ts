import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { isAoError, type Messenger } from '@ao/core';
import { pushJobSchema } from '@ao/infra';
import type { StageProcessor } from '../processor-registry.js';
import { MESSENGER } from '../worker.tokens.js';

/** Stage `push`: the MU's crank for one result (see Messenger). Retried with backoff; permanent errors fail the job with the reason. */
@Injectable()
export class PushProcessor implements StageProcessor {
  readonly stage = 'push' as const;

  constructor(@Inject(MESSENGER) private readonly messenger: Messenger) {}

  async process(job: Job): Promise<unknown> {
    const { processId, nonce } = pushJobSchema.parse(job.data);
    try {
      return await this.messenger.crank(processId, nonce);
    } catch (error) {
      if (isAoError(error) && error.kind === 'permanent') throw new UnrecoverableError(`${error.code}: ${error.message}`);
      throw error;
    }
  }
}
