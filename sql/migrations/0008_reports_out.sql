-- Reports out (B2, B3, B4): per-application pull queues, customer callbacks and hourly statistics rollups.

-- Where the customer wants status reports and replies POSTed; '' means no callback.
ALTER TABLE apps
    ADD COLUMN status_callback_url text NOT NULL DEFAULT '',
    ADD COLUMN reply_callback_url text NOT NULL DEFAULT '';

-- PullSmsSendStatus / PullSmsReplyStatus: each item is handed out once (deleted as it is returned).
-- An item points at its message (id, accepted_at) or reply (id, received_at), read when it is pulled: the
-- report path writes a narrow row and builds nothing. Items nobody pulls are purged after the retention period.
CREATE TABLE pull_queue (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sdk_app_id  text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('status', 'reply')),
    created_at  timestamptz NOT NULL,
    ref_id      bigint NOT NULL,
    ref_at      timestamptz NOT NULL
);
CREATE INDEX pull_queue_app ON pull_queue (sdk_app_id, kind, id);
-- The daily purge by age; BRIN, as rows arrive in time order and the index must cost the hot path little.
CREATE INDEX pull_queue_age ON pull_queue USING brin (created_at);

-- Callbacks still to deliver, in id order per application, to the application's URL at delivery time.
-- Delivered items are deleted; items that kept failing past the give-up period stay as 'given_up'.
CREATE TABLE callback_queue (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sdk_app_id  text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('status', 'reply')),
    created_at  timestamptz NOT NULL,
    item        jsonb NOT NULL,
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'given_up')),
    attempts    integer NOT NULL DEFAULT 0,
    next_at     timestamptz NOT NULL,
    last_error  text NOT NULL DEFAULT ''
);
CREATE INDEX callback_queue_pending ON callback_queue (sdk_app_id, id) WHERE state = 'pending';

-- Hourly counters per application and country, by the hour the messages were accepted (UTC). Writers add to
-- one of a few shards chosen by their backend, so concurrent requests of one application do not queue on a
-- single row; readers sum the shards.
CREATE TABLE stats_hourly (
    sdk_app_id          text NOT NULL,
    hour                timestamptz NOT NULL,
    iso_code            text NOT NULL,
    shard               smallint NOT NULL,
    account_id          bigint NOT NULL,
    requests            bigint NOT NULL DEFAULT 0,  -- numbers asked for
    accepted            bigint NOT NULL DEFAULT 0,  -- numbers accepted
    fee_parts           bigint NOT NULL DEFAULT 0,  -- parts billed for the accepted ones
    reports             bigint NOT NULL DEFAULT 0,  -- final statuses: delivered + failed
    delivered           bigint NOT NULL DEFAULT 0,
    failed              bigint NOT NULL DEFAULT 0,
    internal_error      bigint NOT NULL DEFAULT 0,  -- failure kinds, each also counted in failed
    invalid_number      bigint NOT NULL DEFAULT 0,
    shutdown            bigint NOT NULL DEFAULT 0,
    blacklist           bigint NOT NULL DEFAULT 0,
    frequency_limit     bigint NOT NULL DEFAULT 0,
    callbacks_delivered bigint NOT NULL DEFAULT 0,  -- customer callback requests answered {"result":0}
    callbacks_given_up  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (sdk_app_id, hour, iso_code, shard)
);
CREATE INDEX stats_hourly_account ON stats_hourly (account_id, hour);
