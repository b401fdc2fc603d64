import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module.js';
import { SuModule } from '../su/su.module.js';
import { SubscriptionsController } from '../subscriptions/subscriptions.controller.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { StrategiesController } from './strategies.controller.js';
import { StrategiesService } from './strategies.service.js';

/** Strategies admins publish and the subscriptions traders take to them. */
@Module({
  imports: [AgentsModule, SuModule],
  controllers: [StrategiesController, SubscriptionsController],
  providers: [StrategiesService, SubscriptionsService],
})
export class StrategiesModule {}
