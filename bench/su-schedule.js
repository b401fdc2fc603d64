// su-schedule: signed items through the real Scheduler (parse, verify, lock the process's head,
// sign the assignment, store both) into PostgreSQL (PrismaSchedulerStore), from concurrent
// clients: spread over 100 processes, then all on one hot process. Items are verified as the API
// does: on ITEM_VERIFY_THREADS worker threads (its default unless set). Then the same through HTTP:
// POST /su/ to the API process, as an ao client schedules. Anchor: verifyDataItem alone.
import { Ed25519ItemSigner, Scheduler, createDataItem, parseDataItem, verifyDataItem } from '@ao/core';
import { PrismaSchedulerStore, createItemVerifier, createPrismaClient, parseEnv } from '@ao/infra';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { aoTags, benchStorage, httpRequest, mainIfScript, percentile, randomAnchor, repeat, row, summarize, transferTags } from './lib.js';
import { startPlatform } from './platform.js';

const PROCESSES = 100;
const USERS = 10;
const CLIENTS = 32;
// 32 clients in a closed loop measure latency as much as capacity (each waits for its answer); at
// this many the batches fill up and the SU's own ceiling shows.
const SATURATION_CLIENTS = 128;

const signer = () => new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);

/** `count` signed Transfers, to the given processes in turn, from the users in turn. */
async function messages(users, targets, count) {
  const out = [];
  for (let k = 0; k < count; k += 1) {
    const item = await createDataItem(
      { data: '', target: targets[k % targets.length], anchor: randomAnchor(), tags: transferTags(users[(k + 1) % users.length].address, 1) },
      users[k % users.length],
    );
    out.push(item.raw);
  }
  return out;
}

/**
 * `clients` concurrent clients each send their next raw item with `send` once their previous one is
 * answered (a closed loop); the rate and the latency percentiles of the answers.
 */
async function closedLoopOf(send, raws, clients) {
  const latencies = new Array(raws.length);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (next < raws.length) {
        const i = next++;
        const t0 = performance.now();
        await send(raws[i], client);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { rate: raws.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** The closed loop on the Scheduler in this process. */
function closedLoop(scheduler, raws, clients = CLIENTS) {
  return closedLoopOf(
    async (raw) => {
      const r = await scheduler.schedule(raw);
      if (!r.created) throw new Error(`item ${r.id} was already scheduled`);
    },
    raws,
    clients,
  );
}

// The HTTP clients share the 2 cores with the API, and whatever CPU they spend the API does not get:
// fetch (undici through web streams) cost about as much per request as the API spent answering it,
// node:http on keep-alive sockets ~150 us a request (about a third of the API's ~500 us), a minimal
// HTTP/1.1 client on plain sockets (rawHttpConnection, as wrk or autocannon) ~45 us. The closed loop
// posts with the last; BENCH_SU_HTTP_CLIENT=node:http or =fetch measures with the others.
const HTTP_CLIENT = ['fetch', 'node:http'].includes(process.env.BENCH_SU_HTTP_CLIENT) ? process.env.BENCH_SU_HTTP_CLIENT : 'raw';

/**
 * A keep-alive connection that posts one raw item at a time (head and body in one write) and reads
 * the answer by its content-length, as load generators such as wrk do, without node:http's agent,
 * parser, streams and header objects.
 */
function rawHttpConnection(url) {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), noDelay: true });
  let waiting;
  let buffer = Buffer.alloc(0);
  const fail = (error) => {
    const w = waiting;
    waiting = undefined;
    w?.reject(error);
  };
  socket.on('data', (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    const end = buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = buffer.toString('latin1', 0, end);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    if (length === undefined) return fail(new Error(`an answer without content-length: ${head}`));
    const bodyEnd = end + 4 + Number(length);
    if (buffer.length < bodyEnd) return;
    const w = waiting;
    waiting = undefined;
    w?.resolve({ status: Number(head.slice(9, 12)), text: buffer.toString('utf8', end + 4, bodyEnd) });
    buffer = buffer.subarray(bodyEnd);
  });
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('the connection closed')));
  return {
    post(path, body) {
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        const head = `POST ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`;
        socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
      });
    },
    close: () => socket.destroy(),
  };
}

/** The same through the API process: `POST /su/` with each raw item; a non-2xx answer fails the run. */
async function closedLoopHttp(url, raws, clients) {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const connections = HTTP_CLIENT === 'raw' ? Array.from({ length: clients }, () => rawHttpConnection(url)) : [];
  const post =
    HTTP_CLIENT === 'fetch'
      ? async (raw) => {
          const res = await fetch(`${url}/su/`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: raw });
          return { status: res.status, text: await res.text() };
        }
      : HTTP_CLIENT === 'raw'
        ? (raw, client) => connections[client].post('/su/', raw)
        : (raw) => httpRequest(agent, `${url}/su/`, { method: 'POST', body: raw });
  try {
    return await closedLoopOf(
      async (raw, client) => {
        const res = await post(raw, client);
        if (res.status < 200 || res.status > 299) throw new Error(`POST /su/ answered ${res.status}: ${res.text.slice(0, 200)}`);
      },
      raws,
      clients,
    );
  } finally {
    agent.destroy();
    for (const c of connections) c.close();
  }
}

