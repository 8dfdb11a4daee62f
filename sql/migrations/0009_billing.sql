-- Billing (P1-P3): usage per account and day written with the records, a ledger the balance always equals,
-- the daily deduction "next morning", arrears, overdue notices and suspension.

ALTER TABLE accounts
    ADD COLUMN suspended_at timestamptz,
    -- P3: international usage charged daily with the rest, or monthly (on the 1st, for the month before).
    ADD COLUMN intl_settlement text NOT NULL DEFAULT 'daily' CHECK (intl_settlement IN ('daily', 'monthly'));

-- What accepted messages cost, per account and platform day (the platform's time zone), written by the same
-- statement that records them; a submit failure subtracts its messages again on the day it is known. Writers
-- add to a shard chosen by their backend, so one account's concurrent requests do not queue on one row.
-- `monthly` marks international usage of an account that settles it monthly (P3) when it was written: the
-- daily deduction charges the other rows, the monthly one these, so every row is charged exactly once even
-- when an account changes its choice mid-month.
CREATE TABLE usage_daily (
    account_id    bigint NOT NULL,
    day           date NOT NULL,
    international boolean NOT NULL,
    monthly       boolean NOT NULL,
    shard         smallint NOT NULL,
    messages      bigint NOT NULL DEFAULT 0,
    parts         bigint NOT NULL DEFAULT 0,
    amount_minor  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, day, international, monthly, shard)
);
CREATE INDEX usage_daily_day ON usage_daily (day);

-- Every change of a balance, signed (a charge is negative). accounts.balance_minor = sum(amount_minor).
CREATE TABLE ledger (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES accounts (id),
    kind         text NOT NULL
                 CHECK (kind IN ('opening', 'recharge', 'daily_charge', 'monthly_charge', 'package', 'adjustment')),
    amount_minor bigint NOT NULL,
    -- The usage day a daily charge is for (the first of the month for a monthly charge).
    day          date,
    created_at   timestamptz NOT NULL,
    created_by   text NOT NULL DEFAULT 'system',
    note         text NOT NULL DEFAULT ''
);
-- One charge per account and day: a second deduction run for the same day inserts nothing.
CREATE UNIQUE INDEX ledger_one_charge ON ledger (account_id, kind, day)
    WHERE kind IN ('daily_charge', 'monthly_charge');
CREATE INDEX ledger_account_time ON ledger (account_id, created_at);

-- Balances set before the ledger existed become its opening entries, so the ledger reconciles from the start.
INSERT INTO ledger (account_id, kind, amount_minor, created_at, note)
SELECT id, 'opening', balance_minor, created_at, 'balance before the ledger' FROM accounts WHERE balance_minor <> 0;

-- Days the daily deduction has finished (all accounts' charges for the day are in the ledger), so a run only
-- looks at days still due and catches up, oldest first, on days missed while no worker ran.
CREATE TABLE billing_days (
    day        date PRIMARY KEY,
    charged_at timestamptz NOT NULL,
    accounts   integer NOT NULL,
    amount_minor bigint NOT NULL
);

-- SMS packages (SmsPackagesStatistics): parts an operator granted (type 0) or sold (type 1) to an account,
-- valid between two instants. The daily deduction draws mainland parts from them first, the package that
-- expires first first, then charges the balance for the rest.
CREATE TABLE sms_packages (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES accounts (id),
    package_type smallint NOT NULL CHECK (package_type IN (0, 1)),
    parts_total  bigint NOT NULL CHECK (parts_total > 0),
    parts_used   bigint NOT NULL DEFAULT 0 CHECK (parts_used BETWEEN 0 AND parts_total),
    valid_from   timestamptz NOT NULL,
    valid_until  timestamptz NOT NULL CHECK (valid_until > valid_from),
    created_at   timestamptz NOT NULL,
    created_by   text NOT NULL
);
CREATE INDEX sms_packages_account ON sms_packages (account_id, valid_until);

-- Months whose international usage of monthly-settled accounts has been charged (on the 1st of the next).
CREATE TABLE billing_months (
    month        date PRIMARY KEY,  -- the first day of the month
    charged_at   timestamptz NOT NULL,
    accounts     integer NOT NULL,
    amount_minor bigint NOT NULL
);

-- Accounts in arrears or suspended, for the every-minute arrears job.
CREATE INDEX accounts_not_active ON accounts (status) WHERE status <> 'active';

-- The overdue SMS, once per arrears episode (the episode is named by when it began).
CREATE TABLE arrears_notices (
    account_id    bigint NOT NULL REFERENCES accounts (id),
    arrears_since timestamptz NOT NULL,
    claimed_at    timestamptz NOT NULL,
    sent_at       timestamptz,
    serial_no     text,
    detail        text NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, arrears_since)
);

-- Minor units are thousandths of the currency (setting money_exponent = 3): the first defaults become
-- realistic prices per part, 0.045 for the mainland and 0.500 elsewhere, unless an operator changed them.
UPDATE prices SET price_minor = 45, updated_at = now() WHERE iso_code = 'CN' AND price_minor = 4;
UPDATE prices SET price_minor = 500, updated_at = now() WHERE iso_code = 'DEF' AND price_minor = 5;
