import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIntegerParam } from '../common/integer-param.js';
import { IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

const ID = /^[A-Za-z0-9_-]{43}$/;

export class ProcessIdQueryDto {
  @ApiProperty({ name: 'process-id' })
  @Matches(ID, { message: 'process-id must be a 43-character base64url id' })
  'process-id'!: string;
}

export class ResultsQueryDto {
  @ApiPropertyOptional({ description: 'Cursor (nonce) after which to start, exclusive' })
  @IsOptional()
  @IsIntegerParam(0, { message: 'from must be a cursor from a previous page (an integer up to 2^53-1)' })
  from?: string;

  @ApiPropertyOptional({ description: 'Cursor (nonce) at which to stop, inclusive' })
  @IsOptional()
  @IsIntegerParam(0, { message: 'to must be a cursor from a previous page (an integer up to 2^53-1)' })
  to?: string;

  @ApiPropertyOptional({ enum: ['ASC', 'DESC'], default: 'ASC' })
  @IsOptional()
  @IsIn(['ASC', 'DESC'])
  sort?: 'ASC' | 'DESC';

  @ApiPropertyOptional({ default: 25, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class TagDto {
  @ApiProperty()
  @IsString()
  @MaxLength(1024)
  name!: string;

  @ApiProperty()
  @IsString()
  @MaxLength(3072)
  value!: string;
}

/** A dry-run message as aoconnect sends it: unsigned, never stored. */
export class DryRunDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  Id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  Target?: string;

  @ApiPropertyOptional({ description: 'Address the message is from' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  Owner?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  From?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  Anchor?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(1024 * 1024)
  Data?: string;

  @ApiPropertyOptional({ type: [TagDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => TagDto)
  Tags?: TagDto[];
}
