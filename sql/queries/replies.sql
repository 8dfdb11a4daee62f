-- Replies (core/store/replies.py): recorded as they arrive, attributed (B2), published, unsubscribes turned
-- into blocklist entries (B1); and the blocklist.

-- name: record_replies
-- A batch of replies, one per element of the arrays, in ONE statement: each is attributed to the latest
-- message sent to its number within :window_s seconds before it, stored, published to the application's pull
-- queue and reply callback (when it has a reply callback URL), and an unsubscribe blocks the number for the
-- account. Returns the stored replies, and whether their application got a callback to deliver. Messages'
-- numbers are sealed: reply i is matched by its look-up hashes, :hash_count of them (one per key of the
-- ring) at positions (i-1)*:hash_count+1 .. i*:hash_count of :phone_hashes.
WITH r AS (
    SELECT * FROM unnest(:received_at::timestamptz[], :phones::text[], :texts::text[], :signs::text[],
                         :extend_codes::text[], :unsubscribe::bool[]) WITH ORDINALITY
        AS r(received_at, phone, text, sign, extend_code, unsubscribe, ord)
), attributed AS (
    SELECT r.received_at, r.phone, r.text, r.sign, r.extend_code, r.unsubscribe,
           m.sdk_app_id, m.account_id, m.serial_no
    FROM r LEFT JOIN LATERAL (
        SELECT sdk_app_id, account_id, serial_no FROM messages
        WHERE phone_hash = ANY((:phone_hashes::bytea[])[(r.ord - 1) * :hash_count::int + 1 : r.ord * :hash_count::int])
          AND accepted_at <= r.received_at
          AND accepted_at > r.received_at - make_interval(secs => :window_s::int)
        ORDER BY accepted_at DESC LIMIT 1
    ) m ON true
), ins AS (
    INSERT INTO replies (received_at, phone, text, sign, extend_code, sdk_app_id, account_id, serial_no,
                         unsubscribe)
    SELECT received_at, phone, text, sign, extend_code, sdk_app_id, account_id, serial_no, unsubscribe
    FROM attributed
    RETURNING id, phone, account_id, sdk_app_id, unsubscribe, text, sign, extend_code, received_at
), blocked AS (
    INSERT INTO blocklist (account_id, phone, reason, source, created_by)
    SELECT DISTINCT account_id, phone, 'replied to unsubscribe', 'reply', 'recipient'
    FROM ins WHERE unsubscribe AND account_id IS NOT NULL
    ON CONFLICT (account_id, phone) DO UPDATE SET
        status = 'active', reason = EXCLUDED.reason, source = 'reply', created_at = now(),
        created_by = EXCLUDED.created_by, lift_reason = '', lift_requested_at = NULL,
        lift_requested_by = NULL, lifted_at = NULL, lifted_by = NULL
), reply_pulled AS (
    INSERT INTO pull_queue (sdk_app_id, kind, created_at, ref_id, ref_at)
    SELECT sdk_app_id, 'reply', received_at, id, received_at FROM ins WHERE sdk_app_id IS NOT NULL
), reply_called AS (
    -- A callback is due at once (whatever the worker's clock says).
    INSERT INTO callback_queue (sdk_app_id, kind, created_at, item, next_at)
    SELECT s.sdk_app_id, 'reply', now(), jsonb_build_object(
        'id', s.id, 'phone', s.phone, 'text', s.text, 'sign', s.sign, 'extend', s.extend_code,
        'time', floor(extract(epoch FROM s.received_at))::bigint), '-infinity'::timestamptz
    FROM ins s JOIN apps a ON a.sdk_app_id = s.sdk_app_id AND a.reply_callback_url <> ''
    RETURNING sdk_app_id
)
SELECT id, phone, account_id, sdk_app_id, unsubscribe,
       sdk_app_id IN (SELECT sdk_app_id FROM reply_called) AS callback
FROM ins
ORDER BY id

-- name: list_blocklist
SELECT phone, status, reason, source, created_at, created_by, lift_reason, lift_requested_at,
       lift_requested_by, lifted_at, lifted_by
FROM blocklist
WHERE account_id = :account_id
ORDER BY created_at DESC

-- name: request_lift
-- The customer applies to lift an unsubscription (B1); the number stays blocked until it is approved.
UPDATE blocklist SET status = 'lift_requested', lift_reason = :reason, lift_requested_at = now(),
                     lift_requested_by = :by
WHERE account_id = :account_id AND phone = :phone AND status = 'active'
RETURNING status

-- name: approve_lift
-- An operator approves a requested lift: sends to the number are allowed again from now on.
UPDATE blocklist SET status = 'lifted', lifted_at = now(), lifted_by = :by
WHERE account_id = :account_id AND phone = :phone AND status = 'lift_requested'
RETURNING status
