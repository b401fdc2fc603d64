// Per-message figures from a probe's result (probe.js): CPU by OS process and thread, Postgres
// statements and WAL, Redis commands, BullMQ jobs, messages per evaluate job / crank / SU batch,
// uploads. `explain` answers the figures and a Markdown section that says them; docs/pipeline.md
// explains each line.

const sum = (values) => values.reduce((a, b) => a + (b ?? 0), 0);
const fmt = (x, digits = 2) => (x == null || !Number.isFinite(x) ? 'n/a' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }));

/** Sums counters whose key starts with `name` (all label values), or those matching `labels` (`queue="evaluate"`...). */
function total(counters, name, ...labels) {
  return sum(Object.entries(counters).filter(([k]) => (k === name || k.startsWith(`${name}{`)) && labels.every((l) => k.includes(l))).map(([, v]) => v));
}

/** The CPU lines in the order a reader follows the message: API, workers, Postgres, Redis, gateway, load generator. */
function cpuLines(cpu) {
  const lines = [];
  const apps = [...new Set(Object.keys(cpu).filter((k) => k.endsWith(': whole process')).map((k) => k.slice(0, -': whole process'.length)))];
  for (const app of apps) {
    const whole = cpu[`${app}: whole process`];
    const threads = Object.keys(cpu).filter((k) => k.startsWith(`${app}: `) && k.endsWith(' thread'));
    for (const t of threads) lines.push({ label: t, ms: cpu[t], budget: true });
    lines.push({ label: `${app}: other threads (GC, libuv pool, V8 compiler)`, ms: whole - sum(threads.map((t) => cpu[t])), budget: true });
  }
  for (const [label, ms] of Object.entries(cpu).filter(([k]) => k.startsWith('postgres: ')).sort()) {
    // The probe's own backend and other clients of a shared server are not the platform's.
    const ours = !label.endsWith('of probe') && !label.includes('other clients') && !label.endsWith('of bench');
    lines.push({ label, ms, budget: ours, note: label.endsWith('of bench') ? 'the load generator watching results' : undefined });
  }
  for (const label of Object.keys(cpu).filter((k) => k.startsWith('redis server'))) lines.push({ label, ms: cpu[label], budget: true });
  lines.push({ label: 'gateway (arlocal, embedded)', ms: cpu.gateway, budget: true });
  lines.push({ label: 'load generator (this process)', ms: cpu['load generator (this process)'], budget: false });
  return lines;
}

/**
 * Figures per user message for a run of `messages` messages, and a Markdown section (`title`).
 * CPU budget: everything of the platform, the gateway, Postgres and Redis, without the load
 * generator (and its backend), the probe, and other clients of a shared Postgres.
 */
