-- What `smsctl status` shows from Postgres (core/store/status.py): each one cheap query.

-- name: messages_by_minute
-- Messages accepted in each minute of [:since, :until], by their status now (newest minute first).
SELECT date_trunc('minute', accepted_at) AS minute, status, count(*) AS messages
FROM messages
WHERE accepted_at >= :since AND accepted_at <= :until
GROUP BY 1, 2
ORDER BY 1 DESC, 2

-- name: backlogs
-- The outbox and callback backlogs, and accounts in arrears or suspended.
SELECT (SELECT count(*) FROM send_outbox) AS outbox,
       (SELECT min(accepted_at) FROM send_outbox) AS outbox_oldest,
       (SELECT count(*) FROM callback_queue WHERE state = 'pending') AS callbacks_pending,
       (SELECT min(created_at) FROM callback_queue WHERE state = 'pending') AS callbacks_oldest,
       (SELECT count(*) FROM callback_queue WHERE state = 'given_up') AS callbacks_given_up,
       (SELECT count(*) FROM accounts WHERE status = 'arrears') AS arrears,
       (SELECT count(*) FROM accounts WHERE status = 'suspended') AS suspended
