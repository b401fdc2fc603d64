import { describe, expect, it } from 'vitest';
import { buildGraph, NODE_RADIUS } from './message-graph';

const A = 'A'.repeat(43);
const P = (c: string) => c.repeat(43);

describe('the message graph of an agent', () => {
  const input = {
    incoming: [
      { nonce: 1, id: 'm1', from: P('p'), action: 'Start' },
      { nonce: 4, id: 'm4', from: P('p'), action: 'Configure' },
      { nonce: 2, id: 'm2', from: P('o'), action: 'Price' },
      { nonce: 3, id: 'm3', from: A, action: 'Self' },
    ],
    outgoing: [
      { fromNonce: 2, id: 'o1', target: P('v'), kind: 'message' },
      { fromNonce: 4, id: 'o2', target: P('p'), kind: 'message' },
    ],
    spawned: [{ fromNonce: 1, id: 's1', target: P('c'), kind: 'spawn' }],
  };

  it('has one node per peer and one edge per peer and direction, counting messages and keeping the newest', () => {
    const g = buildGraph(A, input);
    expect(g.nodes.map((n) => n.id)).toEqual([A, P('c'), P('o'), P('p'), P('v')]);
    const byKey = Object.fromEntries(g.edges.map((e) => [e.key, e]));
    expect(Object.keys(byKey).sort()).toEqual([`incoming:${P('o')}`, `incoming:${P('p')}`, `outgoing:${P('p')}`, `outgoing:${P('v')}`, `spawned:${P('c')}`]);
    expect(byKey[`incoming:${P('p')}`]).toMatchObject({ count: 2, nonce: 4, messageId: 'm4', actions: ['Configure', 'Start'] });
    expect(byKey[`spawned:${P('c')}`]).toMatchObject({ count: 1, nonce: 1, messageId: 's1' });
  });

  it('is drawn the same whatever order the messages come in', () => {
    const shuffled = { incoming: [...input.incoming].reverse(), outgoing: [...input.outgoing].reverse(), spawned: input.spawned };
    expect(buildGraph(A, shuffled)).toEqual(buildGraph(A, input));
  });

  it('points incoming edges at the agent and outgoing ones away, stopping short of the circles', () => {
    const g = buildGraph(A, input);
    const center = g.nodes[0];
    const incoming = g.edges.find((e) => e.key === `incoming:${P('o')}`)!;
    const outgoing = g.edges.find((e) => e.key === `outgoing:${P('v')}`)!;
    const dist = (x: number, y: number) => Math.hypot(x - center.x, y - center.y);
    expect(dist(incoming.x2, incoming.y2)).toBeLessThan(dist(incoming.x1, incoming.y1));
    expect(dist(outgoing.x2, outgoing.y2)).toBeGreaterThan(dist(outgoing.x1, outgoing.y1));
    expect(dist(outgoing.x1, outgoing.y1)).toBeGreaterThanOrEqual(NODE_RADIUS);
  });

  it('keeps the busiest peers when there are too many, and says how many it left out', () => {
    const many = { incoming: Array.from({ length: 30 }, (_, i) => ({ nonce: i, id: `m${i}`, from: `${String(i).padStart(2, '0')}${'x'.repeat(41)}`, action: null })), outgoing: [], spawned: [] };
    many.incoming.push({ nonce: 99, id: 'm99', from: `29${'x'.repeat(41)}`, action: null });
    const g = buildGraph(A, many, { maxPeers: 5 });
    expect(g.nodes).toHaveLength(6);
    expect(g.hidden).toBe(25);
    expect(g.nodes.map((n) => n.id)).toContain(`29${'x'.repeat(41)}`);
  });
});
