import { Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CronRegistry } from '@ao/infra';
import { requireId } from '../common/ids.js';
import { AdminGuard } from '../common/admin.guard.js';

/** Admin view of cron: registrations with their last and next tick; pause and resume. */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/cron')
export class AdminCronController {
  constructor(private readonly cron: CronRegistry) {}

  @Get()
  @ApiOperation({ summary: 'Every cron registration with its last emitted and next tick' })
  list() {
    return this.cron.list();
  }

  @Post(':processId/pause')
  @HttpCode(200)
  @ApiOperation({ summary: "Pause a process's ticks" })
  async pause(@Param('processId') processId: string) {
    return { processId, paused: await this.cron.setStatus(requireId(processId, 'process id'), 'paused') };
  }

  @Post(':processId/resume')
  @HttpCode(200)
  @ApiOperation({ summary: "Resume a process's ticks (missed ones follow the missed-tick policy)" })
  async resume(@Param('processId') processId: string) {
    return { processId, resumed: await this.cron.setStatus(requireId(processId, 'process id'), 'active') };
  }
}
