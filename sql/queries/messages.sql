-- Message state changes after intake (core/store/messages.py), each ONE statement per batch: claim, record
-- carrier results, release for retry, fail, apply delivery reports, and the outbox sweep.
--
-- Every statement that updates several messages first locks them in id order (`ORDER BY id FOR UPDATE`): a
-- worker recording a batch and the webhook applying reports that span batches then never wait on each other
-- in a cycle (unordered, they deadlocked under load).
--
-- A final status (failed at submit, delivered or failed by a report) is published by the same statement:
-- publish_final_statuses (migration 0012) is called once with the rows as a final_status[] and returns the
-- applications that now have callbacks to deliver. Refused numbers leave the usage through add_usage.

-- name: claim_batch
-- Take the batch for this job: its outbox row first (only when no job holds it; the sweep frees a dead
-- worker's claim), recording which worker (:worker_id) and job (:job_id) hold it, then its unsent rows. A
-- batch another job holds yields nothing.
WITH claim AS (
    UPDATE send_outbox SET claimed_at = :now::timestamptz, claimed_by = :worker_id::text,
        claimed_job = :job_id::text, attempts = attempts + 1
    WHERE batch_id = :batch_id AND claimed_at IS NULL
    RETURNING batch_id
), locked AS (
    SELECT m.id FROM messages m JOIN claim ON m.batch_id = claim.batch_id
    WHERE m.accepted_at = :accepted_at AND m.status IN ('queued', 'sending')
    ORDER BY m.id FOR UPDATE OF m
)
UPDATE messages m SET status = 'sending', claimed_at = :now::timestamptz, attempts = m.attempts + 1
FROM locked
WHERE m.id = locked.id AND m.accepted_at = :accepted_at
RETURNING m.id, m.serial_no, m.ref_generation, m.phone, m.content, m.sdk_app_id, m.iso_code

-- name: record_submit_results
-- What the carrier said for rows :ids (its id, or NULL and an error), and with the batch's last chunk
-- (:last) the outbox row closed. A report may already have moved a row past `sending`; its status stays.
-- Numbers the carrier refused get their final status published and leave the usage on :usage_day.
-- A row the sweep marked `unknown` meanwhile (this worker looked dead) is settled by the answer after all.
WITH done AS (
    DELETE FROM send_outbox WHERE batch_id = :batch_id AND :last::bool
), locked AS (
    SELECT id, status IN ('sending', 'unknown') AS settles, status = 'unknown' AS was_unknown FROM messages
    WHERE id = ANY(:ids::bigint[]) AND accepted_at = :accepted_at
    ORDER BY id FOR UPDATE
), updated AS (
    UPDATE messages m SET
        carrier_id = COALESCE(m.carrier_id, r.carrier_id),
        sent_at = :now,
        status = CASE WHEN NOT locked.settles THEN m.status
                      WHEN r.carrier_id IS NULL THEN 'failed' ELSE 'sent' END,
        error = CASE WHEN r.carrier_id IS NULL AND locked.settles THEN r.error ELSE m.error END,
        reported_at = CASE WHEN r.carrier_id IS NULL AND locked.settles THEN :now ELSE m.reported_at END
    FROM locked
    JOIN unnest(:ids::bigint[], :carrier_ids::text[], :errors::text[]) AS r(id, carrier_id, error) USING (id)
    WHERE m.id = locked.id AND m.accepted_at = :accepted_at
    RETURNING m.id, m.sdk_app_id, m.account_id, m.iso_code, m.accepted_at, m.phone, m.serial_no,
              m.session_context, m.error, m.reported_at, m.parts, m.price_minor, locked.was_unknown,
              m.status = 'failed' AND r.carrier_id IS NULL AND m.reported_at = :now AS refused
), unlisted AS (
    DELETE FROM unknown_outcomes u USING updated
    WHERE updated.was_unknown AND u.message_id = updated.id AND u.accepted_at = updated.accepted_at
), final AS (
    SELECT * FROM updated WHERE refused
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
SELECT published.apps FROM published, refunded

-- name: release_for_retry
-- Give claimed rows back after a transient carrier failure. The outbox row waits until :retry_at, so the
-- job's own backoff, not the sweep, decides when they go again.
WITH outbox AS (
    INSERT INTO send_outbox (batch_id, accepted_at, due_at) VALUES (:batch_id, :accepted_at, :retry_at)
    ON CONFLICT (batch_id) DO UPDATE SET claimed_at = NULL, due_at = EXCLUDED.due_at
), locked AS (
    SELECT id FROM messages
    WHERE id = ANY(:ids::bigint[]) AND accepted_at = :accepted_at
    ORDER BY id FOR UPDATE
)
UPDATE messages m SET status = 'queued', claimed_at = NULL, retry_at = :retry_at
FROM locked
WHERE m.id = locked.id AND m.accepted_at = :accepted_at AND m.status = 'sending'

-- name: fail_messages
-- Permanent failure before the carrier took them: the rows fail with :reason (their final status,
-- published like a report), their cost leaves the usage on :usage_day, the batch is done.
WITH done AS (
    DELETE FROM send_outbox WHERE batch_id = :batch_id
), locked AS (
    SELECT id FROM messages
    WHERE id = ANY(:ids::bigint[]) AND accepted_at = :accepted_at
    ORDER BY id FOR UPDATE
), final AS (
    UPDATE messages m SET status = 'failed', error = :reason, reported_at = :now
    FROM locked
    WHERE m.id = locked.id AND m.accepted_at = :accepted_at AND m.status = 'sending'
    RETURNING m.id, m.sdk_app_id, m.account_id, m.iso_code, m.accepted_at, m.phone, m.serial_no,
              m.session_context, m.error, m.reported_at, m.parts, m.price_minor
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
SELECT published.apps FROM published, refunded

-- name: mark_submit_unknown
-- A carrier call that failed after the request may have reached a carrier that does not dedupe (a timeout, a
-- connection lost): rows :ids become `unknown` (never resent automatically), are listed for an operator
-- (claimed by :worker_id), and with the batch's last chunk (:last) the outbox row closes.
WITH done AS (
    DELETE FROM send_outbox WHERE batch_id = :batch_id AND :last::bool
), locked AS (
    SELECT id FROM messages
    WHERE id = ANY(:ids::bigint[]) AND accepted_at = :accepted_at
    ORDER BY id FOR UPDATE
), marked AS (
    UPDATE messages m SET status = 'unknown'
    FROM locked
    WHERE m.id = locked.id AND m.accepted_at = :accepted_at AND m.status = 'sending'
    RETURNING m.id, m.accepted_at, m.batch_id, m.sdk_app_id
)
INSERT INTO unknown_outcomes (message_id, accepted_at, batch_id, sdk_app_id, worker_id, marked_at)
SELECT id, accepted_at, batch_id, sdk_app_id, :worker_id::text, :now::timestamptz FROM marked

-- name: close_finished_batch
-- Drop the outbox row of a batch none of whose rows is left to send.
DELETE FROM send_outbox
WHERE batch_id = :batch_id AND NOT EXISTS (
    SELECT 1 FROM messages
    WHERE batch_id = :batch_id AND accepted_at = :accepted_at AND status IN ('queued', 'sending')
)

-- name: apply_reports
-- A carrier's batch of delivery reports, one per element of the arrays: each serial gives the row's id and
-- day, so the update is primary-key lookups in the days' partitions ([:first_day, :end_day) bounds them);
-- the plan does not depend on statistics (a new day's partition has none yet). Serials we never issued are
-- not found. Returns how many rows got their final status, the applications with callbacks to deliver, and
-- the final statuses by (country, delivered) as text triples.
WITH locked AS (
    SELECT id, accepted_at, status = 'unknown' AS was_unknown FROM messages
    WHERE id = ANY(:ids::bigint[]) AND accepted_at >= :first_day AND accepted_at < :end_day
    ORDER BY id FOR UPDATE
), final AS (
    UPDATE messages m SET
        status = CASE WHEN r.delivered THEN 'delivered' ELSE 'failed' END,
        error = r.error, reported_at = r.report_time,
        carrier_id = COALESCE(m.carrier_id, r.carrier_id)
    FROM locked
    JOIN unnest(:ids::bigint[], :serials::text[], :carrier_ids::text[], :delivered::bool[], :errors::text[],
                :report_times::timestamptz[], :outcomes::text[])
         AS r(id, serial_no, carrier_id, delivered, error, report_time, outcome) USING (id)
    WHERE m.id = locked.id AND m.accepted_at = locked.accepted_at
      -- 'queued': a batch waiting for its retry after a timeout may already have reached the carrier;
      -- 'unknown': a dead worker's submit did reach it, and this late report settles the message.
      AND m.serial_no = r.serial_no AND m.status IN ('queued', 'sending', 'sent', 'unknown')
    RETURNING m.id, m.sdk_app_id, m.account_id, m.iso_code, m.accepted_at, m.phone, m.serial_no,
              m.session_context, r.delivered, m.error, m.reported_at, r.outcome, locked.was_unknown
), unlisted AS (
    DELETE FROM unknown_outcomes u USING final
    WHERE final.was_unknown AND u.message_id = final.id AND u.accepted_at = final.accepted_at
), published AS (
    SELECT publish_final_statuses(array_agg(ROW(id, sdk_app_id, account_id, iso_code, accepted_at, phone,
        serial_no, session_context, delivered, error, reported_at, outcome)::final_status)) AS apps
    FROM final
)
SELECT (SELECT count(*) FROM final) AS applied,
       (SELECT apps FROM published) AS apps,
       (SELECT array_agg(ARRAY[iso_code, delivered::text, n::text])
        FROM (SELECT coalesce(iso_code, '') AS iso_code, delivered, count(*) AS n FROM final GROUP BY 1, 2) o
       ) AS outcomes

-- name: find_stale_batches
-- Batches the outbox must look at again: unclaimed past their due time (their job was lost, or a retry's
-- backoff is over), or claimed longer ago than the lease (with the worker and job that claimed them: the sweep
-- takes one over only once that worker's health key or that job's in-progress key is gone).
SELECT batch_id, accepted_at, claimed_at IS NOT NULL AS claimed, claimed_by, claimed_job FROM send_outbox
WHERE (claimed_at IS NULL AND due_at < :now::timestamptz)
   OR claimed_at < :now::timestamptz - make_interval(secs => :lease_s::int)
ORDER BY due_at
LIMIT :limit

-- name: release_dead_claims
-- Free the dead claims (batch :batch_ids[i] held by worker :workers[i] in job :jobs[i], past the lease) so a
-- new job may claim and resubmit them: only for a connector whose carrier dedupes on our serial. A batch
-- claimed again meanwhile is left alone. Returns the batches freed.
UPDATE send_outbox o SET claimed_at = NULL, claimed_by = NULL, claimed_job = NULL
FROM unnest(:batch_ids::uuid[], :workers::text[], :jobs::text[]) AS d(batch_id, worker_id, job_id)
WHERE o.batch_id = d.batch_id
  AND o.claimed_by IS NOT DISTINCT FROM d.worker_id AND o.claimed_job IS NOT DISTINCT FROM d.job_id
  AND o.claimed_at < :now::timestamptz - make_interval(secs => :lease_s::int)
RETURNING o.batch_id, o.accepted_at

-- name: mark_unknown_outcomes
-- Dead claims (:batch_ids[i] held by worker :workers[i] in job :jobs[i], past the lease), for a connector
-- that cannot dedupe: their claimed rows may or may not have reached the carrier, so they become `unknown`
-- (never resent automatically), are listed for an operator, and the outbox rows close. A late report still
-- settles them.
WITH dead AS (
    SELECT o.batch_id, o.accepted_at, o.claimed_by FROM send_outbox o
    JOIN unnest(:batch_ids::uuid[], :workers::text[], :jobs::text[]) AS d(batch_id, worker_id, job_id)
         ON o.batch_id = d.batch_id
    WHERE o.claimed_by IS NOT DISTINCT FROM d.worker_id AND o.claimed_job IS NOT DISTINCT FROM d.job_id
      AND o.claimed_at < :now::timestamptz - make_interval(secs => :lease_s::int)
    FOR UPDATE OF o
), locked AS (
    SELECT m.id, m.accepted_at, dead.claimed_by FROM messages m
    JOIN dead ON m.batch_id = dead.batch_id AND m.accepted_at = dead.accepted_at
    WHERE m.status = 'sending'
    ORDER BY m.id FOR UPDATE OF m
), marked AS (
    UPDATE messages m SET status = 'unknown'
    FROM locked
    WHERE m.id = locked.id AND m.accepted_at = locked.accepted_at AND m.status = 'sending'
    RETURNING m.id, m.accepted_at, m.batch_id, m.sdk_app_id, locked.claimed_by
), listed AS (
    INSERT INTO unknown_outcomes (message_id, accepted_at, batch_id, sdk_app_id, worker_id, marked_at)
    SELECT id, accepted_at, batch_id, sdk_app_id, claimed_by, :now::timestamptz FROM marked
), closed AS (
    DELETE FROM send_outbox o USING dead WHERE o.batch_id = dead.batch_id
)
SELECT (SELECT count(*) FROM dead) AS batches, (SELECT count(*) FROM marked) AS messages

-- name: update_usual_volumes
-- Every application's usual daily volume: its messages in [:since, :until) divided by :days (an index range
-- per application).
UPDATE apps a SET usual_volume_updated_at = now(), usual_daily_volume = (
    SELECT count(*) FROM messages m
    WHERE m.sdk_app_id = a.sdk_app_id AND m.accepted_at >= :since AND m.accepted_at < :until
) / :days
