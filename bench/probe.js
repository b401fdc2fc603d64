// A probe that explains a run of the platform (platform.js): where its CPU went, OS process by OS
// process and thread by thread (from /proc), what it asked of Postgres (statements sent, WAL written
// to its own tables, from pg_walinspect) and of Redis (commands, from INFO commandstats), and what
// the pipeline did (BullMQ jobs, evaluation passes, cranks, SU batches, grouped writes: the
// counters each app shows in /metrics). explain.js turns a probe's result into per-message figures.
// docs/pipeline.md says how to read them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { createRedis, pipelineCounters } from '@ao/infra';
import { sleep } from './lib.js';

const TICK_MS = 1000 / (Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100);
/** A worker's counters reach /metrics with its heartbeat (every second), its threads' a second later at most. */
const COUNTER_LAG_MS = 2_100;

/** CPU time (user + system) of a process or one of its threads, in ms; undefined once it is gone. */
export function cpuMs(pid, tid) {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** CPU time the whole machine spent busy (all cores), in ms. */
function machineBusyMs() {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) * TICK_MS;
}

/** The pipeline counters of every process in /metrics, by pid: role, counters by key, named threads, snapshot time. */
export function parseMetrics(text) {
  const processes = new Map();
  for (const line of text.split('\n')) {
    const m = /^ao_pipeline_(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const [, name, labelText, value] = m;
    const labels = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    const { role, instance, pid, thread, tid, ...own } = labels;
    if (!processes.has(pid)) processes.set(pid, { role, instance, pid: Number(pid), counters: {}, threads: {}, at: 0 });
    const p = processes.get(pid);
    if (name === 'thread_info') p.threads[thread] = Number(tid);
    else if (name === 'snapshot_timestamp_seconds') p.at = Number(value) * 1000;
    else {
      const rest = Object.entries(own).map(([k, v]) => `${k}="${v}"`);
      p.counters[rest.length ? `${name}{${rest.join(',')}}` : name] = Number(value);
    }
  }
  return processes;
}

/** Postgres processes now: each backend's pid, CPU and who it serves (ours by application_name, other clients, the server's own). */
async function postgresProcesses(client, appName) {
  const { rows } = await client.query(`SELECT pid, application_name, backend_type, backend_start FROM pg_stat_activity`);
  return rows.map((r) => ({
    pid: r.pid,
    group:
      r.backend_type !== 'client backend'
        ? 'postgres: server processes (WAL writer, checkpointer, autovacuum...)'
        : r.application_name.startsWith(`${appName}-`)
          ? `postgres: backends of ${r.application_name.slice(appName.length + 1)}`
          : 'postgres: other clients of the server',
    started: r.backend_start ? r.backend_start.getTime() : 0,
    cpu: cpuMs(r.pid),
  }));
}

/** INFO commandstats as {command: calls}, and the server's pid. */
async function redisStats(redis) {
  const text = await redis.info('commandstats');
  const calls = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[m[1]] = Number(m[2]);
  const server = await redis.info('server');
  return { calls, pid: Number(/process_id:(\d+)/.exec(server)?.[1]) };
}

/** What the CPU groups were at one moment: process and thread CPU times by label. */
function processCpu(platform, metrics) {
  const out = { 'load generator (this process)': cpuMs(process.pid), gateway: cpuMs(platform.processes.gateway) };
  const apps = [['api', platform.processes.api], ...platform.processes.workers.map((pid, i) => [`worker-${i + 1}`, pid])];
  for (const [name, pid] of apps) {
    out[`${name}: main thread`] = cpuMs(pid, pid);
    out[`${name}: whole process`] = cpuMs(pid);
    for (const [thread, tid] of Object.entries(metrics.get(String(pid))?.threads ?? {})) out[`${name}: ${thread} thread`] = cpuMs(pid, tid);
  }
  return out;
}

export class RunProbe {
  constructor(platform) {
    this.platform = platform;
    this.appName = platform.processes.applicationName;
  }

  async metrics(freshAfter) {
    for (let i = 0; ; i += 1) {
      const processes = parseMetrics(await (await fetch(`${this.platform.url}/metrics`)).text());
      const workers = [...processes.values()].filter((p) => p.role === 'worker');
      const fresh = workers.length >= this.platform.workers && workers.every((p) => p.at >= freshAfter);
      if (fresh || i > 50) return processes;
      await sleep(200);
    }
  }

  /** Marks the start of a window; call it while the platform is idle, right before the load. */
  async begin() {
    const url = new URL(this.platform.env.DATABASE_URL);
    url.searchParams.delete('schema');
    url.searchParams.set('application_name', `${this.appName}-probe`);
    this.db = new pg.Client({ connectionString: url.toString() });
    await this.db.connect();
    this.redis = createRedis(this.platform.env.REDIS_URL, 'producer', { enableOfflineQueue: true });
    await this.db.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect WITH SCHEMA public').catch(() => undefined);
    const t0 = Date.now();
    this.before = {
      metrics: await this.metrics(t0 + COUNTER_LAG_MS),
      own: pipelineCounters.snapshot().counters,
    };
    this.before.redis = await redisStats(this.redis);
    this.redisPid = this.platform.processes.redis.pid ?? this.before.redis.pid;
    this.before.redisCpu = cpuMs(this.redisPid);
    this.before.lsn = (await this.db.query('SELECT pg_current_wal_insert_lsn() AS lsn, now() AS at')).rows[0];
    this.before.cpu = processCpu(this.platform, this.before.metrics);
    this.before.postgres = await postgresProcesses(this.db, this.appName);
    this.before.machine = machineBusyMs();
    this.startedAt = performance.now();
    this.startedAtEpoch = Date.now();
    // Backends come and go (pools open and close connections): sample them every second.
    this.seen = new Map(this.before.postgres.map((p) => [p.pid, { group: p.group, first: p.cpu ?? 0, last: p.cpu ?? 0 }]));
    this.sampler = setInterval(() => void this.samplePostgres(), 1_000);
  }

  async samplePostgres() {
    for (const p of await postgresProcesses(this.db, this.appName).catch(() => [])) {
      const known = this.seen.get(p.pid);
      if (p.cpu === undefined) continue;
      if (known) known.last = p.cpu;
      // A backend started within the window spent all its CPU in it; one found late, since it was found.
      else this.seen.set(p.pid, { group: p.group, first: p.started >= this.startedAtEpoch ? 0 : p.cpu, last: p.cpu });
    }
  }

  /** Ends the window (right after the load is over) and gathers everything; see explain.js for what comes back. */
  async end() {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const machine = machineBusyMs() - this.before.machine;
    const cpuAfter = processCpu(this.platform, this.before.metrics);
    const redisCpu = cpuMs(this.redisPid);
    clearInterval(this.sampler);
    await this.samplePostgres();
    const lsn = (await this.db.query('SELECT pg_current_wal_insert_lsn() AS lsn, now() AS at')).rows[0];
    const redis = await redisStats(this.redis);
    const ownCounters = pipelineCounters.snapshot().counters;
    const cpu = {};
    for (const [label, after] of Object.entries(cpuAfter)) {
      const before = this.before.cpu[label];
      if (after !== undefined && before !== undefined) cpu[label] = after - before;
    }
    for (const p of this.seen.values()) cpu[p.group] = (cpu[p.group] ?? 0) + (p.last - p.first);
    if (redisCpu !== undefined && this.before.redisCpu !== undefined) {
      cpu[this.platform.processes.redis.private ? 'redis server' : 'redis server (shared with other clients)'] = redisCpu - this.before.redisCpu;
    }
    const after = await this.metrics(Date.now() + COUNTER_LAG_MS);
    const wal = await this.walByRelation(this.before.lsn.lsn, lsn.lsn).catch((error) => ({ error: error.message }));
    const uploads = await this.uploads(this.before.lsn.at, lsn.at);
    const result = {
      seconds,
      machineBusyMs: machine,
      cpu,
      counters: diffProcesses(this.before.metrics, after),
      loadGeneratorCounters: diff(this.before.own, ownCounters),
      redis: { private: this.platform.processes.redis.private, calls: diff(this.before.redis.calls, redis.calls) },
      wal: { serverBytes: Number((await this.db.query('SELECT pg_wal_lsn_diff($1, $2) AS d', [lsn.lsn, this.before.lsn.lsn])).rows[0].d), ...wal },
      uploads,
    };
    this.redis.disconnect();
    return result;
  }

  /** WAL by relation from the window's start until now (e.g. once the upload backlog drained: every item's whole lifecycle). */
  async walSinceBegin() {
    const { lsn } = (await this.db.query('SELECT pg_current_wal_insert_lsn() AS lsn')).rows[0];
    return this.walByRelation(this.before.lsn.lsn, lsn);
  }

  /** Closes the probe's connection (after end, and walSinceBegin if wanted). */
  async close() {
    await this.db.end();
  }

  /** WAL records and bytes (full-page images apart) written to the bench schema's tables, indexes and TOAST, and the commits of those transactions. */
  async walByRelation(from, to) {
    await this.db.query(`SET statement_timeout = '120s'`);
    const { rows } = await this.db.query(
      `WITH rels AS (
         SELECT c.relfilenode AS node, coalesce(t.relname, c.relname) AS tbl, CASE WHEN c.relkind = 'i' THEN c.relname ELSE 'heap' END AS part
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_index i ON i.indexrelid = c.oid LEFT JOIN pg_class t ON t.oid = i.indrelid
         WHERE n.nspname = $1 AND c.relfilenode <> 0
         UNION ALL
         SELECT x.relfilenode, c.relname, CASE WHEN x.relkind = 'i' THEN 'toast index' ELSE 'toast' END
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_class tt ON tt.oid = c.reltoastrelid
         JOIN pg_class x ON x.oid = tt.oid OR x.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = tt.oid)
         WHERE n.nspname = $1
       ), recs AS (
         SELECT xid, resource_manager AS rmgr, record_type AS type, record_length AS len, fpi_length AS fpi,
                regexp_match(block_ref, 'rel \\d+/(\\d+)/(\\d+)') AS ref
         FROM public.pg_get_wal_records_info($2::pg_lsn, least($3::pg_lsn, pg_current_wal_flush_lsn()))
       ), ours AS (
         SELECT r.*, rels.tbl, rels.part FROM recs r JOIN rels ON rels.node = r.ref[2]::oid
         WHERE r.ref[1]::oid = (SELECT oid FROM pg_database WHERE datname = current_database())
       )
       SELECT tbl, part, rmgr, type, count(*)::int AS records, sum(len)::bigint AS bytes, sum(fpi)::bigint AS fpi FROM ours GROUP BY 1, 2, 3, 4
       UNION ALL
       SELECT '(commits)', '', rmgr, type, count(*)::int, sum(len)::bigint, sum(fpi)::bigint FROM recs
       WHERE rmgr = 'Transaction' AND xid IN (SELECT DISTINCT xid FROM ours WHERE xid <> '0') GROUP BY rmgr, type`,
      [this.platform.processes.schema, from, to],
    );
    return { rows: rows.map((r) => ({ ...r, bytes: Number(r.bytes), fpi: Number(r.fpi) })) };
  }

  /** The upload outbox during the window (database clock): items stored, items posted and in how many bundles, and the backlog at its end. */
  async uploads(from, to) {
    const schema = this.platform.processes.schema;
    const { rows } = await this.db.query(
      `SELECT (SELECT count(*) FROM "${schema}".upload_outbox WHERE created_at > $1 AND created_at <= $2)::int AS stored,
              (SELECT count(*) FROM "${schema}".upload_outbox WHERE uploaded_at > $1 AND uploaded_at <= $2)::int AS posted,
              (SELECT count(DISTINCT bundle_id) FROM "${schema}".upload_outbox WHERE uploaded_at > $1 AND uploaded_at <= $2)::int AS bundles,
              (SELECT count(*) FROM "${schema}".upload_outbox WHERE created_at <= $2 AND (uploaded_at IS NULL OR uploaded_at > $2))::int AS backlog`,
      [from, to],
    );
    return rows[0];
  }
}

function diff(before, after) {
  const out = {};
  for (const [key, value] of Object.entries(after)) if (value - (before[key] ?? 0) !== 0) out[key] = value - (before[key] ?? 0);
  return out;
}

function diffProcesses(before, after) {
  return [...after.values()].map((p) => ({ role: p.role, pid: p.pid, counters: diff(before.get(String(p.pid))?.counters ?? {}, p.counters) }));
}
