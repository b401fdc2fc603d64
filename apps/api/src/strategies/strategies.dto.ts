import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';

export class CreateStrategyDto {
  @ApiProperty({ format: 'uuid', description: 'The agent to publish' }) @IsUUID() agentId!: string;
  @ApiProperty({ maxLength: 120 }) @IsString() @MinLength(1) @MaxLength(120) title!: string;
  @ApiProperty({ maxLength: 4000 }) @IsString() @MaxLength(4000) description!: string;
  @ApiProperty({ type: String, isArray: true, description: "Topics traders may subscribe to: some of the blueprint's" })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(32)
  @IsString({ each: true })
  topics!: string[];
  @ApiPropertyOptional({ description: "Price per period, atomic units of `token` (the agent's subscriptionPrice); omitted: free", example: '1000' })
  @IsOptional()
  @Matches(/^[1-9]\d{0,77}$/, { message: 'price must be a positive integer string' })
  price?: string;
  @ApiPropertyOptional({ description: 'Token process the price is paid in (required with price)' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'token must be a process id' })
  token?: string;
}

class StrategyFiguresDto {
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'Events published per topic' }) events!: Record<string, number>;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastEventAt!: string | null;
  @ApiProperty({ description: 'Time spent running, ms' }) uptimeMs!: number;
  @ApiProperty({ description: 'Fills published (topic `fills`)' }) fills!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'Media verifiers: verdict counts' }) verdicts!: Record<string, number>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The latest event payload per topic (PnL, return, spread, quotes)' }) latest!: Record<string, unknown>;
}

export class StrategyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) agentId!: string;
  @ApiProperty() processId!: string;
  @ApiProperty() blueprint!: string;
  @ApiProperty({ enum: ['draft', 'running', 'paused', 'killed'] }) status!: string;
  @ApiProperty() title!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ type: String, isArray: true }) topics!: string[];
  @ApiProperty({ nullable: true, type: String }) price!: string | null;
  @ApiProperty({ nullable: true, type: String }) token!: string | null;
  @ApiProperty({ format: 'date-time' }) publishedAt!: string;
  @ApiProperty({ type: StrategyFiguresDto }) figures!: StrategyFiguresDto;
}
