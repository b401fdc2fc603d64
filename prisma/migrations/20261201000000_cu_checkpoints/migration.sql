-- Compute Unit checkpoints: the state of a process after a nonce, so a cold start resumes from it
-- instead of replaying from genesis. Only the newest few per process are kept (pruned on save).
-- `sha256` is the hex SHA-256 of the decoded image and `state_hash` the process's state hash: the CU
-- checks both (and `assignment_id`/`hash_chain` against the log) before it trusts a row.
-- Each row is also published as an ao `Checkpoint` data item; `gateway_id` is its id once posted.

CREATE TABLE "cu_checkpoints" (
    "process_id" TEXT NOT NULL,
    "nonce" BIGINT NOT NULL,
    "module_id" TEXT NOT NULL,
    "state_hash" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "assignment_id" TEXT NOT NULL,
    "hash_chain" TEXT NOT NULL,
    "timestamp" BIGINT NOT NULL,
    "content_encoding" TEXT NOT NULL,
    "bytes" BYTEA NOT NULL,
    "size" INTEGER NOT NULL,
    "gateway_id" TEXT,
    "published_at" TIMESTAMP(3),
    "publish_attempts" INTEGER NOT NULL DEFAULT 0,
    "publish_after" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "publish_error" TEXT,
    "rejected_reason" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "cu_checkpoints_pkey" PRIMARY KEY ("process_id", "nonce")
);

-- The publisher's queue: rows not yet on the gateway, due for a (re)try.
CREATE INDEX "cu_checkpoints_unpublished_idx" ON "cu_checkpoints"("publish_after") WHERE "gateway_id" IS NULL AND "rejected_reason" IS NULL;
