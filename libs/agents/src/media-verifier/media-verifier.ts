import { z } from 'zod';
import type { Tag } from '@ao/core';
import { param, parseConfig, type Blueprint } from '../blueprint.js';
import { address, agentBootCode, amount, luaConfigSpec, optionalAddress, subscriptionConfigShape } from '../lib/config-spec.js';
import { blueprintLua, bundleLua } from '../lib/lua-libs.js';

/**
 * The media verifier's Lua: the shared Amount, Subscriptions and Agent libraries, the hash
 * registry (libs/agents/lua/media-verifier/registry.lua), then its handlers (verifier.lua).
 */
export const mediaVerifierSource: string = bundleLua(
  ['agent'],
  `do -- media-verifier/registry.lua\n${blueprintLua('media-verifier/registry.lua')}\nend\n`,
  blueprintLua('media-verifier/verifier.lua'),
);

const TOPICS = ['verifications', 'duplicate-alerts', 'config', 'status'] as const;

const mediaVerifierConfigSchema = z.strictObject({
  nearDuplicateMaxDistance: param(z.number().int().min(0).max(16).default(10), {
    help: 'Largest dHash Hamming distance (of 64 bits) at which an item is a near-duplicate of an earlier one (Krawetz: 0 same, 1–10 variations, > 10 different).',
    unit: 'bits',
    hot: true,
  }),
  identicalMaxDistance: param(z.number().int().min(0).max(8).default(0), {
    help: 'An item of the same size and format within this many bits (dHash and aHash) of an earlier one is identical (the same picture re-encoded); identical content (SHA-256) always is.',
    unit: 'bits',
    hot: true,
  }),
  maxPixels: param(z.number().int().min(1).max(50_000_000).default(25_000_000), {
    help: 'Images with more pixels are refused as too-large before their pixels are decoded.',
    unit: 'pixels',
    hot: true,
  }),
  maxBytes: param(z.number().int().min(1).max(64 * 1024 * 1024).default(10 * 1024 * 1024), {
    help: 'Items with more bytes of data are refused as too-large without reading them (the process reads at most its Read-Limit).',
    unit: 'bytes',
    hot: true,
  }),
  lowDetailMinVariance: param(z.number().int().min(0).max(16_384).default(4), {
    help: 'Images whose 8×8 gray grid has a lower variance are low-detail: their hashes are noise, so they are neither compared nor registered.',
    unit: 'gray levels²',
    hot: true,
  }),
  attestors: param(z.array(address()).max(32).default([]), {
    help: 'Addresses besides the owner that may register reference media (Register-Reference).',
    hot: true,
  }),
  feeToken: param(optionalAddress().default(''), {
    help: 'Token process that verification fees must come from (Credit-Notice with X-Action: Verify-Media); empty: verification is free.',
    hot: true,
  }),
  feeAmount: param(amount().default('0'), {
    help: 'Fee per verification in atomic units of the fee token; a request that cannot be served is refunded.',
    unit: 'fee token atomic units',
    hot: true,
  }),
  ...subscriptionConfigShape(TOPICS),
});

/** Settings a media verifier starts with; unset ones keep the defaults. */
export type MediaVerifierConfig = z.input<typeof mediaVerifierConfigSchema>;

/** The fields of a verification result (tags and JSON data), as topics and docs describe them. */
const RESULT_FIELDS: Record<string, string> = {
  requestId: 'id of the request message (Request-Id)',
  mediaId: 'the item verified (Media-Id)',
  author: "the item's signer: its author (Author)",
  contentType: 'its Content-Type tag (Content-Type-Declared)',
  size: 'bytes of its data (Size)',
  blockHeight: 'block that confirmed it (Block-Height)',
  sha256: 'SHA-256 of its data, hex (Content-Sha256)',
  format: 'png | jpeg | unknown (Format)',
  width: 'pixels (Width)',
  height: 'pixels (Height)',
  dhash: '64-bit dHash, hex (DHash)',
  ahash: '64-bit aHash, hex (AHash)',
  variance: 'variance of the 8×8 gray grid (Variance)',
  verdict: 'original | identical | near-duplicate | low-detail | unsupported | too-large (Verdict)',
  reason: 'why, in words (Reason)',
  nearestId: 'earlier item it matches (Nearest-Id)',
  nearestAuthor: "that item's author (Nearest-Author)",
  nearestDistance: 'dHash distance to it, bits (Nearest-Distance)',
  nearestAHashDistance: 'aHash distance to it, bits (Nearest-AHash-Distance)',
  requester: 'who asked (Requester)',
  algorithm: 'hashing rules version (Algorithm)',
  codec: 'id of the codec library item that decoded it (Codec)',
  timestamp: 'message timestamp, ms (Verified-At)',
};

