import { createHash } from 'node:crypto';
import { AoError } from '../../errors.js';
import type { EvalLimits, EvaluatorFactory, ModuleDef, ProcessEnv, ProcessInstance } from '../evaluator.js';
import { instrumentModule, type InstrumentedModule } from './instrument.js';
import { WASM_MODULE_FORMAT } from './wasm-format.js';
import { WASM_DEFAULTS, WasmProcess, type WasmEvaluatorOptions } from './wasm-process.js';

const PAGE = 65536;
/** Whole pages whose byte length still fits a u32 (the checkpoint format's memory length). */
const MAX_PAGES = 65535;
/** Instrumented modules kept compiled (per module and limits). */
const CACHE_SIZE = 32;

/**
 * Evaluates `wasm32-ao-json-1` modules (ABI in wasm-format.ts, README "WASM processes"). A module
 * is checked, metered and capped once per (binary, limits) and kept compiled; each process gets
 * its own instance. A module that cannot run fails with MODULE_LOAD_FAILED.
 */
export class WasmEvaluatorFactory implements EvaluatorFactory {
  readonly formats = [WASM_MODULE_FORMAT] as const;
  private readonly options: Required<WasmEvaluatorOptions>;
  private readonly compiled = new Map<string, Promise<InstrumentedModule>>();

  constructor(options: WasmEvaluatorOptions = {}) {
    this.options = { ...WASM_DEFAULTS, ...options };
  }

  async create(mod: ModuleDef, env: ProcessEnv, limits: EvalLimits, checkpoint?: Uint8Array): Promise<ProcessInstance> {
    const digest = createHash('sha256').update(mod.source).digest('hex');
    try {
      return WasmProcess.create(await this.instrumented(digest, mod, limits), env, limits, this.options, digest, checkpoint);
    } catch (error) {
      if (error instanceof AoError) throw error;
      const why = error instanceof Error ? error.message : String(error);
      throw new AoError('MODULE_LOAD_FAILED', `cannot load module ${mod.id}: ${why}`, { module: mod.id, format: mod.format });
    }
  }

  private instrumented(digest: string, mod: ModuleDef, limits: EvalLimits): Promise<InstrumentedModule> {
    const maxPages = Math.min(MAX_PAGES, Math.floor(limits.memoryBytes / PAGE));
    const key = `${digest}:${maxPages}:${limits.gas}`;
    let found = this.compiled.get(key);
    if (found) {
      this.compiled.delete(key);
    } else {
      found = instrumentModule(mod.source, { maxPages, maxCallDepth: this.options.maxCallDepth, startFuel: limits.gas });
      found.catch(() => this.compiled.delete(key));
    }
    this.compiled.set(key, found);
    while (this.compiled.size > CACHE_SIZE) this.compiled.delete(this.compiled.keys().next().value as string);
    return found;
  }
}

