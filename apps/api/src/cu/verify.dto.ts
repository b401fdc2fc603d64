import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';

export class VerifyQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], default: 'false', description: "Also compare every result and the state hash with this CU's" })
  @IsOptional()
  @IsIn(['true', 'false'])
  compare?: 'true' | 'false';

  @ApiPropertyOptional({
    example: 'true',
    description: "Start from the newest Checkpoint item signed by the process's Scheduler ('true'), or the newest at or below a nonce; nothing before it is verified. Default: replay from genesis",
  })
  @IsOptional()
  @Matches(/^(true|0|[1-9]\d{0,14})$/, { message: "fromCheckpoint must be 'true' or a nonce (below 10^15)" })
  fromCheckpoint?: string;
}
