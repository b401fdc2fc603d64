import { Inject, Injectable, Logger } from '@nestjs/common';
import { AoError, cronSpec, type Tag } from '@ao/core';
import {
  allowedActions,
  BlueprintConfigError,
  catalogue,
  ConfigPatchError,
  findBlueprint,
  IllegalTransitionError,
  mediaVerifierProcessTags,
  parseConfig,
  planConfigPatch,
  transition,
  type AgentStatus,
  type Blueprint,
  type LifecycleAction,
} from '@ao/agents';
import type pg from 'pg';
import { CronRegistry, ENV, PRISMA, SQL_POOL, type Agent, type Env, type Prisma, type PrismaClient } from '@ao/infra';
import type { Principal } from '../auth/principal.js';
import { uuidv7 } from '../common/ids.js';
import { conflict, notFound, PlatformError } from '../common/platform-error.js';
import { AgentMessenger, type Reply } from './agent-messenger.js';
import { AuditLog } from './audit-log.js';
import { EventProjector } from '../feed/event-projector.js';
import { agentLive, type AgentLive, type LiveColumns } from './agent-live.js';

/** Process tags some blueprints need besides the platform's (the modules they call). */
const PROCESS_TAGS: Record<string, (modules: Record<string, string>) => Tag[]> = {
  'media-verifier': (modules) => {
    if (!modules['media-codec']) throw new PlatformError(503, 'MODULES_NOT_PUBLISHED', 'The media codec is not published yet; retry in a moment');
    return mediaVerifierProcessTags(modules['media-codec']);
  },
};

export interface CreateAgentInput {
  blueprint: string;
  name: string;
  config?: Record<string, unknown>;
  cronInterval?: string;
}

interface AgentRow extends LiveColumns {
  id: string;
  name: string;
  blueprint: string;
  blueprint_version: string;
  status: string;
  config: Prisma.JsonValue;
  config_version: number;
  process_id: string;
  cron_interval: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  running_since: Date | null;
  uptime_ms: string;
}

export interface AgentFilter {
  id?: string;
  blueprint?: string;
  status?: AgentStatus;
  owner?: string;
  cursor?: string;
  limit: number;
}

