import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { AGENT_STATUSES, LIFECYCLE_ACTIONS, type AgentStatus, type LifecycleAction } from '@ao/agents';
import { CronRegistrationDto } from '../mu/admin-cron.controller.js';

const FREE_OBJECT = { type: 'object', additionalProperties: true } as const;

export class CreateAgentDto {
  @ApiProperty({ description: 'Catalogue name (GET /api/blueprints)', example: 'media-verifier' })
  @IsString()
  @MaxLength(64)
  blueprint!: string;

  @ApiProperty({ description: 'Unique; letters, digits, spaces, `.`, `_` and `-`', example: 'verifier-1' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, { message: 'name must be 1 to 64 letters, digits, spaces, ".", "_" or "-", starting with a letter or digit' })
  name!: string;

  @ApiPropertyOptional({ description: "The blueprint's config (its configSchema); omitted keys take the defaults", ...FREE_OBJECT })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Cron-Interval for Tick messages while running (e.g. `10-seconds`); none: no ticks', example: '10-seconds' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  cronInterval?: string;
}

export class ConfigPatchDto {
  @ApiProperty({ description: 'Keys to change; while running only hot keys (GET /api/blueprints: hotKeys)', ...FREE_OBJECT })
  @IsObject()
  config!: Record<string, unknown>;
}

export class AgentListQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) blueprint?: string;
  @ApiPropertyOptional({ enum: AGENT_STATUSES }) @IsOptional() @IsIn(AGENT_STATUSES as AgentStatus[]) status?: AgentStatus;
  @ApiPropertyOptional({ description: 'Creator: a user id (or `break-glass`)' }) @IsOptional() @IsString() @MaxLength(64) owner?: string;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @IsString() @MaxLength(64) cursor?: string;
  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 200 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
}

export class PageQueryDto {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @Matches(/^\d{1,19}$/, { message: 'cursor must be an integer' }) cursor?: string;
  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 200 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
}

export class EventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only this topic' }) @IsOptional() @IsString() @MinLength(1) @MaxLength(64) topic?: string;
}

class AgentLinksDto {
  @ApiProperty({ description: "The process's SU log" }) log!: string;
  @ApiProperty({ description: 'Re-derive its history from Arweave' }) verify!: string;
  @ApiProperty() state!: string;
}

class AgentLastErrorDto {
  @ApiProperty() message!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The message whose result carried it (null for an evaluation stop)' }) messageId!: string | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ enum: ['result', 'evaluation'], description: '`result`: the latest result with an Error; `evaluation`: the CU stopped evaluating the process' }) source!: 'result' | 'evaluation';
}

/** Live figures of an agent, from the agent_figures read model (the event projection), cron and the CU. */
export class AgentLiveDto {
  @ApiProperty({ nullable: true, type: String, example: '-1250000', description: 'Market makers: PnL since Start (pnl.total = trade PnL − fees), quote atomic units, integer string' }) pnl!: string | null;
  @ApiProperty({ nullable: true, type: Number, example: -12, description: 'Market makers: return in basis points (floor(total × 1e4 / hold))' }) returnBps!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Market makers: number of fills' }) fills!: number | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'The latest cron tick scheduled to the agent' }) lastTickAt!: string | null;
  @ApiProperty({ ...FREE_OBJECT, nullable: true, description: 'Market makers: the latest inventory event {base, quote, baseLocked, quoteLocked, price, baseShareBps} (atomic units, strings)' }) inventory!: Record<string, unknown> | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, nullable: true, example: { original: 3, 'near-duplicate': 1 }, description: 'Media verifiers: verifications by verdict' }) verdicts!: Record<string, number> | null;
  @ApiProperty({ type: AgentLastErrorDto, nullable: true }) lastError!: AgentLastErrorDto | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'When its latest result was committed' }) lastActivityAt!: string | null;
}

export class AgentDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() blueprint!: string;
  @ApiProperty() blueprintVersion!: string;
  @ApiProperty({ enum: AGENT_STATUSES }) status!: AgentStatus;
  @ApiProperty({ enum: LIFECYCLE_ACTIONS, isArray: true, description: 'What POST /api/agents/{id}/{action} accepts now' }) allowedActions!: LifecycleAction[];
  @ApiProperty({ ...FREE_OBJECT, description: 'The full validated config (defaults filled in)' }) config!: Record<string, unknown>;
  @ApiProperty() configVersion!: number;
  @ApiProperty({ description: 'The ao process id' }) processId!: string;
  @ApiProperty({ nullable: true, type: String }) cronInterval!: string | null;
  @ApiProperty({ description: 'Id of the admin who created it' }) createdBy!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ description: 'Time spent running, ms' }) uptimeMs!: number;
  @ApiProperty({ type: AgentLiveDto, description: 'Live figures for the agents table (null where the blueprint has no such figure)' }) live!: AgentLiveDto;
  @ApiProperty({ type: AgentLinksDto }) links!: AgentLinksDto;
}

export class AgentDetailDto extends AgentDto {
  @ApiProperty({ type: CronRegistrationDto, isArray: true }) cron!: CronRegistrationDto[];
  @ApiProperty({ ...FREE_OBJECT, nullable: true, description: "The process's Info answer (live figures), through a dry-run" }) figures!: Record<string, unknown> | null;
  @ApiProperty({ nullable: true, type: String }) figuresError!: string | null;
}

