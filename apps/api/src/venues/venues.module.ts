import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module.js';
import { VenuesController } from './venues.controller.js';
import { VenuesService } from './venues.service.js';

/** Traders' orders and deposits at order-book venues. */
@Module({
  imports: [AgentsModule],
  controllers: [VenuesController],
  providers: [VenuesService],
})
export class VenuesModule {}
