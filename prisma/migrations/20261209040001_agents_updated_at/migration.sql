-- GET /api/strategies asks max(updated_at) of agents at every request (its cache version): an
-- index answers it without reading every agent.
CREATE INDEX "agents_updated_at_idx" ON "agents"("updated_at");
