-- Per-application sending policy (rules L1-L4) and the allowlist of test/alarm numbers exempt from the
-- per-number limits (L2). NULL means "no such limit".

ALTER TABLE apps
    -- L1 defaults: the same content at most once per 30 s, at most 2 messages per calendar day per number.
    ADD COLUMN limit_same_content_30s    integer NOT NULL DEFAULT 1 CHECK (limit_same_content_30s > 0),
    ADD COLUMN limit_one_hour            integer CHECK (limit_one_hour > 0),
    ADD COLUMN limit_daily               integer NOT NULL DEFAULT 2 CHECK (limit_daily > 0),
    ADD COLUMN limit_same_content_daily  integer CHECK (limit_same_content_daily > 0),
    -- L4: per-application daily caps.
    ADD COLUMN cap_daily                 integer CHECK (cap_daily > 0),
    ADD COLUMN cap_daily_mainland        integer CHECK (cap_daily_mainland > 0),
    ADD COLUMN cap_daily_international   integer CHECK (cap_daily_international > 0),
    ADD COLUMN policy_updated_at         timestamptz;

CREATE TABLE app_allowlist (
    sdk_app_id text NOT NULL REFERENCES apps (sdk_app_id),
    phone      text NOT NULL,
    note       text NOT NULL DEFAULT '',
    added_by   text NOT NULL,
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sdk_app_id, phone)
);
