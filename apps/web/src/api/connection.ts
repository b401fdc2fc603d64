/**
 * Whether the API answers. Any request that gets no answer marks it down; while it is down, a
 * probe of /health runs with a growing delay (1 s, 2 s, 4 s ... at most 15 s), and the first
 * answer of any status marks it up again and tells the listeners (the query cache refetches).
 */
export interface ConnectionState {
  up: boolean;
  reason?: string;
  /** When the next probe runs (ms since the epoch), while down. */
  retryAt?: number;
  attempts: number;
}

type Probe = () => Promise<boolean>;

export class Connection {
  private state: ConnectionState = { up: true, attempts: 0 };
  private readonly listeners = new Set<() => void>();
  private readonly recovered = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly probe: Probe,
    private readonly maxDelayMs = 15_000,
  ) {}

  get = (): ConnectionState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** `listener` runs each time the API answers again after being down. */
  onRecovered(listener: () => void): () => void {
    this.recovered.add(listener);
    return () => this.recovered.delete(listener);
  }

  reportDown(reason: string): void {
    if (!this.state.up) return;
    this.set({ up: false, reason, attempts: 0 });
    this.schedule();
  }

  reportUp(): void {
    if (this.state.up) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.set({ up: true, attempts: 0 });
    for (const listener of this.recovered) listener();
  }

  /** Probes at once (the banner's "Retry now"). */
  retryNow(): void {
    if (this.state.up) return;
    clearTimeout(this.timer);
    void this.tryOnce();
  }

  /** The delay before probe number `attempt` (0-based). */
  delay(attempt: number): number {
    return Math.min(this.maxDelayMs, 1000 * 2 ** attempt);
  }

  private schedule(): void {
    const wait = this.delay(this.state.attempts);
    this.set({ ...this.state, retryAt: Date.now() + wait });
    this.timer = setTimeout(() => void this.tryOnce(), wait);
  }

  private async tryOnce(): Promise<void> {
    const answered = await this.probe().catch(() => false);
    if (answered) return this.reportUp();
    if (this.state.up) return;
    this.set({ ...this.state, attempts: this.state.attempts + 1 });
    this.schedule();
  }

  private set(next: ConnectionState): void {
    this.state = next;
    for (const listener of this.listeners) listener();
  }
}