/**
 * `POST /su/` over HTTP to the API process (`npm run api`, with its own SU wallet, verify threads
 * and pg pool), from `clients` concurrent clients in this process: what an ao client sees.
 */
async function overHttp({ runs, count, clients, log }) {
  const platform = await startPlatform(log, { workers: 0 });
  try {
    const info = await (await fetch(`${platform.url}/info`)).json();
    const su = info.scheduler.address;
    const users = Array.from({ length: USERS }, signer);
    const processIds = [];
    for (let i = 0; i < PROCESSES; i += 1) {
      const p = await createDataItem(
        { data: 'bench', anchor: randomAnchor(), tags: [...aoTags('Process'), { name: 'Module', value: 'M'.repeat(43) }, { name: 'Scheduler', value: su }] },
        users[i % USERS],
      );
      const res = await fetch(`${platform.url}/su/`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: p.raw });
      if (!res.ok) throw new Error(`spawn refused: ${res.status} ${await res.text()}`);
      processIds.push(p.id);
    }
    // Warm-up as long as a run: after 200 items the first run was still the slowest of the three in
    // each of five runs of this bench (the API's JIT and Postgres's plans and caches still settling).
    await closedLoopHttp(platform.url, await messages(users, processIds, count), clients);
    const batches = [];
    for (let r = 0; r < runs; r += 1) batches.push(await messages(users, processIds, count));
    log(`POST /su/ over HTTP, ${PROCESSES} processes: ${runs} runs of ${count} items, ${clients} clients`);
    return await repeat(runs, (i) => closedLoopHttp(platform.url, batches[i], clients), { log });
  } finally {
    await platform.stop();
  }
}

/** The anchor: verifyDataItem alone over parsed items on this thread, items/s per run. */
async function verifyAnchor(parsed, runs, log) {
  log('anchor: verifyDataItem alone');
  const rates = await repeat(runs, async () => {
    const started = performance.now();
    for (const item of parsed) if (!(await verifyDataItem(item))) throw new Error('an item did not verify');
    return parsed.length / ((performance.now() - started) / 1000);
  });
  return summarize(rates);
}

/** The rows of the HTTP part (beside the anchor when the in-process part measured it). */
function httpRows(http, anchor = {}) {
  const pick = (key) => summarize(http.map((r) => r[key]));
  return [
    row(`su-schedule: POST /su/ over HTTP, ${PROCESSES} processes, ${SATURATION_CLIENTS} clients`, pick('rate'), 'msg/s', {
      ...anchor,
      note: `the API process (npm run api: its SU wallet, ITEM_VERIFY_THREADS default, pg pool) answering POST /su/ with the raw items, ${SATURATION_CLIENTS} closed-loop HTTP clients (${HTTP_CLIENT === 'raw' ? 'minimal HTTP/1.1 on plain sockets' : HTTP_CLIENT}, keep-alive) in the bench process on the same cores; latency = POST to its {timestamp, id} answer`,
    }),
    row(`su-schedule: POST /su/ over HTTP, latency p50`, pick('p50'), 'ms'),
    row(`su-schedule: POST /su/ over HTTP, latency p99`, pick('p99'), 'ms'),
  ];
}

