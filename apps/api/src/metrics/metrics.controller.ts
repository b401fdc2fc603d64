import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs.js';
import { METRICS } from '../common/unit-schemas.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('platform')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiProduces('text/plain')
  @ApiOperation({ summary: 'Prometheus metrics: upload outbox, evaluation and relay backlog, queue depths' })
  @ApiOkResponse({ content: { 'text/plain': { schema: METRICS } } })
  @ApiErrors([500, 'Postgres or Redis failed while collecting the figures'])
  get(): Promise<string> {
    return this.metrics.render();
  }
}
