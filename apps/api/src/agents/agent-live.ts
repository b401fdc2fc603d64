import { findBlueprint } from '@ao/agents';

/** The agents-list query's columns beyond the agent row: the figures read model, cron, CU. */
export interface LiveColumns {
  fills: string | null;
  verdicts: Record<string, number> | null;
  pnl: { total?: unknown; returnBps?: unknown } | null;
  inventory: Record<string, unknown> | null;
  last_error: string | null;
  last_error_message_id: string | null;
  last_error_at: Date | null;
  last_activity_at: Date | null;
  cu_error: string | null;
  cu_updated_at: Date | null;
  last_tick: string | null;
}

/** What the agents table shows for each agent (GET /api/agents items' `live`). */
export interface AgentLive {
  pnl: string | null;
  returnBps: number | null;
  fills: number | null;
  lastTickAt: string | null;
  inventory: Record<string, unknown> | null;
  verdicts: Record<string, number> | null;
  lastError: { message: string; messageId: string | null; at: string; source: 'result' | 'evaluation' } | null;
  lastActivityAt: string | null;
}

const integerText = (v: unknown): string | null => (typeof v === 'string' && /^-?\d+$/.test(v) ? v : typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : null);

/**
 * Market makers: PnL (`pnl.total`, quote atomic units), return (bps), fills, last tick, inventory.
 * Media verifiers: verdict counts. All: the last error (the CU's, if evaluation stopped, else the
 * latest result's) and the last activity. Figures a blueprint does not have are null.
 */
export function agentLive(blueprint: string, c: LiveColumns): AgentLive {
  const kind = findBlueprint(blueprint)?.kind;
  const maker = kind === 'market-maker';
  const returnBps = maker ? integerText(c.pnl?.returnBps) : null;
  const tick = c.last_tick !== null ? Number(c.last_tick) : NaN;
  const lastError = c.cu_error
    ? { message: c.cu_error, messageId: null, at: (c.cu_updated_at ?? new Date(0)).toISOString(), source: 'evaluation' as const }
    : c.last_error !== null
      ? { message: c.last_error, messageId: c.last_error_message_id, at: (c.last_error_at ?? new Date(0)).toISOString(), source: 'result' as const }
      : null;
  return {
    pnl: maker ? integerText(c.pnl?.total) : null,
    returnBps: returnBps !== null ? Number(returnBps) : null,
    fills: maker ? Number(c.fills ?? 0) : null,
    lastTickAt: Number.isSafeInteger(tick) && tick > 0 ? new Date(tick).toISOString() : null,
    inventory: maker ? c.inventory : null,
    verdicts: kind === 'media-verifier' ? (c.verdicts ?? {}) : null,
    lastError,
    lastActivityAt: c.last_activity_at?.toISOString() ?? null,
  };
}
