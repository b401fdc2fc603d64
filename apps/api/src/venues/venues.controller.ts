import { Body, Controller, Delete, Param, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IDEMPOTENCY_HEADER } from '../auth/auth.controller.js';
import { IdempotencyInterceptor } from '../auth/idempotency.interceptor.js';
import { PlatformGuard } from '../auth/platform.guard.js';
import { Allow, Caller, Idempotent, type Principal } from '../auth/principal.js';
import { ApiErrors } from '../common/api-docs.js';
import { CancelResultDto, DepositDto, DepositResultDto, OrderResultDto, PlaceOrderDto } from './venues.dto.js';
import { VenuesService } from './venues.service.js';

/** Trading at an order-book venue as my ao identity (reads go through /cu/dry-run: Get-Book, Get-Trades). */
@ApiTags('venues')
@ApiBearerAuth()
@ApiCookieAuth('ao_session')
@UseGuards(PlatformGuard)
@UseInterceptors(IdempotencyInterceptor)
@Allow('user')
@Controller('api/venues/:processId')
export class VenuesController {
  constructor(private readonly venues: VenuesService) {}

  @Post('orders')
  @Idempotent()
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Places an order from my balance at the venue: a one-order Batch-Orders message signed as me; tick and lot sizes checked first' })
  @ApiCreatedResponse({ type: OrderResultDto })
  @ApiErrors(400, 401, 403, 404, 409, 422, 429, 502, 504)
  place(@Caller() caller: Principal, @Param('processId') processId: string, @Body() body: PlaceOrderDto): Promise<OrderResultDto> {
    return this.venues.place(caller, processId, body);
  }

  @Delete('orders/:orderId')
  @ApiOperation({ summary: 'Cancels one of my open orders: a Cancel-Order message signed as me' })
  @ApiOkResponse({ type: CancelResultDto })
  @ApiErrors(400, 401, 403, 404, 409, 422, 429, 502, 504)
  cancel(@Caller() caller: Principal, @Param('processId') processId: string, @Param('orderId') orderId: string): Promise<CancelResultDto> {
    return this.venues.cancel(caller, processId, orderId);
  }

  @Post('deposits')
  @Idempotent()
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Deposits one of the venue’s tokens: a Transfer to the venue signed as me (credited when the venue reads its Credit-Notice)' })
  @ApiCreatedResponse({ type: DepositResultDto })
  @ApiErrors(400, 401, 403, 404, 409, 422, 429, 502, 504)
  deposit(@Caller() caller: Principal, @Param('processId') processId: string, @Body() body: DepositDto): Promise<DepositResultDto> {
    return this.venues.deposit(caller, processId, body);
  }
}
