-- The MU cranks a sender's pending results together, in nonce order. This partial index finds
-- them without scanning the sender's whole history (results stay pending only briefly).
CREATE INDEX "results_crank_pending_process_idx" ON "results"("process_id", "nonce") WHERE "crank_status" = 'pending';
