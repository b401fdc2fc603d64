import { Module } from '@nestjs/common';
import { CuModule } from '../cu/cu.module.js';
import { MuModule } from '../mu/mu.module.js';
import { AgentMessenger } from './agent-messenger.js';
import { AgentReadsService } from './agent-reads.service.js';
import { AgentsController, BlueprintsController } from './agents.controller.js';
import { AgentsService } from './agents.service.js';
import { AuditLog } from './audit-log.js';

/** Agents: the catalogue, spawning and driving agents through signed messages, their logs and audit. */
@Module({
  imports: [MuModule, CuModule],
  controllers: [BlueprintsController, AgentsController],
  providers: [AgentMessenger, AgentsService, AgentReadsService, AuditLog],
  exports: [AgentMessenger, AgentsService, AuditLog],
})
export class AgentsModule {}
