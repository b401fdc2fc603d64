import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IDEMPOTENCY_HEADER } from '../auth/auth.controller.js';
import { IdempotencyInterceptor } from '../auth/idempotency.interceptor.js';
import { PlatformGuard } from '../auth/platform.guard.js';
import { Allow, Caller, Idempotent, type Principal } from '../auth/principal.js';
import { ApiErrors } from '../common/api-docs.js';
import { CreateSubscriptionDto, SubscriptionDto } from './subscriptions.dto.js';
import { SubscriptionsService } from './subscriptions.service.js';

/** My subscriptions to strategies' topics (each user sees and changes only their own). */
@ApiTags('subscriptions')
@ApiBearerAuth()
@ApiCookieAuth('ao_session')
@UseGuards(PlatformGuard)
@UseInterceptors(IdempotencyInterceptor)
@Allow('user')
@Controller('api/subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Post()
  @Idempotent()
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: "Subscribes my ao identity to a strategy's topics: a Register-Subscriber message (after a Transfer when priced)" })
  @ApiCreatedResponse({ type: SubscriptionDto })
  @ApiErrors(400, 401, [402, 'A priced strategy without payment (PAYMENT_REQUIRED), or a paymentItem below the price (UNDERPAID): nothing was sent'], 403, 404, 409, 422, 429, 502, 504)
  subscribe(@Caller() caller: Principal, @Body() body: CreateSubscriptionDto): Promise<SubscriptionDto> {
    return this.subscriptions.subscribe(caller, body);
  }

  @Get()
  @ApiOperation({ summary: 'My subscriptions' })
  @ApiOkResponse({ type: SubscriptionDto, isArray: true })
  @ApiErrors(401, 429)
  list(@Caller() caller: Principal): Promise<SubscriptionDto[]> {
    return this.subscriptions.list(caller);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unsubscribes (an Unsubscribe message as me); not mine: 404' })
  @ApiNoContentResponse({ description: 'Unsubscribed' })
  @ApiErrors(401, 403, 404, 429, 502, 504)
  async cancel(@Caller() caller: Principal, @Param('id') id: string): Promise<void> {
    await this.subscriptions.cancel(caller, id);
  }
}
