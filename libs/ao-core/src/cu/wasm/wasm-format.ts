/**
 * `Module-Format: wasm32-ao-json-1`: the module item's data is a WebAssembly (wasm32) binary that
 * implements ao's `handle(msgJSON, envJSON) → resultJSON` over its linear memory.
 *
 * Exports (required):
 * - `memory`: its own linear memory (not imported);
 * - `alloc(len: i32) -> i32`: the address of `len` writable bytes; the host writes each input
 *   there and never frees it (a module may reuse the space once `handle` has returned);
 * - `handle(msgPtr: i32, msgLen: i32, envPtr: i32, envLen: i32) -> i32`: the message and the
 *   environment as UTF-8 JSON (the AoMessage, and `{Process:{Id,Owner,Tags}, Module:{Id,Owner,Tags}}`);
 *   answers the address of a 4-byte little-endian length followed by that many bytes of UTF-8
 *   JSON `{Output, Messages, Spawns, Assignments, Error?}` (Messages, Spawns, Assignments may be
 *   left out). The host reads it before any other call.
 *
 * Imports: none, except optionally the function `env.abort` (any signature), which ends the
 * message with an Error. No WASI, clock or randomness: a module can only compute over its input.
 * Features: WebAssembly 2.0 without SIMD, reference types and threads (see WASM_FEATURES).
 *
 * Per message the host calls `alloc` twice (message, then env) and `handle` once, all under one
 * fuel budget. A result with `Error`, a trap, running out of fuel, or an unreadable result leaves
 * the state (memory and mutable globals) as it was before the message.
 */
export const WASM_MODULE_FORMAT = 'wasm32-ao-json-1';
