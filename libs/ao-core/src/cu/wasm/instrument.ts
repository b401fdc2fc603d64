import { WASM_FEATURES, wabt } from './wabt.js';
import { wasmApi, type WasmCompiled } from './wasm-api.js';

/** Names the instrumentation adds; a module that already uses them is refused. */
export const FUEL_EXPORT = '__ao_fuel';
export const DEPTH_EXPORT = '__ao_depth';
const GLOBAL_EXPORT_PREFIX = '__ao_g';

/** A mutable global of the process's state, exported under `exportName` by the instrumentation. */
export interface StateGlobal {
  exportName: string;
  type: 'i32' | 'i64' | 'f32' | 'f64';
}

export interface InstrumentOptions {
  /** Cap on the linear memory, in 64 KiB pages. */
  maxPages: number;
  /** Deepest call nesting allowed, counted in wasm frames. */
  maxCallDepth: number;
  /** Fuel the start function (if any) may use while the module is instantiated. */
  startFuel: number;
  /**
   * Functions the module must export, as [name, params, results] in wat text; the process ABI
   * (`alloc`, `handle`) when absent.
   */
  requiredExports?: ReadonlyArray<readonly [name: string, params: string, results: string]>;
}

export interface InstrumentedModule {
  module: WasmCompiled;
  /** The mutable globals of the module, in index order (the fuel and depth counters excluded). */
  globals: StateGlobal[];
  initialPages: number;
  maxPages: number;
  /** The exported functions and their types (`(param i32 i32)`, `(result i32)`; empty when none). */
  functions: Map<string, { params: string; results: string }>;
}

const PROCESS_EXPORTS = [
  ['alloc', '(param i32)', '(result i32)'],
  ['handle', '(param i32 i32 i32 i32)', '(result i32)'],
] as const;

/** A module that cannot run as a process; the message says why. */
export class WasmModuleError extends Error {}

const PAGE = 65536;
const FORBIDDEN = new Set(['data.drop', 'elem.drop', 'table.copy', 'table.init', 'table.set', 'table.grow', 'table.fill']);
const BULK = new Set(['memory.copy', 'memory.fill', 'memory.init']);

interface FuncField {
  header: string;
  locals: string[];
  body: string[];
  params: string;
  results: string;
}

/**
 * Checks a process module and rewrites it so that it is metered and capped (see the README
 * section "WASM processes" for the cost model):
 * - every function entry and every `loop` header charges the mutable i64 global `__ao_fuel` by
 *   the number of instructions lexically in its segment (the function's body, or the loop's
 *   body, nested loops excluded; at least 1), and traps with `unreachable` once it is negative;
 *   `memory.copy/fill/init` also charge 1 per 64 bytes of their length;
 * - every function entry increments `__ao_depth` and traps beyond `maxCallDepth` (returns are
 *   turned into branches to one exit that decrements it);
 * - the memory's maximum becomes min(declared, cap); a larger initial memory is refused;
 * - every mutable global is exported as `__ao_g<index>`, so snapshots capture it.
 * The rewrite goes through wabt's flat text format (one instruction per line).
 */
export async function instrumentModule(source: Uint8Array, options: InstrumentOptions): Promise<InstrumentedModule> {
  const w = await wabt();
  let text: string;
  try {
    const mod = w.readWasm(source, { readDebugNames: false, check: true, ...WASM_FEATURES });
    try {
      mod.validate();
      text = mod.toText({ foldExprs: false, inlineExport: false });
    } finally {
      mod.destroy();
    }
  } catch (error) {
    throw new WasmModuleError(`not a valid WebAssembly module: ${firstLines(error)}`);
  }
  const rewritten = rewrite(text, options);
  let binary: Uint8Array;
  try {
    const mod = w.parseWat('instrumented.wat', rewritten.text, WASM_FEATURES);
    try {
      mod.resolveNames();
      mod.validate();
      binary = mod.toBinary({}).buffer;
    } finally {
      mod.destroy();
    }
  } catch (error) {
    throw new WasmModuleError(`the module cannot be instrumented: ${firstLines(error)}`);
  }
  return {
    module: await wasmApi.compile(binary),
    globals: rewritten.globals,
    initialPages: rewritten.initialPages,
    maxPages: rewritten.maxPages,
    functions: rewritten.functions,
  };
}

function firstLines(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').filter((l) => l.trim()).slice(0, 3).join(' ').slice(0, 500);
}

interface Rewritten {
  text: string;
  globals: StateGlobal[];
  initialPages: number;
  maxPages: number;
  functions: Map<string, { params: string; results: string }>;
}

