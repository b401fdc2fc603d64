// market: (1) the order book's matching rate in the CU's Lua evaluator (Place-Order messages, half
// of them crossing a resting order) beside cu-eval's token Transfer on the same evaluator in the
// same run; (2) on the real pipeline (API, worker, cron service as child processes, own gateway
// and Redis): one venue, an oracle, N market makers (3 levels each) ticking every second and a
// steady flow of takers. For each N: cycles handled per second (Book replies the agents
// evaluated), messages per tick, tick lag p50/p99 (SU stamp of the tick minus its due time) and
// whether the agents keep up: cycles >= 90 % of the ticks due, and a tick lag p99 within one tick
// (1 s) of the lag with a single agent, measured first in the same run (the cron service's own
// claim latency is the anchor). The largest N that keeps up is reported.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { LuaEvaluatorFactory, MessageFactory, aosModuleDef, createDataItem, testEnv } from '@ao/core';
import { marketMakerBootCode, orderBookBootCode, priceOracleBootCode, tokenBootCode } from '@ao/agents';
import { defaultLimits } from './cu-eval.js';
import { aoTags, mainIfScript, newUser, percentile, randomAnchor, repeat, row, sleep, summarize } from './lib.js';
import { startPlatform } from './platform.js';
import { measureWasm, tokenWorkload } from './token-workload.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ACCOUNTS = 200;

// Part 1: matching in the evaluator -------------------------------------------------------------

/** A booted book with ACCOUNTS funded accounts (Credit-Notices from its tokens) and its order stream. */
async function bootBook(factory, limits) {
  const BASE = 'B'.repeat(43);
  const QUOTE = 'Q'.repeat(43);
  const env = testEnv([{ name: 'On-Boot', value: 'Data' }], 'K'.repeat(43));
  const instance = await factory.create(aosModuleDef(), env, limits);
  const msgs = new MessageFactory(env);
  const boot = await instance.evaluate(msgs.processMessage(orderBookBootCode({ baseToken: BASE, quoteToken: QUOTE, baseDenomination: 6, tickSize: '1000', lotSize: '1000' })));
  if (boot.Error !== undefined) throw new Error(`book boot failed: ${boot.Error}`);
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => createHash('sha256').update(`bench-trader-${i}`).digest('base64url'));
  for (const a of accounts) {
    for (const token of [BASE, QUOTE]) {
      const r = await instance.evaluate(msgs.message({ Action: 'Credit-Notice', Sender: a, Quantity: '1000000000000000' }, { From: token, Owner: token }));
      if (r.Error !== undefined) throw new Error(`deposit failed: ${r.Error}`);
    }
  }
  return { instance, msgs, accounts };
}

/** Order k: even k rest a sell at 100 + (k/2 mod 5) ticks; odd k take one with an IOC buy at 100.005. */
function order(book, k) {
  const from = book.accounts[k % ACCOUNTS];
  const tags = k % 2 === 0
    ? { Action: 'Place-Order', Side: 'sell', Price: String(100_000_000 + ((k / 2) % 5) * 1000), Quantity: '1000000' }
    : { Action: 'Place-Order', Side: 'buy', Price: '100005000', Quantity: '1000000', 'Order-Type': 'ioc' };
  return book.msgs.message(tags, { From: from, Owner: from });
}

async function measureMatching(factory, limits, { warmup, count }) {
  const book = await bootBook(factory, limits);
  try {
    for (let k = 0; k < warmup; k += 1) await book.instance.evaluate(order(book, k));
    const timed = Array.from({ length: count }, (_, i) => order(book, warmup + i));
    let trades = 0;
    const started = performance.now();
    for (const m of timed) {
      const r = await book.instance.evaluate(m);
      if (r.Error !== undefined) throw new Error(`order failed: ${r.Error}`);
      trades += r.Messages.filter((x) => x.Tags.some((t) => t.name === 'Action' && t.value === 'Order-Fill')).length / 2;
    }
    const seconds = (performance.now() - started) / 1000;
    return { rate: count / seconds, trades };
  } finally {
    book.instance.close();
  }
}

// Part 2: market makers on the pipeline ------------------------------------------------------------

