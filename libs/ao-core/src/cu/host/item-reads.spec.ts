import { beforeAll, describe, expect, it } from 'vitest';
import { createDataItem } from '../../data-item/create-data-item.js';
import { Ed25519ItemSigner, generateEd25519Key } from '../../data-item/signers.js';
import type { EvalResult } from '../../types.js';
import { AoError } from '../../errors.js';
import { LuaProcess } from '../lua/lua-process.js';
import { DEFAULT_TEST_LIMITS, MessageFactory, aosModuleDef, tagOf, testEnv } from '../lua/testing.js';
import { HOST_GAS } from './process-host.js';
import { MemoryItemSource } from './testing.js';

// A handler that reads the item its message names and replies with what it saw.
const BOOT = `
Handlers.add("look", "Look", function(msg)
  local item, code, why, size = ao.read(msg.Read or msg.Other or "", { data = msg.Meta ~= "1" })
  if not item then
    msg.reply({ Action = "Look-Error", Code = code, Why = why, Size = size and tostring(size) or "" })
    return
  end
  Seen = (Seen or 0) + 1
  msg.reply({ Action = "Seen", Author = item.Owner, Kind = item.Tags["Content-Type"] or "",
    Height = tostring(item["Block-Height"]), Size = tostring(item.Size), Bytes = item.Data and tostring(#item.Data) or "none",
    First = item.Data and tostring(item.Data:byte(1)) or "" })
end)
`;

const author = new Ed25519ItemSigner(generateEd25519Key());
let photo: { id: string; raw: Uint8Array };
let late: { id: string; raw: Uint8Array };
let big: { id: string; raw: Uint8Array };

beforeAll(async () => {
  const a = await createDataItem({ data: new Uint8Array([137, 80, 78, 71, 1, 2, 3]), tags: [{ name: 'Content-Type', value: 'image/png' }] }, author);
  const b = await createDataItem({ data: 'later', tags: [] }, author);
  const c = await createDataItem({ data: new Uint8Array(5000), tags: [] }, author);
  photo = { id: a.id, raw: a.raw };
  late = { id: b.id, raw: b.raw };
  big = { id: c.id, raw: c.raw };
});

function source(): MemoryItemSource {
  const s = new MemoryItemSource();
  s.add(photo.id, photo.raw, 999_000, 7);
  s.add(late.id, late.raw, 1_000_001, 5); // after the test messages' Block-Height (1,000,000)
  s.add(big.id, big.raw, 999_000, 5000);
  return s;
}

async function boot(items: MemoryItemSource, processTags = [{ name: 'Read-Limit', value: '4096' }]) {
  const env = testEnv([{ name: 'On-Boot', value: 'Data' }, ...processTags]);
  const process = await LuaProcess.create(aosModuleDef(), env, DEFAULT_TEST_LIMITS, { host: { items, readLimit: { defaultBytes: 1 << 20, maxBytes: 1 << 20 } } });
  const msgs = new MessageFactory(env);
  expect((await process.evaluate(msgs.processMessage(BOOT))).Error).toBeUndefined();
  return { process, msgs };
}

const reply = (r: EvalResult) => Object.fromEntries(r.Messages[0].Tags.map((t) => [t.name, t.value]));

