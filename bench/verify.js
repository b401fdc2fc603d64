// verify: a third party reproducing a token process from its signed log with ao-core's
// verifyProcess (signatures, contiguous nonces, hash chain, message binding, fresh replay).
// The log (a Process item, N signed Transfers, the Scheduler's N+1 hash-chained assignments) is
// cu-replay's, built by the real Scheduler (token-log.js: built once, cached). check + evaluate
// run over the whole log from memory; fetch runs against the embedded arlocal through the real
// GatewayLogReader, on a prefix of the log only: arlocal indexes a few hundred items per second
// at best, so 200,000 items would take longer than the whole bench. Anchor: the ComputeUnit
// replaying the same log (what cu-replay measures), in the same run.
import { join } from 'node:path';
import { ComputeUnit, EvaluatorRegistry, InMemoryComputeStore, LuaEvaluatorFactory, PLATFORM_EVAL_LIMITS, parseDataItem, verifyProcess } from '@ao/core';
import { ArweaveGateway, GatewayLogReader, loadOrCreateWallet, walletAddress } from '@ao/infra';
import { mainIfScript, repeat, row, sleep, startGatewayProcess, summarize, tempDir } from './lib.js';
import { tokenLog } from './token-log.js';

const BUNDLE_ITEMS = 500;

/** The log as a gateway would serve it, from memory: what check + evaluate cost without fetching. */
class MemoryLogReader {
  constructor(signed, upTo = signed.entries.length - 1) {
    const entries = signed.entries.slice(0, upTo + 1);
    this.byId = new Map([signed.module, ...entries.map((e) => e.message)].map((i) => [i.id, i.raw]));
    this.pages = [];
    for (let i = 0; i < entries.length; i += 100) this.pages.push(entries.slice(i, i + 100).map((e) => e.assignment.raw));
  }
  async items(ids) {
    const out = new Map();
    for (const id of ids) if (this.byId.has(id)) out.set(id, this.byId.get(id));
    return out;
  }
  async *assignments() {
    for (const page of this.pages) yield page;
  }
}

/** A LogReader decorator that adds up the time spent waiting on the wrapped reader. */
class TimedReader {
  constructor(inner) {
    this.inner = inner;
    this.ms = 0;
  }
  async items(ids) {
    const t = performance.now();
    try {
      return await this.inner.items(ids);
    } finally {
      this.ms += performance.now() - t;
    }
  }
  async *assignments(processId, scheduler) {
    const it = this.inner.assignments(processId, scheduler)[Symbol.asyncIterator]();
    for (;;) {
      const t = performance.now();
      const next = await it.next();
      this.ms += performance.now() - t;
      if (next.done) return;
      yield next.value;
    }
  }
}

/** Lua evaluators whose instances add up their evaluation time, and fail on a failed Transfer. */
function timedEvaluators() {
  const factory = new LuaEvaluatorFactory();
  const timing = { ms: 0, evaluated: 0 };
  const registry = new EvaluatorRegistry().register({
    formats: factory.formats,
    async create(...args) {
      const instance = await factory.create(...args);
      const evaluate = instance.evaluate.bind(instance);
      instance.evaluate = async (msg) => {
        const t = performance.now();
        const result = await evaluate(msg);
        timing.ms += performance.now() - t;
        timing.evaluated += 1;
        if (result.Error !== undefined) throw new Error(`evaluation ${timing.evaluated} failed: ${result.Error}`);
        return result;
      };
      return instance;
    },
  });
  return { registry, timing };
}

/** One verification; answers its report and the split of its time. */
async function timedVerify(processId, reader) {
  const timedReader = new TimedReader(reader);
  const { registry, timing } = timedEvaluators();
  const started = performance.now();
  const report = await verifyProcess(processId, { reader: timedReader, evaluators: registry });
  const totalMs = performance.now() - started;
  if (!report.ok) throw new Error(`verification failed at nonce ${report.failure?.nonce}: ${report.failure?.reason}`);
  return { report, totalMs, fetchMs: timedReader.ms, evalMs: timing.ms, checkMs: totalMs - timedReader.ms - timing.ms };
}

