-- Conversion reports (issue 16): the customer tells the platform that a message did its job (the recipient
-- typed the code in, say), through Tencent's ReportConversion or UCloud's AddBackfill. At most one per message:
-- the first report stands (core.domain.conversions). Keyed like the message (id + accepted_at, the partition
-- key), with no foreign key: messages is partitioned by day and the reporting statement finds the message
-- itself, scoped to the reporting account.
CREATE TABLE conversions (
    message_id   bigint NOT NULL,
    accepted_at  timestamptz NOT NULL,  -- the message's
    account_id   bigint NOT NULL,
    sdk_app_id   text NOT NULL,
    serial_no    text NOT NULL,
    dialect      text NOT NULL,         -- the API that reported it: tencent_v3, ucloud, ...
    converted_at timestamptz NOT NULL,  -- when the customer says the conversion happened
    reported_at  timestamptz NOT NULL,  -- when the platform was told
    PRIMARY KEY (message_id, accepted_at)
);

-- Conversions in the hourly rollups, by the hour (and country) of the message they convert, so a rate is
-- conversions / accepted over the same hours.
ALTER TABLE stats_hourly ADD COLUMN conversions bigint NOT NULL DEFAULT 0;
