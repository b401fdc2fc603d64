-- Arweave items processes read (ao.read): the CU keeps each confirmed item's bytes once, so
-- replays and other workers do not fetch it again. Only items confirmed in a block are kept
-- (their height and bytes never change); everything read back is checked against its id again.
CREATE TABLE "cu_read_items" (
    "id" TEXT NOT NULL,
    "block_height" BIGINT NOT NULL,
    "data_size" BIGINT NOT NULL,
    "raw" BYTEA NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cu_read_items_pkey" PRIMARY KEY ("id")
);
