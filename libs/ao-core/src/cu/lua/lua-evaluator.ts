import type { EvalLimits, EvaluatorFactory, ModuleDef, ProcessEnv, ProcessInstance } from '../evaluator.js';
import { AOS_MODULE_FORMAT } from './aos-module.js';
import { LuaProcess, type LuaEvaluatorOptions } from './lua-process.js';

/**
 * Evaluates `lua-5.4-aos` modules: the module's data is a Lua 5.4 chunk following the host
 * protocol of libs/ao-core/lua/README.md (the aos runtime of `aosRuntimeSource()`, or any chunk
 * that returns `{handle, canonicalState}`). Each process gets its own WebAssembly instance
 * (~16 MiB of linear memory while live).
 */
export class LuaEvaluatorFactory implements EvaluatorFactory {
  readonly formats = [AOS_MODULE_FORMAT] as const;

  constructor(private readonly options: LuaEvaluatorOptions = {}) {}

  async create(mod: ModuleDef, env: ProcessEnv, limits: EvalLimits, checkpoint?: Uint8Array): Promise<ProcessInstance> {
    return LuaProcess.create(mod, env, limits, this.options, checkpoint);
  }
}
