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
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "processes_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "messages" (
    "id" TEXT NOT NULL,
    "owner_address" TEXT NOT NULL,
    "target" TEXT,
    "signature_type" INTEGER NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "tags" JSONB NOT NULL,
    "raw" BYTEA NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "messages_dedupe_key_idx" ON "messages"("dedupe_key");

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
    "bundle_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "uploaded_at" TIMESTAMP(3),
    "confirmed_at" TIMESTAMP(3),
    CONSTRAINT "upload_outbox_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "upload_outbox_item_id_key" ON "upload_outbox"("item_id");
CREATE INDEX "upload_outbox_status_id_idx" ON "upload_outbox"("status", "id");
CREATE INDEX "upload_outbox_process_id_status_idx" ON "upload_outbox"("process_id", "status");

CREATE TABLE "platform_state" (
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "platform_state_pkey" PRIMARY KEY ("key")
);
