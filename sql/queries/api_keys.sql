-- The application an API key's sends use when their calls name none (Alibaba, UCloud; migration 0015), for
-- smsctl and the admin API (core/store/api_keys.py). The send path resolves it in load_send_context.

-- name: key_application
-- The key, the application chosen for it, the one in force (the chosen one, else the account's only one, as
-- load_send_context picks it) and how many applications the account has. No row for an unknown SecretId.
SELECT k.secret_id, k.account_id, k.enabled, k.sdk_app_id AS chosen, app.sdk_app_id AS in_force,
       (SELECT count(*) FROM apps o WHERE o.account_id = k.account_id) AS apps
FROM api_keys k
LEFT JOIN apps app ON app.account_id = k.account_id AND app.sdk_app_id = COALESCE(
    k.sdk_app_id,
    (SELECT min(o.sdk_app_id) FROM apps o WHERE o.account_id = k.account_id HAVING count(*) = 1))
WHERE k.secret_id = :secret_id

-- name: set_key_application
-- Choose :sdk_app_id for the key, or clear the choice (NULL). Only an application of the key's own account is
-- taken: another tenant's is refused exactly as one that does not exist. Whether the key exists, and whether
-- it was changed.
WITH k AS (
    SELECT secret_id, account_id FROM api_keys WHERE secret_id = :secret_id
), changed AS (
    UPDATE api_keys t SET sdk_app_id = :sdk_app_id::text FROM k
    WHERE t.secret_id = k.secret_id
      AND (:sdk_app_id::text IS NULL
           OR EXISTS (SELECT 1 FROM apps a WHERE a.sdk_app_id = :sdk_app_id::text AND a.account_id = k.account_id))
    RETURNING t.secret_id
)
SELECT EXISTS (SELECT 1 FROM k) AS key_found, EXISTS (SELECT 1 FROM changed) AS changed
