import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_TEST_LIMITS,
  Ed25519ItemSigner,
  LuaProcess,
  MemoryItemSource,
  MessageFactory,
  WasmLibrary,
  aosModuleDef,
  createDataItem,
  generateEd25519Key,
  testEnv,
} from '@ao/core';
import { mediaCodecModule } from './codec.js';
import { encodeJpeg, encodePng, encodeProgressiveJpeg, rawPng, syntheticPhoto } from './fixtures.js';

// Mutated files through the codec as the CU runs it (instrumented, fuel-capped): every call must
// end with a JSON answer or a clean library failure — never a hang, a host exception or a crash.

const FUEL = 2_000_000_000;
let codec: WasmLibrary;
beforeAll(async () => {
  codec = await WasmLibrary.load(mediaCodecModule('codec-id-000000000000000000000000000000000', 'owner'), 256 * 1024 * 1024);
});

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

function mutate(bytes: Uint8Array, rnd: () => number): Uint8Array {
  const out = Uint8Array.from(bytes);
  switch (rnd() % 4) {
    case 0: // flip a few bytes
      for (let i = 0, n = 1 + (rnd() % 8); i < n; i++) out[rnd() % out.length] ^= 1 << (rnd() % 8);
      return out;
    case 1: // truncate
      return out.subarray(0, rnd() % out.length);
    case 2: // overwrite a run with random bytes
      for (let i = rnd() % out.length, n = 1 + (rnd() % 64); n > 0 && i < out.length; i++, n--) out[i] = rnd() & 0xff;
      return out;
    default: // set a header byte (sizes, types, table ids) to an extreme
      out[rnd() % Math.min(out.length, 700)] = rnd() % 2 ? 0xff : 0;
      return out;
  }
}

describe('media codec fuzz', () => {
  it('survives 600 mutated PNG and JPEG files with an answer or a clean failure each', async () => {
    const photo = syntheticPhoto(48, 40, 11);
    const seeds = [
      encodePng(photo),
      encodePng(photo, { colorType: 2, interlace: true }),
      encodePng(photo, { colorType: 0, bitDepth: 16 }),
      rawPng({ width: 5, height: 3, colorType: 3, bitDepth: 8, rows: [new Uint8Array([0, 1, 2, 3, 4]), new Uint8Array(5), new Uint8Array(5)], palette: [[1, 2, 3], [4, 5, 6]] }),
      encodeJpeg(photo, 75),
      await encodeProgressiveJpeg(photo, 70),
    ];
    const rnd = lcg(2026);
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < 600; i++) {
      const file = mutate(seeds[i % seeds.length], rnd);
      const out = codec.call('analyze', new TextEncoder().encode('maxPixels=4000000'), file, FUEL);
      let key: string;
      if (out.ok) {
        const answer = JSON.parse(new TextDecoder().decode(out.output)) as { ok: boolean; error?: string };
        key = answer.ok ? 'decoded' : `refused:${answer.error}`;
      } else {
        key = out.outOfFuel ? 'out of fuel' : 'library failure';
      }
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
    // every call ended; most mutations are caught as corrupt, some still decode (e.g. a flipped pixel byte)
    expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(600);
    expect(outcomes.decoded).toBeGreaterThan(0);
    expect(outcomes['refused:corrupt']).toBeGreaterThan(0);
    expect(outcomes['out of fuel'] ?? 0).toBe(0);
  }, 120_000);
});

describe('media codec fuzz inside a process', () => {
  it('keeps the evaluator serving after mutated files, each message ending with an answer or an Error', async () => {
    const CODEC = 'C'.repeat(43);
    const items = new MemoryItemSource();
    const signer = new Ed25519ItemSigner(generateEd25519Key());
    const photo = syntheticPhoto(40, 30, 4);
    const seeds = [encodePng(photo, { interlace: true, colorType: 2 }), encodeJpeg(photo, 60), await encodeProgressiveJpeg(photo, 50)];
    const rnd = lcg(99);
    const ids: string[] = [];
    for (let i = 0; i < 45; i++) {
      const data = mutate(seeds[i % seeds.length], rnd);
      const item = await createDataItem({ data }, signer);
      items.add(item.id, item.raw, 10, data.length);
      ids.push(item.id);
    }
    const env = testEnv([{ name: 'On-Boot', value: 'Data' }, { name: 'Wasm-Library', value: CODEC }]);
    const modules = { load: async () => mediaCodecModule(CODEC, 'owner') };
    const process = await LuaProcess.create(aosModuleDef(), env, { ...DEFAULT_TEST_LIMITS, gas: 200_000_000 }, { host: { items, modules } });
    const msgs = new MessageFactory(env);
    const boot = `Handlers.add("a", "Analyze", function(msg)
      local out, code, why = ao.wasm("${CODEC}", "analyze", "maxPixels=1000000", { Id = msg.Read })
      msg.reply({ Data = out or (code .. ": " .. tostring(why)) })
    end)`;
    expect((await process.evaluate(msgs.processMessage(boot))).Error).toBeUndefined();
    let answered = 0;
    for (const id of ids) {
      const r = await process.evaluate(msgs.message({ Action: 'Analyze', Read: id }));
      if (r.Error === undefined && r.Messages.length === 1) answered++;
    }
    expect(answered).toBe(ids.length);
    const after = await process.evaluate(msgs.message({ Action: 'Eval' }, { Data: 'return 1 + 1' }));
    expect(after.Error).toBeUndefined();
  }, 120_000);
});
