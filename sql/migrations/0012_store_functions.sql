-- The store's shared fan-outs as SQL functions, so every statement in sql/queries/ is whole (issue 13):
-- publishing final statuses, counting a request into the hourly statistics, adding usage. Each is called ONCE
-- per statement with the batch's rows as an array, never once per row. A caller hands its rows over as an
-- array because a function cannot read the calling statement's CTEs; the composite types below are the
-- column lists the callers must give (they used to live only in docstrings).
--
-- Writers add to a statistics or usage shard chosen by their backend (pg_backend_pid() % 8), so concurrent
-- connections of one application or account do not all update (and wait for) the same row.

-- A message that just reached its final status, as the report path and the submit-failure paths give it.
CREATE TYPE final_status AS (
    id              bigint,
    sdk_app_id      text,
    account_id      bigint,
    iso_code        text,
    accepted_at     timestamptz,
    phone           text,
    serial_no       text,
    session_context text,
    delivered       boolean,
    error           text,
    reported_at     timestamptz,
    outcome         text  -- core.domain.reports.Outcome
);

-- Publish final statuses: each goes to its application's pull queue, to its callback queue when the
-- application has a status callback URL, and into the hourly statistics (by the hour the message was accepted,
-- by outcome). A callback is due at once (whatever the worker's clock says) and its give-up period counts
-- from when it was queued. Returns the applications that now have callbacks to deliver ('{}' for none).
CREATE FUNCTION publish_final_statuses(p_statuses final_status[]) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    v_apps text[];
BEGIN
    WITH f AS (
        SELECT * FROM unnest(p_statuses)
    ), pulled AS (
        INSERT INTO pull_queue (sdk_app_id, kind, created_at, ref_id, ref_at)
        SELECT f.sdk_app_id, 'status', f.reported_at, f.id, f.accepted_at FROM f
    ), called AS (
        INSERT INTO callback_queue (sdk_app_id, kind, created_at, item, next_at)
        SELECT f.sdk_app_id, 'status', now(), jsonb_build_object(
            'serial_no', f.serial_no, 'phone', f.phone, 'delivered', f.delivered,
            'error', CASE WHEN f.delivered THEN 'DELIVRD' ELSE f.error END,
            'report_time', floor(extract(epoch FROM f.reported_at))::bigint,
            'session_context', f.session_context), '-infinity'::timestamptz
        FROM f JOIN apps a ON a.sdk_app_id = f.sdk_app_id AND a.status_callback_url <> ''
        RETURNING callback_queue.sdk_app_id
    ), counted AS (
        INSERT INTO stats_hourly AS t (sdk_app_id, hour, iso_code, shard, account_id, reports, delivered,
            failed, internal_error, invalid_number, shutdown, blacklist, frequency_limit)
        SELECT f.sdk_app_id, date_trunc('hour', f.accepted_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', f.iso_code,
               (pg_backend_pid() % 8)::smallint, min(f.account_id), count(*),
               count(*) FILTER (WHERE f.outcome = 'delivered'), count(*) FILTER (WHERE f.outcome <> 'delivered'),
               count(*) FILTER (WHERE f.outcome = 'internal_error'),
               count(*) FILTER (WHERE f.outcome = 'invalid_number'),
               count(*) FILTER (WHERE f.outcome = 'shutdown'), count(*) FILTER (WHERE f.outcome = 'blacklist'),
               count(*) FILTER (WHERE f.outcome = 'frequency_limit')
        FROM f GROUP BY 1, 2, 3
        ON CONFLICT (sdk_app_id, hour, iso_code, shard) DO UPDATE SET
            reports = t.reports + EXCLUDED.reports, delivered = t.delivered + EXCLUDED.delivered,
            failed = t.failed + EXCLUDED.failed, internal_error = t.internal_error + EXCLUDED.internal_error,
            invalid_number = t.invalid_number + EXCLUDED.invalid_number,
            shutdown = t.shutdown + EXCLUDED.shutdown, blacklist = t.blacklist + EXCLUDED.blacklist,
            frequency_limit = t.frequency_limit + EXCLUDED.frequency_limit
    )
    SELECT ARRAY(SELECT DISTINCT c.sdk_app_id FROM called c) INTO v_apps;
    RETURN v_apps;
END
$$;

-- Count a request into the hourly statistics of its application: per country, the numbers asked for, the
-- numbers accepted and the parts billed for them (core.domain.sending.RequestCounts, one array each), in the
-- hour `p_at` (UTC).
CREATE FUNCTION count_request(
    p_account_id bigint, p_sdk_app_id text, p_at timestamptz,
    p_iso_codes text[], p_requests bigint[], p_accepted bigint[], p_fee_parts bigint[]
) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_hourly AS t (sdk_app_id, hour, iso_code, shard, account_id, requests, accepted, fee_parts)
    SELECT p_sdk_app_id, date_trunc('hour', p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', c.iso,
           (pg_backend_pid() % 8)::smallint, p_account_id, c.requests, c.accepted, c.fee_parts
    FROM unnest(p_iso_codes, p_requests, p_accepted, p_fee_parts) AS c(iso, requests, accepted, fee_parts)
    ON CONFLICT (sdk_app_id, hour, iso_code, shard) DO UPDATE SET
        requests = t.requests + EXCLUDED.requests, accepted = t.accepted + EXCLUDED.accepted,
        fee_parts = t.fee_parts + EXCLUDED.fee_parts;
END
$$;

-- Messages of one account to one country, and what they cost: what a caller hands add_usage, summed per
-- account and country by the calling statement (a batch is one or a few rows, however many messages).
CREATE TYPE usage_sum AS (
    account_id   bigint,
    iso_code     text,
    messages     bigint,
    parts        bigint,
    amount_minor bigint  -- price x parts, summed
);

-- Add messages to their accounts' usage on `p_day` (a platform day, in the platform's time zone); with
-- `p_refund`, subtract them. International is anything outside the Chinese mainland; it is marked `monthly`
-- when the account settles international usage monthly (P3), as it does at this moment.
CREATE FUNCTION add_usage(p_day date, p_refund boolean, p_sums usage_sum[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_daily AS u (account_id, day, international, monthly, shard, messages, parts, amount_minor)
    SELECT s.account_id, p_day, s.iso_code <> 'CN', s.iso_code <> 'CN' AND a.intl_settlement = 'monthly',
           (pg_backend_pid() % 8)::smallint,
           CASE WHEN p_refund THEN -1 ELSE 1 END * sum(s.messages),
           CASE WHEN p_refund THEN -1 ELSE 1 END * sum(s.parts),
           CASE WHEN p_refund THEN -1 ELSE 1 END * sum(s.amount_minor)
    FROM unnest(p_sums) s JOIN accounts a ON a.id = s.account_id
    GROUP BY s.account_id, s.iso_code <> 'CN', a.intl_settlement
    ON CONFLICT (account_id, day, international, monthly, shard) DO UPDATE SET
        messages = u.messages + EXCLUDED.messages, parts = u.parts + EXCLUDED.parts,
        amount_minor = u.amount_minor + EXCLUDED.amount_minor;
END
$$;
