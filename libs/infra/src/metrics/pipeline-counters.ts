import { readlinkSync } from 'node:fs';

/**
 * The pipeline's counters, one set per JavaScript isolate (a process's main thread, or one of its
 * worker threads): how many statements, Redis commands, jobs, evaluation passes, crank rounds and
 * SU batches this process made. Increments only, so they cost nothing measurable on the hot paths;
 * `/metrics` shows them per process (workers send theirs with their heartbeats), and the
 * `pipeline` benchmark divides their deltas by the messages of a run (docs/pipeline.md).
 */
export const PIPELINE_COUNTERS = {
  db_statements_total: 'Statements sent to Postgres (every query of every pg connection: the shared pool, Prisma, the evaluation threads; BEGIN and COMMIT count)',
  redis_commands_total: 'Commands sent to Redis (a script call counts once, whatever it runs inside)',
  jobs_total: 'BullMQ jobs processed, by queue and outcome (completed; delayed: its process was locked, it runs again later; failed: retried or dead-lettered)',
  kicks_total: 'Jobs asked for, by queue (a kick while a job of its process is pending is absorbed by that job)',
  evaluate_passes_total: 'Evaluation passes (one batched read of many process logs past their heads and one commit of what it found)',
  evaluate_pass_processes_total: 'Processes those passes evaluated (a batch of EVAL_BATCH at most)',
  evaluated_messages_total: 'Messages evaluated and committed',
  crank_rounds_total: 'Crank rounds that relayed results (one context read, one SU batch, one finish write each)',
  cranked_results_total: 'Results whose outboxes were relayed',
  pushed_total: 'Outbox entries delivered (messages, spawns, assignments)',
  su_batches_total: 'SU append transactions committed (each appends to any number of processes)',
  su_batch_slots_total: 'Log entries those transactions appended',
  group_writes_total: 'Grouped write statements, by kind (cu-commit, crank-finish, wallet-items)',
  group_write_entries_total: 'Writes those statements carried',
  upload_dead_letters_total: 'Items whose upload failed UPLOAD_MAX_ATTEMPTS times and became dead letters (status failed, listed by GET /mu/failed)',
} as const;

export type PipelineCounter = keyof typeof PIPELINE_COUNTERS;

/** Counter values by key: the counter's name, with its labels in Prometheus form when it has any (`jobs_total{queue="evaluate",outcome="completed"}`). */
export type CounterSnapshot = Record<string, number>;

/** A snapshot of a process's counters and of the OS threads it named (label → Linux thread id). */
export interface PipelineSnapshot {
  counters: CounterSnapshot;
  threads: Record<string, number>;
}

/** The key of a counter with labels; labels are written in the order given. */
export function counterKey(name: PipelineCounter, labels?: Record<string, string>): string {
  if (!labels) return name;
  return `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
}

/** Adds `from`'s values into `into`. */
export function addCounters(into: CounterSnapshot, from: CounterSnapshot): CounterSnapshot {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
  return into;
}

export class PipelineCounters {
  private readonly values = new Map<string, number>();
  private readonly threads = new Map<string, number>();
  private readonly sources = new Set<() => PipelineSnapshot>();

  /** Adds `n` to a counter (labels: a few fixed values each, never ids). */
  add(name: PipelineCounter, n = 1, labels?: Record<string, string>): void {
    const key = labels ? counterKey(name, labels) : name;
    this.values.set(key, (this.values.get(key) ?? 0) + n);
  }

  /** Records the Linux thread id of a named thread of this process (a benchmark reads its CPU time). */
  noteThread(label: string, tid: number | undefined): void {
    if (tid !== undefined) this.threads.set(label, tid);
  }

  /** Counters kept elsewhere (a pool's worker threads), added into every snapshot until the returned function removes them. */
  addSource(source: () => PipelineSnapshot): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }

  snapshot(): PipelineSnapshot {
    const counters: CounterSnapshot = Object.fromEntries(this.values);
    const threads: Record<string, number> = Object.fromEntries(this.threads);
    for (const source of this.sources) {
      const s = source();
      addCounters(counters, s.counters);
      Object.assign(threads, s.threads);
    }
    return { counters, threads };
  }
}

/** This isolate's counters. */
export const pipelineCounters = new PipelineCounters();

/** The Linux thread id of the calling thread (undefined where /proc/thread-self does not exist). */
export function currentThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined;
  }
}

/** One process's counters as /metrics shows them: its labels (role, instance, pid) and when the snapshot was taken. */
export interface LabelledSnapshot {
  labels: Record<string, string>;
  snapshot: PipelineSnapshot;
  /** When the snapshot was taken, in ms since the epoch. */
  at: number;
}

const escapeLabel = (v: string) => v.replace(/["\\\n]/g, '_');

/**
 * The counters of several processes in the Prometheus text format: `ao_pipeline_<counter>` with each
 * process's labels before the counter's own, `ao_pipeline_thread_info` (the OS thread ids of named
 * threads) and `ao_pipeline_snapshot_timestamp_seconds` (a worker's counters arrive with its
 * heartbeat, so they may be a few seconds old).
 */
export function renderPipelineCounters(processes: LabelledSnapshot[]): string {
  const lines: string[] = [];
  const own = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  for (const [name, help] of Object.entries(PIPELINE_COUNTERS)) {
    lines.push(`# HELP ao_pipeline_${name} ${help}`, `# TYPE ao_pipeline_${name} counter`);
    for (const p of processes) {
      for (const [key, value] of Object.entries(p.snapshot.counters)) {
        const brace = key.indexOf('{');
        if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
        const labels = [...own(p.labels), ...(brace < 0 ? [] : [key.slice(brace + 1, -1)])].join(',');
        lines.push(`ao_pipeline_${name}{${labels}} ${value}`);
      }
    }
  }
  lines.push('# HELP ao_pipeline_thread_info Named threads of each process and their Linux thread ids', '# TYPE ao_pipeline_thread_info gauge');
  for (const p of processes) {
    for (const [thread, tid] of Object.entries(p.snapshot.threads)) lines.push(`ao_pipeline_thread_info{${[...own(p.labels), `thread="${escapeLabel(thread)}"`, `tid="${tid}"`].join(',')}} 1`);
  }
  lines.push('# HELP ao_pipeline_snapshot_timestamp_seconds When each process took the counters shown', '# TYPE ao_pipeline_snapshot_timestamp_seconds gauge');
  for (const p of processes) lines.push(`ao_pipeline_snapshot_timestamp_seconds{${own(p.labels).join(',')}} ${p.at / 1000}`);
  return `${lines.join('\n')}\n`;
}