/** The anchor: the ComputeUnit replaying the same log from genesis, as cu-replay measures it. */
async function cuReplay(signed, suLog) {
  const m = signed.module;
  const mod = { id: m.id, owner: m.owner, tags: m.tags, format: m.tags.find((t) => t.name === 'Module-Format').value, source: parseDataItem(m.raw).data };
  const store = new InMemoryComputeStore(suLog);
  const cu = new ComputeUnit(store, { load: async () => mod }, new EvaluatorRegistry().register(new LuaEvaluatorFactory()), {
    maxLive: 4,
    batchSize: 500,
    ...PLATFORM_EVAL_LIMITS,
    platformAddresses: [signed.suAddress],
  });
  try {
    const started = performance.now();
    const report = await cu.evaluate(signed.processId);
    const seconds = (performance.now() - started) / 1000;
    if (store.committed !== signed.entries.length) throw new Error(`the CU replayed ${report.evaluated} of ${signed.entries.length} slots`);
    const head = await store.evaluationHead(signed.processId);
    if (head.error !== undefined) throw new Error(`the CU broke at nonce ${head.nonce + 1}: ${head.error}`);
    return { rate: store.committed / seconds, stateHash: store.stateHashes.get(signed.processId) };
  } finally {
    cu.close();
  }
}

/** Puts the first `upTo` nonces of the log on a fresh arlocal, in bundles; answers the gateway and the upload time. */
async function uploadPrefix(signed, upTo, dir, log) {
  const gateway = await startGatewayProcess(join(dir, 'arlocal'), { mineIntervalMs: 3_600_000 });
  try {
    const key = await loadOrCreateWallet(join(dir, 'arweave-wallet.json'), 'arweave');
    const client = new ArweaveGateway(gateway.url, key.jwk);
    await client.mint(walletAddress(key.jwk), String(10n ** 18n));
    // arlocal indexes a bundle's items when it is posted only if their owners have a wallet there.
    for (const address of [signed.suAddress, ...signed.userAddresses]) await client.mint(address, '1');
    const raws = [signed.module.raw];
    for (const e of signed.entries.slice(0, upTo + 1)) raws.push(e.message.raw, e.assignment.raw);
    const started = performance.now();
    for (let i = 0; i < raws.length; i += BUNDLE_ITEMS) {
      await client.postBundle(raws.slice(i, i + BUNDLE_ITEMS));
      log(`gateway: ${Math.min(i + BUNDLE_ITEMS, raws.length)}/${raws.length} items posted`);
    }
    // One block for all (mining re-reads every pending bundle); its GraphQL shows mined items only.
    const mined = await fetch(`${gateway.url}/mine`);
    if (!mined.ok) throw new Error(`mine answered ${mined.status}`);
    await mined.arrayBuffer();
    const last = signed.entries[upTo].assignment.id;
    for (let tries = 0; ; tries += 1) {
      const found = await client.graphql('query($ids: [ID!]) { transactions(ids: $ids) { edges { node { id block { height } } } } }', { ids: [last] });
      if (found.transactions.edges[0]?.node.block) break;
      if (tries > 600) throw new Error('the uploaded log never showed up mined on the gateway');
      await sleep(100);
    }
    return { gateway, items: raws.length, uploadSeconds: (performance.now() - started) / 1000 };
  } catch (error) {
    await gateway.stop();
    throw error;
  }
}

const fmt = (n) => n.toLocaleString('en-US');

