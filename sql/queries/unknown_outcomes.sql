-- Messages whose submit outcome is unknown (a dead worker's batch, a carrier that does not dedupe): the
-- operator's list, and the two ways an operator settles them (core/store/unknown_outcomes.py). Each is ONE
-- statement; the rows are locked in id order like every multi-row update of messages.

-- name: list_unknown_outcomes
-- Oldest first (by when the sweep found them), after the (:after_at, :after_id) cursor; :sdk_app_id NULL for
-- every application.
SELECT u.message_id, u.accepted_at, u.sdk_app_id, u.worker_id, u.marked_at,
       m.serial_no, m.phone, m.iso_code, m.account_id, m.claimed_at, m.attempts, m.ref_generation
FROM unknown_outcomes u
JOIN messages m ON m.id = u.message_id AND m.accepted_at = u.accepted_at
WHERE u.sdk_app_id = coalesce(:sdk_app_id::text, u.sdk_app_id)
  AND (u.marked_at, u.message_id) > (:after_at::timestamptz, :after_id::bigint)
ORDER BY u.marked_at, u.message_id
LIMIT :limit

-- name: resend_unknown
-- Requeue the `unknown` messages among (:ids, :serials) through the normal send path: each original batch's
-- rows move to a new batch (a new outbox row due at :due_at, so the sweep pushes it if its job is lost) and
-- leave the list. With :fresh_ref the carrier gets a new reference (`<serial>~<n>`), so even a carrier that
-- dedupes on it sends them again. Returns the new batches with the serials each holds.
WITH locked AS (
    SELECT id, accepted_at, batch_id FROM messages
    WHERE id = ANY(:ids::bigint[]) AND accepted_at >= :first_day AND accepted_at < :end_day
      AND serial_no = ANY(:serials::text[]) AND status = 'unknown'
    ORDER BY id FOR UPDATE
), batches AS (
    SELECT old.batch_id, old.accepted_at, gen_random_uuid() AS new_batch_id
    FROM (SELECT DISTINCT batch_id, accepted_at FROM locked) AS old
), requeued AS (
    UPDATE messages m SET status = 'queued', claimed_at = NULL, retry_at = NULL, batch_id = b.new_batch_id,
        ref_generation = m.ref_generation + CASE WHEN :fresh_ref::bool THEN 1 ELSE 0 END
    FROM locked JOIN batches b USING (batch_id, accepted_at)
    WHERE m.id = locked.id AND m.accepted_at = locked.accepted_at AND m.status = 'unknown'
    RETURNING m.id, m.accepted_at, m.batch_id, m.serial_no
), unlisted AS (
    DELETE FROM unknown_outcomes u USING requeued r
    WHERE u.message_id = r.id AND u.accepted_at = r.accepted_at
), outbox AS (
    INSERT INTO send_outbox (batch_id, accepted_at, due_at)
    SELECT new_batch_id, accepted_at, :due_at::timestamptz FROM batches
)
SELECT batch_id, accepted_at, array_agg(serial_no ORDER BY id) AS serials FROM requeued GROUP BY 1, 2

-- name: fail_unknown
-- The operator gives up on the `unknown` messages among (:ids, :serials): they fail with :reason, as a
-- submit the carrier refused does: the final status is published (pull queue, status callback, statistics)
-- and their cost leaves the usage on :usage_day (never shown to have reached the carrier, they are not
-- charged). Returns the serials failed and the applications with callbacks to deliver.
WITH locked AS (
    SELECT id, accepted_at FROM messages
    WHERE id = ANY(:ids::bigint[]) AND accepted_at >= :first_day AND accepted_at < :end_day
      AND serial_no = ANY(:serials::text[]) AND status = 'unknown'
    ORDER BY id FOR UPDATE
), final AS (
    UPDATE messages m SET status = 'failed', error = :reason, reported_at = :now
    FROM locked
    WHERE m.id = locked.id AND m.accepted_at = locked.accepted_at AND m.status = 'unknown'
    RETURNING m.id, m.sdk_app_id, m.account_id, m.iso_code, m.accepted_at, m.phone, m.serial_no,
              m.session_context, m.error, m.reported_at, m.parts, m.price_minor
), unlisted AS (
    DELETE FROM unknown_outcomes u USING final f
    WHERE u.message_id = f.id AND u.accepted_at = f.accepted_at
), refunded AS (
    SELECT add_usage(:usage_day::date, true,
                     array_agg(ROW(account_id, iso_code, messages, parts, amount_minor)::usage_sum))
    FROM (SELECT account_id, iso_code, count(*) AS messages, sum(parts) AS parts,
                 sum(price_minor * parts) AS amount_minor
          FROM final GROUP BY account_id, iso_code) s
), published AS (
    SELECT publish_final_statuses(array_agg(ROW(id, sdk_app_id, account_id, iso_code, accepted_at, phone,
        serial_no, session_context, false, error, reported_at, :outcome::text)::final_status)) AS apps
    FROM final
)
SELECT (SELECT array_agg(serial_no ORDER BY id) FROM final) AS serials, published.apps
FROM published, refunded
