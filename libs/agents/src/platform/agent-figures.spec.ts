import { describe, expect, it } from 'vitest';
import { foldAgentFigures, NO_FIGURES } from './agent-figures.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

describe('agent figures', () => {
  it('counts fills and verdicts, keeps the latest pnl and inventory, across batches', () => {
    const first = foldAgentFigures(
      NO_FIGURES,
      [
        { topic: 'fills', payload: { seq: 1 } },
        { topic: 'pnl', payload: { total: '5', returnBps: '1' } },
        { topic: 'verifications', payload: { verdict: 'original' } },
        { topic: 'inventory', payload: { base: '1', quote: '2' } },
      ],
      [{ nonce: 1n, messageId: 'm1', error: null, createdAt: at(1) }],
    );
    const second = foldAgentFigures(
      first,
      [
        { topic: 'fills', payload: { seq: 2 } },
        { topic: 'pnl', payload: { total: '-3', returnBps: '-1' } },
        { topic: 'verifications', payload: { verdict: 'original' } },
        { topic: 'verifications', payload: { verdict: 'near-duplicate' } },
        { topic: 'verifications', payload: 'not json' },
        { topic: 'duplicate-alerts', payload: { verdict: 'near-duplicate' } },
      ],
      [{ nonce: 2n, messageId: 'm2', error: null, createdAt: at(2) }],
    );
    expect(second).toEqual({
      fills: 2,
      verdicts: { original: 2, 'near-duplicate': 1 },
      pnl: { total: '-3', returnBps: '-1' },
      inventory: { base: '1', quote: '2' },
      lastError: null,
      lastActivityAt: at(2),
    });
    expect(first.verdicts).toEqual({ original: 1 });
    expect(NO_FIGURES).toEqual({ fills: 0, verdicts: {}, pnl: null, inventory: null, lastError: null, lastActivityAt: null });
  });

  it('keeps the latest error until a newer one, and the latest activity', () => {
    const errored = foldAgentFigures(NO_FIGURES, [], [
      { nonce: 3n, messageId: 'm3', error: 'boom', createdAt: at(3) },
      { nonce: 4n, messageId: 'm4', error: null, createdAt: at(4) },
    ]);
    expect(errored.lastError).toEqual({ message: 'boom', messageId: 'm3', nonce: 3n, at: at(3) });
    expect(errored.lastActivityAt).toEqual(at(4));
    const later = foldAgentFigures(errored, [], [{ nonce: 5n, messageId: 'm5', error: 'again', createdAt: at(5) }]);
    expect(later.lastError?.messageId).toBe('m5');
  });
});
