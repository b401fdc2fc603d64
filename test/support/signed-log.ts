import {
  aosModuleData,
  aosModuleTags,
  assignmentTags,
  createDataItem,
  nextHashChain,
  seedHashChain,
  type ItemSigner,
  type SignedDataItem,
  type Tag,
} from '@ao/core';
import { messageItem, newUser, processItem } from './items.js';

/**
 * Builds a process log signed by test keys, as an SU would write it, without any platform: a
 * Process item, messages, and the Scheduler's hash-chained assignments. Tests tamper with the
 * pieces before uploading them.
 */

/** One slot before it is signed: what the assignment will say. */
export interface SlotSpec {
  nonce: number;
  messageId?: string;
  /** Set only to override the honest chain value. */
  hashChain?: string;
  timestamp: number;
  blockHeight: number;
}

export interface SignedLog {
  process: SignedDataItem;
  /** Messages by nonce (index 0 is the Process item). */
  messages: SignedDataItem[];
  slots: SlotSpec[];
}

/** A `Type: Module` item of the aos runtime signed by `signer` (its address becomes a trusted pusher). */
export function aosModuleItem(signer: ItemSigner): Promise<SignedDataItem> {
  return createDataItem({ data: aosModuleData(), tags: aosModuleTags() }, signer);
}

/** A process with boot code and `messages.length` messages, with the slots an honest SU would give them. */
export async function buildLog(opts: {
  owner: ItemSigner;
  su: ItemSigner;
  moduleId: string;
  bootCode: string;
  messages: { tags: Tag[]; data?: string; signer?: ItemSigner }[];
  startMs?: number;
}): Promise<SignedLog> {
  const process = await processItem(opts.owner, opts.su.address, [{ name: 'On-Boot', value: 'Data' }], opts.bootCode, opts.moduleId);
  const messages: SignedDataItem[] = [process];
  for (const m of opts.messages) messages.push(await messageItem(m.signer ?? opts.owner, process.id, m.tags, m.data ?? ''));
  const start = opts.startMs ?? 1_700_000_000_000;
  const slots = messages.map((m, nonce) => ({ nonce, messageId: nonce ? m.id : undefined, timestamp: start + nonce * 1000, blockHeight: 100 }));
  return { process, messages, slots };
}

/**
 * Signs the assignments of a log with `su`, each Hash-Chain chained onto the assignment signed
 * before it; `tamper(slot)` may change a slot (nonce, hashChain, timestamp...) before it is signed.
 */
export async function signAssignments(
  su: ItemSigner,
  processId: string,
  slots: SlotSpec[],
  tamper: (slot: SlotSpec) => SlotSpec = (s) => s,
): Promise<SignedDataItem[]> {
  const out: SignedDataItem[] = [];
  let prev: { id: string; hashChain: string } | undefined;
  for (const honest of slots) {
    const chained = { ...honest, hashChain: prev ? nextHashChain(prev.id, prev.hashChain) : seedHashChain(processId) };
    const slot = tamper({ ...chained });
    const item = await createDataItem({ data: '', tags: assignmentTags({ processId, ...slot, hashChain: slot.hashChain ?? chained.hashChain }) }, su);
    out.push(item);
    // The next slot chains onto what an honest SU signed at this position.
    prev = { id: item.id, hashChain: chained.hashChain };
  }
  return out;
}

/** A signer that writes `claimed`'s key as owner but signs with `actual`'s: the signature will not verify. */
export function forgingSigner(claimed: ItemSigner, actual: ItemSigner): ItemSigner {
  return {
    signatureType: claimed.signatureType,
    signatureLength: claimed.signatureLength,
    ownerLength: claimed.ownerLength,
    publicKey: claimed.publicKey,
    address: claimed.address,
    sign: (message) => actual.sign(message),
  };
}

/** The raw bytes of `item` with its data replaced by `data` of the same length, signature kept (so the id is too). */
export function alterData(item: SignedDataItem, data: string): Buffer {
  const bytes = Buffer.from(data);
  if (bytes.length !== item.data.length) throw new Error('alterData keeps the length');
  const raw = Buffer.from(item.raw);
  raw.set(bytes, raw.length - bytes.length);
  return raw;
}

const COUNTER_BOOT = `Count = 0
Handlers.add("Inc", "Inc", function(msg) Count = Count + 1; msg.reply({ Data = tostring(Count) }) end)`;

/** A signed log of an aos counter process (its module item too) with `count` `Inc` messages, and the SU's signed assignments. */
export async function counterLog(count: number) {
  const owner = newUser();
  const su = newUser();
  const mod = await aosModuleItem(newUser());
  const log = await buildLog({ owner, su, moduleId: mod.id, bootCode: COUNTER_BOOT, messages: Array.from({ length: count }, () => ({ tags: [{ name: 'Action', value: 'Inc' }], data: 'inc' })) });
  const assignments = await signAssignments(su, log.process.id, log.slots);
  return { owner, su, mod, log, assignments };
}
