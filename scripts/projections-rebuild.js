// `npm run projections:rebuild`: drops the agent_events read model and rebuilds it from the
// committed results (the log). Safe while the platform runs: projection writes share one lock.
import { createPrismaClient, loadEnv, rebuildAgentEvents } from '@ao/infra';

const env = loadEnv();
const prisma = createPrismaClient(env.DATABASE_URL, 2);
try {
  const { agents, events } = await rebuildAgentEvents(prisma);
  console.log(`rebuilt agent_events: ${events} events of ${agents} agents`);
} finally {
  await prisma.$disconnect();
}
