import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { IsIntegerParam } from '../common/integer-param.js';

const ID = /^[A-Za-z0-9_-]{43}$/;

/** Query of `GET /su/{processId}`: timestamps (`from` exclusive, `to` inclusive) or nonces, as in the reference SU. */
export class LogQueryDto {
  @ApiPropertyOptional({ description: 'Timestamp (ms) after which to start, exclusive' })
  @IsOptional()
  @IsIntegerParam(0, { message: 'from must be a timestamp in ms (an integer up to 2^53-1)' })
  from?: string;

  @ApiPropertyOptional({ description: 'Timestamp (ms) at which to stop, inclusive' })
  @IsOptional()
  @IsIntegerParam(0, { message: 'to must be a timestamp in ms (an integer up to 2^53-1)' })
  to?: string;

  @ApiPropertyOptional({ description: 'Nonce after which to start, exclusive (-1 includes slot 0)', name: 'from-nonce' })
  @IsOptional()
  @IsIntegerParam(-1, { message: 'from-nonce must be an integer from -1 to 2^53-1' })
  'from-nonce'?: string;

  @ApiPropertyOptional({ description: 'Nonce at which to stop, inclusive', name: 'to-nonce' })
  @IsOptional()
  @IsIntegerParam(0, { message: 'to-nonce must be an integer from 0 to 2^53-1' })
  'to-nonce'?: string;

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ name: 'process-id', description: 'With a message id in the path: the process whose log to look in' })
  @IsOptional()
  @Matches(ID, { message: 'process-id must be a 43-character base64url id' })
  'process-id'?: string;

  @ApiPropertyOptional({ name: 'show-anchor' })
  @IsOptional()
  @IsString()
  'show-anchor'?: string;
}

/** Query of `POST /su/`: plain item, or an assignment of an existing message to a process. */
export class PostQueryDto {
  @ApiPropertyOptional({ name: 'process-id' })
  @IsOptional()
  @Matches(ID, { message: 'process-id must be a 43-character base64url id' })
  'process-id'?: string;

  @ApiPropertyOptional({ description: 'Id of the message to assign to process-id' })
  @IsOptional()
  @Matches(ID, { message: 'assign must be a 43-character base64url id' })
  assign?: string;

  @ApiPropertyOptional({ description: 'Comma-separated fields to exclude' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_,-]*$/, { message: 'exclude must be a comma-separated list' })
  exclude?: string;

  @ApiPropertyOptional({ name: 'base-layer' })
  @IsOptional()
  @IsString()
  'base-layer'?: string;
}
