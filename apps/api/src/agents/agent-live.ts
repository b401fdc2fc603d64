/** What the agents table shows for each agent (GET /api/agents items' `live`; built by the list query). */
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
