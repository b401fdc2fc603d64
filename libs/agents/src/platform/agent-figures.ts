/**
 * An agent's running figures (the agents list's columns), folded from its projected topic events
 * and the results they came from, batch after batch. The event projection keeps one row of these per
 * agent; a rebuild folds them again from the log, so the fold must only depend on what it is given.
 */
export interface AgentFigures {
  /** Number of `fills` events (market makers). */
  fills: number;
  /** `verifications` events counted by `payload.verdict` (media verifiers). */
  verdicts: Record<string, number>;
  /** The latest `pnl` payload (market makers), as published. */
  pnl: unknown;
  /** The latest `inventory` payload (market makers), as published. */
  inventory: unknown;
  /** The latest result that carried an Error. */
  lastError: { message: string; messageId: string; nonce: bigint; at: Date } | null;
  /** When the latest result was committed. */
  lastActivityAt: Date | null;
}

export const NO_FIGURES: AgentFigures = { fills: 0, verdicts: {}, pnl: null, inventory: null, lastError: null, lastActivityAt: null };

/** Folds events (in feed order) and results (in nonce order) into `prev`; `prev` is not changed. */
export function foldAgentFigures(
  prev: AgentFigures,
  events: readonly { topic: string; payload: unknown }[],
  results: readonly { nonce: bigint; messageId: string; error: string | null; createdAt: Date }[],
): AgentFigures {
  const next: AgentFigures = { ...prev, verdicts: { ...prev.verdicts } };
  for (const e of events) {
    if (e.topic === 'fills') next.fills += 1;
    else if (e.topic === 'pnl') next.pnl = e.payload;
    else if (e.topic === 'inventory') next.inventory = e.payload;
    else if (e.topic === 'verifications') {
      const verdict = (e.payload as { verdict?: unknown } | null)?.verdict;
      if (typeof verdict === 'string' && verdict !== '') next.verdicts[verdict] = (next.verdicts[verdict] ?? 0) + 1;
    }
  }
  for (const r of results) {
    if (r.error) next.lastError = { message: r.error, messageId: r.messageId, nonce: r.nonce, at: r.createdAt };
    if (!next.lastActivityAt || r.createdAt > next.lastActivityAt) next.lastActivityAt = r.createdAt;
  }
  return next;
}
