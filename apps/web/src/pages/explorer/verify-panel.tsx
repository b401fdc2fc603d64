import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, body } from '../../api/client';
import { ApiError } from '../../api/errors';
import type { SuProcess, VerifyAnswer } from '../../api/views';
import { ErrorNote } from '../../components/status';
import { formatCount, formatDuration, formatNumber } from '../../lib/format';

/**
 * Verify: the API re-executes the process from what the gateway (Arweave) holds alone, checking
 * every signature, nonce, hash-chain link and the binding of each message to its assignment.
 * Shows where a log would fail, or the state and results hashes anyone can reproduce.
 */
export function VerifyPanel({ pid, process, onFailure }: { pid: string; process?: SuProcess; onFailure: (nonce: number | undefined) => void }) {
  const [compare, setCompare] = useState(false);
  const [fromCheckpoint, setFromCheckpoint] = useState(false);
  const [took, setTook] = useState<number>();
  const ids = useId();
  const verify = useMutation({
    mutationFn: async () => {
      const started = performance.now();
      const answer = await body<VerifyAnswer>(
        api.GET('/cu/verify/{processId}', {
          params: { path: { processId: pid }, query: { compare: compare ? 'true' : 'false', ...(fromCheckpoint ? { fromCheckpoint: 'true' } : {}) } },
        }),
      );
      setTook(performance.now() - started);
      return answer;
    },
    onSuccess: (answer) => onFailure(answer.failure?.nonce),
    onError: () => onFailure(undefined),
  });
  const uploads = process?.uploads;
  const notOnGateway = verify.error instanceof ApiError && verify.error.status === 404;
  return (
    <section className="panel" aria-labelledby={`${ids}-title`} data-testid="verify-panel">
      <h2 id={`${ids}-title`}>Verify from Arweave</h2>
      <p className="muted">
        Re-executes the process from the gateway alone: signatures, contiguous nonces, the hash chain, each message bound to its assignment, then
        a fresh replay.
        {uploads && ` ${formatCount(uploads.confirmed, 'item')} of this log (messages and assignments) confirmed on the gateway, ${formatNumber(uploads.pending + uploads.uploaded)} on the way.`}
      </p>
      <div className="row wrap">
        <label className="check-label">
          <input type="checkbox" checked={compare} onChange={(e) => setCompare(e.target.checked)} />
          <span>Also compare every result with this platform's</span>
        </label>
        <label className="check-label">
          <input type="checkbox" checked={fromCheckpoint} onChange={(e) => setFromCheckpoint(e.target.checked)} />
          <span>Start from the newest signed checkpoint</span>
        </label>
      </div>
      <button type="button" className="button primary" onClick={() => verify.mutate()} disabled={verify.isPending} aria-describedby={`${ids}-outcome`}>
        {verify.isPending ? 'Verifying…' : 'Verify'}
      </button>
      <div id={`${ids}-outcome`} aria-live="polite" data-testid="verify-outcome">
        {verify.isError && (
          <>
            <ErrorNote error={verify.error} context="Verify" />
            {notOnGateway && <p className="muted">The log reaches the gateway through the upload outbox: try again once its entries are confirmed.</p>}
          </>
        )}
        {verify.data && verify.data.ok && (
          <div className="outcome good" data-verdict="ok">
            <p>
              <strong>Verified.</strong> {formatCount(verify.data.messages, 'log entry', 'log entries')} re-executed from the gateway, up to nonce{' '}
              {verify.data.lastNonce}
              {verify.data.compared !== undefined && `, ${formatCount(verify.data.compared, 'result')} equal to this platform's`}
              {took !== undefined && ` (${formatDuration(took)})`}.
            </p>
            <dl className="facts">
              <dt>State hash</dt>
              <dd>
                <code className="wrap">{verify.data.stateHash}</code>
              </dd>
              <dt>Results hash</dt>
              <dd>
                <code className="wrap">{verify.data.resultsHash}</code>
              </dd>
              {verify.data.checkpoint?.used && (
                <>
                  <dt>Started from</dt>
                  <dd>checkpoint at nonce {verify.data.checkpoint.used.nonce}</dd>
                </>
              )}
            </dl>
          </div>
        )}
        {verify.data && !verify.data.ok && verify.data.failure && (
          <div className="outcome bad" data-verdict="failed">
            <p>
              <strong>Fails at nonce {verify.data.failure.nonce}</strong>: {verify.data.failure.reason} <code className="error-code">{verify.data.failure.code}</code>
            </p>
            <p className="muted">The entry is marked in the log below.</p>
          </div>
        )}
      </div>
    </section>
  );
}
