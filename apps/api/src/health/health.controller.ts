import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HEALTH } from '../common/unit-schemas.js';
import type { Response } from 'express';
import { HealthService, type HealthReport } from './health.service.js';

@ApiTags('platform')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @ApiOperation({ summary: 'Liveness of postgres, redis, the Arweave gateway, the worker and the cron service' })
  @ApiResponse({ status: 200, description: 'Every check is up: `{status: "ok", checks: {postgres: {status: "up", latencyMs}, ...}}`', schema: HEALTH })
  @ApiResponse({ status: 503, description: 'At least one check is down; each down check has a `reason` (the same report, not an error body)', schema: HEALTH })
  async get(@Res({ passthrough: true }) res: Response): Promise<HealthReport> {
    const report = await this.health.report();
    res.status(report.status === 'ok' ? 200 : 503);
    return report;
  }
}
