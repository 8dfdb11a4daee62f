-- Final statuses and replies on their way to the customer (core/store/report_feed.py): the pull queues (each
-- item handed out once), the callback queue, and the lookups by number. Items are written by the statements
-- that record reports (publish_final_statuses, migration 0012) and replies (record_replies).
--
-- What a status looks like to the customer (core.domain.reports.pull_status), read from a messages row m:
-- serial_no, phone, delivered, error ('DELIVRD' when delivered), report_time (epoch seconds of the report,
-- else of the send, else of the acceptance), session_context. A reply: phone, text, sign, extend, time.

-- name: take_pulled_statuses
-- The application's oldest :limit queued items of :kind ('status'), removed as they are returned: each is
-- handed out once. SKIP LOCKED: two concurrent pulls get different items instead of waiting for each other.
WITH taken AS (
    DELETE FROM pull_queue WHERE id IN (
        SELECT id FROM pull_queue WHERE sdk_app_id = :sdk_app_id AND kind = :kind
        ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED
    ) RETURNING id, ref_id, ref_at
)
SELECT m.serial_no, m.phone, m.status = 'delivered' AS delivered,
       CASE WHEN m.status = 'delivered' THEN 'DELIVRD' ELSE m.error END AS error,
       floor(extract(epoch FROM COALESCE(m.reported_at, m.sent_at, m.accepted_at)))::bigint AS report_time,
       m.session_context
FROM taken t
JOIN messages m ON m.id = t.ref_id AND m.accepted_at = t.ref_at
ORDER BY t.id

-- name: take_pulled_replies
-- The same for replies (:kind 'reply').
WITH taken AS (
    DELETE FROM pull_queue WHERE id IN (
        SELECT id FROM pull_queue WHERE sdk_app_id = :sdk_app_id AND kind = :kind
        ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED
    ) RETURNING id, ref_id, ref_at
)
SELECT r.phone, r.text, r.sign, r.extend_code AS extend, floor(extract(epoch FROM r.received_at))::bigint AS time
FROM taken t
JOIN replies r ON r.id = t.ref_id
ORDER BY t.id

-- name: purge_pull_queue
-- Drop items nobody pulled within the retention period (customers that only use callbacks).
DELETE FROM pull_queue WHERE created_at < :before

-- name: statuses_by_phone
-- Final statuses of the application's messages to the number whose look-up hashes are :phone_hashes reported
-- in [:begin, :end], oldest first. Reports come within hours of the send; messages are looked up by
-- (phone_hash, accepted_at), so the scan starts 3 days before the window to find messages sent earlier and
-- reported inside it. The number itself is the caller's (the row's is sealed).
SELECT m.serial_no, m.status = 'delivered' AS delivered,
       CASE WHEN m.status = 'delivered' THEN 'DELIVRD' ELSE m.error END AS error,
       floor(extract(epoch FROM COALESCE(m.reported_at, m.sent_at, m.accepted_at)))::bigint AS report_time,
       m.session_context
FROM messages m
WHERE m.phone_hash = ANY(:phone_hashes::bytea[]) AND m.accepted_at >= :begin::timestamptz - interval '3 days'
  AND m.accepted_at <= :end AND m.sdk_app_id = :sdk_app_id AND m.status IN ('delivered', 'failed')
  AND COALESCE(m.reported_at, m.sent_at, m.accepted_at) BETWEEN :begin AND :end
ORDER BY COALESCE(m.reported_at, m.sent_at, m.accepted_at), m.id
LIMIT :limit OFFSET :offset

-- name: replies_by_phone
-- Replies from :phone to the application received in [:begin, :end], oldest first.
SELECT r.phone, r.text, r.sign, r.extend_code AS extend, floor(extract(epoch FROM r.received_at))::bigint AS time
FROM replies r
WHERE r.phone = :phone AND r.received_at BETWEEN :begin AND :end AND r.sdk_app_id = :sdk_app_id
ORDER BY r.received_at, r.id
LIMIT :limit OFFSET :offset