export const bench = {
  name: 'verify',
  async run({ quick, log }) {
    // cu-replay's log (its cache file): the same count in both modes.
    const count = quick ? 5_000 : 100_000;
    const fetchCount = quick ? 200 : 1_000;
    const runs = quick ? 3 : 2;
    const fetchRuns = 3;
    const signed = await tokenLog(count, log);
    const { processId } = signed;
    const suLog = await signed.newStore();

    // check + evaluate of the whole log, and the anchor on the same log, alternately.
    const local = [];
    const anchor = [];
    let stateHash;
    for (let i = 0; i < runs; i += 1) {
      const r = await timedVerify(processId, new MemoryLogReader(signed));
      local.push(r);
      stateHash = r.report.stateHash;
      log(`verified ${fmt(r.report.messages)} messages from memory in ${(r.totalMs / 1000).toFixed(1)} s (check ${(r.checkMs / 1000).toFixed(1)} s, evaluate ${(r.evalMs / 1000).toFixed(1)} s)`);
      const cu = await cuReplay(signed, suLog);
      anchor.push(cu);
      log(`ComputeUnit replay: ${Math.round(cu.rate)} msg/s`);
      if (cu.stateHash !== stateHash) throw new Error(`the CU's state hash ${cu.stateHash} differs from the verifier's ${stateHash}`);
    }
    const entries = count + 1;
    const perSecond = (ms, n = entries) => (n * 1000) / ms;

    // fetch (and the whole path) from arlocal, on a prefix of the log.
    // arlocal keeps SQLite and a file per item: on tmpfs, or the disk's fsyncs dominate on a busy machine.
    const tmp = await tempDir('verify', { memory: true });
    let remote;
    let upload;
    try {
      log(`uploading nonces 0..${fmt(fetchCount)} to arlocal`);
      upload = await uploadPrefix(signed, fetchCount, tmp.dir, log);
      log(`uploaded ${fmt(upload.items)} items in ${upload.uploadSeconds.toFixed(1)} s`);
      try {
        remote = await repeat(fetchRuns, () => timedVerify(processId, new GatewayLogReader(new ArweaveGateway(upload.gateway.url, undefined, 5_000, 60_000))), { log });
      } finally {
        await upload.gateway.stop();
      }
    } finally {
      await tmp.cleanup();
    }
    const prefix = fetchCount + 1;
    for (const r of remote) if (r.report.messages !== prefix) throw new Error(`verified ${r.report.messages} of ${prefix} messages from the gateway`);

    const anchorRate = summarize(anchor.map((a) => a.rate));
    const checkEval = summarize(local.map((r) => perSecond(r.totalMs)));
    const check = summarize(local.map((r) => perSecond(r.checkMs)));
    const evaluate = summarize(local.map((r) => perSecond(r.evalMs)));
    const fetchRate = summarize(remote.map((r) => perSecond(r.fetchMs, prefix)));
    const overallRemote = summarize(remote.map((r) => perSecond(r.totalMs, prefix)));
    // The whole log from a gateway, had it held it: its fetch at the prefix's pace, plus check + evaluate.
    const projected = summarize(local.map((r) => entries / (entries / fetchRate.median + r.totalMs / 1000)));
    const anchorName = `ComputeUnit replay of the same ${fmt(entries)} entries (cu-replay)`;
    const N = fmt(count);
    return {
      rows: [
        row(`verify: ${N} messages, fetch + check + evaluate (est.)`, projected, 'msg/s', {
          anchor: anchorName,
          anchorFigure: anchorRate,
          note: `estimated: fetch at the pace measured on arlocal over the first ${fmt(fetchCount)} messages (arlocal took in ${Math.round(upload.items / upload.uploadSeconds)} items/s here, so uploading all ${fmt(2 * entries + 1)} items would take ~${Math.ceil((2 * entries + 1) / (upload.items / upload.uploadSeconds) / 60)} min), check + evaluate measured over all ${N}; log signed and scheduled in ${signed.buildSeconds.toFixed(1)} s (${signed.cached ? 'by an earlier run, read from its cache file' : 'this run, then cached'}); verifier and CU agree on the state hash`,
        }),
        row(`verify: ${N} messages, check + evaluate`, checkEval, 'msg/s', { anchor: anchorName, anchorFigure: anchorRate }),
        row(`verify: check (signatures, nonces, hash chain, binding)`, check, 'msg/s', {
          note: 'per log entry: its assignment and its message parsed and their signatures verified, nonces, timestamps and the hash chain followed, the message bound to its assignment',
        }),
        row(`verify: evaluate (fresh replay)`, evaluate, 'msg/s', { anchor: anchorName, anchorFigure: anchorRate }),
        row(`verify: ${fmt(fetchCount)} messages from arlocal, all phases`, overallRemote, 'msg/s', {
          anchor: anchorName,
          anchorFigure: anchorRate,
          note: `GatewayLogReader against the embedded arlocal (in its own process, data on tmpfs), fresh reader each run; ${fmt(upload.items)} items uploaded in bundles of ${BUNDLE_ITEMS} in ${upload.uploadSeconds.toFixed(1)} s`,
        }),
        row(`verify: fetch (GraphQL + data) from arlocal`, fetchRate, 'msg/s', {
          note: 'time waiting on the reader: assignments by tags (100 per page), messages by id (100 per query), data; arlocal drops the anchor of bundled items, so anchored messages are rebuilt from their bundle (the reader verifies each rebuild)',
        }),
      ],
      details: { count, fetchCount, runs, fetchRuns, buildSeconds: signed.buildSeconds, logSource: signed.source, upload: { items: upload.items, seconds: upload.uploadSeconds }, stateHash, anchor: anchorRate, checkEval, check, evaluate, fetch: fetchRate, overallRemote, projected },
    };
  },
};

await mainIfScript(import.meta, bench);
