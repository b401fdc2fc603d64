import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs.js';
import { CronRegistrationDto } from './admin-cron.controller.js';
import { AdminGuard } from '../common/admin.guard.js';
import { AoError } from '@ao/core';
import { requireId } from '../common/ids.js';
import { PostQueryDto } from '../su/su.dto.js';
import { MuService } from './mu.service.js';

/** The Messenger Unit's HTTP surface, wire-compatible with the ao reference MU, mounted at /mu. */
@ApiTags('mu')
@Controller('mu')
export class MuController {
  constructor(private readonly mu: MuService) {}

  @Get()
  @ApiOperation({ summary: 'MU identity' })
  @ApiOkResponse({ schema: { type: 'object', required: ['name', 'timestamp'], properties: { name: { type: 'string' }, timestamp: { type: 'integer', description: 'ms' } } } })
  identity() {
    return { name: 'ao messenger unit', timestamp: Date.now() };
  }

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Accept a signed Message or Process item (raw ANS-104); 202 once it is in the log, then the crank runs' })
  @ApiConsumes('application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary' }, required: false })
  @ApiAcceptedResponse({
    description: 'In the log: `{id, message}`; for an assignment (`?process-id=&assign=`) also its `nonce`',
    schema: { type: 'object', required: ['id', 'message'], properties: { id: { type: 'string' }, message: { type: 'string' }, nonce: { type: 'integer' } } },
  })
  @ApiErrors(400, 404, 409, 413, 503)
  async post(@Body() body: unknown, @Query() query: PostQueryDto) {
    if (query.assign || query['process-id']) {
      if (!query.assign || !query['process-id']) throw new AoError('INVALID_REQUEST', 'An assignment needs both process-id and assign', { query });
      return this.mu.assign(query['process-id'], query.assign, query.exclude ? query.exclude.split(',').filter(Boolean) : []);
    }
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new AoError('INVALID_ITEM', 'Send the signed data item as the raw body with content-type application/octet-stream');
    }
    return this.mu.accept(body);
  }

  @Post('monitor/:processId')
  @ApiOperation({ summary: "Start cron ticks for a process (body: a data item signed by the process owner, as aoconnect's monitor sends)" })
  @ApiConsumes('application/octet-stream')
  @ApiBody({ description: 'A data item (raw ANS-104) signed by the process owner, with target = the process (aoconnect monitor/unmonitor send one)', schema: { type: 'string', format: 'binary' } })
  @ApiOkResponse({ schema: { type: 'object', required: ['processId', 'registrations'], properties: { processId: { type: 'string' }, registrations: { type: 'array', items: { $ref: getSchemaPath(CronRegistrationDto) } } } } })
  @ApiErrors(400, 403, 404)
  async monitor(@Param('processId') processId: string, @Body() body: unknown) {
    return { processId, registrations: await this.mu.monitor(requireId(processId, 'process id'), body) };
  }

  @Delete('monitor/:processId')
  @ApiOperation({ summary: 'Stop cron ticks for a process (body signed by the process owner)' })
  @ApiConsumes('application/octet-stream')
  @ApiBody({ description: 'A data item (raw ANS-104) signed by the process owner, with target = the process (aoconnect monitor/unmonitor send one)', schema: { type: 'string', format: 'binary' } })
  @ApiOkResponse({ schema: { type: 'object', required: ['processId', 'removed'], properties: { processId: { type: 'string' }, removed: { type: 'integer', description: 'Registrations removed' } } } })
  @ApiErrors(400, 403, 404)
  async unmonitor(@Param('processId') processId: string, @Body() body: unknown) {
    return { processId, removed: await this.mu.unmonitor(requireId(processId, 'process id'), body) };
  }

  @Get('failed')
  @UseGuards(AdminGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Pipeline jobs that failed for good (dead letters), with their reason' })
  @ApiOkResponse({
    schema: {
      type: 'array',
      items: {
        type: 'object',
        required: ['queue', 'id', 'name', 'data', 'reason', 'attempts', 'failedAt'],
        properties: { queue: { type: 'string' }, id: { type: 'string' }, name: { type: 'string' }, data: {}, reason: { type: 'string' }, attempts: { type: 'integer' }, failedAt: { type: 'integer', nullable: true } },
      },
    },
  })
  @ApiErrors(401, 403)
  failed() {
    return this.mu.failed();
  }

  @Post('failed/:queue/:id/retry')
  @UseGuards(AdminGuard)
  @ApiBearerAuth()
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry a failed pipeline job' })
  @ApiAcceptedResponse({ schema: { type: 'object', required: ['retried', 'queue'], properties: { retried: { type: 'string' }, queue: { type: 'string' } } } })
  @ApiErrors(401, 403, 404)
  async retry(@Param('queue') queue: string, @Param('id') id: string) {
    await this.mu.retry(queue, id);
    return { retried: id, queue };
  }
}