-- name: callback_target
SELECT sdk_app_id, app_key_sealed, status_callback_url, reply_callback_url, callback_format
FROM apps WHERE sdk_app_id = :sdk_app_id

-- name: messages_for_push
-- What an Alibaba SmsReport tells of a message beyond its queued status, for the messages (:ids, :days: the
-- id and UTC day of acceptance each serial number names, so each lookup is one index entry of one partition).
SELECT m.serial_no, floor(extract(epoch FROM m.accepted_at))::bigint AS accepted_at, m.parts, m.request_no,
       m.sign_name, m.template_id
FROM unnest(:ids::bigint[], :days::timestamptz[]) AS k(id, day)
JOIN messages m ON m.id = k.id AND m.accepted_at >= k.day AND m.accepted_at < k.day + interval '1 day'

-- name: next_callbacks
-- The head of the application's pending callbacks, in order, when it is due (an item waiting for its retry
-- holds back the ones behind it: callbacks reach the customer in order).
WITH head AS (
    SELECT id, kind, item, attempts, created_at, next_at FROM callback_queue
    WHERE sdk_app_id = :sdk_app_id AND state = 'pending'
    ORDER BY id LIMIT :limit
)
SELECT id, kind, item, attempts, created_at FROM head
WHERE (SELECT next_at FROM head ORDER BY id LIMIT 1) <= :now
ORDER BY id

