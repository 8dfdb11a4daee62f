-- Unknown submit outcomes (issue 14, finding 5). A worker that dies between handing a batch to the carrier and
-- recording the answer leaves its messages `sending`: the carrier may or may not have them. A connector that
-- dedupes on our serial may resubmit; for one that does not, the sweep marks them `unknown` instead, lists
-- them in unknown_outcomes for an operator, and a late delivery report still settles them.

ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'unknown'));

-- How many times an operator resent the message under a fresh carrier reference (`<serial>~<n>`), so that a
-- carrier deduping on the reference cannot take the resend for the first submission. 0: the serial itself.
ALTER TABLE messages ADD COLUMN ref_generation smallint NOT NULL DEFAULT 0;

-- Which worker process (its health key without the prefix) and which arq job hold the claim: past the lease
-- the sweep takes a batch over only when that worker's health key or that job's in-progress key is gone, so a
-- live job that is merely slow keeps its batch. NULLs (a claim made before this migration, or by a job run by
-- hand) fall back to the lease alone.
ALTER TABLE send_outbox ADD COLUMN claimed_by text, ADD COLUMN claimed_job text;

-- The operator's list: messages do not index their status (their updates stay HOT), so the few with an
-- unknown outcome are listed here until a report, a resend or an operator's `fail` settles them.
CREATE TABLE unknown_outcomes (
    message_id  bigint NOT NULL,
    accepted_at timestamptz NOT NULL,
    batch_id    uuid NOT NULL,
    sdk_app_id  text NOT NULL,
    -- The dead worker that had claimed it, and when the sweep found it so.
    worker_id   text,
    marked_at   timestamptz NOT NULL,
    PRIMARY KEY (message_id, accepted_at)
);
CREATE INDEX unknown_outcomes_marked ON unknown_outcomes (marked_at, message_id);
