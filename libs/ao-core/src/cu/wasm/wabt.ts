import loadWabt from 'wabt';

/** The wabt toolkit (a WebAssembly build of WABT), loaded once per process. */
export type Wabt = Awaited<ReturnType<typeof loadWabt>>;

let toolkit: Promise<Wabt> | undefined;

/** Loads wabt on first use (it compiles a ~700 KB wasm module). */
export function wabt(): Promise<Wabt> {
  toolkit ??= loadWabt();
  return toolkit;
}

/**
 * The WebAssembly features a process module may use: the finished proposals whose semantics are
 * deterministic and whose state lives in memory and globals. SIMD (NaN payloads, relaxed
 * variants), threads, reference types (table state), exceptions and tail calls are off.
 */
export const WASM_FEATURES = {
  mutable_globals: true,
  sat_float_to_int: true,
  sign_extension: true,
  multi_value: true,
  bulk_memory: true,
  simd: false,
  threads: false,
  reference_types: false,
  exceptions: false,
  tail_call: false,
  function_references: false,
  gc: false,
  memory64: false,
  relaxed_simd: false,
  extended_const: false,
  annotations: false,
  code_metadata: false,
} as const;

/** Compiles WebAssembly text to a binary (used by tests and tools to build modules). */
export async function watToWasm(text: string, filename = 'module.wat'): Promise<Uint8Array> {
  const w = await wabt();
  const mod = w.parseWat(filename, text, WASM_FEATURES);
  try {
    mod.resolveNames();
    mod.validate();
    return mod.toBinary({}).buffer;
  } finally {
    mod.destroy();
  }
}
