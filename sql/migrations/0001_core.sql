-- Accounts, keys, applications, signatures, templates, prices and messages (the send path's records).

CREATE TABLE accounts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('individual', 'organization')),
    -- Money is integer minor units of the platform currency.
    balance_minor bigint NOT NULL DEFAULT 0,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'arrears', 'suspended')),
    arrears_since timestamptz,
    contact_phone text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    secret_id   text PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id),
    -- Kept retrievable: HMAC verification needs the key itself.
    secret_key  text NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE SEQUENCE sdk_app_id_seq START 1400000001 MAXVALUE 1409999999;

CREATE TABLE apps (
    sdk_app_id  text PRIMARY KEY DEFAULT nextval('sdk_app_id_seq')::text,
    account_id  bigint NOT NULL REFERENCES accounts (id),
    name        text NOT NULL,
    app_key     text NOT NULL,
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX apps_account ON apps (account_id);

CREATE TABLE signatures (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES accounts (id),
    name          text NOT NULL,
    international boolean NOT NULL DEFAULT false,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'reviewing', 'approved', 'rejected', 'deleted')),
    review_reply  text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signatures_account_name ON signatures (account_id, name);

CREATE TABLE templates (
    id            bigint GENERATED ALWAYS AS IDENTITY (START WITH 1000) PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES accounts (id),
    name          text NOT NULL DEFAULT '',
    content       text NOT NULL,
    -- Tencent SmsType: 0 regular, 1 marketing, 2 notification, 3 verification code.
    sms_type      smallint NOT NULL DEFAULT 0 CHECK (sms_type BETWEEN 0 AND 3),
    international boolean NOT NULL DEFAULT false,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'reviewing', 'approved', 'rejected', 'deleted')),
    review_reply  text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX templates_account ON templates (account_id);

-- Price per billed part per country (ISO code); 'DEF' is the default for countries without a row.
CREATE TABLE prices (
    iso_code    text PRIMARY KEY,
    price_minor bigint NOT NULL CHECK (price_minor >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO prices (iso_code, price_minor) VALUES ('DEF', 5), ('CN', 4);

CREATE SEQUENCE message_id_seq;

-- The system of record for every accepted message, and the send outbox (status 'queued').
-- Partitioned by UTC day of acceptance; the serial number carries that day.
CREATE TABLE messages (
    id              bigint NOT NULL,
    accepted_at     timestamptz NOT NULL,
    serial_no       text NOT NULL,
    batch_id        uuid NOT NULL,
    account_id      bigint NOT NULL,
    sdk_app_id      text NOT NULL,
    phone           text NOT NULL,
    iso_code        text NOT NULL,
    sign_name       text NOT NULL DEFAULT '',
    template_id     bigint NOT NULL,
    content         text NOT NULL,
    parts           integer NOT NULL,
    price_minor     bigint NOT NULL,
    session_context text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    claimed_at      timestamptz,
    retry_at        timestamptz,
    carrier_id      text,
    error           text NOT NULL DEFAULT '',
    sent_at         timestamptz,
    reported_at     timestamptz,
    PRIMARY KEY (id, accepted_at)
) PARTITION BY RANGE (accepted_at);

-- Only columns that never change are indexed: a message's status, carrier id and times change two or three
-- times, and with no index on them (and room left in each page) those updates are HOT, touching no index.
CREATE INDEX messages_serial ON messages (serial_no);
CREATE INDEX messages_batch ON messages (batch_id);
CREATE INDEX messages_app_phone ON messages (sdk_app_id, phone, accepted_at DESC);
CREATE INDEX messages_app_time ON messages (sdk_app_id, accepted_at DESC);

-- The send outbox: one row per accepted request until its messages have been handed to the carrier (or
-- failed). The sweep reads this small table, not messages: a row whose job was lost (unclaimed past due_at)
-- or whose worker died (claimed past the lease) is enqueued again.
CREATE TABLE send_outbox (
    batch_id    uuid PRIMARY KEY,
    accepted_at timestamptz NOT NULL,
    -- Not to be swept before this: acceptance + the staleness window, or a retry's backoff.
    due_at      timestamptz NOT NULL,
    claimed_at  timestamptz,
    attempts    integer NOT NULL DEFAULT 0
);

-- Creates the daily partitions from `first_day` for `days` days; safe to run again.
CREATE FUNCTION ensure_message_partitions(first_day date, days integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    d date;
    created integer := 0;
    part text;
BEGIN
    FOR i IN 0 .. days - 1 LOOP
        d := first_day + i;
        part := 'messages_' || to_char(d, 'YYYYMMDD');
        IF to_regclass(part) IS NULL THEN
            EXECUTE format(
                -- fillfactor: room in each page for the HOT updates that follow every insert.
                'CREATE TABLE %I PARTITION OF messages FOR VALUES FROM (%L) TO (%L) WITH (fillfactor = 50)',
                part, d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
            created := created + 1;
        END IF;
    END LOOP;
    RETURN created;
END $$;

SELECT ensure_message_partitions((now() AT TIME ZONE 'UTC')::date - 1, 5);