/** Agents: spawned from the catalogue, configured and driven through signed messages, audited. */
@Injectable()
export class AgentsService {
  private readonly logger = new Logger('agents');

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly messenger: AgentMessenger,
    private readonly cron: CronRegistry,
    private readonly audit: AuditLog,
    private readonly projector: EventProjector,
    @Inject(SQL_POOL) private readonly pool: pg.Pool,
  ) {}

  blueprints() {
    return catalogue();
  }

  /**
   * Validates, then spawns the agent's process (the platform as owner and authority), subscribes
   * the platform to every topic (the event projection's source) and registers cron paused. The
   * row is written before the process is scheduled and removed if scheduling fails, so an agent
   * row and its process exist together or not at all.
   */
  async create(actor: Principal, input: CreateAgentInput) {
    const blueprint = findBlueprint(input.blueprint);
    if (!blueprint) throw new PlatformError(400, 'VALIDATION_FAILED', `No blueprint ${input.blueprint}`, { fields: [{ field: 'blueprint', rule: 'catalogue', message: `blueprint must be one of ${catalogue().map((b) => b.name).join(', ')}` }] });
    const config = validConfig(blueprint, input.config ?? {});
    const cronTags = input.cronInterval ? [{ name: 'Cron-Interval', value: input.cronInterval }, { name: 'Cron-Tag-Action', value: 'Tick' }] : [];
    if (cronTags.length) {
      try {
        cronSpec(cronTags, this.env.CRON_MIN_INTERVAL_MS);
      } catch (error) {
        throw new PlatformError(400, 'VALIDATION_FAILED', (error as Error).message, { fields: [{ field: 'cronInterval', rule: 'cron-interval', message: (error as Error).message }] });
      }
    }
    if (await this.prisma.agent.findUnique({ where: { name: input.name } })) throw conflict('NAME_TAKEN', `An agent named ${input.name} exists`, { name: input.name });
    const modules = await this.messenger.modules();
    const item = await this.messenger.processItem(
      [
        { name: 'Name', value: input.name },
        { name: 'Blueprint', value: blueprint.name },
        { name: 'Blueprint-Version', value: blueprint.version },
        { name: 'Acting-User', value: actingUser(actor) },
        ...(PROCESS_TAGS[blueprint.name]?.(modules) ?? []),
        ...cronTags,
      ],
      blueprint.bootCode(config),
    );
    const id = uuidv7();
    try {
      await this.prisma.agent.create({
        data: { id, name: input.name, blueprint: blueprint.name, blueprintVersion: blueprint.version, status: 'draft', config: config as Prisma.InputJsonObject, processId: item.id, cronInterval: input.cronInterval ?? null, createdBy: actor.userId ?? actor.label },
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') throw conflict('NAME_TAKEN', `An agent named ${input.name} exists`, { name: input.name });
      throw error;
    }
    try {
      await this.messenger.accept(item.raw);
    } catch (error) {
      await this.prisma.agent.delete({ where: { id } });
      throw error;
    }
    await this.audit.record(actor, 'create', id, item.id, { blueprint: blueprint.name, version: blueprint.version, name: input.name });
    this.projector.track(item.id, id);
    await this.messenger.result(item.id, item.id);
    if (blueprint.topics.length > 0) {
      const topics = JSON.stringify(blueprint.topics.map((t) => t.name));
      const { messageId, reply } = await this.messenger.ask(item.id, [{ name: 'Action', value: 'Register-Subscriber' }, { name: 'Subscriber', value: this.messenger.address }, { name: 'Topics', value: topics }, { name: 'Acting-User', value: actingUser(actor) }], ['Register-Subscriber-Confirmation', 'Register-Subscriber-Error']);
      if (reply?.tags.Action !== 'Register-Subscriber-Confirmation') this.logger.warn(`agent ${id}: the platform's subscription was refused: ${reply?.tags.Error}`);
      await this.audit.record(actor, 'subscribe-platform', id, messageId, { topics });
    }
    if (cronTags.length) {
      await this.cron.monitor(item.id);
      await this.cron.setStatus(item.id, 'paused');
    }
    return this.listed(id);
  }

  /**
   * One prepared statement on the shared pg pool (the list is the platform's hottest read): the
   * agents with their live figures (the agent_figures read model, the latest cron tick, the CU's
   * stop reason) joined in, so a page costs one round trip whatever its size. The page is cut
   * before the joins: joined first, the generic plan of the statement joined every agent, then sorted.
   */
  async list(filter: AgentFilter) {
    // Only the filters given become predicates (one prepared statement per combination): with
    // optional ones (`$1 IS NULL OR ...`) the generic plan read and sorted every agent for a page.
    // The figures are looked up per agent of the page (LATERAL): joined, the generic plan hashed
    // whole tables (cu_processes holds every process, not only agents).
    const values: unknown[] = [];
    const where: string[] = [];
    let mask = 0;
    for (const [bit, column, op, value] of [[1, 'id', '=', filter.id], [2, 'blueprint', '=', filter.blueprint], [4, 'status', '=', filter.status], [8, 'created_by', '=', filter.owner], [16, 'id', '<', filter.cursor]] as const) {
      if (value === undefined) continue;
      values.push(value);
      where.push(`${column} ${op} $${values.length}`);
      mask |= bit;
    }
    values.push(filter.limit + 1);
    const text = `
      SELECT a.id, a.name, a.blueprint, a.blueprint_version, a.status, a.config, a.config_version, a.process_id, a.cron_interval, a.created_by,
             a.created_at, a.updated_at, a.running_since, a.uptime_ms,
             f.fills::text AS fills, f.verdicts, f.pnl, f.inventory, f.last_error, f.last_error_message_id, f.last_error_at, f.last_activity_at,
             c.error AS cu_error, c.updated_at AS cu_updated_at,
             (SELECT max(r.last_emitted) FROM cron_registrations r WHERE r.process_id = a.process_id AND r.unit = 'ms')::text AS last_tick
      FROM (SELECT id, name, blueprint, blueprint_version, status, config, config_version, process_id, cron_interval, created_by, created_at, updated_at, running_since, uptime_ms
            FROM agents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${values.length}) a
      LEFT JOIN LATERAL (SELECT * FROM agent_figures WHERE process_id = a.process_id LIMIT 1) f ON true
      LEFT JOIN LATERAL (SELECT error, updated_at FROM cu_processes WHERE process_id = a.process_id LIMIT 1) c ON true
      ORDER BY a.id DESC`;
    const rows = (await this.pool.query<AgentRow>({ name: `agents_list_${mask}`, text, values })).rows;
    const items = rows.slice(0, filter.limit).map((r) =>
      this.view(
        {
          id: r.id, name: r.name, blueprint: r.blueprint, blueprintVersion: r.blueprint_version, status: r.status, config: r.config, configVersion: r.config_version,
          processId: r.process_id, cronInterval: r.cron_interval, createdBy: r.created_by, createdAt: r.created_at, updatedAt: r.updated_at,
          runningSince: r.running_since, uptimeMs: BigInt(r.uptime_ms), projectedNonce: -1n,
        },
        agentLive(r.blueprint, r),
      ),
    );
    return { items, nextCursor: rows.length > filter.limit ? rows[filter.limit - 1].id : null };
  }

  /** One agent as the list shows it (with its live figures). */
  private async listed(id: string) {
    const [item] = (await this.list({ id, limit: 1 })).items;
    if (!item) throw notFound('agent', id);
    return item;
  }

  async get(id: string) {
    const agent = await this.find(id);
    const cron = agent.cronInterval ? await this.cron.list(agent.processId) : [];
    let figures: unknown = null;
    let figuresError: string | null = null;
    try {
      figures = parseData(await this.messenger.query(agent.processId, 'Info'));
    } catch (error) {
      figuresError = (error as Error).message;
    }
    return { ...(await this.listed(agent.id)), cron, figures, figuresError };
  }

  /** Hot keys → a Configure message; restart-only keys are refused while running, with the reason. */
  async configure(actor: Principal, id: string, patch: Record<string, unknown>) {
    const agent = await this.find(id);
    const blueprint = findBlueprint(agent.blueprint)!;
    let plan: ReturnType<typeof planConfigPatch>;
    try {
      plan = planConfigPatch(blueprint, agent.config as Record<string, unknown>, patch, agent.status as AgentStatus);
    } catch (error) {
      if (!(error instanceof ConfigPatchError)) throw error;
      const fields = error.issues.map((i) => ({ field: `config.${i.path}`.replace(/\.$/, ''), rule: error.kind, message: i.message }));
      if (error.kind === 'invalid' || error.kind === 'empty') throw new PlatformError(400, 'VALIDATION_FAILED', error.message, { fields });
      throw conflict(error.kind === 'killed' ? 'AGENT_KILLED' : 'RESTART_REQUIRED', error.message, { fields, status: agent.status });
    }
    const { messageId, reply } = await this.messenger.ask(agent.processId, [{ name: 'Action', value: 'Configure' }, { name: 'Acting-User', value: actingUser(actor) }], ['Configure-Response', 'Configure-Error'], JSON.stringify(patch));
    const answer = parseData(reply) as { applied?: string[]; rejected?: { key: string; reason: string }[]; configVersion?: number } | null;
    await this.audit.record(actor, 'configure', id, messageId, { patch, applied: answer?.applied ?? [], rejected: answer?.rejected ?? [] });
    if (!answer || (answer.rejected?.length ?? 0) > 0) {
      throw new PlatformError(422, 'AGENT_REFUSED', `The agent refused the patch: ${(answer?.rejected ?? []).map((r) => `${r.key}: ${r.reason}`).join('; ') || reply?.tags.Error || 'no answer'}`, { messageId, rejected: answer?.rejected ?? [] });
    }
    const updated = await this.prisma.agent.update({ where: { id }, data: { config: plan.config as Prisma.InputJsonObject, configVersion: answer.configVersion ?? agent.configVersion + 1, updatedAt: new Date() } });
    return { agent: await this.listed(updated.id), messageId, applied: answer.applied ?? [] };
  }

  /** start | pause | resume | kill: the state machine, then the message, then the row (only if still in the state it left). */
  async act(actor: Principal, id: string, action: LifecycleAction) {
    const agent = await this.find(id);
    const blueprint = findBlueprint(agent.blueprint)!;
    const status = agent.status as AgentStatus;
    let step: ReturnType<typeof transition>;
    try {
      step = transition(status, action);
    } catch (error) {
      if (error instanceof IllegalTransitionError) throw conflict('ILLEGAL_TRANSITION', error.message, { status, action, allowed: error.allowed });
      throw error;
    }
    if (!blueprint.actions.some((a) => a.name === step.message)) {
      throw new PlatformError(422, 'NO_LIFECYCLE', `Blueprint ${blueprint.name} has no ${step.message} action: its processes run from spawn`, { blueprint: blueprint.name });
    }
    const tags = [{ name: 'Action', value: step.message }, { name: 'Acting-User', value: actingUser(actor) }, ...(action === 'kill' ? [{ name: 'Reason', value: 'killed by an admin' }] : [])];
    const { messageId, reply } = await this.messenger.ask(agent.processId, tags, ['Status-Changed', `${step.message}-Error`]);
    const report = parseData(reply);
    await this.audit.record(actor, action, id, messageId, { from: status, to: step.to, reply: reply?.tags ?? null, report });
    if (reply?.tags.Action !== 'Status-Changed') {
      throw new PlatformError(422, 'AGENT_REFUSED', `The agent refused ${step.message}: ${reply?.tags.Error ?? 'no answer'}`, { messageId, error: reply?.tags.Error ?? null });
    }
    const now = new Date();
    const data: Prisma.AgentUpdateManyMutationInput = { status: step.to, updatedAt: now };
    if (step.to === 'running') data.runningSince = now;
    else if (agent.runningSince) {
      data.runningSince = null;
      data.uptimeMs = agent.uptimeMs + BigInt(now.getTime() - agent.runningSince.getTime());
    }
    const { count } = await this.prisma.agent.updateMany({ where: { id, status }, data });
    if (count === 0) throw conflict('ILLEGAL_TRANSITION', `The agent changed state meanwhile; its ${step.message} message ${messageId} is in its log`, { messageId });
    if (agent.cronInterval) await this.driveCron(agent.processId, step.to);
    return { agent: await this.listed(id), messageId, report };
  }

  async find(id: string): Promise<Agent> {
    const agent = /^[0-9a-f-]{36}$/.test(id) ? await this.prisma.agent.findUnique({ where: { id } }) : null;
    if (!agent) throw notFound('agent', id);
    return agent;
  }

  /** Ticks run while the agent runs: active when running, paused when paused, gone once killed. */
  private async driveCron(processId: string, status: AgentStatus): Promise<void> {
    try {
      if (status === 'running') await this.cron.setStatus(processId, 'active');
      else if (status === 'paused') await this.cron.setStatus(processId, 'paused');
      else if (status === 'killed') await this.cron.unmonitor(processId);
    } catch (error) {
      if (!(error instanceof AoError && error.code === 'NOT_FOUND')) throw error;
    }
  }

  private view(agent: Agent, live: AgentLive) {
    const status = agent.status as AgentStatus;
    const uptimeMs = Number(agent.uptimeMs) + (agent.runningSince ? Date.now() - agent.runningSince.getTime() : 0);
    return {
      id: agent.id,
      name: agent.name,
      blueprint: agent.blueprint,
      blueprintVersion: agent.blueprintVersion,
      status,
      allowedActions: allowedActions(status),
      config: agent.config as Record<string, unknown>,
      configVersion: agent.configVersion,
      processId: agent.processId,
      cronInterval: agent.cronInterval,
      createdBy: agent.createdBy,
      createdAt: agent.createdAt.toISOString(),
      updatedAt: agent.updatedAt.toISOString(),
      uptimeMs,
      live,
      links: { log: `/su/${agent.processId}`, verify: `/cu/verify/${agent.processId}`, state: `/cu/state/${agent.processId}` },
    };
  }
}

/** The value of the Acting-User tag: the user's id, or `break-glass`. */
export function actingUser(actor: Principal): string {
  return actor.userId ?? 'break-glass';
}

function validConfig(blueprint: Blueprint, input: Record<string, unknown>): Record<string, unknown> {
  try {
    return parseConfig(blueprint, input) as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof BlueprintConfigError)) throw error;
    const fields = error.issues.map((i) => ({ field: i.path ? `config.${i.path}` : 'config', rule: 'blueprint-schema', message: i.message }));
    throw new PlatformError(400, 'VALIDATION_FAILED', error.message, { fields });
  }
}

/** A reply's JSON data, or null. */
export function parseData(reply: Reply | undefined): unknown {
  if (!reply?.data) return null;
  try {
    return JSON.parse(reply.data);
  } catch {
    return reply.data;
  }
}
