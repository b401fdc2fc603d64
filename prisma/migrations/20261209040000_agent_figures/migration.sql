-- Read model: each agent's running figures (fills, verdict counts, latest PnL and inventory, last
-- error, last activity), folded by the event projection in the same transaction as agent_events.
CREATE TABLE "agent_figures" (
    "process_id" TEXT NOT NULL,
    "fills" BIGINT NOT NULL DEFAULT 0,
    "verdicts" JSONB NOT NULL DEFAULT '{}',
    "pnl" JSONB,
    "inventory" JSONB,
    "last_error" TEXT,
    "last_error_message_id" TEXT,
    "last_error_nonce" BIGINT,
    "last_error_at" TIMESTAMP(3),
    "last_activity_at" TIMESTAMP(3),
    CONSTRAINT "agent_figures_pkey" PRIMARY KEY ("process_id")
);
