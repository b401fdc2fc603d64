import { bootAos, type BootedProcess, type EvalResult, type Tag } from '@ao/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { param, type Blueprint } from '../blueprint.js';
import { address, agentBootCode, amountOrOff, configSpecLua, luaConfigSpec, subscriptionConfigShape } from './config-spec.js';
import { bundleLua } from './lua-libs.js';

// lib/agent.lua (the management contract of AGENT-CONTRACT.md) inside a small test agent whose
// config schema exercises every spec type; the Lua checks are generated from the zod schema.

const OWNER = 'owner-address-0000000000000000000000000000';
const CRON = 'cron-wallet-00000000000000000000000000000000';
const MALLORY = 'mallory-address-000000000000000000000000000';
const VENUE = 'venue-process-0000000000000000000000000000';

const schema = z.strictObject({
  spreadBps: param(z.number().int().min(1).max(5000).default(100), { help: 'spread', unit: 'bps', hot: true }),
  levels: param(z.number().int().min(1).max(10).default(1), { help: 'levels', hot: false }),
  ceiling: param(amountOrOff().default('-1'), { help: 'ceiling', hot: true }),
  mode: param(z.enum(['live', 'paper']).default('live'), { help: 'mode', hot: false }),
  guard: param(z.strictObject({ enabled: z.boolean().default(false), lossBps: z.number().int().min(1).max(10000).default(500) }).default({ enabled: false, lossBps: 500 }), { help: 'guard', hot: true }),
  venue: param(address(), { help: 'venue', hot: false }),
  ...subscriptionConfigShape(['config', 'status']),
});
const descriptor = { name: 'test-agent', configSchema: schema } as unknown as Blueprint;

const agentLua = `
Ticks = Ticks or 0
Open = Open or {}
Subscriptions.setup({ blueprint = "test-agent", topics = { "config", "status" } })
Agent.setup({
  blueprint = "test-agent", version = "0.0.1", spec = ConfigSpec,
  check = function(c)
    if c.levels > 5 and c.spreadBps < 10 then return { { key = "levels", reason = "too many levels for so small a spread" } } end
  end,
  onStart = function(msg)
    if Config.venue == "refuse" then return nil, "no venue" end
    Open = { "o1", "o2" }
    return { opened = 2 }
  end,
  onStop = function(msg, why) local c = Open; Open = {}; return { cancelled = c, why = why } end,
  info = function() return { ticks = Ticks } end,
  onTick = function(msg) Ticks = Ticks + 1 end,
})
`;
const source = configSpecLua(descriptor) + bundleLua(['agent'], agentLua);

const tagMap = (tags: Tag[]) => Object.fromEntries(tags.map((t) => [t.name, t.value]));

