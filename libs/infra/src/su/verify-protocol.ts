import type { AoErrorCode, AoErrorKind, ParseLimits, SignatureType, Tag } from '@ao/core';

/** A batch of raw items sent to a verify thread: one buffer (transferred), item i at [ends[i-1], ends[i]). */
export interface VerifyRequest {
  batch: number;
  bytes: Uint8Array;
  ends: number[];
  limits?: Partial<ParseLimits>;
}

/** A verified item's fields; its Buffers are given as [start, end) offsets into its own raw bytes. */
export interface VerifiedFields {
  ok: true;
  id: string;
  signatureType: SignatureType;
  ownerAddress: string;
  target?: string;
  anchor?: string;
  tags: Tag[];
  dedupeKey: string;
  signature: [number, number];
  owner: [number, number];
  dataStart: number;
}

/** Why an item was refused, as the AoError the thread raised. */
export interface VerifyFailure {
  ok: false;
  code: AoErrorCode;
  message: string;
  details?: Record<string, unknown>;
  kind: AoErrorKind;
}

/** The answer to a batch: the same bytes back (transferred), one outcome per item. */
export interface VerifyResponse {
  batch: number;
  bytes: Uint8Array;
  outcomes: (VerifiedFields | VerifyFailure)[];
}

/** A thread's first message: its Linux thread id (absent where /proc/thread-self does not exist). */
export interface VerifyThreadStarted {
  tid?: number;
}
