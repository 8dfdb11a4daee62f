-- Replies (mobile-originated messages) and the per-account unsubscribe blocklist (rules B1, B2).

CREATE TABLE replies (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at   timestamptz NOT NULL,
    phone         text NOT NULL,
    text          text NOT NULL,
    sign          text NOT NULL DEFAULT '',
    extend_code   text NOT NULL DEFAULT '',
    -- The application whose message to this number is the most recent within 72 hours (B2); NULL when none.
    sdk_app_id    text,
    account_id    bigint,
    serial_no     text,
    unsubscribe   boolean NOT NULL DEFAULT false
);
CREATE INDEX replies_app_time ON replies (sdk_app_id, received_at DESC);
CREATE INDEX replies_phone_time ON replies (phone, received_at DESC);

-- Attribution looks up the latest message to a number across applications.
CREATE INDEX messages_phone_time ON messages (phone, accepted_at DESC);

CREATE TABLE blocklist (
    account_id        bigint NOT NULL REFERENCES accounts (id),
    phone             text NOT NULL,
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'lift_requested', 'lifted')),
    reason            text NOT NULL,
    source            text NOT NULL CHECK (source IN ('reply', 'operator')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by        text NOT NULL,
    lift_reason       text NOT NULL DEFAULT '',
    lift_requested_at timestamptz,
    lift_requested_by text,
    lifted_at         timestamptz,
    lifted_by         text,
    PRIMARY KEY (account_id, phone)
);
