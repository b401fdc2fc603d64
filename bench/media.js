// media: the media verifier's throughput: Verify-Media messages evaluated per second (the item read,
// decoded and hashed inside the process by the codec library, the registry searched), for 256×256
// and 1024×1024 PNG and JPEG, beside the same decode + hash done in Node with pngjs / jpeg-js (which
// inflate with native zlib) in the same run; and the near-duplicate search over 100,000 registered
// hashes (Find-Similar, Max-Distance 10, through the band index) beside a linear scan of the same
// registry (Max-Distance 16, past what the index probes) in the same process.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  Ed25519ItemSigner,
  LuaProcess,
  MemoryItemSource,
  MessageFactory,
  aosModuleDef,
  createDataItem,
  generateEd25519Key,
  limitsFor,
  testEnv,
} from '@ao/core';
import { encodeJpeg, encodePng, mediaCodecModule, mediaVerifierBootCode, mediaVerifierProcessTags, syntheticPhoto } from '@ao/agents';
import { mainIfScript, repeat, row, summarize } from './lib.js';

const require = createRequire(import.meta.url);
const CODEC = 'C'.repeat(43);

/** A media verifier process on an in-memory Arweave holding `items`. */
async function verifier(arweave) {
  const env = testEnv([{ name: 'On-Boot', value: 'Data' }, ...mediaVerifierProcessTags(CODEC)]);
  const mod = aosModuleDef();
  const limits = limitsFor(mod, env, { gas: 100_000_000, memoryBytes: 256 * 2 ** 20 }, { gas: 1_000_000_000, memoryBytes: 2 ** 30 });
  const modules = { load: async () => mediaCodecModule(CODEC, 'platform') };
  const process = await LuaProcess.create(mod, env, limits, { host: { items: arweave, modules, readLimit: { defaultBytes: 16 << 20, maxBytes: 64 << 20 } } });
  const msgs = new MessageFactory(env);
  const send = async (tags, fields = {}) => {
    const r = await process.evaluate(msgs.message(tags, fields));
    if (r.Error !== undefined) throw new Error(`${tags.Action}: ${r.Error}`);
    return r;
  };
  const boot = await process.evaluate(msgs.processMessage(mediaVerifierBootCode({ maxBytes: 16 * 2 ** 20 })));
  if (boot.Error !== undefined) throw new Error(`boot: ${boot.Error}`);
  await send({ Action: 'Start' });
  return { process, send };
}

/** `count` distinct images of one kind (a different photo each, so each is a new verification). */
async function images(kind, size, count, signer, arweave) {
  const ids = [];
  for (let i = 0; i < count; i++) {
    const photo = syntheticPhoto(size, size, 100 + i);
    const bytes = kind === 'png' ? encodePng(photo) : encodeJpeg(photo, 85);
    const item = await createDataItem({ data: bytes, tags: [{ name: 'Content-Type', value: `image/${kind}` }] }, signer);
    arweave.add(item.id, item.raw, 100, bytes.length);
    ids.push({ id: item.id, bytes });
  }
  return ids;
}

/** The anchor: decode with pngjs / jpeg-js, then SHA-256 and the same gray grids and hashes in plain JS. */
function nodeAnalyze(kind, bytes) {
  createHash('sha256').update(bytes).digest('hex');
  let width;
  let height;
  let data;
  if (kind === 'png') ({ width, height, data } = require('pngjs').PNG.sync.read(bytes));
  else ({ width, height, data } = require('jpeg-js').decode(bytes, { useTArray: true }));
  const gray = new Uint8Array(width * height);
  for (let i = 0, p = 0; i < gray.length; i++, p += 4) gray[i] = (data[p] * 19595 + data[p + 1] * 38470 + data[p + 2] * 7471 + 0x8000) >> 16;
  const grid = (gw, gh) => {
    const sums = new Float64Array(gw * gh);
    const xs = Array.from({ length: width }, (_, x) => Math.min(gw - 1, Math.floor((x * gw) / width)));
    for (let y = 0; y < height; y++) {
      const ty = Math.min(gh - 1, Math.floor((y * gh) / height));
      for (let x = 0; x < width; x++) sums[ty * gw + xs[x]] += gray[y * width + x];
    }
    return sums;
  };
  const d = grid(9, 8);
  const a = grid(8, 8);
  let bits = 0n;
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) bits = (bits << 1n) | (d[y * 9 + x + 1] > d[y * 9 + x] ? 1n : 0n);
  const mean = a.reduce((s, v) => s + v, 0) / 64;
  for (const v of a) bits = (bits << 1n) | (v > mean ? 1n : 0n);
  return bits;
}

