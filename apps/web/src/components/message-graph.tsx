import { useMemo, type MouseEvent } from 'react';
import { useLocation } from 'wouter';
import { shortId } from '../lib/format';
import { buildGraph, NODE_RADIUS, type GraphEdge, type GraphInput } from '../lib/message-graph';

const VERB = { incoming: 'sent to it by', outgoing: 'sent by it to', spawned: 'spawned by it:' } as const;

/** Where a click on an edge goes: the agent's log at the message (incoming), else the peer's explorer page. */
function edgeHref(agent: string, e: GraphEdge): string {
  return e.direction === 'incoming' ? `/explorer/${agent}?nonce=${e.nonce}` : `/explorer/${e.peer}`;
}

/**
 * The agent's messages as a picture: nodes are processes and wallets, edges the messages between
 * them (incoming, outgoing, spawned), each a link: a node opens its explorer page, an edge the
 * newest message on it. Links inside the SVG, so Tab and Enter walk it like any other link.
 */
export function MessageGraph({ agent, messages, label }: { agent: string; messages: GraphInput; label: string }) {
  const [, navigate] = useLocation();
  const graph = useMemo(() => buildGraph(agent, messages), [agent, messages]);
  const go = (href: string) => (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <figure className="graph" data-testid="message-graph">
      <svg viewBox={`0 0 ${graph.width} ${graph.height}`} role="group" aria-label={label} className="graph-svg">
        <defs>
          {(['incoming', 'outgoing', 'spawned'] as const).map((d) => (
            <marker key={d} id={`arrow-${d}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" className={`graph-arrow-${d}`} />
            </marker>
          ))}
        </defs>
        {graph.edges.map((e) => {
          const href = edgeHref(agent, e);
          const text = `${e.count} message${e.count === 1 ? '' : 's'} ${VERB[e.direction]} ${e.peer}${e.actions.length ? ` (${e.actions.join(', ')})` : ''}`;
          return (
            <a key={e.key} href={href} onClick={go(href)} aria-label={text} className={`graph-edge graph-${e.direction}`} data-edge={e.key}>
              <title>{text}</title>
              <line x1={e.x1} y1={e.y1} x2={e.x2} y2={e.y2} className="graph-hit" />
              <line x1={e.x1} y1={e.y1} x2={e.x2} y2={e.y2} markerEnd={`url(#arrow-${e.direction})`} strokeDasharray={e.direction === 'spawned' ? '6 4' : undefined} />
              <text x={(e.x1 + e.x2) / 2} y={(e.y1 + e.y2) / 2 - 4} className="graph-count">
                {e.count}
              </text>
            </a>
          );
        })}
        {graph.nodes.map((n) => {
          const href = `/explorer/${n.id}`;
          return (
            <a key={n.id} href={href} onClick={go(href)} aria-label={n.center ? `this agent (process ${n.id}): open in the explorer` : `${shortId(n.id)} (process or wallet ${n.id}): open in the explorer`} className={n.center ? 'graph-node graph-center' : 'graph-node'} data-node={n.id}>
              <title>{n.id}</title>
              <circle cx={n.x} cy={n.y} r={n.center ? NODE_RADIUS + 4 : NODE_RADIUS} />
              <text x={n.x} y={n.y + (n.center ? NODE_RADIUS + 18 : NODE_RADIUS + 14)} textAnchor="middle">
                {n.center ? 'this agent' : shortId(n.id)}
              </text>
            </a>
          );
        })}
      </svg>
      <figcaption className="muted">
        <span className="graph-key graph-incoming">→ incoming</span> <span className="graph-key graph-outgoing">→ outgoing</span> <span className="graph-key graph-spawned">⇢ spawned</span> · numbers are message counts · click a
        node for its explorer page, an edge for its newest message
        {graph.hidden > 0 && ` · ${graph.hidden} quieter peers not drawn (see the table)`}
      </figcaption>
    </figure>
  );
}
