-- An application's callback URLs (B2, B3), their format (tencent or alibaba) and the state of its callback queue (core/store/callbacks_config.py).

-- name: get_callback_config
SELECT a.sdk_app_id, a.status_callback_url, a.reply_callback_url, a.callback_format,
       (SELECT count(*) FROM callback_queue q WHERE q.sdk_app_id = a.sdk_app_id AND q.state = 'pending'),
       (SELECT count(*) FROM callback_queue q WHERE q.sdk_app_id = a.sdk_app_id AND q.state = 'given_up')
FROM apps a
WHERE a.sdk_app_id = :sdk_app_id

-- name: set_callback_urls
-- Change the URLs and the format given (NULL keeps one as it is; a URL '' turns that kind off). The pending
-- items of a kind turned off are dropped, and when a URL or the format changes, the pending items it concerns
-- are due at once (they were backing off against the old URL or answer). Counts the applications changed (0:
-- no such application).
WITH old AS (
    SELECT sdk_app_id, status_callback_url, reply_callback_url, callback_format FROM apps
    WHERE sdk_app_id = :sdk_app_id FOR UPDATE
), changed AS (
    UPDATE apps a SET status_callback_url = COALESCE(:status_url, a.status_callback_url),
                      reply_callback_url = COALESCE(:reply_url, a.reply_callback_url),
                      callback_format = COALESCE(:format, a.callback_format)
    FROM old WHERE a.sdk_app_id = old.sdk_app_id
    RETURNING a.sdk_app_id,
              a.status_callback_url <> old.status_callback_url
                  OR a.callback_format <> old.callback_format AS status_changed,
              a.reply_callback_url <> old.reply_callback_url
                  OR a.callback_format <> old.callback_format AS reply_changed,
              a.status_callback_url = '' AS status_off, a.reply_callback_url = '' AS reply_off
), dropped AS (
    DELETE FROM callback_queue q USING changed c
    WHERE q.sdk_app_id = c.sdk_app_id AND q.state = 'pending'
      AND ((q.kind = 'status' AND c.status_off) OR (q.kind = 'reply' AND c.reply_off))
), rescheduled AS (
    UPDATE callback_queue q SET next_at = LEAST(q.next_at, :now) FROM changed c
    WHERE q.sdk_app_id = c.sdk_app_id AND q.state = 'pending'
      AND ((q.kind = 'status' AND c.status_changed AND NOT c.status_off)
        OR (q.kind = 'reply' AND c.reply_changed AND NOT c.reply_off))
)
SELECT count(*) FROM changed
