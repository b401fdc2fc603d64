import { DEFAULT_TEST_LIMITS, LuaProcess, MessageFactory, TEST_OWNER, aosModuleDef, testEnv, type AoMessage, type EvalResult, type Tag } from '@ao/core';

/**
 * A deterministic in-memory ao network for specs, paper runs and benches: several aos processes
 * (the real Lua runtime of @ao/core), each message's outbox delivered to the process it targets
 * (breadth first, in outbox order), messages to anything else kept as wallet mail. The clock is
 * explicit: every message of one `send` cascade carries the same timestamp, like a batch of
 * messages the SU stamps within one millisecond.
 */

export interface Delivered {
  from: string;
  target: string;
  tags: Record<string, string>;
  data: string;
}

export const tagMap = (tags: readonly Tag[]): Record<string, string> => Object.fromEntries(tags.map((t) => [t.name, t.value]));

/**
 * The tags every ao message carries after its sender's own (aoconnect appends them to a user's
 * message, aos and the MU to a pushed one); aos reads a message's tags into a table in order, so
 * these win over a user tag of the same name (a `Type` tag on a message is always `Message`).
 */
const PROTOCOL_TAGS = [
  { name: 'Data-Protocol', value: 'ao' },
  { name: 'Variant', value: 'ao.TN.1' },
  { name: 'Type', value: 'Message' },
];

export class SimNet {
  private readonly processes = new Map<string, LuaProcess>();
  private seq = 0;
  /** Milliseconds since the epoch given to every message sent next. */
  now = 1_700_000_000_000;
  /** Messages whose target is not a process here (wallets), in delivery order. */
  readonly mail: Delivered[] = [];
  /** Every message delivered to a process, in order (the network's log). */
  readonly log: Delivered[] = [];
  /** Errors of evaluations, in order. */
  readonly errors: { target: string; tags: Record<string, string>; error: string }[] = [];

  /** Spawns an aos process with `bootCode` (On-Boot = Data) and extra Process tags. */
  async spawn(id: string, bootCode: string, processTags: Tag[] = [], gas = 2_000_000_000): Promise<LuaProcess> {
    const env = testEnv([...processTags, { name: 'On-Boot', value: 'Data' }], id);
    const process = await LuaProcess.create(aosModuleDef(), env, { ...DEFAULT_TEST_LIMITS, gas, memoryBytes: 256 * 1024 * 1024 });
    const boot = await process.evaluate(new MessageFactory(env, this.now).processMessage(bootCode));
    if (boot.Error !== undefined) throw new Error(`boot of ${id} failed: ${boot.Error}`);
    this.processes.set(id, process);
    return process;
  }

  process(id: string): LuaProcess {
    const p = this.processes.get(id);
    if (!p) throw new Error(`no process ${id}`);
    return p;
  }

  close(): void {
    for (const p of this.processes.values()) p.close();
  }

  private message(from: string, target: string, tags: Tag[], data: string, cron = false): AoMessage {
    const n = ++this.seq;
    return {
      Id: `m${String(n).padStart(42, '0')}`,
      Owner: from,
      From: from,
      Target: target,
      Data: data,
      Tags: tags,
      Nonce: n,
      Epoch: 0,
      Timestamp: this.now,
      'Block-Height': 1_000_000 + Math.floor(n / 100),
      'Hash-Chain': `chain-${n}`,
      Cron: cron,
      'Read-Only': false,
      Module: 'module-id-000000000000000000000000000000000',
    };
  }

  /**
   * Sends one message from `from` (a wallet or process id) to `target` and delivers the whole
   * cascade it causes; returns the first evaluation's result.
   */
  async send(target: string, tags: Record<string, string>, opts: { from?: string; data?: string; cron?: boolean } = {}): Promise<EvalResult> {
    const from = opts.from ?? TEST_OWNER;
    const first = this.message(from, target, [...Object.entries(tags).map(([name, value]) => ({ name, value })), ...PROTOCOL_TAGS], opts.data ?? '', opts.cron);
    const queue: AoMessage[] = [first];
    let firstResult: EvalResult | undefined;
    let steps = 0;
    while (queue.length > 0) {
      if (++steps > 100_000) throw new Error('message cascade does not end');
      const msg = queue.shift()!;
      // the simulation builds every message from text
      const delivered = { from: msg.From, target: msg.Target, tags: tagMap(msg.Tags), data: String(msg.Data) };
      const process = this.processes.get(msg.Target);
      if (!process) {
        this.mail.push(delivered);
        continue;
      }
      this.log.push(delivered);
      const r = await process.evaluate(msg);
      firstResult ??= r;
      if (r.Error !== undefined) this.errors.push({ target: msg.Target, tags: delivered.tags, error: String(r.Error) });
      for (const out of r.Messages ?? []) {
        const tags = out.Tags.filter((t) => t.name !== 'Target');
        queue.push(this.message(msg.Target, out.Target, [...tags.filter((t) => !PROTOCOL_TAGS.some((p) => p.name === t.name)), ...PROTOCOL_TAGS, { name: 'From-Process', value: msg.Target }], out.Data ?? ''));
      }
    }
    return firstResult!;
  }

  /** A cron tick (Cron = true, From the process's owner) to `target`. */
  tick(target: string, tags: Record<string, string> = { Action: 'Tick' }): Promise<EvalResult> {
    return this.send(target, tags, { cron: true });
  }

  /** Evaluates Lua in a process (Eval from its owner) and returns what it printed. */
  async eval(target: string, code: string): Promise<string> {
    const r = await this.process(target).evaluate(this.message(TEST_OWNER, target, [{ name: 'Action', value: 'Eval' }], code));
    if (r.Error !== undefined) throw new Error(`Eval failed: ${r.Error}`);
    const out = r.Output as unknown;
    if (typeof out === 'string') return out;
    if (out && typeof out === 'object' && 'data' in out) return String((out as { data: unknown }).data);
    return '';
  }

  /** Mail to `target` whose Action is `action` (all when omitted). */
  mailTo(target: string, action?: string): Delivered[] {
    return this.mail.filter((m) => m.target === target && (action === undefined || m.tags.Action === action));
  }
}
