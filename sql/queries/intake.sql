-- What intake reads and writes (core/store/intake.py): the send context in one query, a request's accepted
-- messages in one statement.

-- name: load_send_context
-- Everything SendSms needs, scoped to the key's own account (another tenant's app, sign or template simply
-- isn't found): the key, the application with its policy and allowlist, which of :phones the account's
-- blocklist holds, the signature (an approved one first) and the template. No row for an unknown SecretId.
-- A NULL :sdk_app_id (dialects whose calls name no application: Alibaba, UCloud) means the key's chosen
-- application, else the account's only one; no application when the account has several and none is chosen.
SELECT k.secret_key_sealed, k.enabled, a.id AS account_id, a.kind, a.status AS account_status,
       app.sdk_app_id, app.status AS app_status,
       app.limit_same_content_30s, app.limit_one_hour, app.limit_daily, app.limit_same_content_daily,
       app.cap_daily, app.cap_daily_mainland, app.cap_daily_international, app.intl_countries,
       app.usual_daily_volume,
       ARRAY(SELECT phone FROM app_allowlist l WHERE l.sdk_app_id = app.sdk_app_id) AS allowlist,
       ARRAY(SELECT phone FROM blocklist b WHERE b.account_id = k.account_id AND b.phone = ANY(:phones::text[])
             AND b.status <> 'lifted') AS blocked,
       s.name AS sign_name, s.international AS sign_international, s.status AS sign_status,
       t.id AS template_id, t.content, t.sms_type, t.international AS template_international,
       t.status AS template_status
FROM api_keys k
JOIN accounts a ON a.id = k.account_id
LEFT JOIN apps app ON app.account_id = k.account_id AND app.sdk_app_id = COALESCE(
    :sdk_app_id::text, k.sdk_app_id,
    (SELECT min(o.sdk_app_id) FROM apps o WHERE o.account_id = k.account_id HAVING count(*) = 1))
LEFT JOIN LATERAL (
    SELECT name, international, status FROM signatures
    WHERE account_id = k.account_id AND name = :sign_name AND status <> 'deleted'
    ORDER BY status = 'approved' DESC, id DESC LIMIT 1
) s ON true
LEFT JOIN templates t ON t.id = :template_id AND t.account_id = k.account_id AND t.status <> 'deleted'
WHERE k.secret_id = :secret_id

-- name: load_api_key
SELECT k.secret_key_sealed, k.enabled, a.id, a.kind, a.status
FROM api_keys k JOIN accounts a ON a.id = k.account_id
WHERE k.secret_id = :secret_id

-- name: insert_batch
-- A request's accepted messages (status queued, one row per number of :phones, sealed, with its look-up hash
-- in :phone_hashes, its country in :isos and its session context in :session_contexts; :content sealed), its outbox rows, its statistics and its usage on
-- :usage_day (the platform's day), in ONE statement. The workers' batches are :batch_ids, :chunk numbers each
-- in request order (a request of up to 1,000 numbers is several batches of <= 200); every message carries the
-- request's number, drawn once (request_no_seq) unless :request_no gives it. The price in force now is stored on each row, and price x
-- parts goes into the account's usage. count_request and add_usage are functions of migration 0012, each
-- called once with the whole request; the final SELECT joins their one-row CTEs, as a CTE that only SELECTs is
-- not run unless it is read.
WITH outbox AS (
    INSERT INTO send_outbox (batch_id, accepted_at, due_at)
    SELECT b, :now::timestamptz, :now::timestamptz + make_interval(secs => :stale_after_s::int)
    FROM unnest(:batch_ids::uuid[]) AS b
), counted AS (
    SELECT count_request(:account_id::bigint, :sdk_app_id::text, :now::timestamptz, :count_iso_codes::text[],
                         :count_requests::bigint[], :count_accepted::bigint[], :count_fee_parts::bigint[])
), request AS (
    -- A request sent through the send path in several parts (Alibaba's SendBatchSms) passes the number its
    -- first part drew; COALESCE draws a new one only when none is given.
    SELECT COALESCE(:request_no::bigint, nextval('request_no_seq')) AS request_no
), ins AS (
    INSERT INTO messages (id, accepted_at, serial_no, batch_id, account_id, sdk_app_id, phone, phone_hash,
                          iso_code, sign_name, template_id, content, parts, price_minor, session_context,
                          request_no)
    SELECT n.id, :now::timestamptz, to_char(:now::timestamptz AT TIME ZONE 'UTC', 'YYYYMMDD') || ':' || n.id,
           (:batch_ids::uuid[])[(n.ord - 1) / :chunk::int + 1], :account_id::bigint, :sdk_app_id::text,
           n.phone, n.phone_hash, n.iso, :sign_name::text, :template_id::bigint, :content::text, :parts::int,
           COALESCE(p.price_minor, d.price_minor, 0), n.session_context, request.request_no
    FROM (SELECT nextval('message_id_seq') AS id, u.phone, u.phone_hash, u.iso, u.session_context, u.ord
          FROM unnest(:phones::text[], :phone_hashes::bytea[], :isos::text[], :session_contexts::text[])
               WITH ORDINALITY AS u(phone, phone_hash, iso, session_context, ord)) n
    CROSS JOIN request
    LEFT JOIN prices p ON p.iso_code = n.iso
    LEFT JOIN prices d ON d.iso_code = 'DEF'
    ORDER BY n.ord
    RETURNING phone, serial_no, account_id, iso_code, parts, price_minor, request_no
), billed AS (
    SELECT add_usage(:usage_day::date, false,
                     array_agg(ROW(account_id, iso_code, messages, parts, amount_minor)::usage_sum))
    FROM (SELECT account_id, iso_code, count(*) AS messages, sum(parts) AS parts,
                 sum(price_minor * parts) AS amount_minor
          FROM ins GROUP BY account_id, iso_code) s
)
SELECT ins.phone, ins.serial_no, ins.request_no FROM ins, counted, billed

-- name: ensure_partitions
-- The messages partitions of :days days from :first_day (a function of migration 0001); how many it created.
SELECT ensure_message_partitions(:first_day, :days)