function rewrite(text: string, options: InstrumentOptions): Rewritten {
  const trimmed = text.trimEnd();
  if (!trimmed.startsWith('(module') || !trimmed.endsWith(')')) throw new WasmModuleError('unexpected module text');
  // wasm2wat closes the module (and each func) by appending ")" to its last line
  const lines = trimmed.slice(0, -1).split('\n');
  const fields: string[][] = [];
  for (const line of lines.slice(1)) {
    if (line.startsWith('  (')) fields.push([line]);
    else if (fields.length && line.trim()) fields[fields.length - 1].push(line);
  }
  const out: string[] = ['(module'];
  const globals: StateGlobal[] = [];
  const funcs: FuncField[] = [];
  const exports = new Map<string, { kind: string; index: number }>();
  let importedFuncs = 0;
  let memory: { initial: number; max: number } | undefined;
  let globalIndex = 0;

  for (const field of fields) {
    const head = field[0].trim();
    const kind = /^\((\w+)/.exec(head)?.[1];
    switch (kind) {
      case 'import': {
        const m = /^\(import "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)" \((\w+)/.exec(head);
        if (!m || m[1] !== 'env' || m[2] !== 'abort' || m[3] !== 'func') {
          throw new WasmModuleError(
            `the module imports ${m ? `${m[3]} "${m[1]}"."${m[2]}"` : 'something'}; a process module may import only the function "env"."abort"`,
          );
        }
        importedFuncs++;
        out.push(...field);
        break;
      }
      case 'memory': {
        const m = /^\(memory \(;\d+;\) (\d+)(?: (\d+))?\)$/.exec(head);
        if (!m || memory) throw new WasmModuleError(`unsupported memory declaration: ${head}`);
        const initial = Number(m[1]);
        const declared = m[2] === undefined ? Number.POSITIVE_INFINITY : Number(m[2]);
        if (initial > options.maxPages) {
          throw new WasmModuleError(
            `the module's initial memory (${initial * PAGE} bytes) exceeds the process's memory limit (${options.maxPages * PAGE} bytes)`,
          );
        }
        memory = { initial, max: Math.min(declared, options.maxPages) };
        out.push(`  (memory (;0;) ${memory.initial} ${memory.max})`);
        break;
      }
      case 'global': {
        const m = /^\(global \(;(\d+);\) \(mut (i32|i64|f32|f64)\)/.exec(head);
        if (m) globals.push({ exportName: `${GLOBAL_EXPORT_PREFIX}${globalIndex}`, type: m[2] as StateGlobal['type'] });
        else if (/^\(global \(;\d+;\) \(mut /.test(head)) throw new WasmModuleError(`unsupported mutable global: ${head}`);
        globalIndex++;
        out.push(...field);
        break;
      }
      case 'export': {
        const m = /^\(export "((?:[^"\\]|\\.)*)" \((\w+) (\d+)\)\)$/.exec(head);
        if (!m) throw new WasmModuleError(`unsupported export: ${head}`);
        if (m[1].startsWith('__ao_')) throw new WasmModuleError(`export names starting with __ao_ are reserved: ${m[1]}`);
        exports.set(m[1], { kind: m[2], index: Number(m[3]) });
        out.push(...field);
        break;
      }
      case 'func': {
        const func = parseFunc(field);
        funcs.push(func);
        out.push(...instrumentFunc(func, options.maxCallDepth));
        break;
      }
      case 'type':
      case 'table':
      case 'start':
      case 'elem':
      case 'data':
        out.push(...field);
        break;
      default:
        throw new WasmModuleError(`unsupported module field: ${head.slice(0, 80)}`);
    }
  }

  if (!memory || exports.get('memory')?.kind !== 'memory') throw new WasmModuleError('the module must define its memory and export it as "memory"');
  for (const [name, params, results] of options.requiredExports ?? PROCESS_EXPORTS) checkExport(exports, funcs, importedFuncs, name, params, results);
  const functions = new Map<string, { params: string; results: string }>();
  for (const [name, e] of exports) {
    const func = e.kind === 'func' ? funcs[e.index - importedFuncs] : undefined;
    if (func) functions.set(name, { params: func.params, results: func.results });
  }

  out.push(`  (global $${FUEL_EXPORT} (mut i64) (i64.const ${Math.max(0, Math.floor(options.startFuel))}))`);
  out.push(`  (global $${DEPTH_EXPORT} (mut i32) (i32.const 0))`);
  out.push(`  (export "${FUEL_EXPORT}" (global $${FUEL_EXPORT}))`);
  out.push(`  (export "${DEPTH_EXPORT}" (global $${DEPTH_EXPORT}))`);
  for (const g of globals) out.push(`  (export "${g.exportName}" (global ${g.exportName.slice(GLOBAL_EXPORT_PREFIX.length)}))`);
  out.push(')');
  return { text: out.join('\n'), globals, initialPages: memory.initial, maxPages: memory.max, functions };
}

function checkExport(
  exports: Map<string, { kind: string; index: number }>,
  funcs: FuncField[],
  importedFuncs: number,
  name: string,
  params: string,
  results: string,
): void {
  const exported = exports.get(name);
  const func = exported?.kind === 'func' ? funcs[exported.index - importedFuncs] : undefined;
  if (!func) throw new WasmModuleError(`the module must export a function "${name}"`);
  if (func.params !== params || func.results !== results) {
    throw new WasmModuleError(`"${name}" must have the type ${params} ${results}, not ${func.params || '(param)'} ${func.results || '(result)'}`);
  }
}

function parseFunc(field: string[]): FuncField {
  const lines = [...field];
  // the func's closing ")" is appended to its last line
  lines[lines.length - 1] = lines[lines.length - 1].slice(0, -1);
  const header = lines[0];
  const locals: string[] = [];
  let i = 1;
  while (i < lines.length && lines[i].trim().startsWith('(local ')) locals.push(lines[i++]);
  return {
    header,
    locals,
    body: lines.slice(i),
    params: /\(param [^)]*\)/.exec(header)?.[0] ?? '',
    results: /\(result [^)]*\)/.exec(header)?.[0] ?? '',
  };
}

const charge = (cost: string[]): string[] => [
  `global.get $${FUEL_EXPORT}`,
  ...cost,
  'i64.sub',
  `global.set $${FUEL_EXPORT}`,
  `global.get $${FUEL_EXPORT}`,
  'i64.const 0',
  'i64.lt_s',
  'if',
  'unreachable',
  'end',
];

/** Adds metering and the depth counter to one function (see instrumentModule). */
function instrumentFunc(func: FuncField, maxCallDepth: number): string[] {
  const ops = func.body.map((line) => line.trim().split(/\s+/)[0]);
  // pass 1: the static cost of the function's segment and of each loop's
  const costs: number[] = [0];
  const loopCost: number[] = [];
  const segments: number[] = [0];
  const blocks: string[] = [];
  for (const op of ops) {
    if (FORBIDDEN.has(op)) throw new WasmModuleError(`the module uses ${op}, which changes state outside memory and globals`);
    costs[segments[segments.length - 1]]++;
    if (op === 'block' || op === 'if') blocks.push(op);
    else if (op === 'loop') {
      blocks.push(op);
      costs.push(0);
      loopCost.push(costs.length - 1);
      segments.push(costs.length - 1);
    } else if (op === 'end') {
      if (blocks.pop() === 'loop') segments.pop();
    }
  }
  const usesBulk = ops.some((op) => BULK.has(op));
  // pass 2: emit
  const out = [func.header, ...func.locals];
  if (usesBulk) out.push('    (local $__ao_n i32)');
  out.push(
    `global.get $${DEPTH_EXPORT}`,
    'i32.const 1',
    'i32.add',
    `global.set $${DEPTH_EXPORT}`,
    `global.get $${DEPTH_EXPORT}`,
    `i32.const ${maxCallDepth}`,
    'i32.gt_u',
    'if',
    'unreachable',
    'end',
    ...charge([`i64.const ${Math.max(1, costs[0])}`]),
    func.results ? `block ${func.results}` : 'block',
  );
  let depth = 0;
  let loops = 0;
  func.body.forEach((line, i) => {
    const op = ops[i];
    if (op === 'return') {
      out.push(`br ${depth}`);
      return;
    }
    if (BULK.has(op)) {
      out.push('local.tee $__ao_n', ...charge(['local.get $__ao_n', 'i64.extend_i32_u', 'i64.const 6', 'i64.shr_u']));
    }
    out.push(line);
    if (op === 'block' || op === 'if' || op === 'loop') depth++;
    else if (op === 'end') depth--;
    if (op === 'loop') out.push(...charge([`i64.const ${Math.max(1, costs[loopCost[loops++]])}`]));
  });
  out.push('end', `global.get $${DEPTH_EXPORT}`, 'i32.const 1', 'i32.sub', `global.set $${DEPTH_EXPORT})`);
  return out;
}
