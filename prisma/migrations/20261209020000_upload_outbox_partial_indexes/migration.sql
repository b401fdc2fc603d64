-- The upload outbox's rows change state three times after their insert (leased, uploaded,
-- confirmed). `status` was in two of its five indexes, so every flip was a non-HOT update that
-- added an entry to all five. Only the drainer's two look-ups need `status` (the next pending rows
-- in id order; the uploaded rows of a bundle), and /mu/failed lists the dead letters: partial
-- indexes serve those, and an index entry is written only while a row is in that state. Per-process
-- reads go through the process's log (assignments) instead of `(process_id, status)`.
-- Existing rows keep their status: pending items stay pending and are claimed as before.
DROP INDEX IF EXISTS "upload_outbox_status_id_idx";
DROP INDEX IF EXISTS "upload_outbox_process_id_status_idx";
DROP INDEX IF EXISTS "upload_outbox_bundle_id_idx";
-- One unique index per row is enough: the item id becomes the primary key, and the serial `id`
-- (the claim's order) is indexed only while a row is pending or failed.
ALTER TABLE "upload_outbox" DROP CONSTRAINT "upload_outbox_pkey";
ALTER INDEX "upload_outbox_item_id_key" RENAME TO "upload_outbox_pkey";
ALTER TABLE "upload_outbox" ADD CONSTRAINT "upload_outbox_pkey" PRIMARY KEY USING INDEX "upload_outbox_pkey";
CREATE INDEX "upload_outbox_pending_idx" ON "upload_outbox"("id") WHERE "status" = 'pending';
CREATE INDEX "upload_outbox_uploaded_bundle_idx" ON "upload_outbox"("bundle_id") WHERE "status" = 'uploaded';
CREATE INDEX "upload_outbox_failed_idx" ON "upload_outbox"("id") WHERE "status" = 'failed';

-- The drainer's lease is a row of its own (the claimed rows' ids and until when), not a write to
-- every claimed row: a claim is one insert, however many items it takes. Claims are serialized by
-- a lock on this table for their short transaction. A lapsed lease (a drainer that died) is
-- ignored and deleted by the next claim.
CREATE TABLE "upload_leases" (
    "id" BIGSERIAL NOT NULL,
    "item_ids" BIGINT[] NOT NULL,
    "lease_until" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "upload_leases_pkey" PRIMARY KEY ("id")
);

-- Room on each page for a row's later versions (uploaded, confirmed): an update that finds room on
-- its own page writes one record instead of two (no lock record while it looks for another page).
ALTER TABLE "upload_outbox" SET (fillfactor = 50);
