-- An application's sending policy (L1, L4) and its allowlist (L2), as stored in apps and app_allowlist
-- (core/store/policy.py).

-- name: load_app_policy
-- The application's stored policy, with its owner's kind (which decides the policy in force).
SELECT ap.sdk_app_id, ap.status, ap.policy_updated_at, a.kind AS account_kind,
       ap.limit_same_content_30s, ap.limit_one_hour, ap.limit_daily, ap.limit_same_content_daily,
       ap.cap_daily, ap.cap_daily_mainland, ap.cap_daily_international
FROM apps ap JOIN accounts a ON a.id = ap.account_id
WHERE ap.sdk_app_id = :sdk_app_id

-- name: lock_app_policy
-- load_app_policy, locking the application's row until the transaction ends.
SELECT ap.sdk_app_id, ap.status, ap.policy_updated_at, a.kind AS account_kind,
       ap.limit_same_content_30s, ap.limit_one_hour, ap.limit_daily, ap.limit_same_content_daily,
       ap.cap_daily, ap.cap_daily_mainland, ap.cap_daily_international
FROM apps ap JOIN accounts a ON a.id = ap.account_id
WHERE ap.sdk_app_id = :sdk_app_id
FOR UPDATE OF ap

-- name: set_policy
-- Store a (validated) policy as a whole.
UPDATE apps SET limit_same_content_30s = :limit_same_content_30s, limit_one_hour = :limit_one_hour,
                limit_daily = :limit_daily, limit_same_content_daily = :limit_same_content_daily,
                cap_daily = :cap_daily, cap_daily_mainland = :cap_daily_mainland,
                cap_daily_international = :cap_daily_international, policy_updated_at = now()
WHERE sdk_app_id = :sdk_app_id

-- name: app_exists
SELECT EXISTS (SELECT 1 FROM apps WHERE sdk_app_id = :sdk_app_id)

-- name: list_allowlist
SELECT phone, note, added_by, added_at FROM app_allowlist WHERE sdk_app_id = :sdk_app_id ORDER BY phone

-- name: lock_app
-- The application's row lock, which serializes additions to its allowlist; no row for an unknown one.
SELECT 1 FROM apps WHERE sdk_app_id = :sdk_app_id FOR UPDATE

-- name: allowlist_phones
SELECT phone FROM app_allowlist WHERE sdk_app_id = :sdk_app_id

-- name: add_allowlist
INSERT INTO app_allowlist (sdk_app_id, phone, note, added_by)
SELECT :sdk_app_id, phone, :note, :added_by FROM unnest(:phones::text[]) AS phone
ON CONFLICT DO NOTHING

-- name: remove_allowlist
DELETE FROM app_allowlist WHERE sdk_app_id = :sdk_app_id AND phone = ANY(:phones::text[])

-- name: set_intl_countries
-- The countries and regions the app may send international SMS to (NULL: all).
UPDATE apps SET intl_countries = :countries, policy_updated_at = now() WHERE sdk_app_id = :sdk_app_id
