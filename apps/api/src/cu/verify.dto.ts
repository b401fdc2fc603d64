import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export class VerifyQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], default: 'false', description: "Also compare every result and the state hash with this CU's" })
  @IsOptional()
  @IsIn(['true', 'false'])
  compare?: 'true' | 'false';
}
