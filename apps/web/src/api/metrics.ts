/** One sample of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses `/metrics` (Prometheus text format 0.0.4): comments skipped, labels unescaped. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) labels[key] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = match[3] === '+Inf' ? Infinity : match[3] === '-Inf' ? -Infinity : Number(match[3]);
    samples.push({ name: match[1], labels, value });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `where`. */
export function total(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** The figures the overview shows, from one scrape. */
export interface PlatformFigures {
  processes: number;
  logEntries: number;
  results: number;
  evaluationBacklog: number;
  brokenProcesses: number;
  uploadBacklog: number;
  uploadFailed: number;
  relayPending: number;
  failedJobs: number;
  checkpoints: number;
  checkpointBytes: number;
  /** Jobs per queue and state (waiting, active, delayed, prioritized, failed, completed). */
  queues: Record<string, Record<string, number>>;
}

export function platformFigures(samples: Sample[]): PlatformFigures {
  const queues: PlatformFigures['queues'] = {};
  for (const s of samples.filter((x) => x.name === 'ao_queue_jobs')) {
    (queues[s.labels.queue] ??= {})[s.labels.state] = s.value;
  }
  return {
    processes: total(samples, 'ao_processes'),
    logEntries: total(samples, 'ao_log_entries'),
    results: total(samples, 'ao_results'),
    evaluationBacklog: total(samples, 'ao_evaluation_backlog'),
    brokenProcesses: total(samples, 'ao_processes_broken'),
    uploadBacklog: total(samples, 'ao_upload_outbox', { status: 'pending' }) + total(samples, 'ao_upload_outbox', { status: 'uploaded' }),
    uploadFailed: total(samples, 'ao_upload_outbox', { status: 'failed' }),
    relayPending: total(samples, 'ao_results_by_crank_status', { status: 'pending' }),
    failedJobs: total(samples, 'ao_queue_jobs', { state: 'failed' }),
    checkpoints: total(samples, 'ao_cu_checkpoints'),
    checkpointBytes: total(samples, 'ao_cu_checkpoint_bytes'),
    queues,
  };
}

/** Per-second rate between two readings of a counter-like figure; null without a usable interval. */
export function ratePerSecond(before: { at: number; value: number } | undefined, after: { at: number; value: number }): number | null {
  if (!before || after.at <= before.at || after.value < before.value) return null;
  return ((after.value - before.value) * 1000) / (after.at - before.at);
}
