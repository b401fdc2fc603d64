import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createDataItem, Ed25519ItemSigner, type ItemSigner, type Tag } from '@ao/core';

/** A fresh Ed25519 user key, as a client would hold. */
export function newUser(): ItemSigner {
  return new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
}

const ao = (type: string): Tag[] => [
  { name: 'Data-Protocol', value: 'ao' },
  { name: 'Variant', value: 'ao.TN.1' },
  { name: 'Type', value: type },
];

/** A signed Process item naming `scheduler` and `module`. */
export async function processItem(signer: ItemSigner, scheduler: string, extra: Tag[] = [], data = 'process', module = 'M'.repeat(43)) {
  // A random anchor: Ed25519 signatures are deterministic, so equal content would be the same process.
  return createDataItem({ data, anchor: randomAnchor(), tags: [...ao('Process'), { name: 'Module', value: module }, { name: 'Scheduler', value: scheduler }, ...extra] }, signer);
}

/** A 32-character anchor, different every call. */
export function randomAnchor(): string {
  return randomBytes(24).toString('base64url');
}

/** A signed Message item to `process` (a random anchor unless one is given, so each call is a new message). */
export async function messageItem(signer: ItemSigner, process: string, extra: Tag[] = [], data: string | Uint8Array = 'hello', anchor = randomAnchor()) {
  return createDataItem({ data, target: process, anchor, tags: [...ao('Message'), ...extra] }, signer);
}
