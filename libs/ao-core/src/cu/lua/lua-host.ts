/**
 * The host function a Lua runtime receives as its chunk argument (see libs/ao-core/lua/README.md,
 * "Host calls"): Lua calls it as `host(op, ...)` with string (or nil) arguments and gets values
 * back. It runs inside a message's call, under that call's gas budget.
 */
export interface HostCall {
  /** Number of arguments. */
  readonly argc: number;
  /** Argument `i` (1-based) as bytes, undefined unless it is a string. */
  bytes(i: number): Uint8Array | undefined;
  /** Argument `i` as UTF-8 text, undefined unless it is a string. */
  text(i: number): string | undefined;
  /** Gas the running call may still use. */
  gasLeft(): number;
  /** Charges gas to the running call; false when that exhausts its budget (the call then ends with "out of gas"). */
  charge(gas: number): boolean;
  /** Bytes the process may still allocate (a value larger than this cannot be returned). */
  memoryLeft(): number;
}

/** A value returned to Lua: nil, a boolean, an integer, or a string (text or bytes). */
export type HostValue = null | boolean | number | string | Uint8Array;

/** Handles one host call; what it throws becomes a Lua error. */
export type HostFunction = (call: HostCall) => HostValue[];
