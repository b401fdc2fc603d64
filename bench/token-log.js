// The long signed log shared by cu-replay and verify: a token Process item (its Module an aos
// module item) and N Transfers from 100 signers, scheduled by the real Scheduler into ao-core's
// InMemorySchedulerStore (signed items, signed assignments, hash chain). Signing 200,000 items
// takes longer than replaying them, so the log is built once and kept in a cache file in the OS
// temp dir, named by its parameters, a format version and a fingerprint of the code that shapes
// it (@ao/core's data items and SU, @ao/agents' blueprints): a change there, a missing or an
// unreadable file means a fresh build. Readers re-check everything anyway (the ComputeUnit follows
// the hash chain, verify checks every signature), so a bad file fails a benchmark, never skews it.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { Ed25519ItemSigner, InMemorySchedulerStore, Scheduler, aosModuleData, aosModuleTags, createDataItem } from '@ao/core';
import { tokenBootCode } from '@ao/agents';
import { aoTags, randomAnchor, transferTags } from './lib.js';

// Bump when build() or the file's shape changes: older files then count as stale.
const FORMAT = 1;
const USERS = 100;
const PREFIX = 'ao-bench-token-log-';

/**
 * The .js and .lua files under these paths (files or directories), sorted, hashed with their names
 * relative to the repository (checkouts of the same code in other directories share the cache).
 */
async function fingerprint(paths) {
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const hash = createHash('sha256').update(`format ${FORMAT}\n`);
  const files = async (p) => {
    const entries = await readdir(p, { withFileTypes: true }).catch(() => null);
    if (!entries) return [p];
    const nested = await Promise.all(entries.map((e) => files(join(p, e.name))));
    return nested.flat();
  };
  const all = (await Promise.all(paths.map(files))).flat().filter((f) => f.endsWith('.js') || f.endsWith('.lua')).sort();
  // A path that went away (code moved) changes the fingerprint too.
  for (const f of all) hash.update(`${relative(root, f)}\n`).update(await readFile(f).catch(() => 'absent'));
  return hash.digest('hex').slice(0, 16);
}

/** The code that decides the log's bytes: data items, hash chain and tags, the SU, the token blueprint. */
async function codeFingerprint() {
  const core = dirname(fileURLToPath(import.meta.resolve('@ao/core')));
  const agents = dirname(fileURLToPath(import.meta.resolve('@ao/agents')));
  return fingerprint([join(core, 'data-item'), join(core, 'su'), join(core, 'hash-chain.js'), join(core, 'tags.js'), agents]);
}

/** Signs and schedules the log; answers what the cache file holds. */
async function build(count, log) {
  const newSigner = () => new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
  const su = newSigner();
  const users = Array.from({ length: USERS }, newSigner);
  const store = new InMemorySchedulerStore();
  const scheduler = new Scheduler({ store, signer: su, clock: { now: () => Date.now() }, heights: { blockHeight: async () => 1_000_000 } });
  const started = performance.now();
  const moduleItem = await createDataItem({ data: aosModuleData(), tags: aosModuleTags() }, su);
  const balances = Object.fromEntries(users.map((u) => [u.address, '1000000000000000']));
  const processItem = await createDataItem(
    {
      data: tokenBootCode({ name: 'Replay Coin', ticker: 'RPL', balances }),
      anchor: randomAnchor(),
      tags: [...aoTags('Process'), { name: 'Module', value: moduleItem.id }, { name: 'Scheduler', value: su.address }, { name: 'On-Boot', value: 'Data' }],
    },
    users[0],
  );
  await scheduler.scheduleVerified(processItem);
  for (let k = 0; k < count; k += 1) {
    const item = await createDataItem(
      { data: '', target: processItem.id, anchor: randomAnchor(), tags: transferTags(users[(k * 7 + 1) % USERS].address, 1 + (k % 100)) },
      users[k % USERS],
    );
    await scheduler.scheduleVerified(item);
    if ((k + 1) % 20_000 === 0) log(`log: ${k + 1}/${count} messages signed and scheduled`);
  }
  const buildSeconds = (performance.now() - started) / 1000;
  const slots = store.logs.get(processItem.id);
  return {
    count,
    suAddress: su.address,
    userAddresses: users.map((u) => u.address),
    module: { raw: moduleItem.raw, id: moduleItem.id, owner: moduleItem.ownerAddress, tags: moduleItem.tags },
    process: await store.getProcess(processItem.id),
    entries: slots.map(({ slot, assignment }) => ({ slot, assignment, message: store.items.get(slot.messageId) })),
    buildSeconds,
  };
}

/** A fresh InMemorySchedulerStore holding the log, written through the store's own append path. */
async function restore(data) {
  const store = new InMemorySchedulerStore();
  const [first, ...rest] = data.entries;
  await store.createProcess(data.process, first.slot, first.message, first.assignment);
  await store.withLockedLogs([data.process.id], [], async (logs) => {
    for (const e of rest) logs.append(e.slot, e.assignment, e.message);
  });
  return store;
}

/**
 * The log of `count` Transfers, from the cache or freshly built (and then cached). Answers its
 * entries (slot, assignment and message items), the module item, the SU's and the signers'
 * addresses, `newStore()` (a fresh InMemorySchedulerStore holding it), `cached` and `source`.
 */
export async function tokenLog(count, log) {
  const name = `${PREFIX}${count}-${USERS}-`;
  const file = join(tmpdir(), `${name}${await codeFingerprint()}.v8`);
  let data;
  let source;
  let cached = true;
  try {
    const started = performance.now();
    data = deserialize(await readFile(file));
    if (data.count !== count || data.entries.length !== count + 1) throw new Error(`holds ${data.entries?.length} entries`);
    source = `read in ${((performance.now() - started) / 1000).toFixed(1)} s from ${file} (built in ${data.buildSeconds.toFixed(1)} s)`;
  } catch (error) {
    if (error.code !== 'ENOENT') log(`log cache ${file} unreadable (${error.message}): building it again`);
    log(`building a log of ${count.toLocaleString('en-US')} transfers (Scheduler + InMemorySchedulerStore), cached for the next runs`);
    data = await build(count, log);
    cached = false;
    source = `built in ${data.buildSeconds.toFixed(1)} s, now cached in ${file}`;
    // Older logs of these parameters are stale; the new one appears whole or not at all.
    const stale = (await readdir(tmpdir())).filter((f) => f.startsWith(name) && f.endsWith('.v8'));
    await Promise.all(stale.map((f) => rm(join(tmpdir(), f), { force: true })));
    const partial = `${file}.${process.pid}.tmp`;
    await writeFile(partial, serialize(data));
    await rename(partial, file);
  }
  log(`log of ${count.toLocaleString('en-US')} transfers ${source}`);
  return { ...data, processId: data.process.id, cached, source, newStore: () => restore(data) };
}
