-- What the legacy v5 dialect reads (core/store/legacy.py).

-- name: load_legacy_app
-- An application by its sdkappid with its AppKey (v5 signs with it; there is no SecretId) and the rest of
-- the send context, as load_send_context gives it: the policy and allowlist, which of :phones the owner's
-- blocklist holds, the signature :sign_name (with :default_sign and no name, the account's newest approved
-- mainland signature) and the template; with :with_templates, the account's approved templates as JSON.
SELECT app.sdk_app_id, app.app_key_sealed, app.status AS app_status,
       a.id AS account_id, a.kind, a.status AS account_status,
       app.limit_same_content_30s, app.limit_one_hour, app.limit_daily, app.limit_same_content_daily,
       app.cap_daily, app.cap_daily_mainland, app.cap_daily_international, app.intl_countries,
       app.usual_daily_volume,
       ARRAY(SELECT phone FROM app_allowlist l WHERE l.sdk_app_id = app.sdk_app_id) AS allowlist,
       ARRAY(SELECT phone FROM blocklist b WHERE b.account_id = app.account_id AND b.phone = ANY(:phones::text[])
             AND b.status <> 'lifted') AS blocked,
       s.name AS sign_name, s.international AS sign_international, s.status AS sign_status,
       t.id AS template_id, t.content, t.sms_type, t.international AS template_international,
       t.status AS template_status,
       CASE WHEN :with_templates THEN (
           SELECT COALESCE(json_agg(json_build_object('id', id, 'content', content, 'sms_type', sms_type,
                                                      'international', international) ORDER BY id), '[]')
           FROM templates WHERE account_id = app.account_id AND status = 'approved'
       ) END AS templates
FROM apps app
JOIN accounts a ON a.id = app.account_id
LEFT JOIN LATERAL (
    SELECT name, international, status FROM signatures
    WHERE account_id = app.account_id AND status <> 'deleted'
      AND (name = :sign_name OR (:sign_name = '' AND :default_sign AND status = 'approved' AND NOT international))
    ORDER BY status = 'approved' DESC, id DESC LIMIT 1
) s ON true
LEFT JOIN templates t ON t.id = :template_id AND t.account_id = app.account_id AND t.status <> 'deleted'
WHERE app.sdk_app_id = :sdk_app_id
