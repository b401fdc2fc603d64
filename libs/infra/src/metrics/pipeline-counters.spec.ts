import { describe, expect, it } from 'vitest';
import { GroupWriter } from '../database/group-writer.js';
import { PipelineCounters, addCounters, counterKey, currentThreadId, pipelineCounters, renderPipelineCounters } from './pipeline-counters.js';

describe('pipeline counters', () => {
  it('adds by name and by labels, each label set its own counter', () => {
    const c = new PipelineCounters();
    c.add('jobs_total', 1, { queue: 'evaluate', outcome: 'completed' });
    c.add('jobs_total', 2, { queue: 'evaluate', outcome: 'completed' });
    c.add('jobs_total', 1, { queue: 'evaluate', outcome: 'delayed' });
    c.add('db_statements_total');
    c.add('db_statements_total', 4);
    expect(c.snapshot().counters).toEqual({
      'jobs_total{queue="evaluate",outcome="completed"}': 3,
      'jobs_total{queue="evaluate",outcome="delayed"}': 1,
      db_statements_total: 5,
    });
    expect(counterKey('kicks_total', { queue: 'push' })).toBe('kicks_total{queue="push"}');
  });

  it('adds the counters of its sources (a pool of threads) into every snapshot, until a source is removed', () => {
    const c = new PipelineCounters();
    c.add('db_statements_total', 2);
    c.noteThread('main-helper', 41);
    let threadCounters = { db_statements_total: 10, 'group_writes_total{kind="cu-commit"}': 3 };
    const remove = c.addSource(() => ({ counters: threadCounters, threads: { 'evaluation-0': 42 } }));
    expect(c.snapshot()).toEqual({ counters: { db_statements_total: 12, 'group_writes_total{kind="cu-commit"}': 3 }, threads: { 'main-helper': 41, 'evaluation-0': 42 } });
    threadCounters = { db_statements_total: 11, 'group_writes_total{kind="cu-commit"}': 4 };
    expect(c.snapshot().counters.db_statements_total).toBe(13);
    remove();
    expect(c.snapshot()).toEqual({ counters: { db_statements_total: 2 }, threads: { 'main-helper': 41 } });
    expect(addCounters({ a: 1 }, { a: 2, b: 3 })).toEqual({ a: 3, b: 3 });
  });

  it('renders every process with its labels first, the thread ids and the snapshot times, in the Prometheus text format', () => {
    const text = renderPipelineCounters([
      { labels: { role: 'api', instance: 'api-1', pid: '1' }, snapshot: { counters: { db_statements_total: 7, 'jobs_total{queue="push",outcome="failed"}': 1 }, threads: { 'verify-0': 3 } }, at: 1_500 },
      { labels: { role: 'worker', instance: 'w"2', pid: '2' }, snapshot: { counters: { db_statements_total: 9 }, threads: {} }, at: 2_000 },
    ]);
    const lines = text.split('\n');
    expect(lines).toContain('# TYPE ao_pipeline_db_statements_total counter');
    expect(lines).toContain('ao_pipeline_db_statements_total{role="api",instance="api-1",pid="1"} 7');
    expect(lines).toContain('ao_pipeline_db_statements_total{role="worker",instance="w_2",pid="2"} 9');
    expect(lines).toContain('ao_pipeline_jobs_total{role="api",instance="api-1",pid="1",queue="push",outcome="failed"} 1');
    expect(lines).toContain('ao_pipeline_thread_info{role="api",instance="api-1",pid="1",thread="verify-0",tid="3"} 1');
    expect(lines).toContain('ao_pipeline_snapshot_timestamp_seconds{role="worker",instance="w_2",pid="2"} 2');
    // every sample line is "name{labels} number"
    for (const line of lines.filter((l) => l && !l.startsWith('#'))) expect(line).toMatch(/^ao_pipeline_\w+\{[^}]*\} [0-9.]+$/);
  });

  it('counts grouped write statements and the writes they carry, by kind', async () => {
    const key = (name: 'group_writes_total' | 'group_write_entries_total') => counterKey(name, { kind: 'spec-kind' });
    const before = pipelineCounters.snapshot().counters;
    let release!: () => void;
    const first = new Promise<void>((resolve) => (release = resolve));
    const writer = new GroupWriter<number>((entries) => (entries[0] === 0 ? first : Promise.resolve()), { kind: 'spec-kind' });
    const writes = [writer.submit(0), writer.submit(1), writer.submit(2), writer.submit(3)];
    release();
    await Promise.all(writes);
    const after = pipelineCounters.snapshot().counters;
    // the first write alone, the three that came while it was in flight together
    expect((after[key('group_writes_total')] ?? 0) - (before[key('group_writes_total')] ?? 0)).toBe(2);
    expect((after[key('group_write_entries_total')] ?? 0) - (before[key('group_write_entries_total')] ?? 0)).toBe(4);
  });

  it('knows the Linux thread id of the calling thread', () => {
    // The main thread's id is the process id.
    expect(currentThreadId()).toBe(process.pid);
  });
});