export function explain(title, result, messages) {
  const per = (x) => x / messages;
  const lines = cpuLines(result.cpu);
  const budget = sum(lines.filter((l) => l.budget).map((l) => l.ms));
  const ours = sum(lines.map((l) => l.ms));
  const api = result.counters.filter((p) => p.role === 'api');
  const workers = result.counters.filter((p) => p.role === 'worker');
  const all = (list) => list.reduce((acc, p) => {
    for (const [k, v] of Object.entries(p.counters)) acc[k] = (acc[k] ?? 0) + v;
    return acc;
  }, {});
  const a = all(api);
  const w = all(workers);
  const both = all(result.counters);
  const redisExecuted = sum(Object.values(result.redis.calls));
  const scriptCalls = (result.redis.calls.evalsha ?? 0) + (result.redis.calls.eval ?? 0);
  const walRows = result.wal.rows ?? [];
  const wal = { records: sum(walRows.map((r) => r.records)), bytes: sum(walRows.map((r) => r.bytes)), fpi: sum(walRows.map((r) => r.fpi)) };
  const evaluateJobs = total(w, 'jobs_total', 'queue="evaluate"', 'outcome="completed"');
  const figures = {
    messages,
    seconds: result.seconds,
    rate: messages / result.seconds,
    cpuMsPerMessage: per(budget),
    cpu: Object.fromEntries(lines.map((l) => [l.label, per(l.ms)])),
    machineOthersMsPerMessage: per(result.machineBusyMs - ours),
    statementsPerMessage: { api: per(total(a, 'db_statements_total')), workers: per(total(w, 'db_statements_total')), loadGenerator: per(total(result.loadGeneratorCounters, 'db_statements_total')) },
    walPerMessage: { records: per(wal.records), bytes: per(wal.bytes), fpiBytes: per(wal.fpi), serverBytes: per(result.wal.serverBytes) },
    redisPerMessage: { sentByApi: per(total(a, 'redis_commands_total')), sentByWorkers: per(total(w, 'redis_commands_total')), executed: per(redisExecuted), scriptCalls: per(scriptCalls) },
    jobsPerMessage: Object.fromEntries(['evaluate', 'push', 'upload', 'cron'].map((q) => [q, per(total(w, 'jobs_total', `queue="${q}"`))])),
    evaluateJobsPerMessage: Object.fromEntries(['completed', 'delayed', 'failed'].map((o) => [o, per(total(w, 'jobs_total', 'queue="evaluate"', `outcome="${o}"`))])),
    kicksPerMessage: Object.fromEntries(['evaluate', 'push', 'upload'].map((q) => [q, per(total(both, 'kicks_total', `queue="${q}"`))])),
    messagesPerEvaluateJob: total(w, 'evaluated_messages_total') / evaluateJobs,
    passesPerEvaluateJob: total(w, 'evaluate_passes_total') / evaluateJobs,
    messagesPerEvaluatePass: total(w, 'evaluated_messages_total') / total(w, 'evaluate_passes_total'),
    processesPerEvaluatePass: total(w, 'evaluate_pass_processes_total') / total(w, 'evaluate_passes_total'),
    resultsPerCrank: total(w, 'cranked_results_total') / total(w, 'crank_rounds_total'),
    slotsPerSuBatch: { api: total(a, 'su_batch_slots_total') / total(a, 'su_batches_total'), workers: total(w, 'su_batch_slots_total') / total(w, 'su_batches_total') },
    suBatchesPerMessage: { api: per(total(a, 'su_batches_total')), workers: per(total(w, 'su_batches_total')) },
    groupWrites: Object.fromEntries(
      ['cu-commit', 'crank-finish', 'wallet-items'].map((kind) => [
        kind,
        { perMessage: per(total(both, 'group_writes_total', `kind="${kind}"`)), entriesPerStatement: total(both, 'group_write_entries_total', `kind="${kind}"`) / total(both, 'group_writes_total', `kind="${kind}"`) },
      ]),
    ),
    uploads: { storedPerMessage: per(result.uploads.stored), postedPerMessage: per(result.uploads.posted), itemsPerBundle: result.uploads.posted / result.uploads.bundles, backlogAtEnd: result.uploads.backlog },
  };
  return { figures, markdown: markdown(title, result, figures, lines, walRows, messages) };
}