function startCronApp(platform, log) {
  const child = spawn(process.execPath, ['apps/cron/dist/main.js'], { cwd: ROOT, env: { ...process.env, ...platform.vars, DATABASE_URL: platform.vars.DATABASE_URL.replace(/-api$/, '-cron') }, stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr.on('data', (d) => (tail = (tail + d).slice(-2000)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    async stop() {
      if (child.exitCode !== null) return log(`cron exited early: ${tail}`);
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function client(platform) {
  const tagList = (tags) => Object.entries(tags).map(([name, value]) => ({ name, value }));
  const post = async (item) => {
    const res = await fetch(`${platform.url}/mu/`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: item.raw });
    if (res.status !== 202) throw new Error(`POST /mu/ answered ${res.status}: ${await res.text()}`);
  };
  const result = async (pid, id) => {
    const res = await fetch(`${platform.url}/cu/result/${id}?process-id=${pid}`);
    if (!res.ok) throw new Error(`result ${id}: ${res.status} ${await res.text()}`);
    const body = await res.json();
    if (body.Error) throw new Error(`${id} failed: ${body.Error}`);
    return body;
  };
  return {
    async spawn(owner, su, moduleId, name, code, extra = []) {
      const item = await createDataItem({ data: code, anchor: randomAnchor(), tags: [...aoTags('Process'), { name: 'Module', value: moduleId }, { name: 'Scheduler', value: su }, { name: 'Name', value: name }, { name: 'On-Boot', value: 'Data' }, { name: 'Authority', value: su }, ...extra] }, owner);
      await post(item);
      await result(item.id, item.id);
      return item.id;
    },
    async send(who, pid, tags, data = '', wait = true) {
      const item = await createDataItem({ data, target: pid, anchor: randomAnchor(), tags: [...aoTags('Message'), ...tagList(tags)] }, who);
      await post(item);
      return wait ? result(pid, item.id) : item.id;
    },
    async dry(pid, tags) {
      const res = await fetch(`${platform.url}/cu/dry-run?process-id=${pid}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Target: pid, Owner: 'bench', From: 'bench', Tags: tagList(tags), Data: '' }) });
      const body = await res.json();
      return body.Messages?.[0];
    },
    async monitor(owner, pid) {
      const item = await createDataItem({ data: '', target: pid, anchor: randomAnchor(), tags: [...aoTags('Message'), { name: 'Action', value: 'Monitor' }] }, owner);
      const res = await fetch(`${platform.url}/mu/monitor/${pid}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: item.raw });
      if (res.status !== 201 && res.status !== 200) throw new Error(`monitor ${pid}: ${res.status} ${await res.text()}`);
    },
  };
}

async function measureAgents(platform, counts, windowMs, log) {
  const info = await (await fetch(`${platform.url}/info`)).json();
  const su = info.scheduler.address;
  const moduleId = info.modules['lua-5.4-aos'];
  const c = client(platform);
  const owner = await newUser();
  const taker = await newUser();
  const supply = '1000000000000000000';
  const balances = { [owner.address]: supply, [taker.address]: supply };
  const base = await c.spawn(owner, su, moduleId, 'base', tokenBootCode({ denomination: 6, balances }));
  const quote = await c.spawn(owner, su, moduleId, 'quote', tokenBootCode({ denomination: 6, balances }));
  const venue = await c.spawn(owner, su, moduleId, 'book', orderBookBootCode({ baseToken: base, quoteToken: quote, baseDenomination: 6, tickSize: '1000', lotSize: '1000', maxOpenOrders: 1000 }));
  const oracle = await c.spawn(owner, su, moduleId, 'oracle', priceOracleBootCode({ mode: 'feed' }));
  await c.send(owner, oracle, { Action: 'Start' });
  await c.send(taker, base, { Action: 'Transfer', Recipient: venue, Quantity: '100000000000000' });
  await c.send(taker, quote, { Action: 'Transfer', Recipient: venue, Quantity: '100000000000000' });
  const agents = [];
  const out = [];
  let anchorP99;
  let takerSeq = 0;
  let stopTakers = false;
  const takers = (async () => {
    // a steady flow: one IOC order every 500 ms, alternating sides, crossing the agents' first level
    while (!stopTakers) {
      const buy = takerSeq++ % 2 === 0;
      await c.send(taker, venue, { Action: 'Place-Order', Side: buy ? 'buy' : 'sell', Price: buy ? '101500000' : '98500000', Quantity: '1000000', 'Order-Type': 'ioc' }, '', false).catch((e) => log(`taker: ${e.message}`));
      await sleep(500);
    }
  })();
  for (const n of counts) {
    while (agents.length < n) {
      const i = agents.length;
      const mm = await c.spawn(owner, su, moduleId, `mm-${i}`, marketMakerBootCode({ venue, baseToken: base, quoteToken: quote, baseDenomination: 6, tickSize: '1000', lotSize: '1000', priceSource: 'oracle', oracle,
        bidSpreadBps: 100 + (i % 5) * 10, askSpreadBps: 100 + (i % 5) * 10, orderLevels: 3, orderLevelSpreadBps: 50, orderAmount: '1000000', orderRefreshTimeMs: 5000, filledOrderDelayMs: 1000 }),
      [{ name: 'Cron-Interval', value: '1-second' }, { name: 'Cron-Tag-Action', value: 'Tick' }]);
      await c.send(owner, base, { Action: 'Transfer', Recipient: mm, Quantity: '1000000000' });
      await c.send(owner, quote, { Action: 'Transfer', Recipient: mm, Quantity: '100000000000' });
      await c.send(owner, mm, { Action: 'Start' });
      await c.monitor(owner, mm);
      agents.push(mm);
    }
    await c.send(owner, oracle, { Action: 'Publish-Price', Price: String(100_000_000 + n * 1000) });
    await sleep(3000); // let the new agents reach their first quotes
    const cycles = async () => {
      let sum = 0;
      for (const a of agents) sum += Number(JSON.parse((await c.dry(a, { Action: 'Info' }))?.Data ?? '{}').cycles ?? 0);
      return sum;
    };
    const before = await cycles();
    const from = Date.now();
    await sleep(windowMs);
    const to = Date.now();
    const after = await cycles();
    const lags = (await platform.prisma.$queryRawUnsafe(
      `SELECT a.timestamp - t.tick AS lag FROM cron_ticks t JOIN assignments a ON a.process_id = t.process_id AND a.nonce = t.nonce WHERE t.tick >= $1 AND t.tick < $2`,
      BigInt(from), BigInt(to),
    )).map((r) => Number(r.lag));
    const market = [base, quote, venue, oracle, ...agents];
    const [{ count }] = await platform.prisma.$queryRawUnsafe(
      `SELECT count(*)::int AS count FROM assignments WHERE process_id = ANY($1) AND timestamp >= $2 AND timestamp < $3`, market, BigInt(from), BigInt(to));
    const due = (n * windowMs) / 1000;
    const handled = after - before;
    const p50 = percentile(lags, 50);
    const p99 = percentile(lags, 99);
    anchorP99 ??= p99;
    const keepsUp = handled >= 0.9 * due && p99 <= anchorP99 + 1000;
    const r = { n, ticksDue: due, ticksEmitted: lags.length, cyclesHandled: handled, ticksPerSecond: handled / (windowMs / 1000), messagesPerTick: lags.length ? count / lags.length : null, lagP50: p50, lagP99: p99, keepsUp };
    log(`N=${n}: ${JSON.stringify(r)}`);
    out.push(r);
    if (!keepsUp) break;
  }
  stopTakers = true;
  await takers;
  return out;
}

export const bench = {
  name: 'market',
  async run({ quick, log }) {
    const limits = defaultLimits();
    const factory = new LuaEvaluatorFactory();
    const size = quick ? { warmup: 100, count: 400 } : { warmup: 300, count: 2000 };
    const runs = quick ? 1 : 3;
    // interleaved, so both see the same machine load
    const token = [];
    const matching = [];
    const workload = tokenWorkload('T'.repeat(43));
    await repeat(runs, async () => {
      token.push(await measureWasm(factory, workload, limits, size));
      matching.push(await measureMatching(factory, limits, size));
    }, { log });
    const tokenRate = summarize(token.map((r) => r.rate));
    const matchRate = summarize(matching.map((r) => r.rate));
    const rows = [
      row('market: order-book Place-Order (half cross a resting order)', matchRate, 'orders/s', { anchor: 'cu-eval: token Transfer, same evaluator, same run', anchorFigure: tokenRate, note: `${matching[0].trades} trades in ${size.count} orders; target ratio >= 0.5` }),
    ];
    const platform = await startPlatform(log, { workers: 1 });
    const cron = startCronApp(platform, log);
    let agents = [];
    try {
      agents = await measureAgents(platform, quick ? [1, 3] : [1, 5, 10, 20, 35, 50], quick ? 10_000 : 20_000, log);
    } finally {
      await cron.stop();
      await platform.stop();
    }
    for (const a of agents) {
      rows.push(row(`market: ${a.n} market makers, 1 s ticks: cycles handled`, summarize([a.ticksPerSecond]), 'cycles/s', { anchor: 'ticks due', anchorFigure: summarize([a.n]), note: `N=${a.n}: ${a.ticksEmitted} ticks emitted in the window, ${a.messagesPerTick?.toFixed(1) ?? 'n/a'} messages/tick, tick lag p50 ${a.lagP50} ms p99 ${a.lagP99} ms (N=1 anchor p99 ${agents[0].lagP99} ms), ${a.keepsUp ? 'keeps up' : 'falls behind'}` }));
    }
    const kept = agents.filter((a) => a.keepsUp).map((a) => a.n);
    rows.push(row('market: largest N keeping up with a 1 s tick', summarize([kept.length ? Math.max(...kept) : 0]), 'agents', { note: `target N >= 50; N tried: ${agents.map((a) => a.n).join(', ')} (stops at the first that falls behind)` }));
    return { rows, details: { matching, token: token.map((t) => t.rate), agents } };
  },
};

await mainIfScript(import.meta, bench);
