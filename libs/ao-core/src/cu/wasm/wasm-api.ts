/**
 * The part of the WebAssembly JavaScript API the evaluator uses, typed here because the Node 20
 * type definitions do not declare it (and the DOM lib is not loaded in ao-core).
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface WasmGlobal {
  value: number | bigint;
}

/** A compiled module (`WebAssembly.Module`). */
export interface WasmCompiled {
  readonly [Symbol.toStringTag]: string;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmCompiled>;
  Module: new (bytes: Uint8Array) => WasmCompiled;
  Instance: new (module: WasmCompiled, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  RuntimeError: new (message?: string) => Error;
}

export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
