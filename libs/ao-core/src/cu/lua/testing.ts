import type { EvalResult, Tag } from '../../types.js';
import type { AoMessage, EvalLimits, ModuleDef, ProcessEnv } from '../evaluator.js';
import { AOS_MODULE_FORMAT, aosModuleData, aosModuleTags } from './aos-module.js';
import { LuaProcess, type LuaEvaluatorOptions } from './lua-process.js';

/**
 * Builders for tests and tools that run aos processes without a network: a module definition,
 * an environment, messages with ids, nonces and timestamps that advance, and a booted process.
 */

export const TEST_OWNER = 'owner-address-0000000000000000000000000000';
export const TEST_PROCESS = 'process-id-00000000000000000000000000000000';
export const TEST_MODULE = 'module-id-000000000000000000000000000000000';
export const DEFAULT_TEST_LIMITS: EvalLimits = { gas: 50_000_000, memoryBytes: 64 * 1024 * 1024 };

/** The aos runtime as a module definition. */
export function aosModuleDef(id = TEST_MODULE): ModuleDef {
  return { id, owner: TEST_OWNER, tags: aosModuleTags(), format: AOS_MODULE_FORMAT, source: aosModuleData() };
}

/** An environment for a process owned by TEST_OWNER with the given extra process tags. */
export function testEnv(processTags: Tag[] = [], processId = TEST_PROCESS): ProcessEnv {
  return {
    Process: {
      Id: processId,
      Owner: TEST_OWNER,
      Tags: [
        { name: 'Data-Protocol', value: 'ao' },
        { name: 'Variant', value: 'ao.TN.1' },
        { name: 'Type', value: 'Process' },
        { name: 'Module', value: TEST_MODULE },
        ...processTags,
      ],
    },
    Module: { Id: TEST_MODULE, Owner: TEST_OWNER, Tags: aosModuleTags() },
  };
}

/** Makes messages for one process: ids, nonces, timestamps and hash chains advance by one per message. */
export class MessageFactory {
  private nonce = 0;
  constructor(
    private readonly env: ProcessEnv,
    private readonly startMs = 1_700_000_000_000,
  ) {}

  /** The process's own Process message (nonce 0), with its tags and `data` (boot code for On-Boot = Data). */
  processMessage(data = ''): AoMessage {
    return this.build({ Id: this.env.Process.Id, Data: data, Tags: this.env.Process.Tags });
  }

  /** A message from the owner (or `From`/`Owner` overrides) with the given tags. */
  message(tags: Record<string, string> | Tag[] = {}, fields: Partial<AoMessage> = {}): AoMessage {
    const list = Array.isArray(tags) ? tags : Object.entries(tags).map(([name, value]) => ({ name, value }));
    return this.build({ Tags: list, ...fields });
  }

  /** An Eval message carrying Lua code. */
  eval(code: string, fields: Partial<AoMessage> = {}): AoMessage {
    return this.message({ Action: 'Eval' }, { Data: code, ...fields });
  }

  private build(fields: Partial<AoMessage>): AoMessage {
    const n = this.nonce++;
    const id = fields.Id ?? `msg-${String(n).padStart(39, '0')}`;
    return {
      Id: id,
      Owner: TEST_OWNER,
      From: TEST_OWNER,
      Target: this.env.Process.Id,
      Data: '',
      Tags: [],
      Nonce: n,
      Epoch: 0,
      Timestamp: this.startMs + n * 1000,
      'Block-Height': 1_000_000 + Math.floor(n / 100),
      'Hash-Chain': `chain-${n}`,
      Cron: false,
      'Read-Only': false,
      Module: TEST_MODULE,
      ...fields,
    };
  }
}

export interface BootedProcess {
  process: LuaProcess;
  msgs: MessageFactory;
  env: ProcessEnv;
}

/** A LuaProcess of the aos runtime that has evaluated its Process message (optionally with boot code). */
export async function bootAos(
  options: { bootCode?: string; processTags?: Tag[]; limits?: Partial<EvalLimits>; evaluator?: LuaEvaluatorOptions } = {},
): Promise<BootedProcess> {
  const tags = [...(options.processTags ?? [])];
  if (options.bootCode !== undefined) tags.push({ name: 'On-Boot', value: 'Data' });
  const env = testEnv(tags);
  const process = await LuaProcess.create(
    aosModuleDef(),
    env,
    { ...DEFAULT_TEST_LIMITS, ...options.limits },
    options.evaluator,
  );
  const msgs = new MessageFactory(env);
  const boot = await process.evaluate(msgs.processMessage(options.bootCode ?? ''));
  if (boot.Error !== undefined) throw new Error(`boot failed: ${boot.Error}`);
  return { process, msgs, env };
}

/** The text a result printed: `Output.data` of the aos shape, or Output itself when it is a string. */
export function outputText(result: EvalResult): string {
  const out = result.Output;
  if (typeof out === 'string') return out;
  if (typeof out === 'object' && out !== null && 'data' in out) {
    const data = (out as { data: unknown }).data;
    return typeof data === 'string' ? data : JSON.stringify(data);
  }
  return '';
}

/** The value of the first tag named `name`. */
export function tagOf(tags: readonly Tag[], name: string): string | undefined {
  return tags.find((t) => t.name === name)?.value;
}

/** Evaluates Eval code from the owner and returns its printed output; throws when it failed. */
export async function evalOk(booted: BootedProcess, code: string): Promise<string> {
  const result = await booted.process.evaluate(booted.msgs.eval(code));
  if (result.Error !== undefined) throw new Error(`Eval failed: ${result.Error}`);
  return outputText(result);
}

/**
 * A handler (`Action: Mix`, tag `N`) whose every message exercises what stock Lua leaves to
 * chance: pairs order over many string keys (hash seed), table.sort with ties (pivot),
 * math.random (seed), os.time. Shared by the determinism specs so they prove the same thing.
 */
export const CHANCE_MIXER = `
Bag = Bag or {}
Handlers.add("mix", "Mix", function(msg)
  local n = tonumber(msg.N)
  for i = 1, 25 do Bag["k" .. ((n * 31 + i * 17) % 500)] = n end
  local order = {}
  for k in pairs(Bag) do order[#order + 1] = k end
  local items = {}
  for i = 1, 150 do items[i] = { key = (i * n) % 7, id = i } end
  table.sort(items, function(a, b) return a.key < b.key end)
  local ids = {}
  for i = 1, 150 do ids[i] = items[i].id end
  local rolls = {}
  for i = 1, 5 do rolls[i] = math.random(1, 1000000) end
  msg.reply({ Order = table.concat(order, ",", 1, math.min(#order, 60)), Sorted = table.concat(ids, ","),
    Rolls = table.concat(rolls, ","), Float = tostring(math.random()), Time = tostring(os.time()) })
end)
`;
