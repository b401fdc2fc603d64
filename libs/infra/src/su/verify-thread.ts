import { parentPort } from 'node:worker_threads';
import { isAoError, verifyRawDataItem } from '@ao/core';
import { currentThreadId } from '../metrics/pipeline-counters.js';
import type { VerifiedFields, VerifyFailure, VerifyRequest, VerifyResponse, VerifyThreadStarted } from './verify-protocol.js';

/** Parses and verifies one item of a batch; the fields' Buffers become offsets into the item's bytes. */
function verifyOne(raw: Buffer, request: VerifyRequest): VerifiedFields | VerifyFailure {
  try {
    const item = verifyRawDataItem(raw, request.limits);
    const at = (b: Buffer): [number, number] => [b.byteOffset - raw.byteOffset, b.byteOffset - raw.byteOffset + b.length];
    return {
      ok: true,
      id: item.id,
      signatureType: item.signatureType,
      ownerAddress: item.ownerAddress,
      ...(item.target !== undefined ? { target: item.target } : {}),
      ...(item.anchor !== undefined ? { anchor: item.anchor } : {}),
      tags: item.tags,
      dedupeKey: item.dedupeKey,
      signature: at(item.signature),
      owner: at(item.owner),
      dataStart: at(item.data)[0],
    };
  } catch (error) {
    if (isAoError(error)) return { ok: false, code: error.code, message: error.message, details: error.details, kind: error.kind };
    return { ok: false, code: 'INTERNAL', message: `Verification failed: ${(error as Error).message}`, kind: 'transient' };
  }
}

parentPort?.on('message', (request: VerifyRequest) => {
  const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
  const outcomes = request.ends.map((end, i) => verifyOne(bytes.subarray(i === 0 ? 0 : request.ends[i - 1], end), request));
  const response: VerifyResponse = { batch: request.batch, bytes: request.bytes, outcomes };
  parentPort?.postMessage(response, [request.bytes.buffer as ArrayBuffer]);
});
// The OS thread id, for a benchmark that reads each thread's CPU time (the pipeline counters' thread list).
parentPort?.postMessage({ tid: currentThreadId() } satisfies VerifyThreadStarted);
