import { promisify } from 'node:util';
import { constants, gunzip, gzip } from 'node:zlib';
import type { CheckpointCodec } from '@ao/core';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * Checkpoint images gzipped at level 1 (a heap is mostly zeros and repeated structure: fast and
 * ~20:1 on a fresh heap); zlib runs on libuv's pool, so evaluation continues meanwhile. Reads
 * also accept `identity`. A truncated or damaged stream fails to decode (gzip's CRC-32 and length).
 */
export const gzipCheckpointCodec: CheckpointCodec = {
  contentEncoding: 'gzip',
  async encode(raw) {
    return gzipAsync(raw, { level: constants.Z_BEST_SPEED });
  },
  async decode(encoded, contentEncoding) {
    if (contentEncoding === 'identity') return encoded;
    if (contentEncoding !== 'gzip') throw new Error(`unknown checkpoint encoding ${contentEncoding}`);
    return gunzipAsync(encoded);
  },
};
