-- Secrets and numbers at rest (core/store/keys.py, core/store/sealed_numbers.py): the rows still plain or
-- sealed under a key other than the current one (whose sealed values start with :prefix), and their re-sealed
-- values written back.

-- name: api_keys_to_reseal
SELECT secret_id AS id, secret_key AS plain, secret_key_sealed AS sealed FROM api_keys
WHERE secret_id > :after AND (secret_key IS NOT NULL OR NOT starts_with(secret_key_sealed, :prefix))
ORDER BY secret_id LIMIT :limit

-- name: reseal_api_keys
-- Written back only where the row still holds what was read (:olds, NULL for a plain one), so a concurrent
-- change is never overwritten; the plain value is cleared.
UPDATE api_keys k SET secret_key_sealed = u.new, secret_key = NULL
FROM unnest(:ids::text[], :olds::text[], :news::text[]) AS u(id, old, new)
WHERE k.secret_id = u.id AND k.secret_key_sealed IS NOT DISTINCT FROM u.old
RETURNING k.secret_id

-- name: apps_to_reseal
SELECT sdk_app_id AS id, app_key AS plain, app_key_sealed AS sealed FROM apps
WHERE sdk_app_id > :after AND (app_key IS NOT NULL OR NOT starts_with(app_key_sealed, :prefix))
ORDER BY sdk_app_id LIMIT :limit

-- name: reseal_apps
-- As reseal_api_keys, for AppKeys.
UPDATE apps a SET app_key_sealed = u.new, app_key = NULL
FROM unnest(:ids::text[], :olds::text[], :news::text[]) AS u(id, old, new)
WHERE a.sdk_app_id = u.id AND a.app_key_sealed IS NOT DISTINCT FROM u.old
RETURNING a.sdk_app_id

-- name: messages_to_reseal
-- Messages still plain (written before migration 0014: no phone_hash) or sealed under another key than the
-- current one, in id order after :after (the primary key's order, across the days' partitions).
SELECT id, accepted_at, phone, content, phone_hash IS NULL AS plain FROM messages
WHERE id > :after AND (phone_hash IS NULL OR NOT starts_with(phone, :prefix))
ORDER BY id LIMIT :limit

-- name: reseal_messages
-- Their sealed numbers, look-up hashes and content, written back where the number is still what was read.
UPDATE messages m SET phone = u.phone, content = u.content, phone_hash = u.phone_hash
FROM unnest(:ids::bigint[], :accepted_ats::timestamptz[], :olds::text[], :phones::text[], :contents::text[],
            :phone_hashes::bytea[]) AS u(id, accepted_at, old, phone, content, phone_hash)
WHERE m.id = u.id AND m.accepted_at = u.accepted_at AND m.phone = u.old
RETURNING m.id
