import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module.js';
import { MediaController } from './media.controller.js';
import { MediaService } from './media.service.js';

/** Traders' images and the verdicts of media verifiers on them. */
@Module({
  imports: [AgentsModule],
  controllers: [MediaController],
  providers: [MediaService],
})
export class MediaModule {}
