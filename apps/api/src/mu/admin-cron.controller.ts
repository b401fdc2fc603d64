import { Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CronRegistry } from '@ao/infra';
import { requireId } from '../common/ids.js';
import { PlatformGuard } from '../auth/platform.guard.js';
import { Allow } from '../auth/principal.js';
import { ApiErrors } from '../common/api-docs.js';

class CronTagDto {
  @ApiProperty() name!: string;
  @ApiProperty() value!: string;
}

export class CronRegistrationDto {
  @ApiProperty() processId!: string;
  @ApiProperty({ example: '10-seconds' }) interval!: string;
  @ApiProperty({ enum: ['ms', 'blocks'] }) unit!: 'ms' | 'blocks';
  @ApiProperty({ description: 'Interval in ms or blocks' }) period!: number;
  @ApiProperty({ description: 'Spawn timestamp (ms) or block height the ticks align to' }) origin!: number;
  @ApiProperty({ enum: ['catch-up', 'coalesce'] }) policy!: 'catch-up' | 'coalesce';
  @ApiProperty({ enum: ['active', 'paused'] }) status!: 'active' | 'paused';
  @ApiProperty({ nullable: true, type: Number, description: 'Latest tick put on the SU' }) lastTick!: number | null;
  @ApiProperty() nextTick!: number;
  @ApiProperty({ type: CronTagDto, isArray: true }) tickTags!: CronTagDto[];
}

class CronPausedDto {
  @ApiProperty() processId!: string;
  @ApiProperty({ description: 'Registrations paused' }) paused!: number;
}

class CronResumedDto {
  @ApiProperty() processId!: string;
  @ApiProperty({ description: 'Registrations resumed' }) resumed!: number;
}

/** Admin view of cron: registrations with their last and next tick; pause and resume. */
@ApiTags('admin')
@ApiBearerAuth()
@ApiCookieAuth('ao_session')
@UseGuards(PlatformGuard)
@Allow('admin')
@Controller('api/admin/cron')
export class AdminCronController {
  constructor(private readonly cron: CronRegistry) {}

  @Get()
  @ApiOperation({ summary: 'Every cron registration with its last emitted and next tick' })
  @ApiOkResponse({ type: CronRegistrationDto, isArray: true })
  @ApiErrors(401, 403, 429)
  list(): Promise<CronRegistrationDto[]> {
    return this.cron.list();
  }

  @Post(':processId/pause')
  @HttpCode(200)
  @ApiOperation({ summary: "Pause a process's ticks" })
  @ApiOkResponse({ type: CronPausedDto })
  @ApiErrors([400, 'The process id is not a 43-character base64url id'], 401, 403, 404, 429)
  async pause(@Param('processId') processId: string): Promise<CronPausedDto> {
    return { processId, paused: await this.cron.setStatus(requireId(processId, 'process id'), 'paused') };
  }

  @Post(':processId/resume')
  @HttpCode(200)
  @ApiOperation({ summary: "Resume a process's ticks (missed ones follow the missed-tick policy)" })
  @ApiOkResponse({ type: CronResumedDto })
  @ApiErrors([400, 'The process id is not a 43-character base64url id'], 401, 403, 404, 429)
  async resume(@Param('processId') processId: string): Promise<CronResumedDto> {
    return { processId, resumed: await this.cron.setStatus(requireId(processId, 'process id'), 'active') };
  }
}