async function measureVerify(kind, size, count, runs, log) {
  const arweave = new MemoryItemSource();
  const signer = new Ed25519ItemSigner(generateEd25519Key());
  const items = await images(kind, size, count * runs + 1, signer, arweave);
  const v = await verifier(arweave);
  await v.send({ Action: 'Verify-Media', 'Media-Id': items[0].id }); // warm-up (compiles the codec)
  const rates = [];
  let gas = 0;
  for (let r = 0; r < runs; r++) {
    const batch = items.slice(1 + r * count, 1 + (r + 1) * count);
    const started = performance.now();
    for (const it of batch) {
      const res = await v.send({ Action: 'Verify-Media', 'Media-Id': it.id });
      gas = res.GasUsed;
    }
    rates.push(count / ((performance.now() - started) / 1000));
  }
  const anchor = [];
  for (let r = 0; r < runs; r++) {
    const batch = items.slice(1 + r * count, 1 + (r + 1) * count);
    const started = performance.now();
    for (const it of batch) nodeAnalyze(kind, it.bytes);
    anchor.push(count / ((performance.now() - started) / 1000));
  }
  v.process.close();
  log(`${kind} ${size}×${size}: ${rates.map((x) => x.toFixed(1)).join(', ')} /s in process; node ${anchor.map((x) => x.toFixed(1)).join(', ')} /s`);
  return { rates: summarize(rates), anchor: summarize(anchor), gas, bytes: items[1].bytes.length };
}

async function measureSearch(entries, queries, log) {
  const v = await verifier(new MemoryItemSource());
  // 100,000 hashes registered in one Eval (a seeded LCG: the same registry every run)
  const fill = `local s = 12345
for i = 1, ${entries} do
  local h = 0
  for _ = 1, 4 do s = (s * 6364136223846793005 + 1442695040888963407); h = (h << 16) | ((s >> 40) & 0xffff) end
  MediaRegistry.add({ id = "bench-" .. i, author = "a", dhash = string.format("%016x", h), blockHeight = 1 })
end
return MediaRegistry.size()`;
  const filled = await v.send({ Action: 'Eval' }, { Data: fill });
  log(`registry: ${JSON.stringify(filled.Output?.data ?? '').slice(0, 40)} entries`);
  const hashes = Array.from({ length: queries }, (_, i) => createHash('sha256').update(`q${i}`).digest('hex').slice(0, 16));
  const time = async (maxDistance) => {
    const started = performance.now();
    for (const h of hashes) await v.send({ Action: 'Find-Similar', Hash: h, 'Max-Distance': String(maxDistance) });
    return (performance.now() - started) / queries;
  };
  await time(10);
  const indexed = [await time(10), await time(10), await time(10)];
  const linear = [await time(16), await time(16)];
  v.process.close();
  return { indexed: summarize(indexed), linear: summarize(linear) };
}

export const bench = {
  name: 'media',
  async run({ quick, log }) {
    const rows = [];
    const details = {};
    const cases = [
      ['png', 256, quick ? 3 : 20, quick ? 1 : 3],
      ['jpeg', 256, quick ? 3 : 20, quick ? 1 : 3],
      ['png', 1024, quick ? 1 : 4, quick ? 1 : 3],
      ['jpeg', 1024, quick ? 1 : 4, quick ? 1 : 3],
    ];
    for (const [kind, size, count, runs] of cases) {
      const m = await measureVerify(kind, size, count, runs, log);
      details[`${kind}${size}`] = m;
      rows.push(
        row(`media: Verify-Media, ${size}×${size} ${kind.toUpperCase()}`, m.rates, 'images/s', {
          anchor: `decode + SHA-256 + hashes in Node (${kind === 'png' ? 'pngjs 7, native zlib' : 'jpeg-js 0.4.4'}), same run`,
          anchorFigure: m.anchor,
          note: `${m.bytes} B files; ~${m.gas.toLocaleString('en-US')} gas per verification (read, codec fuel at 64 a gas, registry)`,
        }),
      );
    }
    // quick: a smaller registry (the index's cost grows with the entries per bucket)
    const entries = quick ? 20_000 : 100_000;
    const search = await measureSearch(entries, quick ? 20 : 200, log);
    details.search = search;
    rows.push(
      row(`media: Find-Similar over ${entries.toLocaleString('en-US')} hashes, distance ≤ 10 (band index)`, search.indexed, 'ms/query', {
        anchor: 'linear scan of the same registry (distance ≤ 16), same process',
        anchorFigure: search.linear,
        note: 'each query is a whole message (Find-Similar through Handlers, JSON reply); target ≤ 5 ms',
      }),
    );
    return { rows, details };
  },
};

await mainIfScript(import.meta, bench);
