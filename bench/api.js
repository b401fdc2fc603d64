// api: the platform API under load, beside a bare Nest route of the same API process (GET /su/,
// no database) measured in the same run. Figures: requests/s and p99 of GET /api/agents over
// 1,000 agents, of GET /api/strategies with live figures (over 50 strategies and 20,000 projected
// events), the latency of POST /api/agents (a real spawn: sign, schedule, boot, subscribe), and
// the SSE fan-out: N feed connections on one agent's topic, time from the event's result commit
// to the last client receiving it.
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Prisma } from '@ao/infra';
import { mainIfScript, percentile, row, sleep, summarize } from './lib.js';
import { startPlatform } from './platform.js';

const ADMIN = { email: 'bench-admin@example.com', password: 'bench admin password' };

/** One HTTP request on a keep-alive agent; resolves with status and body text. */
function call(agent, url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

/** `concurrency` clients looping on `url` for `seconds`: requests/s and latency percentiles (ms). */
async function load(agent, url, headers, seconds, concurrency) {
  const latencies = [];
  const deadline = performance.now() + seconds * 1000;
  let failures = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const res = await call(agent, url, { headers });
        latencies.push(performance.now() - t0);
        if (res.status !== 200) failures += 1;
      }
    }),
  );
  if (failures) throw new Error(`${url}: ${failures} answers were not 200`);
  return { rps: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Opens `n` feed connections; each resolves events into `onEvent(clientIndex, id, receivedAt)`. */
async function openFeeds(url, headers, n, onEvent) {
  const agent = new Agent({ keepAlive: true, maxSockets: n + 10 });
  const requests = [];
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      new Promise((resolve, reject) => {
        const req = request(`${url}/api/feed`, { agent, headers: { ...headers, accept: 'text/event-stream' } }, (res) => {
          if (res.statusCode !== 200) return reject(new Error(`feed answered ${res.statusCode}`));
          res.setEncoding('utf8');
          let buffer = '';
          res.on('data', (d) => {
            if (buffer === '' && d.startsWith('retry:')) resolve();
            buffer += d;
            let end;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const id = /^id: (\d+)$/m.exec(block)?.[1];
              if (id) onEvent(i, id, Date.now());
            }
          });
        });
        req.on('error', reject);
        req.end();
        requests.push(req);
      }),
    ),
  );
  return () => {
    for (const r of requests) r.destroy();
    agent.destroy();
  };
}

