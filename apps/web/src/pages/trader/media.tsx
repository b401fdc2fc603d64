import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, body } from '../../api/client';
import { ApiError } from '../../api/errors';
import type { components } from '../../api/schema';
import { ask } from '../../api/venue';
import { Empty, ErrorNote, Loading } from '../../components/status';
import { Id } from '../../components/values';
import { formatBytes } from '../../lib/format';
import { useTitle } from '../../lib/use-title';

type Strategy = components['schemas']['StrategyDto'];
type Verification = components['schemas']['VerificationDto'];
type Media = components['schemas']['MediaDto'];
interface Similar {
  id: string;
  author: string;
  distance: number;
  kind: string;
  blockHeight?: number;
  label?: string;
}

const TYPES = ['image/png', 'image/jpeg'];
const MAX_BYTES = 700 * 1024;
const CONFIRM_TIMEOUT_MS = 180_000;

/** Why the API would refuse this file, before anything is sent; undefined when it may go. */
export function fileProblem(file: { type: string; size: number } | undefined): string | undefined {
  if (!file) return 'Choose an image.';
  if (!TYPES.includes(file.type)) return `A PNG or JPEG image is needed (this file is ${file.type || 'of an unknown type'}).`;
  if (file.size === 0) return 'This file is empty.';
  if (file.size > MAX_BYTES) return `At most ${formatBytes(MAX_BYTES)} (this one is ${formatBytes(file.size)}).`;
  return undefined;
}

function base64(bytes: ArrayBuffer): string {
  let s = '';
  const u = new Uint8Array(bytes);
  for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
  return btoa(s);
}

const VERDICT_TONE: Record<string, string> = { original: 'good', 'near-duplicate': 'warn', identical: 'bad' };

function Thumb({ gateway, id, author, caption }: { gateway?: string; id: string; author: string; caption: string }) {
  return (
    <figure className="thumb">
      {gateway && !id.startsWith('ref:') ? <img src={`${gateway}/${id}`} alt={`${caption} by ${author}`} width={120} height={90} loading="lazy" /> : <div className="thumb-none">no image</div>}
      <figcaption>
        {caption}
        <br />
        by <Id id={author} />
        <br />
        item <Id id={id} />
      </figcaption>
    </figure>
  );
}