export class AgentPageDto {
  @ApiProperty({ type: AgentDto, isArray: true }) items!: AgentDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class AgentActionResultDto {
  @ApiProperty({ type: AgentDto }) agent!: AgentDto;
  @ApiProperty({ description: 'Id of the signed ao message the action produced' }) messageId!: string;
  @ApiProperty({ nullable: true, description: "The agent's report (Status-Changed data: e.g. the orders a kill cancelled)", oneOf: [FREE_OBJECT, { type: 'array' }, { type: 'string' }] }) report!: unknown;
}

export class AgentConfigResultDto {
  @ApiProperty({ type: AgentDto }) agent!: AgentDto;
  @ApiProperty() messageId!: string;
  @ApiProperty({ type: String, isArray: true }) applied!: string[];
}

export class LogEntryDto {
  @ApiProperty() nonce!: number;
  @ApiProperty() messageId!: string;
  @ApiProperty({ nullable: true, type: String }) action!: string | null;
  @ApiProperty({ nullable: true, type: String }) from!: string | null;
  @ApiProperty({ nullable: true, type: String }) output!: string | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty() gasUsed!: number;
  @ApiProperty({ description: 'Outbox messages' }) messages!: number;
  @ApiProperty() spawns!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() link!: string;
}

export class LogPageDto {
  @ApiProperty({ type: LogEntryDto, isArray: true }) items!: LogEntryDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

class QueryAnswerDto {
  @ApiProperty() ok!: boolean;
  @ApiProperty({ nullable: true, type: String }) action!: string | null;
  @ApiProperty({ nullable: true, oneOf: [FREE_OBJECT, { type: 'array' }, { type: 'string' }] }) data!: unknown;
  @ApiPropertyOptional() error?: string;
}

export class AgentStateDto {
  @ApiProperty() processId!: string;
  @ApiProperty({ type: QueryAnswerDto }) info!: QueryAnswerDto;
  @ApiProperty({ type: QueryAnswerDto }) config!: QueryAnswerDto;
  @ApiProperty({ type: QueryAnswerDto }) subscriptions!: QueryAnswerDto;
}

class MessageLinksDto {
  @ApiProperty() result!: string;
  @ApiProperty() item!: string;
}

class IncomingMessageDto {
  @ApiProperty() nonce!: number;
  @ApiProperty() id!: string;
  @ApiProperty() assignmentId!: string;
  @ApiProperty({ nullable: true, type: String }) action!: string | null;
  @ApiProperty({ nullable: true, type: String }) from!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Acting-User tag of platform messages' }) actingUser!: string | null;
  @ApiProperty() timestamp!: number;
  @ApiProperty({ type: MessageLinksDto }) links!: MessageLinksDto;
}

class PushDto {
  @ApiProperty() fromNonce!: number;
  @ApiProperty({ enum: ['message', 'spawn', 'assign'] }) kind!: string;
  @ApiProperty({ nullable: true, type: String }) id!: string | null;
  @ApiProperty({ nullable: true, type: String }) target!: string | null;
  @ApiProperty() status!: string;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ nullable: true, type: String }) link!: string | null;
}

export class AgentMessagesDto {
  @ApiProperty({ type: IncomingMessageDto, isArray: true }) incoming!: IncomingMessageDto[];
  @ApiProperty({ type: PushDto, isArray: true }) outgoing!: PushDto[];
  @ApiProperty({ type: PushDto, isArray: true }) spawned!: PushDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class AgentEventDto {
  @ApiProperty({ description: 'Feed position (SSE id)' }) id!: string;
  @ApiProperty({ nullable: true, type: String }) agentId!: string | null;
  @ApiProperty() processId!: string;
  @ApiProperty() topic!: string;
  @ApiProperty({ description: "The agent's Event-Seq" }) eventSeq!: number;
  @ApiProperty({ description: 'The message whose result published it' }) messageId!: string;
  @ApiProperty() nonce!: number;
  @ApiProperty({ nullable: true, oneOf: [FREE_OBJECT, { type: 'array' }, { type: 'string' }] }) payload!: unknown;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class EventPageDto {
  @ApiProperty({ type: AgentEventDto, isArray: true }) items!: AgentEventDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

class AuditEntryDto {
  @ApiProperty() id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ nullable: true, type: String }) actorId!: string | null;
  @ApiProperty({ description: 'Email, or break-glass' }) actor!: string;
  @ApiProperty({ example: 'start' }) action!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The signed ao message it produced' }) messageId!: string | null;
  @ApiProperty(FREE_OBJECT) details!: Record<string, unknown>;
}

export class AuditPageDto {
  @ApiProperty({ type: AuditEntryDto, isArray: true }) items!: AuditEntryDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

class ParamDocDto {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['query', 'command', 'event'] }) kind!: string;
  @ApiProperty() audience!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } }) tags?: Record<string, string>;
  @ApiProperty() help!: string;
}

class TopicDocDto {
  @ApiProperty() name!: string;
  @ApiProperty() help!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) fields!: Record<string, string>;
}

export class BlueprintDto {
  @ApiProperty({ example: 'media-verifier' }) name!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ enum: ['token', 'venue', 'oracle', 'market-maker', 'media-verifier'] }) kind!: string;
  @ApiProperty() title!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ ...FREE_OBJECT, description: 'JSON Schema (2020-12) of the config, with `unit` and `hot` per property' }) configSchema!: Record<string, unknown>;
  @ApiProperty({ type: String, isArray: true }) hotKeys!: string[];
  @ApiProperty(FREE_OBJECT) defaults!: Record<string, unknown>;
  @ApiProperty({ type: TopicDocDto, isArray: true }) topics!: TopicDocDto[];
  @ApiProperty({ type: ParamDocDto, isArray: true }) actions!: ParamDocDto[];
  @ApiProperty() sourceSha256!: string;
}
