-- Conversion reports (core/store/conversions.py): the message a report names, and the report recorded.

-- name: find_conversion_target
-- The message :serial_no names (its id and its day, [:day_start, :day_end)), if it belongs to :account_id and,
-- when given, to the application :sdk_app_id (another tenant's serial is simply not found), with the
-- conversion already recorded for it, if any. One index entry of one partition.
SELECT m.id, m.accepted_at, m.sdk_app_id, m.iso_code, c.converted_at
FROM messages m
LEFT JOIN conversions c ON c.message_id = m.id AND c.accepted_at = m.accepted_at
WHERE m.id = :message_id AND m.accepted_at >= :day_start AND m.accepted_at < :day_end
  AND m.serial_no = :serial_no AND m.account_id = :account_id
  AND (:sdk_app_id::text IS NULL OR m.sdk_app_id = :sdk_app_id)

-- name: insert_conversion
-- Record a message's conversion and count it into the hourly statistics of the message's hour and country, in
-- ONE statement; nothing (and no count) when the message has one already. Returns whether it was recorded.
WITH ins AS (
    INSERT INTO conversions (message_id, accepted_at, account_id, sdk_app_id, serial_no, dialect, converted_at,
                             reported_at)
    VALUES (:message_id, :accepted_at, :account_id, :sdk_app_id, :serial_no, :dialect, :converted_at,
            :reported_at)
    ON CONFLICT (message_id, accepted_at) DO NOTHING
    RETURNING sdk_app_id, accepted_at, account_id
), counted AS (
    INSERT INTO stats_hourly AS t (sdk_app_id, hour, iso_code, shard, account_id, conversions)
    SELECT ins.sdk_app_id, date_trunc('hour', ins.accepted_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
           :iso_code::text, (pg_backend_pid() % 8)::smallint, ins.account_id, 1
    FROM ins
    ON CONFLICT (sdk_app_id, hour, iso_code, shard) DO UPDATE SET conversions = t.conversions + 1
)
SELECT EXISTS (SELECT 1 FROM ins) AS recorded

-- name: serial_in_session
-- UCloud's AddBackfill names a message by its send's session (batches in [:first_id, :last_id]) and its number
-- (look-up hashes :phone_hashes): the account's message there, the first if the number was sent twice.
SELECT serial_no FROM messages
WHERE batch_id BETWEEN :first_id AND :last_id AND account_id = :account_id
  AND phone_hash = ANY(:phone_hashes::bytea[])
ORDER BY id
LIMIT 1
