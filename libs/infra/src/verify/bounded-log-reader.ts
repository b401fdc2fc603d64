import type { CheckpointRef, LogReader } from '@ao/core';

/** A verification stopped by its bounds: too long a log, or past its deadline. */
export class VerifyLimitError extends Error {
  constructor(
    message: string,
    readonly limit: 'messages' | 'time',
    readonly details: Record<string, number>,
  ) {
    super(message);
    this.name = 'VerifyLimitError';
  }
}

/**
 * Bounds a verification through the reader it reads with: assignments past `maxMessages`, or any
 * read after `timeoutMs`, throw VerifyLimitError (verifyProcess reads per page of assignments and
 * per batch of messages, so the bound is checked that often; a message being evaluated finishes).
 */
export class BoundedLogReader implements LogReader {
  private readonly deadline: number;

  constructor(
    private readonly inner: LogReader,
    private readonly bounds: { maxMessages: number; timeoutMs: number },
    private readonly now: () => number = Date.now,
  ) {
    this.deadline = now() + bounds.timeoutMs;
  }

  items(ids: readonly string[]): Promise<Map<string, Uint8Array>> {
    this.checkTime();
    return this.inner.items(ids);
  }

  assignmentsAt(processId: string, scheduler: string, nonce: number): Promise<Uint8Array[]> {
    this.checkTime();
    return this.inner.assignmentsAt(processId, scheduler, nonce);
  }

  checkpoints(processId: string): Promise<CheckpointRef[]> {
    this.checkTime();
    return this.inner.checkpoints(processId);
  }

  async *assignments(processId: string, scheduler: string, fromNonce?: number): AsyncIterable<Uint8Array[]> {
    let read = 0;
    for await (const page of this.inner.assignments(processId, scheduler, fromNonce)) {
      read += page.length;
      if (read > this.bounds.maxMessages) {
        throw new VerifyLimitError(`the log of ${processId} has more than ${this.bounds.maxMessages} entries, the most verified here`, 'messages', {
          maxMessages: this.bounds.maxMessages,
        });
      }
      this.checkTime();
      yield page;
    }
  }

  private checkTime(): void {
    if (this.now() > this.deadline) {
      throw new VerifyLimitError(`verification took longer than ${this.bounds.timeoutMs} ms`, 'time', { timeoutMs: this.bounds.timeoutMs });
    }
  }
}
