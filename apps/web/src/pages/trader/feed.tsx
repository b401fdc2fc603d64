import { useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { Empty } from '../../components/status';
import { Time } from '../../components/values';
import { ResumableFeed, type FeedState } from '../../lib/sse';
import { useTitle } from '../../lib/use-title';

interface FeedEvent {
  id: string;
  agentId: string | null;
  processId: string;
  topic: string;
  eventSeq: number;
  nonce: number;
  payload: unknown;
  at: string;
}

const KEEP = 500;
const LAST_KEY = 'ao.feed.lastEventId';

/**
 * The live feed of my subscriptions' events (SSE). It reconnects by itself from the last event
 * id it received (also across a reload of the tab), so it misses nothing and shows nothing twice.
 */
export default function Feed() {
  useTitle('Feed');
  const [events, setEvents] = useState<FeedEvent[]>([]);
  const [state, setState] = useState<{ state: FeedState; detail?: string }>({ state: 'connecting' });
  const [reconnects, setReconnects] = useState(0);
  const feed = useRef<ResumableFeed | null>(null);
  useEffect(() => {
    const f = new ResumableFeed(
      `${location.origin}/api/feed`,
      (m) => {
        let e: FeedEvent;
        try {
          e = JSON.parse(m.data) as FeedEvent;
        } catch {
          return;
        }
        sessionStorage.setItem(LAST_KEY, e.id);
        setEvents((all) => (all.some((x) => x.id === e.id) ? all : [e, ...all].slice(0, KEEP)));
      },
      (s, detail) => {
        if (s === 'retrying') setReconnects((n) => n + 1);
        setState({ state: s, detail });
      },
      sessionStorage.getItem(LAST_KEY) ?? undefined,
    );
    feed.current = f;
    f.start();
    return () => f.stop();
  }, []);
  const label = { connecting: 'Connecting…', open: 'Live', retrying: `Reconnecting (${state.detail ?? ''})`, closed: `Closed${state.detail ? ` (${state.detail})` : ''}` }[state.state];
  return (
    <div className="page">
      <div className="page-head">
        <h1>Feed</h1>
        <p className="muted">
          Events of the <Link href="/subscriptions">strategies you subscribed to</Link>, as the agents publish them.
        </p>
      </div>
      <p role="status" data-testid="feed-state" data-state={state.state}>
        <span className={`badge ${state.state === 'open' ? 'good' : 'warn'}`}>{label}</span> {reconnects > 0 && <span className="muted">reconnected {reconnects}×</span>}{' '}
        <button type="button" className="button small ghost" onClick={() => feed.current?.restart()}>
          Reconnect now
        </button>
      </p>
      {events.length === 0 ? (
        <Empty title="No events yet.">They appear here as soon as an agent you follow publishes one.</Empty>
      ) : (
        <div className="table-wrap">
          <table data-testid="feed">
            <caption className="visually-hidden">Feed events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Feed id</th>
                <th scope="col">Topic</th>
                <th scope="col">Payload</th>
                <th scope="col">Agent message</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id} data-feed-id={e.id}>
                  <td className="num">{e.id}</td>
                  <td>{e.topic}</td>
                  <td>
                    <code className="wrap">{JSON.stringify(e.payload)}</code>
                  </td>
                  <td>
                    <Link href={`/explorer/${e.processId}?nonce=${e.nonce}`}>#{e.nonce}</Link>
                  </td>
                  <td>
                    <Time ms={Date.parse(e.at)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
