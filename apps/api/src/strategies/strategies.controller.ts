import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IDEMPOTENCY_HEADER } from '../auth/auth.controller.js';
import { IdempotencyInterceptor } from '../auth/idempotency.interceptor.js';
import { PlatformGuard } from '../auth/platform.guard.js';
import { Allow, Caller, Idempotent, type Principal } from '../auth/principal.js';
import { ApiErrors } from '../common/api-docs.js';
import { CreateStrategyDto, StrategyDto } from './strategies.dto.js';
import { StrategiesService } from './strategies.service.js';

/** Strategies: agents admins publish, traders browse with live figures. */
@ApiTags('strategies')
@ApiBearerAuth()
@ApiCookieAuth('ao_session')
@UseGuards(PlatformGuard)
@UseInterceptors(IdempotencyInterceptor)
@Controller('api/strategies')
export class StrategiesController {
  constructor(private readonly strategies: StrategiesService) {}

  @Post()
  @Allow('admin')
  @Idempotent()
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Publishes an agent as a strategy: title, description, topics, price (admin)' })
  @ApiCreatedResponse({ type: StrategyDto })
  @ApiErrors(400, 401, 403, 404, 409, 422, 429)
  publish(@Caller() caller: Principal, @Body() body: CreateStrategyDto): Promise<StrategyDto> {
    return this.strategies.publish(caller, body);
  }

  @Get()
  @Allow('user')
  @ApiOperation({ summary: 'Published strategies with live figures (events per topic, fills, latest PnL/quotes, verdict counts, uptime)' })
  @ApiOkResponse({ type: StrategyDto, isArray: true })
  @ApiErrors(401, 429)
  @Header('content-type', 'application/json; charset=utf-8')
  list(): Promise<string> {
    // serialised by the service, once per data version (the list is read far more than it changes)
    return this.strategies.listJson();
  }

  @Get(':id')
  @Allow('user')
  @ApiOperation({ summary: 'One strategy with its live figures' })
  @ApiOkResponse({ type: StrategyDto })
  @ApiErrors(401, 404, 429)
  get(@Param('id') id: string): Promise<StrategyDto> {
    return this.strategies.get(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @Allow('admin')
  @ApiOperation({ summary: 'Unpublishes a strategy (admin); the agent keeps running' })
  @ApiNoContentResponse({ description: 'Unpublished' })
  @ApiErrors(401, 403, 404, 429)
  async unpublish(@Caller() caller: Principal, @Param('id') id: string): Promise<void> {
    await this.strategies.unpublish(caller, id);
  }
}
