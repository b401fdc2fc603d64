import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { expect } from 'vitest';
import type { Env, PrismaClient } from '@ao/infra';
import { CronModule } from '../../apps/cron/src/cron.module.js';
import { until } from './until.js';

export { until };

/**
 * An aos process that counts cron ticks, the Missed they stand for, and any tick not flagged
 * msg.Cron == true; with `Cron-Tag-Echo: yes` each tick also sends the process a Tock (the outbox
 * of a tick is cranked like any other).
 */
export const TICK_COUNTER = `
Ticks, Missed, NotCron, Tocks, Times = 0, 0, 0, 0, {}
Handlers.add("Tick", "Tick", function(msg)
  Ticks = Ticks + 1
  if msg.Cron ~= true then NotCron = NotCron + 1 end
  Missed = Missed + tonumber(msg.Missed or "0")
  table.insert(Times, msg["Cron-Tick-Time"] or msg["Cron-Tick-Height"])
  if msg.Echo == "yes" then Send({ Target = ao.id, Action = "Tock" }) end
end)
Handlers.add("Tock", "Tock", function(msg)
  if msg.From == ao.id then Tocks = Tocks + 1 end
end)
`;

export type Tag = { name: string; value: string };
export const tag = (tags: Tag[], name: string) => tags.find((t) => t.name === name)?.value;

/** `n` cron service replicas in this process, each its own Nest context (own pools, own clock). */
export async function startCron(env: Env, n: number): Promise<INestApplicationContext[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const app = await NestFactory.createApplicationContext(CronModule.forRoot(env), { logger: process.env.TEST_LOGS ? ['log', 'warn', 'error'] : false });
      await app.init();
      return app;
    }),
  );
}

export interface TickRow {
  tick: number;
  missed: number;
  messageId: string | null;
  nonce: number | null;
  createdAt: Date;
}

/** The cron_ticks rows of a process, oldest tick first (emitted ones have a message id and nonce). */
export async function tickRows(prisma: PrismaClient, processId: string): Promise<TickRow[]> {
  const rows = await prisma.cronTick.findMany({ where: { processId }, orderBy: { tick: 'asc' } });
  return rows.map((r) => ({ tick: Number(r.tick), missed: r.missed, messageId: r.messageId, nonce: r.nonce === null ? null : Number(r.nonce), createdAt: r.createdAt }));
}

/** The emitted ticks of a process once none is claimed but not yet on the SU. */
export async function settledTicks(prisma: PrismaClient, processId: string): Promise<TickRow[]> {
  return until(`the claimed ticks of ${processId} to be emitted`, async () => {
    const rows = await tickRows(prisma, processId);
    return rows.every((r) => r.nonce !== null) ? rows : undefined;
  });
}

export interface LogMessage {
  id: string;
  owner: string;
  tags: Tag[];
  nonce: number;
}

/** A process's whole SU log (GET /su/{pid}, paged by timestamp cursor). */
export async function suLog(app: INestApplication, processId: string): Promise<LogMessage[]> {
  const out: LogMessage[] = [];
  let from: string | undefined;
  for (;;) {
    const query: Record<string, string | number> = { limit: 1000, ...(from ? { from } : {}) };
    const page = (await request(app.getHttpServer()).get(`/su/${processId}`).query(query).expect(200)).body;
    for (const e of page.edges) {
      out.push({ id: e.node.message.id, owner: e.node.message.owner.address, tags: e.node.message.tags, nonce: Number(tag(e.node.assignment.tags, 'Nonce')) });
    }
    if (!page.page_info.has_next_page) return out;
    from = page.edges[page.edges.length - 1].cursor;
  }
}

export interface TickState {
  ticks: number;
  missed: number;
  notCron: number;
  tocks: number;
  times: number[];
}

/** What the process's handler has counted, by a dry-run Eval from its owner. */
export async function tickState(app: INestApplication, processId: string, owner: string): Promise<TickState> {
  const code = 'return Ticks .. "|" .. Missed .. "|" .. NotCron .. "|" .. Tocks .. "|" .. table.concat(Times, ",")';
  const res = await request(app.getHttpServer())
    .post('/cu/dry-run')
    .query({ 'process-id': processId })
    .send({ Target: processId, Owner: owner, Tags: [{ name: 'Action', value: 'Eval' }], Data: code })
    .expect(200);
  const [ticks, missed, notCron, tocks, times] = String(res.body.Output.data).split('|');
  return { ticks: Number(ticks), missed: Number(missed), notCron: Number(notCron), tocks: Number(tocks), times: times ? times.split(',').map(Number) : [] };
}

export const sumMissed = (rows: TickRow[]) => rows.reduce((n, r) => n + r.missed, 0);

/**
 * Every aligned tick from `start` to the last one is accounted for exactly once: emitted as its own
 * tick, or counted in the Missed of the tick that coalesced it (which then follows a gap).
 */
export function expectAccounted(rows: TickRow[], start: number, period: number): void {
  let previous = start - period;
  for (const r of rows) {
    expect((r.tick - start) % period).toBe(0);
    expect(r.tick).toBeGreaterThan(previous);
    expect(r.missed).toBe((r.tick - previous) / period - 1);
    previous = r.tick;
  }
  expect(rows.length + sumMissed(rows)).toBe((previous - start) / period + 1);
}