function markdown(title, result, f, lines, walRows, messages) {
  const out = [];
  out.push(`### ${title}`, '');
  out.push(
    `${fmt(messages, 0)} messages in ${fmt(result.seconds, 1)} s (${fmt(f.rate, 1)} msg/s). **CPU per message: ${fmt(f.cpuMsPerMessage)} ms** (platform, Postgres, Redis and gateway; the load generator, the probe and other clients of the servers apart). Other work on the machine meanwhile: ${fmt(f.machineOthersMsPerMessage)} ms per message${result.redis.private ? '' : '; Redis was the shared server (its figures include other clients)'}.`,
    '',
  );
  out.push('| where (OS process: thread) | CPU ms/msg | share of budget |', '|---|---|---|');
  for (const l of lines) out.push(`| ${l.label}${l.note ? ` (${l.note})` : ''} | ${fmt(l.ms / messages)} | ${l.budget ? `${fmt((100 * l.ms) / messages / f.cpuMsPerMessage, 0)}%` : 'not counted'} |`);
  const group = (prefix) => sum(lines.filter((l) => l.budget && l.label.startsWith(prefix)).map((l) => l.ms)) / messages;
  const apps = [...new Set(lines.filter((l) => l.budget && !l.label.startsWith('postgres') && l.label.includes(': ')).map((l) => l.label.split(':')[0]))];
  out.push(`| **total** (${[...apps.map((a) => `${a} ${fmt(group(`${a}:`))}`), `postgres ${fmt(group('postgres'))}`, `redis ${fmt(group('redis'))}`, `gateway ${fmt(group('gateway'))}`].join(', ')}) | **${fmt(f.cpuMsPerMessage)}** | 100% |`);
  out.push('', '| per user message | figure |', '|---|---|');
  const s = f.statementsPerMessage;
  out.push(`| Postgres statements sent (API / workers; load generator) | ${fmt(s.api + s.workers)} (${fmt(s.api)} / ${fmt(s.workers)}; ${fmt(s.loadGenerator)}) |`);
  const wal = f.walPerMessage;
  out.push(
    `| WAL to the platform's tables: records / bytes (of which full-page images) | ${fmt(wal.records, 1)} / ${fmt(wal.bytes, 0)} B (${fmt(wal.fpiBytes, 0)} B)${result.wal.error ? ` — n/a: ${result.wal.error}` : ''} |`,
    `| WAL of the whole server (includes other databases' writes) | ${fmt(wal.serverBytes, 0)} B |`,
  );
  const r = f.redisPerMessage;
  out.push(
    `| Redis commands sent (API / workers; a script call counts once) | ${fmt(r.sentByApi + r.sentByWorkers)} (${fmt(r.sentByApi)} / ${fmt(r.sentByWorkers)}) |`,
    `| Redis commands executed by the server (INFO commandstats; script calls ${fmt(r.scriptCalls)}, the commands they run counted too) | ${fmt(r.executed)} |`,
  );
  const e = f.evaluateJobsPerMessage;
  out.push(`| BullMQ jobs processed: evaluate (completed / delayed: process locked / failed) / push / upload | ${fmt(f.jobsPerMessage.evaluate)} (${fmt(e.completed)} / ${fmt(e.delayed)} / ${fmt(e.failed)}) / ${fmt(f.jobsPerMessage.push)} / ${fmt(f.jobsPerMessage.upload)} |`);
  out.push(`| kicks (jobs asked for): evaluate / push / upload | ${fmt(f.kicksPerMessage.evaluate)} / ${fmt(f.kicksPerMessage.push)} / ${fmt(f.kicksPerMessage.upload)} |`);
  out.push(`| SU batches: at ingress (API) / of crank deliveries (workers) | ${fmt(f.suBatchesPerMessage.api)} / ${fmt(f.suBatchesPerMessage.workers)} |`);
  for (const [kind, g] of Object.entries(f.groupWrites)) out.push(`| grouped writes ${kind} | ${fmt(g.perMessage)} |`);
  out.push(`| upload outbox: items stored / items posted to the gateway | ${fmt(f.uploads.storedPerMessage)} / ${fmt(f.uploads.postedPerMessage)} |`);
  out.push('', '| batching | figure |', '|---|---|');
  out.push(`| messages per evaluate job (passes per job) | ${fmt(f.messagesPerEvaluateJob)} (${fmt(f.passesPerEvaluateJob)}) |`);
  out.push(`| messages per evaluate pass (processes per pass) | ${fmt(f.messagesPerEvaluatePass)} (${fmt(f.processesPerEvaluatePass)}) |`);
  out.push(`| results per crank round | ${fmt(f.resultsPerCrank)} |`);
  out.push(`| log entries per SU batch: at ingress / of crank deliveries | ${fmt(f.slotsPerSuBatch.api)} / ${fmt(f.slotsPerSuBatch.workers)} |`);
  for (const [kind, g] of Object.entries(f.groupWrites)) out.push(`| writes per grouped ${kind} statement | ${fmt(g.entriesPerStatement)} |`);
  out.push(`| items per bundle posted; upload backlog at the end | ${fmt(f.uploads.itemsPerBundle, 1)}; ${fmt(f.uploads.backlogAtEnd, 0)} items |`);
  if (walRows.length) out.push('', ...walTable(walRows, messages));
  const top = Object.entries(result.redis.calls).sort((x, y) => y[1] - x[1]).slice(0, 8);
  if (top.length) out.push('', `Redis commands executed per message, most frequent: ${top.map(([c, n]) => `${c} ${fmt(n / messages)}`).join(', ')}.`);
  return out.join('\n');
}

/** The WAL by table and index (heap, each index, TOAST) per message, largest first, as Markdown lines. */
export function walTable(walRows, messages) {
  const out = ['| WAL by table (heap, each index, TOAST) | records/msg | bytes/msg | of which FPI | record types |', '|---|---|---|---|---|'];
  const byPart = new Map();
  for (const row of walRows) {
    const key = `${row.tbl}${row.part && row.part !== 'heap' ? ` · ${row.part}` : ''}`;
    const e = byPart.get(key) ?? { records: 0, bytes: 0, fpi: 0, types: new Map() };
    e.records += row.records;
    e.bytes += row.bytes;
    e.fpi += row.fpi;
    e.types.set(`${row.rmgr}/${row.type}`, (e.types.get(`${row.rmgr}/${row.type}`) ?? 0) + row.records);
    byPart.set(key, e);
  }
  for (const [key, e] of [...byPart].sort((x, y) => y[1].bytes - x[1].bytes)) {
    const types = [...e.types].sort((x, y) => y[1] - x[1]).map(([t, n]) => `${t} ${fmt(n / messages)}`).join(', ');
    out.push(`| ${key} | ${fmt(e.records / messages)} | ${fmt(e.bytes / messages, 0)} | ${fmt(e.fpi / messages, 0)} | ${types} |`);
  }
  const total = (k) => walRows.reduce((n, r) => n + r[k], 0) / messages;
  out.push(`| **total** | **${fmt(total('records'), 1)}** | **${fmt(total('bytes'), 0)}** | ${fmt(total('fpi'), 0)} | |`);
  return out;
}