/** Upload an image as my signed data item, and see a media verifier's verdict with the earlier images it resembles. */
export default function MediaPage() {
  useTitle('Media');
  const ids = useId();
  const strategies = useQuery({ queryKey: ['strategies'], queryFn: () => body<Strategy[]>(api.GET('/api/strategies')) });
  const info = useQuery({ queryKey: ['info'], queryFn: () => body<{ gateway: string }>(api.GET('/info')), staleTime: 300_000 });
  const verifiers = (strategies.data ?? []).filter((s) => s.blueprint === 'media-verifier');
  const [verifier, setVerifier] = useState('');
  const [file, setFile] = useState<File>();
  const [preview, setPreview] = useState<string>();
  const [problem, setProblem] = useState<string>();
  const [phase, setPhase] = useState<string>();
  // The chosen verifier, or the first published one.
  const chosen = verifier || verifiers[0]?.processId || '';
  useEffect(() => () => void (preview && URL.revokeObjectURL(preview)), [preview]);
  const run = useMutation({
    mutationFn: async ({ file: f, verifier: v }: { file: File; verifier: string }) => {
      setPhase('Signing and uploading…');
      const media = await body<Media>(api.POST('/api/media', { body: { contentType: f.type as 'image/png', data: base64(await f.arrayBuffer()) } }));
      const deadline = Date.now() + CONFIRM_TIMEOUT_MS;
      for (;;) {
        setPhase(`Uploaded as ${media.mediaId}; waiting for Arweave to confirm it…`);
        try {
          const verdict = await body<Verification>(api.POST('/api/media/{mediaId}/verifications', { params: { path: { mediaId: media.mediaId } }, body: { verifier: v } }));
          const similar = verdict.dhash ? JSON.parse((await ask(v, 'Find-Similar', { Hash: verdict.dhash, 'Max-Distance': '16' })).data) : [];
          return { media, verdict, similar: (Array.isArray(similar) ? (similar as Similar[]) : []).filter((s) => s.id !== media.mediaId) };
        } catch (error) {
          if (!(error instanceof ApiError && error.code === 'MEDIA_PENDING') || Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 1500));
        }
      }
    },
    onSettled: () => setPhase(undefined),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const p = fileProblem(file) ?? (/^[A-Za-z0-9_-]{43}$/.test(chosen) ? undefined : 'Choose a media verifier.');
    setProblem(p);
    if (!p && file) run.mutate({ file, verifier: chosen });
  };
  const r = run.data;
  return (
    <div className="page">
      <div className="page-head">
        <h1>Media</h1>
        <p className="muted">
          Upload an image: it goes to Arweave as a data item signed with your ao identity, so you are its author. A media verifier then says whether it is original or a copy of an earlier image, and
          whose.
        </p>
      </div>
      {strategies.isPending && <Loading what="the verifiers" />}
      {strategies.isError && <ErrorNote error={strategies.error} retry={() => void strategies.refetch()} />}
      {strategies.isSuccess && verifiers.length === 0 && <Empty title="No media verifier is published yet.">An admin publishes one as a strategy.</Empty>}
      {verifiers.length > 0 && (
        <form className="panel form" onSubmit={submit} noValidate aria-labelledby={`${ids}-title`} data-testid="media-form">
          <h2 id={`${ids}-title`}>Verify an image</h2>
          <div className="field">
            <label htmlFor={`${ids}-verifier`}>Verifier</label>
            <select id={`${ids}-verifier`} value={chosen} onChange={(e) => setVerifier(e.target.value)}>
              {verifiers.map((s) => (
                <option key={s.id} value={s.processId}>
                  {s.title}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${ids}-file`}>Image (PNG or JPEG, at most {formatBytes(MAX_BYTES)})</label>
            <input
              id={`${ids}-file`}
              type="file"
              accept={TYPES.join(',')}
              onChange={(e) => {
                const f = e.target.files?.[0];
                setFile(f);
                setPreview(f && TYPES.includes(f.type) ? URL.createObjectURL(f) : undefined);
                setProblem(undefined);
              }}
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? `${ids}-file-error` : undefined}
            />
            {problem && (
              <p id={`${ids}-file-error`} className="field-error">
                {problem}
              </p>
            )}
          </div>
          {preview && <img className="thumb-preview" src={preview} alt="The image chosen" />}
          <button type="submit" className="button primary" disabled={run.isPending}>
            {run.isPending ? 'Verifying…' : 'Upload and verify'}
          </button>
          <div aria-live="polite">
            {phase && (
              <p className="loading" role="status">
                <span className="spinner" aria-hidden="true" /> {phase}
              </p>
            )}
            {run.isError && <ErrorNote error={run.error} context="Verification" />}
          </div>
        </form>
      )}
      {r && (
        <section className="panel" aria-label="Verdict" data-testid="verdict">
          <h2>
            Verdict: <span className={`badge ${VERDICT_TONE[r.verdict.verdict] ?? ""}`}>{r.verdict.verdict}</span>
          </h2>
          <p>
            Image <Id id={r.media.mediaId} /> by <Id id={r.verdict.author ?? r.media.author} />: {r.verdict.format ?? '?'} {r.verdict.width ?? '?'}×{r.verdict.height ?? '?'} px, {formatBytes(r.media.size)}
            {r.verdict.blockHeight !== null && `, confirmed in block ${r.verdict.blockHeight}`}
            {r.verdict.reason && ` · ${r.verdict.reason}`}. Verify-Media message <Id id={r.verdict.messageId} />
          </p>
          {r.verdict.nearestId && r.verdict.nearestAuthor && (
            <div data-testid="nearest">
              <h3>Earliest match</h3>
              <Thumb gateway={info.data?.gateway} id={r.verdict.nearestId} author={r.verdict.nearestAuthor} caption={`${r.verdict.nearestDistance ?? '?'} bits apart`} />
            </div>
          )}
          <h3>Similar images the verifier knows</h3>
          {r.similar.length === 0 ? (
            <Empty title="None within 16 bits." />
          ) : (
            <ul className="thumbs" data-testid="similar">
              {r.similar.map((s) => (
                <li key={s.id}>
                  <Thumb gateway={info.data?.gateway} id={s.id} author={s.author} caption={`${s.distance} bits · ${s.kind}${s.label ? ` · ${s.label}` : ''}`} />
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </div>
  );
}
