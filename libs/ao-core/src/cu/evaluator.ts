import { AoError } from '../errors.js';
import type { EvalResult, Tag } from '../types.js';

/**
 * A message as a process sees it: the data item merged with its assignment (ao CU shape).
 * `From` is `From-Process` when a trusted pusher relayed it, else the signer; `Forwarded-By` is
 * the pusher. Dry-runs carry `Read-Only: true` and may lack the assignment fields.
 */
export interface AoMessage {
  Id: string;
  Owner: string;
  From: string;
  Target: string;
  Anchor?: string;
  /**
   * The item's data: text when its bytes are UTF-8, else the bytes themselves (a Lua string is
   * bytes, so the process sees exactly the item's data either way; see toAoMessage).
   */
  Data: string | Uint8Array;
  Tags: Tag[];
  Nonce?: number;
  Epoch?: number;
  Timestamp: number;
  'Block-Height': number;
  'Hash-Chain'?: string;
  Cron: boolean;
  'Read-Only': boolean;
  'Forwarded-By'?: string;
  Module?: string;
  Signature?: string;
}

/** A module: the `Type: Module` item; `source` is its data (Lua text, or WASM bytes later). */
export interface ModuleDef {
  id: string;
  owner: string;
  tags: Tag[];
  /** The item's `Module-Format` tag, e.g. `lua-5.4-aos`. */
  format: string;
  source: Uint8Array;
}

/** The environment handed to the module with every message (ao's `AoGlobal`). */
export interface ProcessEnv {
  Process: { Id: string; Owner: string; Tags: Tag[] };
  Module: { Id: string; Owner: string; Tags: Tag[] };
}

/** Per-process limits; both are part of the process's semantics, so every replay must use the same. */
export interface EvalLimits {
  /** Instruction budget of one message (Lua VM instructions). */
  gas: number;
  /** Cap on the bytes the process's VM may allocate. */
  memoryBytes: number;
}

/** One live process: folds messages into its state. Calls run one at a time, in call order. */
export interface ProcessInstance {
  /**
   * Evaluates the next message; a result with `Error` leaves the state as it was before. The
   * message must not be mutated afterwards: it may be evaluated again to roll back a later one.
   */
  evaluate(msg: AoMessage): Promise<EvalResult>;
  /** Evaluates a message against the current state and forgets every effect. */
  dryRun(msg: AoMessage): Promise<EvalResult>;
  /** Hex SHA-256 of a canonical serialization of the state; equal states give equal hashes. */
  stateHash(): Promise<string>;
  /** An opaque image of the current state that `EvaluatorFactory.create` can resume from. */
  checkpoint(): Promise<Uint8Array>;
  /** Frees the instance; later calls fail. */
  close(): void;
}

/** Builds process instances for the module formats it knows. */
export interface EvaluatorFactory {
  readonly formats: readonly string[];
  /** A fresh process, or one resumed from `checkpoint` (made by an instance of the same module). */
  create(mod: ModuleDef, env: ProcessEnv, limits: EvalLimits, checkpoint?: Uint8Array): Promise<ProcessInstance>;
}

/** Routes each module to the factory registered for its `Module-Format`. */
export class EvaluatorRegistry {
  private readonly byFormat = new Map<string, EvaluatorFactory>();

  /** Registers a factory for all of its formats; a format registered twice is a wiring error. */
  register(factory: EvaluatorFactory): this {
    for (const format of factory.formats) {
      if (this.byFormat.has(format)) {
        throw new AoError('INTERNAL', `an evaluator is already registered for module format ${format}`);
      }
      this.byFormat.set(format, factory);
    }
    return this;
  }

  /** The formats that can be evaluated. */
  get formats(): string[] {
    return [...this.byFormat.keys()];
  }

  /** Creates a process instance, or fails with UNKNOWN_MODULE_FORMAT. */
  async create(mod: ModuleDef, env: ProcessEnv, limits: EvalLimits, checkpoint?: Uint8Array): Promise<ProcessInstance> {
    const factory = this.byFormat.get(mod.format);
    if (!factory) {
      throw new AoError('UNKNOWN_MODULE_FORMAT', `no evaluator for module format "${mod.format}"`, {
        module: mod.id,
        format: mod.format,
        known: this.formats,
      });
    }
    return factory.create(mod, env, limits, checkpoint);
  }
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

/** Parses ao size strings such as `1-gb`, `512-mb` or a plain byte count; undefined when unreadable. */
export function parseByteSize(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*-?\s*([kmgt]?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = UNITS[(m[2] ?? 'b').toLowerCase()] ?? 1;
  return Math.floor(Number(m[1]) * unit);
}

/**
 * The limits of a process: its module's `Memory-Limit` / `Compute-Limit` tags (the process's own
 * tags win), bounded by the unit's maxima.
 */
export function limitsFor(mod: ModuleDef, env: ProcessEnv, defaults: EvalLimits, maxima: EvalLimits = defaults): EvalLimits {
  const tag = (name: string): string | undefined =>
    env.Process.Tags.find((t) => t.name === name)?.value ?? mod.tags.find((t) => t.name === name)?.value;
  const memory = parseByteSize(tag('Memory-Limit')) ?? defaults.memoryBytes;
  const computeText = tag('Compute-Limit');
  const compute = computeText !== undefined && /^\d+$/.test(computeText.trim()) ? Number(computeText.trim()) : defaults.gas;
  return { memoryBytes: Math.min(memory, maxima.memoryBytes), gas: Math.min(compute, maxima.gas) };
}