describe('lib/agent.lua', () => {
  let booted: BootedProcess;
  afterEach(() => booted?.process.close());

  async function boot(config: Record<string, unknown> = {}): Promise<void> {
    const parsed = schema.parse({ venue: VENUE, ...config });
    booted = await bootAos({ bootCode: agentBootCode(parsed, source), processTags: [{ name: 'Authority', value: CRON }] });
  }
  const send = (tags: Record<string, string>, from = OWNER, extra: Record<string, unknown> = {}): Promise<EvalResult> =>
    booted.process.evaluate(booted.msgs.message(tags, { From: from, Owner: from, ...extra }));
  const configure = (patch: unknown, from = OWNER) =>
    send({ Action: 'Configure', 'Acting-User': 'user-7' }, from, { Data: typeof patch === 'string' ? patch : JSON.stringify(patch) });
  const reply = (r: EvalResult) => {
    const m = r.Messages[0];
    return { tags: tagMap(m.Tags), data: m.Data ? JSON.parse(m.Data) : undefined };
  };
  const getConfig = async () => reply(await send({ Action: 'Get-Config' }, MALLORY)).data;

  it('generates the Lua spec from the zod schema (types, ranges, enum, amount formats, hot)', () => {
    expect(luaConfigSpec(descriptor)).toEqual({
      spreadBps: { type: 'integer', min: 1, max: 5000, hot: true },
      levels: { type: 'integer', min: 1, max: 10, hot: false },
      ceiling: { type: 'amount', min: '1', off: '-1', hot: true },
      mode: { type: 'string', enum: ['live', 'paper'], hot: false },
      guard: { type: 'object', fields: { enabled: { type: 'boolean' }, lossBps: { type: 'integer', min: 1, max: 10000 } }, hot: true },
      venue: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[%w_%-]+$', hot: false },
      subscriptionToken: { type: 'string', maxLength: 64, pattern: '^[%w_%-]*$', hot: true },
      subscriptionPrice: { type: 'amount', min: '0', hot: true },
      subscriptionPeriodMs: { type: 'integer', min: 1000, max: 31_536_000_000, hot: true },
      paidTopics: { type: 'array', items: { type: 'string', enum: ['config', 'status'] }, maxItems: 2, hot: true },
    });
    const odd = { name: 'odd', configSchema: z.strictObject({ x: param(z.string().regex(/^a+$/), { help: '', hot: true }) }) } as unknown as Blueprint;
    expect(() => luaConfigSpec(odd)).toThrow(/no Lua check/);
  });

  it('Configure applies a valid patch atomically, bumps the version and records the acting user', async () => {
    await boot();
    const r = reply(await configure({ spreadBps: 250, levels: 3 }));
    expect(r.tags).toMatchObject({ Action: 'Configure-Response', 'Config-Version': '1' });
    expect(r.data).toEqual({ applied: ['levels', 'spreadBps'], rejected: [], configVersion: 1 });
    const cfg = await getConfig();
    expect(cfg.config).toMatchObject({ spreadBps: 250, levels: 3, venue: VENUE });
    expect(cfg.configVersion).toBe(1);
    expect(cfg.history).toEqual([{ version: 1, keys: ['levels', 'spreadBps'], actingUser: 'user-7', timestamp: expect.any(Number) }]);
  });

  it('a patch with any bad key applies nothing and names every reason', async () => {
    await boot();
    const r = reply(await configure({ spreadBps: 5001, levels: 2, colour: 'red', mode: 'turbo', ceiling: '1.5', guard: { lossBps: 'x' } }));
    expect(r.tags['Config-Version']).toBe('0');
    expect(r.data.applied).toEqual([]);
    expect(r.data.rejected).toEqual([
      { key: 'ceiling', reason: 'ceiling must be an integer string' },
      { key: 'colour', reason: 'unknown key' },
      { key: 'guard', reason: 'guard.lossBps must be an integer' },
      { key: 'mode', reason: 'mode must be one of live, paper' },
      { key: 'spreadBps', reason: 'spreadBps must be at most 5000' },
    ]);
    for (const [patch, reason] of [
      [{ spreadBps: 1.5 }, /integer/],
      [{ spreadBps: '100' }, /integer/],
      [{ ceiling: '0' }, /at least 1 \(or -1 for off\)/],
      [{ venue: 'bad id!' }, /format/],
      [{ guard: { lossBps: 10, extra: true } }, /not a known field/],
      [{ levels: 6, spreadBps: 5 }, /too many levels/],
      ['[1,2', /JSON object/],
    ] as const) {
      const bad = reply(await configure(patch));
      expect(bad.data.applied).toEqual([]);
      expect(bad.data.rejected.map((x: { reason: string }) => x.reason).join(';')).toMatch(reason);
    }
    expect((await getConfig()).config).toMatchObject({ spreadBps: 100, levels: 1, ceiling: '-1', mode: 'live' });
  });

  it('merges an object patch onto the current value; canonicalizes amounts', async () => {
    await boot();
    reply(await configure({ guard: { lossBps: 300 }, ceiling: '000105' }));
    expect((await getConfig()).config).toMatchObject({ guard: { enabled: false, lossBps: 300 }, ceiling: '105' });
  });

  it('management from anyone but the Owner gets <Action>-Error not-owner and changes nothing', async () => {
    await boot();
    for (const action of ['Configure', 'Start', 'Stop', 'Kill']) {
      const r = await send({ Action: action }, MALLORY, { Data: '{"spreadBps":7}' });
      expect(r.Messages[0].Target).toBe(MALLORY);
      expect(tagMap(r.Messages[0].Tags)).toMatchObject({ Action: `${action}-Error`, Error: 'not-owner' });
    }
    const info = reply(await send({ Action: 'Info' }, MALLORY));
    expect(info.tags).toMatchObject({ Status: 'Stopped', 'Config-Version': '0', Blueprint: 'test-agent', 'Blueprint-Version': '0.0.1' });
  });

  it('Start/Stop/Kill walk the status machine, reply Status-Changed and publish topic status', async () => {
    await boot();
    await send({ Action: 'Register-Subscriber', Topics: '["status","config"]' }, MALLORY);
    const start = await send({ Action: 'Start', 'Acting-User': 'user-1' });
    expect(reply(start).tags).toMatchObject({ Action: 'Status-Changed', Status: 'Running', 'Previous-Status': 'Stopped' });
    expect(reply(start).data).toEqual({ opened: 2 });
    const note = start.Messages.find((m) => m.Target === MALLORY)!;
    expect(tagMap(note.Tags)).toMatchObject({ Action: 'Notify-On-Topic', Topic: 'status' });
    expect(JSON.parse(note.Data ?? '')).toMatchObject({ status: 'Running', previousStatus: 'Stopped', actingUser: 'user-1', opened: 2 });

    // hot keys apply while running; others are refused with the reason
    const hot = reply(await configure({ spreadBps: 300 }));
    expect(hot.data.applied).toEqual(['spreadBps']);
    const cold = reply(await configure({ levels: 2, spreadBps: 200 }));
    expect(cold.data).toEqual({ applied: [], rejected: [{ key: 'levels', reason: 'restart-required: stop the agent to change levels' }], configVersion: 1 });

    const stop = await send({ Action: 'Stop' });
    expect(reply(stop).tags).toMatchObject({ Status: 'Stopped', 'Previous-Status': 'Running' });
    expect(reply(stop).data).toEqual({ cancelled: ['o1', 'o2'], why: 'stop' });
    expect(reply(await configure({ levels: 2 })).data.applied).toEqual(['levels']);

    await send({ Action: 'Start' });
    const kill = await send({ Action: 'Kill' });
    expect(reply(kill).tags).toMatchObject({ Status: 'Killed', 'Previous-Status': 'Running' });
    expect(reply(kill).data).toEqual({ cancelled: ['o1', 'o2'], why: 'kill' });
    const again = await send({ Action: 'Start' });
    expect(reply(again).tags).toMatchObject({ Action: 'Start-Error', Error: 'killed' });
    const info = reply(await send({ Action: 'Info' }, MALLORY));
    expect(info.tags.Status).toBe('Killed');
    expect(info.data.statusHistory.map((h: { status: string }) => h.status)).toEqual(['Running', 'Stopped', 'Running', 'Killed']);
  });

  it('the subscription keys price the paid topics (Subscriptions.configPricing)', async () => {
    const TOKEN = 'pay-token-00000000000000000000000000000000000';
    await boot();
    await send({ Action: 'Register-Subscriber', Topics: '["status","config"]' }, MALLORY);
    expect(reply(await configure({ subscriptionToken: TOKEN, subscriptionPrice: '10', subscriptionPeriodMs: 60_000, paidTopics: ['status'] })).data.applied).toHaveLength(4);
    expect(reply(await configure({ paidTopics: ['nope'] })).data.rejected[0].reason).toMatch(/paidTopics\[0\] must be one of config, status/);
    // config is free, status is paid and unpaid: only the config event reaches Mallory
    const cfg = await configure({ spreadBps: 9 });
    expect(cfg.Messages.filter((m) => m.Target === MALLORY).map((m) => tagMap(m.Tags).Topic)).toEqual(['config']);
    expect((await send({ Action: 'Start' })).Messages.filter((m) => m.Target === MALLORY)).toEqual([]);
    const paid = await send({ Action: 'Credit-Notice', Sender: MALLORY, Quantity: '5', 'X-Action': 'Pay-For-Subscription' }, TOKEN);
    expect(tagMap(paid.Messages[0].Tags)).toMatchObject({ Action: 'Pay-For-Subscription-Confirmation' });
    expect((await send({ Action: 'Stop' })).Messages.filter((m) => m.Target === MALLORY).map((m) => tagMap(m.Tags).Topic)).toEqual(['status']);
  });

  it('a refused Start leaves the agent Stopped', async () => {
    await boot({ venue: 'refuse' });
    const r = reply(await send({ Action: 'Start' }));
    expect(r.tags).toMatchObject({ Action: 'Start-Error', Error: 'no venue', Status: 'Stopped' });
  });

  it('ticks run only while Running, only from the Owner or a cron message an authority signed', async () => {
    await boot();
    const ticks = async () => reply(await send({ Action: 'Info' }, MALLORY)).data.ticks;
    await send({ Action: 'Tick' });
    expect(await ticks()).toBe(0);
    await send({ Action: 'Start' });
    await send({ Action: 'Tick' });
    await send({ Action: 'Tick' }, CRON, { Cron: true });
    await send({ Action: 'Tick' }, MALLORY, { Cron: true });
    await send({ Action: 'Tick' }, MALLORY);
    expect(await ticks()).toBe(2);
  });

  it('a re-boot keeps config, version and status', async () => {
    await boot();
    await configure({ spreadBps: 42 });
    await send({ Action: 'Start' });
    const code = agentBootCode(schema.parse({ venue: VENUE }), source);
    await booted.process.evaluate(booted.msgs.eval(code));
    const info = reply(await send({ Action: 'Info' }, MALLORY));
    expect(info.tags).toMatchObject({ Status: 'Running', 'Config-Version': '1' });
    expect((await getConfig()).config.spreadBps).toBe(42);
  });
});
