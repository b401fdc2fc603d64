import type { SuLogEntry } from '../../api/views';
import { Time } from '../../components/values';
import { shortId, tagValue } from '../../lib/format';

export interface LogRow {
  nonce: number;
  entry: SuLogEntry;
  /** true: its Hash-Chain follows from the previous entry; false: it does not; null: not checked. */
  link: boolean | null;
}

/** What a log entry is, in a word: the process itself, a cron tick, or the message's Action. */
function kind(entry: SuLogEntry, nonce: number): string {
  if (nonce === 0 && tagValue(entry.message.tags, 'Type') === 'Process') return 'Process';
  return tagValue(entry.message.tags, 'Action') ?? (tagValue(entry.message.tags, 'Cron') === 'true' ? 'Cron' : '—');
}

function LinkMark({ link }: { link: boolean | null }) {
  if (link === null) return <span className="link-unknown" title="Previous entry not loaded here, or this browser cannot hash (needs https or localhost)">·</span>;
  return link ? (
    <span className="link-ok" title="Recomputed here from the previous entry: matches">
      ✓<span className="visually-hidden"> linked</span>
    </span>
  ) : (
    <span className="link-bad" title="Recomputed here from the previous entry: does NOT match">
      ✗<span className="visually-hidden"> broken link</span>
    </span>
  );
}

/** The SU log of a process: one row per nonce, selectable; the nonce where verification fails is marked. */
export function LogTable({ rows, selected, failureNonce, onSelect }: { rows: LogRow[]; selected?: number; failureNonce?: number; onSelect: (nonce: number) => void }) {
  return (
    <div className="table-wrap">
      <table className="log" data-testid="log-table">
        <caption className="visually-hidden">Log entries in nonce order</caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              Nonce
            </th>
            <th scope="col">Time</th>
            <th scope="col">Action</th>
            <th scope="col">From</th>
            <th scope="col">Message</th>
            <th scope="col">Hash chain</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ nonce, entry, link }) => {
            const from = tagValue(entry.message.tags, 'From-Process') ?? entry.message.owner.address;
            const classes = [nonce === selected ? 'selected' : '', nonce === failureNonce ? 'failed' : ''].filter(Boolean).join(' ');
            return (
              <tr key={nonce} className={classes || undefined} data-nonce={nonce} aria-selected={nonce === selected}>
                <td className="num">
                  <button type="button" className="linkish" onClick={() => onSelect(nonce)} aria-label={`Show the message at nonce ${nonce}`}>
                    {nonce}
                  </button>
                  {nonce === failureNonce && <span className="badge bad">fails here</span>}
                </td>
                <td>
                  <Time ms={Number(tagValue(entry.assignment.tags, 'Timestamp'))} />
                </td>
                <td>{kind(entry, nonce)}</td>
                <td>
                  <code title={from}>{shortId(from)}</code>
                </td>
                <td>
                  <code title={entry.message.id}>{shortId(entry.message.id)}</code>
                </td>
                <td>
                  <code title={tagValue(entry.assignment.tags, 'Hash-Chain')}>{shortId(tagValue(entry.assignment.tags, 'Hash-Chain') ?? '')}</code> <LinkMark link={link} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
