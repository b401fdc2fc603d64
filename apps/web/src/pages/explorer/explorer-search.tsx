import { ProcessPicker } from '../../components/process-picker';
import { Id } from '../../components/values';
import { recentProcesses } from '../../lib/recent';
import { useTitle } from '../../lib/use-title';

/** The explorer's entry: any process id, checked before it is looked up. */
export default function ExplorerSearch() {
  useTitle('Explorer');
  return (
    <div className="page">
      <div className="page-head">
        <h1>Process explorer</h1>
        <p className="muted">
          Any process on this scheduler: its log with nonces, times and hash-chain links, each message and its result, a dry-run console, and
          verification of the whole log from Arweave.
        </p>
      </div>
      <ProcessPicker
        label="Process id"
        placeholder="43-character process id"
        hrefOf={(p) => `/explorer/${p}`}
        recent={recentProcesses()}
        renderRecent={(p) => <Id id={p} explore full />}
      />
    </div>
  );
}