export const bench = {
  name: 'su-schedule',
  async run({ quick, log }) {
    const runs = quick ? 1 : 3;
    const spreadCount = quick ? 300 : 3_000;
    const hotCount = quick ? 200 : 1_500;
    // BENCH_SU_ONLY=http|in-process runs one part (e.g. to profile the API alone).
    const only = process.env.BENCH_SU_ONLY;
    if (only === 'http') {
      const http = await overHttp({ runs, count: spreadCount, clients: SATURATION_CLIENTS, log });
      // The anchor of this run too (on items of the same kind), so HTTP-only runs compare across a noisy machine.
      const users = Array.from({ length: USERS }, signer);
      const targets = Array.from({ length: PROCESSES }, () => randomBytes(32).toString('base64url'));
      const verify = await verifyAnchor((await messages(users, targets, spreadCount)).map((raw) => parseDataItem(raw)), runs, log);
      const anchor = { anchor: 'verifyDataItem alone (1 core)', anchorFigure: verify };
      return { rows: httpRows(http, anchor), details: { runs, spreadCount, httpClient: HTTP_CLIENT, saturationClients: SATURATION_CLIENTS, http, verify } };
    }
    const storage = await benchStorage();
    const prisma = createPrismaClient(storage.databaseUrl);
    const threads = parseEnv({ ITEM_VERIFY_THREADS: process.env.ITEM_VERIFY_THREADS }).ITEM_VERIFY_THREADS;
    const verifier = createItemVerifier(threads);
    let store;
    try {
      const su = signer();
      const users = Array.from({ length: USERS }, signer);
      store = new PrismaSchedulerStore(prisma, { databaseUrl: storage.databaseUrl });
      const scheduler = new Scheduler({
        store,
        signer: su,
        clock: { now: () => Date.now() },
        heights: { blockHeight: async () => 1_000_000 },
        verifier,
      });
      log(`creating ${PROCESSES} processes in schema bench_${storage.id}`);
      const processIds = [];
      for (let i = 0; i < PROCESSES; i += 1) {
        const p = await createDataItem(
          { data: 'bench', anchor: randomAnchor(), tags: [...aoTags('Process'), { name: 'Module', value: 'M'.repeat(43) }, { name: 'Scheduler', value: su.address }] },
          users[i % USERS],
        );
        await scheduler.schedule(p.raw);
        processIds.push(p.id);
      }
      log(`signing ${runs} × (${spreadCount} + ${hotCount}) items`);
      const spreadItems = [];
      const hotItems = [];
      const saturationItems = [];
      for (let r = 0; r < runs + 1; r += 1) {
        spreadItems.push(await messages(users, processIds, r === 0 ? 100 : spreadCount));
        hotItems.push(await messages(users, [processIds[0]], r === 0 ? 50 : hotCount));
        if (r > 0) saturationItems.push(await messages(users, processIds, spreadCount));
      }
      // Warm-up (connections, JIT), not recorded.
      await closedLoop(scheduler, spreadItems[0]);
      await closedLoop(scheduler, hotItems[0]);

      log(`${PROCESSES} processes: ${runs} runs of ${spreadCount} items, ${CLIENTS} clients`);
      const spread = await repeat(runs, (i) => closedLoop(scheduler, spreadItems[i + 1]), { log });
      log(`one hot process: ${runs} runs of ${hotCount} items, ${CLIENTS} clients`);
      const hot = await repeat(runs, (i) => closedLoop(scheduler, hotItems[i + 1]), { log });
      log(`${PROCESSES} processes, saturation: ${runs} runs of ${spreadCount} items, ${SATURATION_CLIENTS} clients`);
      const saturation = await repeat(runs, (i) => closedLoop(scheduler, saturationItems[i], SATURATION_CLIENTS), { log });

      const http = only === 'in-process' ? [] : await overHttp({ runs, count: spreadCount, clients: SATURATION_CLIENTS, log });

      const verify = await verifyAnchor(spreadItems.slice(1).flat().map((raw) => parseDataItem(raw)), runs, log);
      const anchor = { anchor: 'verifyDataItem alone (1 core)', anchorFigure: verify };
      const pick = (list, key) => summarize(list.map((r) => r[key]));
      const note = `Ed25519 items and SU wallet; ${CLIENTS} concurrent clients (closed loop); Scheduler.schedule = parse + verify (ITEM_VERIFY_THREADS=${threads}${threads === 0 ? ', on the event loop' : ' worker threads'}) + row-locked append + signed assignment; PrismaSchedulerStore, appends on a pg pool of 10 connections`;
      return {
        rows: [
          row(`su-schedule: ${PROCESSES} processes`, pick(spread, 'rate'), 'msg/s', { ...anchor, note }),
          row(`su-schedule: ${PROCESSES} processes, latency p50`, pick(spread, 'p50'), 'ms'),
          row(`su-schedule: ${PROCESSES} processes, latency p99`, pick(spread, 'p99'), 'ms'),
          row('su-schedule: 1 hot process', pick(hot, 'rate'), 'msg/s', anchor),
          row('su-schedule: 1 hot process, latency p50', pick(hot, 'p50'), 'ms'),
          row('su-schedule: 1 hot process, latency p99', pick(hot, 'p99'), 'ms'),
          row(`su-schedule: ${PROCESSES} processes, ${SATURATION_CLIENTS} clients`, pick(saturation, 'rate'), 'msg/s', {
            ...anchor,
            note: `the same with ${SATURATION_CLIENTS} concurrent clients: batches fill up, the figure is the SU's capacity rather than ${CLIENTS} clients' round trips`,
          }),
          row(`su-schedule: ${PROCESSES} processes, ${SATURATION_CLIENTS} clients, latency p50`, pick(saturation, 'p50'), 'ms'),
          ...(http.length > 0 ? httpRows(http, anchor) : []),
        ],
        details: { runs, spreadCount, hotCount, clients: CLIENTS, verifyThreads: threads, httpClient: HTTP_CLIENT, saturationClients: SATURATION_CLIENTS, spread, hot, saturation, http, verify },
      };
    } finally {
      await verifier.close();
      await store?.onApplicationShutdown();
      await prisma.$disconnect();
      await storage.cleanup();
    }
  },
};

await mainIfScript(import.meta, bench);
