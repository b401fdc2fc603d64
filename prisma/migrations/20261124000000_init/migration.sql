-- Foundation and Scheduler Unit tables.

CREATE TABLE "processes" (
    "id" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "module" TEXT NOT NULL,
    "scheduler" TEXT NOT NULL,
    "tags" JSONB NOT NULL,
    "timestamp" BIGINT NOT NULL,
    "block_height" BIGINT NOT NULL,
    "last_nonce" BIGINT NOT NULL,
    "last_hash_chain" TEXT NOT NULL,
    "last_assignment_id" TEXT NOT NULL,
    "last_timestamp" BIGINT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "processes_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "data_items" (
    "id" TEXT NOT NULL,
    "owner_address" TEXT NOT NULL,
    "target" TEXT,
    "signature_type" INTEGER NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "tags" JSONB NOT NULL,
    "raw" BYTEA NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "data_items_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "data_items_dedupe_key_idx" ON "data_items"("dedupe_key");

CREATE TABLE "assignments" (
    "id" TEXT NOT NULL,
    "process_id" TEXT NOT NULL,
    "nonce" BIGINT NOT NULL,
    "epoch" INTEGER NOT NULL DEFAULT 0,
    "message_id" TEXT,
    "timestamp" BIGINT NOT NULL,
    "block_height" BIGINT NOT NULL,
    "hash_chain" TEXT NOT NULL,
    "raw" BYTEA NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "assignments_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "assignments_process_id_nonce_key" ON "assignments"("process_id", "nonce");
CREATE UNIQUE INDEX "assignments_process_id_message_id_key" ON "assignments"("process_id", "message_id");
CREATE INDEX "assignments_process_id_timestamp_idx" ON "assignments"("process_id", "timestamp");
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_process_id_fkey" FOREIGN KEY ("process_id") REFERENCES "processes"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "upload_outbox" (
    "id" BIGSERIAL NOT NULL,
    "item_id" TEXT NOT NULL,
    "process_id" TEXT,
    "nonce" BIGINT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "next_attempt_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "bundle_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "uploaded_at" TIMESTAMP(3),
    "confirmed_at" TIMESTAMP(3),
    CONSTRAINT "upload_outbox_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "upload_outbox_item_id_key" ON "upload_outbox"("item_id");
CREATE INDEX "upload_outbox_status_id_idx" ON "upload_outbox"("status", "id");
CREATE INDEX "upload_outbox_bundle_id_idx" ON "upload_outbox"("bundle_id");
CREATE INDEX "upload_outbox_process_id_status_idx" ON "upload_outbox"("process_id", "status");

CREATE TABLE "platform_state" (
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "platform_state_pkey" PRIMARY KEY ("key")
);

-- Compute Unit: one result per (process, nonce), and how far each process is evaluated.

CREATE TABLE "results" (
    "process_id" TEXT NOT NULL,
    "nonce" BIGINT NOT NULL,
    "message_id" TEXT NOT NULL,
    "result" JSONB NOT NULL,
    "gas_used" BIGINT NOT NULL DEFAULT 0,
    "error" TEXT,
    -- 'none' (nothing to relay), 'pending' (the MU has not delivered its outbox yet), 'done', 'failed'
    "crank_status" TEXT NOT NULL DEFAULT 'none',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "results_pkey" PRIMARY KEY ("process_id", "nonce")
);
CREATE INDEX "results_message_id_idx" ON "results"("message_id");
CREATE INDEX "results_crank_pending_idx" ON "results"("created_at") WHERE "crank_status" = 'pending';

CREATE TABLE "cu_processes" (
    "process_id" TEXT NOT NULL,
    "nonce" BIGINT NOT NULL,
    "state_hash" TEXT,
    "error" TEXT,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "cu_processes_pkey" PRIMARY KEY ("process_id")
);

-- Messenger Unit: every push has a deterministic identity (sender, nonce, kind, index), done once.

CREATE TABLE "pushes" (
    "id" TEXT NOT NULL,
    "from_process" TEXT NOT NULL,
    "from_nonce" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "idx" INTEGER NOT NULL,
    "item_id" TEXT,
    "target" TEXT,
    "pushed_for" TEXT,
    "depth" INTEGER NOT NULL DEFAULT 0,
    "status" TEXT NOT NULL DEFAULT 'done',
    "error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "pushes_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "pushes_from_process_from_nonce_idx" ON "pushes"("from_process", "from_nonce");
CREATE INDEX "pushes_item_id_idx" ON "pushes"("item_id");

-- Cron: which processes get ticks, and every tick emitted (once per process, interval and time).

CREATE TABLE "cron_registrations" (
    "process_id" TEXT NOT NULL,
    "interval" TEXT NOT NULL,
    "unit" TEXT NOT NULL,
    "period" BIGINT NOT NULL,
    "origin" BIGINT NOT NULL,
    "tick_tags" JSONB NOT NULL,
    "policy" TEXT NOT NULL DEFAULT 'catch-up',
    "status" TEXT NOT NULL DEFAULT 'active',
    "last_tick" BIGINT,
    "last_emitted" BIGINT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "cron_registrations_pkey" PRIMARY KEY ("process_id", "interval")
);
CREATE INDEX "cron_registrations_status_idx" ON "cron_registrations"("status");

CREATE TABLE "cron_ticks" (
    "process_id" TEXT NOT NULL,
    "interval" TEXT NOT NULL,
    "tick" BIGINT NOT NULL,
    "missed" INTEGER NOT NULL DEFAULT 0,
    "message_id" TEXT,
    "nonce" BIGINT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "cron_ticks_pkey" PRIMARY KEY ("process_id", "interval", "tick")
);
-- Ticks claimed but not yet on the SU: what a worker emits next (and what pause/unmonitor drop).
CREATE INDEX "cron_ticks_pending_idx" ON "cron_ticks"("process_id", "interval", "tick") WHERE "nonce" IS NULL;
