-- The record of scheduled-job runs (core/store/cron_runs.py): one row per run, written when it starts and
-- when it ends.

-- name: start_run
INSERT INTO cron_runs (job, trigger, started_at) VALUES (:job, :trigger, :now) RETURNING id

-- name: finish_run
UPDATE cron_runs SET finished_at = :now, ok = :ok, result = :result::jsonb, error = :error WHERE id = :run_id

-- name: last_runs
-- Each job's latest run (one index probe per job).
SELECT r.*
FROM unnest(:jobs::text[]) AS j(job)
CROSS JOIN LATERAL (
    SELECT job, trigger, started_at, finished_at, ok, result, error FROM cron_runs
    WHERE job = j.job ORDER BY started_at DESC LIMIT 1
) r

-- name: purge_runs
DELETE FROM cron_runs WHERE started_at < :before
