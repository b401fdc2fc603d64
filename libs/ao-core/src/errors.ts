/** Stable machine-readable codes for every error the domain raises; adapters map them to HTTP or job failures. */
export type AoErrorCode =
  | 'INVALID_ITEM'
  | 'BAD_SIGNATURE'
  | 'UNSUPPORTED_SIGNATURE'
  | 'ITEM_TOO_LARGE'
  | 'INVALID_TAGS'
  | 'INVALID_PROTOCOL'
  | 'UNKNOWN_PROCESS'
  | 'UNKNOWN_MESSAGE'
  | 'PROCESS_EXISTS'
  | 'INVALID_REQUEST'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'BROKEN_HASH_CHAIN'
  | 'UNKNOWN_MODULE_FORMAT'
  | 'MODULE_LOAD_FAILED'
  | 'GATEWAY_UNAVAILABLE'
  | 'BACKPRESSURE'
  | 'RATE_LIMITED'
  | 'EVALUATION_TIMEOUT'
  | 'EVALUATION_STOPPED'
  | 'INTERNAL';

/** Whether retrying the same input can succeed: adapters retry transient errors and fail permanent ones. */
export type AoErrorKind = 'permanent' | 'transient';

/** The one error class of the domain: a code, a message for humans and optional structured details. */
export class AoError extends Error {
  constructor(
    readonly code: AoErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly kind: AoErrorKind = 'permanent',
  ) {
    super(message);
    this.name = 'AoError';
  }
}

/** True when the value is an AoError with the given code (or any AoError when no code is given). */
export function isAoError(value: unknown, code?: AoErrorCode): value is AoError {
  return value instanceof AoError && (code === undefined || value.code === code);
}