export const bench = {
  name: 'api',
  async run({ quick, log }) {
    const seconds = quick ? 2 : 8;
    const concurrency = 16;
    const subscribers = quick ? 200 : 1000;
    const events = quick ? 3 : 10;
    const creates = quick ? 3 : 10;
    const platform = await startPlatform(log, { vars: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, RATE_LIMIT_PER_KEY: '100000000', RATE_LIMIT_PER_IP: '100000000', FEED_HEARTBEAT_MS: '15000' } });
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const url = platform.url;
    try {
      const admin = { authorization: `Bearer ${platform.adminToken}` };
      // A trader with an API key (login → key, as a script would).
      const json = async (res) => (res.status < 300 ? JSON.parse(res.text || 'null') : Promise.reject(new Error(`${res.status} ${res.text}`)));
      await json(await call(agent, `${url}/api/users`, { method: 'POST', headers: admin, body: { email: 'bench-trader@example.com', password: 'bench trader password', role: 'trader' } }));
      const traderUser = await platform.prisma.user.findUniqueOrThrow({ where: { email: 'bench-trader@example.com' } });

      // Real agents: creates timed one by one (a spawn each).
      await waitModules(agent, url);
      const createMs = [];
      let verifier;
      for (let i = 0; i < creates; i += 1) {
        const t0 = performance.now();
        verifier = await json(await call(agent, `${url}/api/agents`, { method: 'POST', headers: admin, body: { blueprint: 'media-verifier', name: `bench-verifier-${i}` } }));
        createMs.push(performance.now() - t0);
      }
      log(`created ${creates} agents: median ${summarize(createMs).median.toFixed(0)} ms`);
      await json(await call(agent, `${url}/api/agents/${verifier.id}/start`, { method: 'POST', headers: admin }));

      // 1,000 agent rows for the list, 50 strategies and 20,000 events for the figures (read models only).
      const seeded = Array.from({ length: 1000 - creates }, (_, i) => ({ id: uuid7(Date.now() - i), name: `seed-${i}`, blueprint: i % 2 ? 'token' : 'media-verifier', blueprintVersion: '1.0.0', status: ['draft', 'running', 'paused', 'killed'][i % 4], config: {}, processId: `seed${String(i).padStart(39, '0')}`, createdBy: 'bench' }));
      await platform.prisma.agent.createMany({ data: seeded });
      await platform.prisma.strategy.createMany({ data: seeded.slice(0, 49).map((a) => ({ id: randomUUID(), agentId: a.id, title: a.name, description: 'seeded', topics: ['verifications', 'status'], publishedBy: 'bench' })) });
      const verdicts = ['original', 'identical', 'near-duplicate', 'low-detail'];
      for (let chunk = 0; chunk < 20; chunk += 1) {
        await platform.prisma.agentEvent.createMany({
          data: Array.from({ length: 1000 }, (_, j) => {
            const k = chunk * 1000 + j;
            const a = seeded[k % 49];
            return { processId: a.processId, eventSeq: BigInt(Math.floor(k / 49) + 1), topic: k % 5 ? 'verifications' : 'status', messageId: 'M'.repeat(43), nonce: BigInt(k), payload: k % 5 ? { verdict: verdicts[k % 4] } : { status: 'Running' } };
          }),
        });
      }
      // The trader's strategy: the started verifier's config topic.
      const strategy = await json(await call(agent, `${url}/api/strategies`, { method: 'POST', headers: admin, body: { agentId: verifier.id, title: 'bench', description: 'bench', topics: ['config'] } }));
      await platform.prisma.subscription.create({ data: { id: randomUUID(), userId: traderUser.id, strategyId: strategy.id, processId: verifier.processId, subscriber: traderUser.aoAddress, topics: ['config'], messageId: 'M'.repeat(43), status: 'active' } });

      // A key for the trader's feeds (the API hashes it; created directly like any seed).
      const traderKey = await traderApiKey(agent, url);

      log('bare route');
      const bare = [];
      const agents = [];
      const strategies = [];
      for (let r = 0; r < 3; r += 1) {
        bare.push(await load(agent, `${url}/su/`, {}, seconds, concurrency));
        agents.push(await load(agent, `${url}/api/agents?limit=50`, admin, seconds, concurrency));
        strategies.push(await load(agent, `${url}/api/strategies`, admin, seconds, concurrency));
      }
      log(`bare ${bare[0].rps.toFixed(0)}/s, agents ${agents[0].rps.toFixed(0)}/s, strategies ${strategies[0].rps.toFixed(0)}/s`);

      // SSE fan-out: every client receives each event; latency from the result's commit.
      const received = new Map();
      const close = await openFeeds(url, traderKey, subscribers, (i, id, at) => {
        const list = received.get(id) ?? [];
        list.push(at);
        received.set(id, list);
      });
      log(`${subscribers} feeds open`);
      const fanout = [];
      const lastClient = [];
      for (let e = 0; e < events; e += 1) {
        const patched = await json(await call(agent, `${url}/api/agents/${verifier.id}/config`, { method: 'PATCH', headers: admin, body: { config: { nearDuplicateMaxDistance: e % 16 } } }));
        const [{ created_at: committed }] = await platform.prisma.$queryRaw(Prisma.sql`SELECT created_at FROM results WHERE message_id = ${patched.messageId}`);
        const deadline = Date.now() + 30_000;
        let id;
        while (Date.now() < deadline) {
          id = [...received.keys()].find((k) => !fanout.some((f) => f.id === k));
          if (id && received.get(id).length >= subscribers) break;
          await sleep(20);
        }
        const times = received.get(id) ?? [];
        if (times.length < subscribers) throw new Error(`event ${id}: ${times.length} of ${subscribers} clients received it`);
        const latencies = times.map((t) => t - committed.getTime());
        fanout.push({ id, latencies });
        lastClient.push(Math.max(...latencies));
      }
      close();
      const all = fanout.flatMap((f) => f.latencies);
      const bareSummary = summarize(bare.map((b) => b.rps));
      return {
        rows: [
          row('api: GET /api/agents (1,000 agents, page of 50)', summarize(agents.map((a) => a.rps)), 'req/s', { anchor: 'bare Nest route GET /su/ (same API process)', anchorFigure: bareSummary, note: `p99 ${summarize(agents.map((a) => a.p99)).median.toFixed(1)} ms vs bare ${summarize(bare.map((b) => b.p99)).median.toFixed(1)} ms; ${concurrency} clients, ${seconds} s × 3; target ≥ 0.5× the bare route` }),
          row('api: GET /api/strategies (50, live figures over 20,000 events)', summarize(strategies.map((a) => a.rps)), 'req/s', { anchor: 'bare Nest route GET /su/', anchorFigure: bareSummary, note: `p99 ${summarize(strategies.map((a) => a.p99)).median.toFixed(1)} ms` }),
          row('api: POST /api/agents (spawn, boot, subscribe)', summarize(createMs), 'ms', { anchor: 'bare route p50 latency', anchorFigure: summarize(bare.map((b) => b.p50)) }),
          row(`api: SSE fan-out p99, ${subscribers} clients (result commit → client)`, summarize([percentile(all, 99)]), 'ms', { anchor: 'bare route p99 latency', anchorFigure: summarize(bare.map((b) => b.p99)), note: `p50 ${percentile(all, 50).toFixed(1)} ms; last client per event median ${summarize(lastClient).median.toFixed(1)} ms over ${events} events; target p99 ≤ 200 ms` }),
        ],
      };
    } finally {
      agent.destroy();
      await platform.stop();
    }
  },
};

async function waitModules(agent, url) {
  for (let i = 0; i < 300; i += 1) {
    const res = await call(agent, `${url}/info`);
    if (res.status === 200 && JSON.parse(res.text).modules['media-codec']) return;
    await sleep(200);
  }
  throw new Error('modules not published');
}

/** Logs the bench trader in and creates an API key: its Authorization header. */
async function traderApiKey(agent, url) {
  const login = await new Promise((resolve, reject) => {
    const req = request(`${url}/api/auth/login`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ cookie: String(res.headers['set-cookie']?.[0] ?? '').split(';')[0], body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ email: 'bench-trader@example.com', password: 'bench trader password' }));
  });
  const res = await call(agent, `${url}/api/keys`, { method: 'POST', headers: { cookie: login.cookie, 'x-csrf-token': login.body.csrfToken }, body: { name: 'bench' } });
  return { authorization: `Bearer ${JSON.parse(res.text).secret}` };
}

function uuid7(ms) {
  const hex = ms.toString(16).padStart(12, '0') + randomUUID().replace(/-/g, '').slice(12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

await mainIfScript(import.meta, bench);
