-- Every run of a scheduled job (operations): when it started and ended, whether it worked, what it did, and
-- whether the schedule or an operator (`smsctl cron run`) started it. Purged after a retention period.
CREATE TABLE cron_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job         text NOT NULL,
    trigger     text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    ok          boolean,
    result      jsonb,
    error       text NOT NULL DEFAULT ''
);
CREATE INDEX cron_runs_job_time ON cron_runs (job, started_at DESC);
