-- Hourly statistics rollups (core/store/stats.py): stats_hourly is written by the statements that record
-- sends, reports and callbacks, and read here. Never computed by scanning messages. Writers add to a shard
-- (pg_backend_pid() % 8); readers sum the shards.

-- name: count_requests
-- Count a request none of whose numbers was accepted (nothing else is written for it); count_request is a
-- function of migration 0012, also called by insert_batch.
SELECT count_request(:account_id::bigint, :sdk_app_id::text, :at::timestamptz, :iso_codes::text[],
                     :requests::bigint[], :accepted::bigint[], :fee_parts::bigint[])

-- name: app_totals
-- An application's counters over the hours in [:since, :until).
SELECT COALESCE(sum(requests), 0)::bigint AS requests, COALESCE(sum(accepted), 0)::bigint AS accepted,
       COALESCE(sum(fee_parts), 0)::bigint AS fee_parts, COALESCE(sum(reports), 0)::bigint AS reports,
       COALESCE(sum(delivered), 0)::bigint AS delivered, COALESCE(sum(failed), 0)::bigint AS failed,
       COALESCE(sum(internal_error), 0)::bigint AS internal_error,
       COALESCE(sum(invalid_number), 0)::bigint AS invalid_number,
       COALESCE(sum(shutdown), 0)::bigint AS shutdown, COALESCE(sum(blacklist), 0)::bigint AS blacklist,
       COALESCE(sum(frequency_limit), 0)::bigint AS frequency_limit,
       COALESCE(sum(callbacks_delivered), 0)::bigint AS callbacks_delivered,
       COALESCE(sum(callbacks_given_up), 0)::bigint AS callbacks_given_up,
       COALESCE(sum(conversions), 0)::bigint AS conversions
FROM stats_hourly
WHERE sdk_app_id = :sdk_app_id AND hour >= :since AND hour < :until

-- name: daily_rows
-- The operator's view: counters per day (in the time zone :timezone), account, application and country,
-- optionally for one account and/or one application (NULL: all).
SELECT (hour AT TIME ZONE :timezone)::date AS day, account_id, sdk_app_id, iso_code,
       COALESCE(sum(requests), 0)::bigint AS requests, COALESCE(sum(accepted), 0)::bigint AS accepted,
       COALESCE(sum(fee_parts), 0)::bigint AS fee_parts, COALESCE(sum(reports), 0)::bigint AS reports,
       COALESCE(sum(delivered), 0)::bigint AS delivered, COALESCE(sum(failed), 0)::bigint AS failed,
       COALESCE(sum(internal_error), 0)::bigint AS internal_error,
       COALESCE(sum(invalid_number), 0)::bigint AS invalid_number,
       COALESCE(sum(shutdown), 0)::bigint AS shutdown, COALESCE(sum(blacklist), 0)::bigint AS blacklist,
       COALESCE(sum(frequency_limit), 0)::bigint AS frequency_limit,
       COALESCE(sum(callbacks_delivered), 0)::bigint AS callbacks_delivered,
       COALESCE(sum(callbacks_given_up), 0)::bigint AS callbacks_given_up,
       COALESCE(sum(conversions), 0)::bigint AS conversions
FROM stats_hourly
WHERE hour >= :since AND hour < :until
  AND (:account_id::bigint IS NULL OR account_id = :account_id)
  AND (:sdk_app_id::text IS NULL OR sdk_app_id = :sdk_app_id)
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
