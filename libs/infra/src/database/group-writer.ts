import { pipelineCounters } from '../metrics/pipeline-counters.js';

/** A write waiting for its group. */
interface Waiting<T> {
  entry: T;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Group commit for one kind of write: the first write goes out at once, and those submitted while
 * a statement is in flight (other processes' writes from concurrent jobs) go out together in the
 * next, up to `max` per statement. Under load a statement carries many writes for the round trip,
 * parse, executor start and WAL flush of one. `write` must apply a group atomically (one
 * statement); when a joint write fails, its entries are written one by one, so one bad entry fails
 * no other.
 */
export class GroupWriter<T> {
  private readonly waiting: Waiting<T>[] = [];
  private flushing = false;
  private readonly max: number;
  private readonly labels?: { kind: string };

  /** `max`: writes per statement; `kind`: names the statements in the pipeline counters (group_writes_total). */
  constructor(
    private readonly write: (entries: T[]) => Promise<void>,
    options: { max?: number; kind?: string } = {},
  ) {
    this.max = options.max ?? 64;
    if (options.kind) this.labels = { kind: options.kind };
  }

  /** Resolves once `entry` is written (alone or in a group). */
  submit(entry: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ entry, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** Resolves once every entry is written; entries submitted together go out together (up to `max` a statement). */
  submitMany(entries: T[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const written = entries.map((entry) => new Promise<void>((resolve, reject) => this.waiting.push({ entry, resolve, reject })));
    if (!this.flushing) void this.flush();
    return Promise.all(written).then(() => undefined);
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.max);
      if (this.labels) {
        pipelineCounters.add('group_writes_total', 1, this.labels);
        pipelineCounters.add('group_write_entries_total', group.length, this.labels);
      }
      try {
        await this.write(group.map((w) => w.entry));
        for (const w of group) w.resolve();
      } catch (error) {
        if (group.length === 1) group[0].reject(error as Error);
        // A write that throws at once fails its own entry, like a rejected one (never the loop).
        else for (const w of group) await Promise.resolve([w.entry]).then(this.write).then(w.resolve, w.reject);
      }
    }
    this.flushing = false;
  }
}