/** Boot code for a media verifier process: its validated config, its Lua config spec, then the blueprint. */
export function mediaVerifierBootCode(input: MediaVerifierConfig = {}): string {
  const config = parseConfig(mediaVerifierBlueprint, input);
  return agentBootCode(config, mediaVerifierSource, { ConfigSpec: luaConfigSpec(mediaVerifierBlueprint) });
}

/**
 * The Process tags a media verifier must be spawned with (besides Authority, On-Boot and the
 * ao tags): the codec library it calls, the tags naming items it may read, and room to decode
 * (gas: a 1024×1024 PNG costs about 25 million; memory for up to maxPixels).
 */
export function mediaVerifierProcessTags(codecId: string): Tag[] {
  return [
    { name: 'Wasm-Library', value: codecId },
    { name: 'Read-Tags', value: 'Media-Id,X-Media-Id' },
    { name: 'Read-Limit', value: '64-mb' },
    { name: 'Compute-Limit', value: '1000000000' },
    { name: 'Memory-Limit', value: '1-gb' },
  ];
}

/** The media verifier: provenance verdicts for media on Arweave. */
export const mediaVerifierBlueprint: Blueprint<typeof mediaVerifierConfigSchema> = {
  name: 'media-verifier',
  version: '1.0.0',
  kind: 'media-verifier',
  title: 'Media verifier',
  description:
    'Reads an image already on Arweave, establishes its author (the signer) and upload block, decodes it inside the process ' +
    '(PNG and baseline/progressive JPEG, in a WebAssembly codec that is itself an Arweave item), hashes it (SHA-256, 64-bit dHash ' +
    'and aHash) and searches the media it saw before: the verdict (original, identical, near-duplicate with the earlier item and ' +
    'its author, low-detail, unsupported, too-large) is a signed, replayable result anyone can re-derive with npm run verify.',
  configSchema: mediaVerifierConfigSchema,
  topics: [
    { name: 'verifications', help: 'Every verification result.', fields: { ...RESULT_FIELDS, timestamp: 'msg.Timestamp' } },
    { name: 'duplicate-alerts', help: 'Results whose verdict is near-duplicate or identical.', fields: { ...RESULT_FIELDS, timestamp: 'msg.Timestamp' } },
    { name: 'config', help: 'An accepted Configure patch.', fields: { configVersion: 'new version', applied: 'keys', values: 'their new values', actingUser: 'Acting-User' } },
    { name: 'status', help: 'A status change.', fields: { status: 'new status', previousStatus: 'old status', reason: 'why', actingUser: 'Acting-User' } },
  ],
  actions: [
    { name: 'Verify-Media', kind: 'command', audience: 'anyone', tags: { 'Media-Id': 'the item to verify' }, help: 'Verification-Result to the sender and the topics, or Verify-Media-Error (not-admissible, payment-required, not-running, ...). Needs status Running.' },
    { name: 'Credit-Notice/Verify-Media', kind: 'event', audience: 'token', tags: { 'X-Media-Id': 'the item to verify' }, help: 'A paid request (Config.feeToken, at least feeAmount); refunded with X-Error when it cannot be served.' },
    { name: 'Register-Reference', kind: 'command', audience: 'owner', tags: { 'Media-Id': 'an item to register', Hash: 'or a dHash (16 hex digits)', AHash: 'optional aHash', Author: 'optional', Label: 'optional' }, help: 'Adds known media (owner or attestors); Register-Reference-Confirmation.' },
    { name: 'Find-Similar', kind: 'query', audience: 'anyone', tags: { Hash: 'dHash (16 hex digits)', 'Max-Distance': '0..16 bits (default nearDuplicateMaxDistance)' }, help: 'Find-Similar-Result: up to 20 registered items, nearest first.' },
    { name: 'Get-Result', kind: 'query', audience: 'anyone', tags: { 'Request-Id': 'a Verify-Media message id' }, help: 'The stored Verification-Result, or Get-Result-Error.' },
    { name: 'Configure', kind: 'command', audience: 'owner', help: 'Data: JSON patch; Configure-Response.' },
    { name: 'Start', kind: 'command', audience: 'owner', help: 'Status Running (verifications are served).' },
    { name: 'Stop', kind: 'command', audience: 'owner', help: 'Status Stopped.' },
    { name: 'Kill', kind: 'command', audience: 'owner', help: 'Status Killed for good.' },
    { name: 'Info', kind: 'query', audience: 'anyone', help: 'Verdict counts, registry size, codec id.' },
    { name: 'Get-Config', kind: 'query', audience: 'anyone', help: 'Config, version and history.' },
  ],
  source: mediaVerifierSource,
  bootCode: mediaVerifierBootCode,
};
