-- The worker records a process's state hash only now and then (CU_STATE_HASH_INTERVAL_MS), so the
-- head nonce and the nonce the recorded hash belongs to can differ.
ALTER TABLE "cu_processes" ADD COLUMN "state_hash_nonce" BIGINT;
UPDATE "cu_processes" SET "state_hash_nonce" = "nonce" WHERE "state_hash" IS NOT NULL;
