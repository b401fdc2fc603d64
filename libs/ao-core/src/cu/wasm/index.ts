export { WASM_MODULE_FORMAT } from './wasm-format.js';
export { WasmEvaluatorFactory } from './wasm-evaluator.js';
export { WasmProcess, type WasmEvaluatorOptions } from './wasm-process.js';
export { watToWasm, WASM_FEATURES } from './wabt.js';
export { tokenModuleWat, tokenModuleWasm, wasmModuleTags, wasmModuleDef } from './testing.js';