describe('ao.read: deterministic reads of Arweave items', () => {
  it('hands over an admissible item, checked against its id, with its author and block height', async () => {
    const items = source();
    const { process, msgs } = await boot(items);
    const r = await process.evaluate(msgs.message({ Action: 'Look', Read: photo.id }));
    expect(r.Error).toBeUndefined();
    expect(reply(r)).toMatchObject({ Action: 'Seen', Author: author.address, Kind: 'image/png', Height: '999000', Size: '7', Bytes: '7', First: '137' });
  });

  it('charges gas per byte handed over, and only the base cost without the data', async () => {
    const { process, msgs } = await boot(source(), []);
    const withData = await process.evaluate(msgs.message({ Action: 'Look', Read: big.id }));
    const meta = await process.evaluate(msgs.message({ Action: 'Look', Read: big.id, Meta: '1' }));
    expect(reply(meta).Bytes).toBe('none');
    expect(withData.GasUsed - meta.GasUsed).toBeGreaterThanOrEqual(5000 * HOST_GAS.perByte);
    expect(withData.GasUsed - meta.GasUsed).toBeLessThan(5000 * HOST_GAS.perByte + 2000);
  });

  it('refuses, the same way every time, what the rule does not admit', async () => {
    const items = source();
    const { process, msgs } = await boot(items);
    const ask = async (tags: Record<string, string>) => reply(await process.evaluate(msgs.message({ Action: 'Look', ...tags })));
    // named in a tag that is not a Read tag
    expect(await ask({ Other: photo.id })).toMatchObject({ Action: 'Look-Error', Code: 'not-admissible' });
    // confirmed after the message's Block-Height
    expect(await ask({ Read: late.id })).toMatchObject({ Code: 'not-admissible' });
    expect((await ask({ Read: late.id })).Why).toMatch(/not confirmed on Arweave at or before block 1000000/);
    // unknown to the gateway
    expect(await ask({ Read: 'A'.repeat(43) })).toMatchObject({ Code: 'not-admissible' });
    // not an id
    expect(await ask({ Read: 'nope' })).toMatchObject({ Code: 'invalid-id' });
    // over the process's Read-Limit (4096 bytes): refused before its bytes are fetched
    expect(await ask({ Read: big.id })).toMatchObject({ Code: 'too-large', Size: '5000' });
    expect(items.calls).not.toContain(`raw ${big.id}`);
  });

  it('never hands over bytes that do not match the id: the evaluation fails transiently and the state is untouched', async () => {
    const items = source();
    const tampered = Uint8Array.from(photo.raw);
    tampered[tampered.length - 1] ^= 1;
    items.add(photo.id, tampered, 999_000, 7);
    const { process, msgs } = await boot(items);
    await expect(process.evaluate(msgs.message({ Action: 'Look', Read: photo.id }))).rejects.toSatisfy(
      (e) => e instanceof AoError && e.kind === 'transient' && /signature/.test(e.message),
    );
    const after = await process.evaluate(msgs.message({ Action: 'Eval' }, { Data: 'return Seen or 0' }));
    expect(after.Error).toBeUndefined();
  });

  it('waits (transient error) while the gateway has not indexed up to the message\'s height', async () => {
    const items = source();
    items.indexedHeight = 999_999;
    const { process, msgs } = await boot(items);
    await expect(process.evaluate(msgs.message({ Action: 'Look', Read: photo.id }))).rejects.toSatisfy((e) => e instanceof AoError && e.kind === 'transient');
  });

  it('reads in dry-runs too, and a dry-run changes nothing', async () => {
    const { process, msgs } = await boot(source());
    const dry = await process.dryRun({ ...msgs.message({ Action: 'Look', Read: photo.id }), 'Read-Only': true });
    expect(reply(dry)).toMatchObject({ Action: 'Seen', Author: author.address });
    const after = await process.evaluate(msgs.message({ Action: 'Eval' }, { Data: 'return tostring(Seen)' }));
    expect(JSON.stringify(after.Output)).toContain('nil');
  });

  it('asks the gateway nothing for messages that name no item, or no id at all', async () => {
    const items = source();
    const { process, msgs } = await boot(items);
    await process.evaluate(msgs.message({ Action: 'Look' }));
    items.indexedHeight = 0; // a gateway that is behind (or down) does not matter to these
    expect(reply(await process.evaluate(msgs.message({ Action: 'Look', Read: 'not an id' })))).toMatchObject({ Code: 'invalid-id' });
    expect(items.calls).toEqual([]);
  });

  it('gives byte-identical results and state when the same log is replayed in a fresh process', async () => {
    const run = async () => {
      const { process, msgs } = await boot(source());
      const results: EvalResult[] = [];
      const cases: Record<string, string>[] = [{ Read: photo.id }, { Read: late.id }, { Read: big.id }, { Read: photo.id, Meta: '1' }, { Other: photo.id }];
      for (const tags of cases) {
        results.push(await process.evaluate(msgs.message({ Action: 'Look', ...tags })));
      }
      return { results, hash: await process.stateHash() };
    };
    const a = await run();
    const b = await run();
    expect(JSON.stringify(b.results)).toBe(JSON.stringify(a.results));
    expect(b.hash).toBe(a.hash);
    expect(a.results.map((r) => tagOf(r.Messages[0].Tags, 'Action'))).toEqual(['Seen', 'Look-Error', 'Look-Error', 'Seen', 'Look-Error']);
  });
});
