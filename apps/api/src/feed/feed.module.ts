import { Global, Module } from '@nestjs/common';
import { EventProjector } from './event-projector.js';
import { FeedController } from './feed.controller.js';
import { FeedHub } from './feed-hub.js';

/** The agent_events projection and the live feed over SSE. */
@Global()
@Module({
  controllers: [FeedController],
  providers: [FeedHub, EventProjector],
  exports: [FeedHub, EventProjector],
})
export class FeedModule {}
