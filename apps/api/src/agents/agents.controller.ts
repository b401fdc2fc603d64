import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { LIFECYCLE_ACTIONS, type LifecycleAction } from '@ao/agents';
import { IDEMPOTENCY_HEADER } from '../auth/auth.controller.js';
import { IdempotencyInterceptor } from '../auth/idempotency.interceptor.js';
import { PlatformGuard } from '../auth/platform.guard.js';
import { Allow, Caller, Idempotent, type Principal } from '../auth/principal.js';
import { ApiErrors } from '../common/api-docs.js';
import { notFound } from '../common/platform-error.js';
import { AgentReadsService } from './agent-reads.service.js';
import {
  AgentActionResultDto,
  AgentConfigResultDto,
  AgentDetailDto,
  AgentDto,
  AgentListQueryDto,
  AgentMessagesDto,
  AgentPageDto,
  AgentStateDto,
  AuditPageDto,
  BlueprintDto,
  ConfigPatchDto,
  CreateAgentDto,
  EventPageDto,
  EventsQueryDto,
  LogPageDto,
  PageQueryDto,
} from './agents.dto.js';
import { AgentsService } from './agents.service.js';
import { AuditLog } from './audit-log.js';

/** The blueprint catalogue (any signed-in user). */
@ApiTags('agents')
@ApiBearerAuth()
@ApiCookieAuth('ao_session')
@UseGuards(PlatformGuard)
@Controller('api/blueprints')
export class BlueprintsController {
  constructor(private readonly agents: AgentsService) {}

  @Get()
  @Allow('user')
  @ApiOperation({ summary: 'The blueprint catalogue: config schemas with defaults, units and help; hot keys; topics; actions' })
  @ApiOkResponse({ type: BlueprintDto, isArray: true })
  @ApiErrors(401, 429)
  list(): BlueprintDto[] {
    return this.agents.blueprints() as BlueprintDto[];
  }
}

/** Agents (admins only): create, configure, drive the lifecycle, read what they did. */
@ApiTags('agents')
@ApiBearerAuth()
@ApiCookieAuth('ao_session')
@UseGuards(PlatformGuard)
@UseInterceptors(IdempotencyInterceptor)
@Allow('admin')
@Controller('api/agents')
export class AgentsController {
  constructor(
    private readonly agents: AgentsService,
    private readonly reads: AgentReadsService,
    private readonly audit: AuditLog,
  ) {}

  @Post()
  @Idempotent()
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Validates the config, then spawns the process (the platform as owner and authority), cron registered but paused; status draft' })
  @ApiCreatedResponse({ type: AgentDto })
  @ApiErrors(400, 401, 403, 409, 422, 429, 502, 504)
  create(@Caller() caller: Principal, @Body() body: CreateAgentDto): Promise<AgentDto> {
    return this.agents.create(caller, body);
  }

  @Get()
  @ApiOperation({ summary: 'Agents, newest first, filtered by blueprint, status and creator; cursor pagination' })
  @ApiOkResponse({ type: AgentPageDto })
  @ApiErrors(400, 401, 403, 429)
  list(@Query() q: AgentListQueryDto): Promise<AgentPageDto> {
    return this.agents.list({ blueprint: q.blueprint, status: q.status, owner: q.owner, cursor: q.cursor, limit: q.limit ?? 50 });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One agent: status, config and version, process id, cron, live figures (Info through a dry-run)' })
  @ApiOkResponse({ type: AgentDetailDto })
  @ApiErrors(401, 403, 404, 429)
  get(@Param('id') id: string): Promise<AgentDetailDto> {
    return this.agents.get(id) as Promise<AgentDetailDto>;
  }

  @Patch(':id/config')
  @ApiOperation({ summary: 'Changes config keys with a Configure message: hot keys any time, restart-only keys only when not running (409 with the reason)' })
  @ApiOkResponse({ type: AgentConfigResultDto })
  @ApiErrors(400, 401, 403, 404, 409, 422, 429, 502, 504)
  configure(@Caller() caller: Principal, @Param('id') id: string, @Body() body: ConfigPatchDto): Promise<AgentConfigResultDto> {
    return this.agents.configure(caller, id, body.config);
  }

  @Post(':id/:action')
  @HttpCode(200)
  @ApiParam({ name: 'action', enum: LIFECYCLE_ACTIONS, description: 'draft → start → running ⇄ pause/resume → paused; kill from any but killed' })
  @ApiOperation({ summary: 'Lifecycle: start | pause | resume | kill, each a signed Start/Stop/Kill message; 409 on an illegal transition' })
  @ApiOkResponse({ type: AgentActionResultDto })
  @ApiErrors(401, 403, 404, 409, 422, 429, 502, 504)
  act(@Caller() caller: Principal, @Param('id') id: string, @Param('action') action: string): Promise<AgentActionResultDto> {
    if (!(LIFECYCLE_ACTIONS as string[]).includes(action)) throw notFound('action', action);
    return this.agents.act(caller, id, action as LifecycleAction);
  }

  @Get(':id/logs')
  @ApiOperation({ summary: 'Results newest first (Output, Error, gas), paged by nonce' })
  @ApiOkResponse({ type: LogPageDto })
  @ApiErrors(400, 401, 403, 404, 429)
  async logs(@Param('id') id: string, @Query() q: PageQueryDto): Promise<LogPageDto> {
    return this.reads.logs(await this.agents.find(id), q.cursor !== undefined ? Number(q.cursor) : undefined, q.limit ?? 50);
  }

  @Get(':id/state')
  @ApiOperation({ summary: "The blueprint's queries through dry-runs: Info, Get-Config, Get-Subscriptions" })
  @ApiOkResponse({ type: AgentStateDto })
  @ApiErrors(401, 403, 404, 429)
  async state(@Param('id') id: string): Promise<AgentStateDto> {
    return this.reads.state(await this.agents.find(id));
  }

  @Get(':id/messages')
  @ApiOperation({ summary: 'Incoming (its log), outgoing and spawned (relayed by the MU), with links to results and items' })
  @ApiOkResponse({ type: AgentMessagesDto })
  @ApiErrors(400, 401, 403, 404, 429)
  async messages(@Param('id') id: string, @Query() q: PageQueryDto): Promise<AgentMessagesDto> {
    return this.reads.messages(await this.agents.find(id), q.cursor !== undefined ? Number(q.cursor) : undefined, q.limit ?? 50);
  }

  @Get(':id/events')
  @ApiOperation({ summary: 'The topic events it published (the projection), newest first' })
  @ApiOkResponse({ type: EventPageDto })
  @ApiErrors(400, 401, 403, 404, 429)
  async events(@Param('id') id: string, @Query() q: EventsQueryDto): Promise<EventPageDto> {
    const agent = await this.agents.find(id);
    return this.reads.events(agent, q.topic, q.cursor, q.limit ?? 50);
  }

  @Get(':id/audit')
  @ApiOperation({ summary: 'Who did what to it, when, and the message id each action produced' })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiErrors(400, 401, 403, 404, 429)
  async auditLog(@Param('id') id: string, @Query() q: PageQueryDto): Promise<AuditPageDto> {
    const agent = await this.agents.find(id);
    return this.audit.forAgent(agent.id, q.cursor !== undefined ? BigInt(q.cursor) : undefined, q.limit ?? 50);
  }
}
