import type { Principal } from './principal.js';

/** A credential checked against Postgres, kept briefly so the next requests skip the lookup. */
export interface CachedCredential {
  principal: Principal;
  /** The session's CSRF token (unsafe requests with the cookie must echo it). */
  csrfToken?: string;
  /** The revocation epoch observed before the lookup that found it valid. */
  epoch: string;
  expiresAt: number;
}

/**
 * API keys and sessions found valid, by the SHA-256 of their secret, for at most `ttlMs`.
 * Revocation-safe across API processes: revoking a key or ending a session bumps an epoch in
 * Redis after the database write; every request reads that epoch in the rate limiter's round
 * trip, and an entry is used only while the epoch is the one seen *before* its lookup began. So
 * a revocation is honoured by every process from the next request on, at no extra round trip.
 */
export class CredentialCache {
  private readonly entries = new Map<string, CachedCredential>();
  /** The newest epoch a request has read (undefined until the first one): entries made now carry it. */
  private epoch: string | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** The epoch to stamp on a lookup starting now (undefined: do not cache what it finds). */
  get currentEpoch(): string | undefined {
    return this.epoch;
  }

  /** Records the epoch a request read; a change drops every entry (one was revoked). */
  observe(epoch: string): void {
    if (this.epoch !== undefined && epoch !== this.epoch) this.entries.clear();
    this.epoch = epoch;
  }

  get(hash: string, now = Date.now()): CachedCredential | undefined {
    const entry = this.entries.get(hash);
    if (entry && entry.expiresAt <= now) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry;
  }

  /** Keeps what a lookup that began at `epoch` found, until `until` at the latest. */
  set(hash: string, entry: Omit<CachedCredential, 'expiresAt' | 'epoch'>, epoch: string | undefined, until = Infinity, now = Date.now()): void {
    if (this.ttlMs <= 0 || epoch === undefined) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(hash, { ...entry, epoch, expiresAt: Math.min(now + this.ttlMs, until) });
  }

  /** Whether an entry still holds at `epoch` (read in this request's round trip). */
  valid(entry: CachedCredential, epoch: string): boolean {
    return entry.epoch === epoch;
  }
}
