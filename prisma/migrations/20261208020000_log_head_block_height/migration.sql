-- The head of a log also keeps the block height of its last slot, so every scheduler instance
-- (API and workers, each with its own cached gateway height) stamps a slot no lower than the last.
ALTER TABLE "processes" ADD COLUMN "last_block_height" BIGINT NOT NULL DEFAULT 0;
UPDATE "processes" p SET "last_block_height" = a."block_height" FROM "assignments" a WHERE a."id" = p."last_assignment_id";
