-- Anti-bombing alarms (L4): who an account alerts, and every alarm raised.
ALTER TABLE accounts
    ADD COLUMN alarm_phones  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN alarm_webhook text NOT NULL DEFAULT '';

CREATE TABLE alarms (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id     bigint NOT NULL REFERENCES accounts (id),
    sdk_app_id     text NOT NULL,
    kind           text NOT NULL,
    -- One alarm per account, application, kind and window, however many requests crossed the threshold.
    window_key     text NOT NULL,
    detail         text NOT NULL,
    serials        text[] NOT NULL DEFAULT '{}',
    webhook_status text NOT NULL DEFAULT '',
    raised_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, sdk_app_id, kind, window_key)
);

-- The platform's own tenant, which sends alarms through the ordinary send path.
ALTER TABLE accounts ADD COLUMN system boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX accounts_one_system ON accounts (system) WHERE system;