-- name: callbacks_delivered
-- The customer acknowledged them (as their format says): the items leave the queue and count as delivered
-- callbacks (in the hour of :now, on a statistics shard).
WITH gone AS (
    DELETE FROM callback_queue WHERE id = ANY(:ids::bigint[]) RETURNING id
)
INSERT INTO stats_hourly AS t (sdk_app_id, hour, iso_code, shard, account_id, callbacks_delivered)
SELECT :sdk_app_id, date_trunc('hour', :now::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', '',
       (pg_backend_pid() % 8)::smallint, a.account_id, (SELECT count(*) FROM gone)
FROM apps a WHERE a.sdk_app_id = :sdk_app_id
ON CONFLICT (sdk_app_id, hour, iso_code, shard) DO UPDATE
    SET callbacks_delivered = t.callbacks_delivered + EXCLUDED.callbacks_delivered

-- name: callbacks_failed
-- A delivery failed: the items wait until :next_at; those created before :give_up_created_before are given
-- up (kept for the operator, counted in the hour of :now), and all of them when :give_up (their format's
-- retries are spent). Returns how many were given up.
WITH changed AS (
    UPDATE callback_queue SET attempts = attempts + 1, last_error = :error, next_at = :next_at,
        state = CASE WHEN :give_up OR created_at < :give_up_created_before THEN 'given_up' ELSE 'pending' END
    WHERE id = ANY(:ids::bigint[]) AND state = 'pending'
    RETURNING state
), counted AS (
    INSERT INTO stats_hourly AS t (sdk_app_id, hour, iso_code, shard, account_id, callbacks_given_up)
    SELECT :sdk_app_id, date_trunc('hour', :now::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', '',
           (pg_backend_pid() % 8)::smallint, a.account_id,
           (SELECT count(*) FROM changed WHERE state = 'given_up')
    FROM apps a
    WHERE a.sdk_app_id = :sdk_app_id AND EXISTS (SELECT 1 FROM changed WHERE state = 'given_up')
    ON CONFLICT (sdk_app_id, hour, iso_code, shard) DO UPDATE
        SET callbacks_given_up = t.callbacks_given_up + EXCLUDED.callbacks_given_up
)
SELECT count(*) FROM changed WHERE state = 'given_up'

-- name: drop_callbacks
-- The application no longer has a URL for :kind: what was queued for it is dropped.
DELETE FROM callback_queue WHERE sdk_app_id = :sdk_app_id AND kind = :kind AND state = 'pending'

-- name: apps_with_due_callbacks
-- Applications whose queue head is due. A skip scan of the pending index, one probe per application, so the
-- sweep costs the same whether a dead endpoint has ten items waiting or a million.
WITH RECURSIVE heads AS (
    (SELECT sdk_app_id, next_at FROM callback_queue WHERE state = 'pending'
     ORDER BY sdk_app_id, id LIMIT 1)
    UNION ALL
    SELECT next.sdk_app_id, next.next_at FROM heads, LATERAL (
        SELECT sdk_app_id, next_at FROM callback_queue
        WHERE state = 'pending' AND sdk_app_id > heads.sdk_app_id
        ORDER BY sdk_app_id, id LIMIT 1
    ) next
)
SELECT sdk_app_id FROM heads WHERE next_at <= :now LIMIT :limit

-- name: app_owner
SELECT account_id FROM apps WHERE sdk_app_id = :sdk_app_id

-- name: send_records_by_phone
-- DescribeSendRecordList: the application's messages to the number whose look-up hashes are :phone_hashes
-- sent in [:begin, :end], newest first, with how many there are in all on every row (content sealed).
SELECT m.serial_no, m.status, m.carrier_id, m.error, m.iso_code, m.content,
       t.content AS template_text, m.sign_name, m.accepted_at, m.reported_at, count(*) OVER () AS total
FROM messages m LEFT JOIN templates t ON t.id = m.template_id
WHERE m.phone_hash = ANY(:phone_hashes::bytea[]) AND m.accepted_at BETWEEN :begin AND :end
  AND m.sdk_app_id = :sdk_app_id
ORDER BY m.accepted_at DESC, m.id DESC
LIMIT :limit OFFSET :offset

-- name: count_send_records_by_phone
-- How many there are in all, for a page past the end.
SELECT count(*) FROM messages
WHERE phone_hash = ANY(:phone_hashes::bytea[]) AND accepted_at BETWEEN :begin AND :end
  AND sdk_app_id = :sdk_app_id

-- name: send_details_by_phone
-- Alibaba's QuerySendDetails: the account's messages to the number whose look-up hashes are :phone_hashes,
-- accepted in [:begin, :end) (one day of the platform's), of the request :request_no when given (NULL: all),
-- newest first, with how many there are in all on every row (content sealed).
SELECT m.serial_no, m.status, m.carrier_id, m.error, m.iso_code, m.content, m.template_id,
       t.content AS template_text, m.sign_name, m.accepted_at, m.reported_at, m.session_context,
       count(*) OVER () AS total
FROM messages m LEFT JOIN templates t ON t.id = m.template_id
WHERE m.phone_hash = ANY(:phone_hashes::bytea[]) AND m.accepted_at >= :begin AND m.accepted_at < :end
  AND m.account_id = :account_id
  AND (:request_no::bigint IS NULL OR m.request_no = :request_no)
ORDER BY m.accepted_at DESC, m.id DESC
LIMIT :limit OFFSET :offset

-- name: count_send_details_by_phone
-- How many there are in all, for a page past the end.
SELECT count(*) FROM messages
WHERE phone_hash = ANY(:phone_hashes::bytea[]) AND accepted_at >= :begin AND accepted_at < :end
  AND account_id = :account_id
  AND (:request_no::bigint IS NULL OR request_no = :request_no)

-- name: receipts_by_batches
-- UCloud's GetUSMSSendReceipt: the account's messages with a final status among the batches :batch_ids (the
-- sessions asked for and the batches that follow each), through the batch index.
SELECT m.batch_id, m.phone, m.status, m.error, m.parts, m.reported_at, m.session_context
FROM messages m
WHERE m.batch_id = ANY(:batch_ids::uuid[]) AND m.account_id = :account_id
  AND m.status IN ('delivered', 'failed')
ORDER BY m.batch_id, m.id
