/**
 * The picture of an agent's messages: the agent in the middle, every process or wallet it heard
 * from, wrote to or spawned around it, one edge per peer and direction with its message count
 * and the newest message (what a click on the edge opens). Pure: the layout is a function of the
 * messages, so the same messages always draw the same picture.
 */
export type Direction = 'incoming' | 'outgoing' | 'spawned';

export interface GraphInput {
  incoming: { nonce: number; id: string; from: string | null; action: string | null }[];
  outgoing: { fromNonce: number; id: string | null; target: string | null; kind: string }[];
  spawned: { fromNonce: number; id: string | null; target: string | null; kind: string }[];
}

export interface GraphNode {
  id: string;
  x: number;
  y: number;
  center: boolean;
}

export interface GraphEdge {
  key: string;
  peer: string;
  direction: Direction;
  count: number;
  /** The newest message on this edge: its nonce in the agent's log (incoming) or the nonce whose result sent it. */
  nonce: number;
  messageId: string | null;
  actions: string[];
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Graph {
  width: number;
  height: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Peers left out of the picture (beyond `maxPeers`, the least busy). */
  hidden: number;
}

export function buildGraph(agent: string, input: GraphInput, { width = 640, height = 420, maxPeers = 16 } = {}): Graph {
  const edges = new Map<string, Omit<GraphEdge, 'x1' | 'y1' | 'x2' | 'y2'>>();
  const add = (peer: string | null, direction: Direction, nonce: number, messageId: string | null, action: string | null) => {
    if (!peer || peer === agent) return;
    const key = `${direction}:${peer}`;
    const e = edges.get(key) ?? { key, peer, direction, count: 0, nonce, messageId, actions: [] };
    e.count += 1;
    if (nonce >= e.nonce) {
      e.nonce = nonce;
      e.messageId = messageId;
    }
    if (action && !e.actions.includes(action)) e.actions.push(action);
    edges.set(key, e);
  };
  for (const m of input.incoming) add(m.from, 'incoming', m.nonce, m.id, m.action);
  for (const m of input.outgoing) add(m.target, 'outgoing', m.fromNonce, m.id, m.kind);
  for (const m of input.spawned) add(m.target, 'spawned', m.fromNonce, m.id, 'spawn');
  // Busiest peers first (ties by id, so the order never depends on arrival), then a circle around the agent.
  const traffic = new Map<string, number>();
  for (const e of edges.values()) traffic.set(e.peer, (traffic.get(e.peer) ?? 0) + e.count);
  const peers = [...traffic.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([p]) => p);
  const shown = peers.slice(0, maxPeers).sort();
  const cx = width / 2;
  const cy = height / 2;
  const radius = Math.min(width, height) / 2 - 48;
  const nodes: GraphNode[] = [{ id: agent, x: cx, y: cy, center: true }];
  shown.forEach((id, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(shown.length, 1);
    nodes.push({ id, x: round(cx + radius * Math.cos(angle)), y: round(cy + radius * Math.sin(angle)), center: false });
  });
  const at = new Map(nodes.map((n) => [n.id, n]));
  const placed: GraphEdge[] = [];
  for (const e of [...edges.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    const peer = at.get(e.peer);
    if (!peer) continue;
    // Incoming and outgoing between the same pair are drawn side by side, not on top of each other.
    const both = edges.has(`incoming:${e.peer}`) && (edges.has(`outgoing:${e.peer}`) || edges.has(`spawned:${e.peer}`));
    const shift = both ? (e.direction === 'incoming' ? 5 : -5) : 0;
    const [from, to] = e.direction === 'incoming' ? [peer, at.get(agent)!] : [at.get(agent)!, peer];
    const len = Math.hypot(to.x - from.x, to.y - from.y) || 1;
    const nx = (-(to.y - from.y) / len) * shift;
    const ny = ((to.x - from.x) / len) * shift;
    const trim = (t: number) => ({ x: round(from.x + ((to.x - from.x) * t) / len + nx), y: round(from.y + ((to.y - from.y) * t) / len + ny) });
    const start = trim(NODE_RADIUS + 2);
    const end = trim(len - NODE_RADIUS - 6);
    placed.push({ ...e, actions: [...e.actions].sort(), x1: start.x, y1: start.y, x2: end.x, y2: end.y });
  }
  return { width, height, nodes, edges: placed, hidden: peers.length - shown.length };
}

export const NODE_RADIUS = 18;

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
