-- The money side (core/store/billing.py, P2, P3): the daily and monthly deductions (set-based, one statement
-- per day or month), arrears standing, suspension, recharges, packages, overdue-notice bookkeeping and
-- statements. Every balance change writes a ledger entry in the same statement, so a balance always equals
-- the sum of its ledger.
--
-- The standing rule is written out in each statement that moves a balance (charge_day, charge_month,
-- grant_package, recharge), the same three lines each time: a balance back at zero or above ends arrears
-- (and a suspension) at once; a negative one starts arrears now unless they already began.

-- name: first_usage_day
-- The first day anything was used: the deduction never looks further back (an index probe).
SELECT min(day) FROM usage_daily

-- name: charged_days
SELECT day FROM billing_days WHERE day >= :since

-- name: deduction_lock
-- Serializes deduction runs (for the transaction): a second run waits, then finds the day done.
SELECT pg_advisory_xact_lock(:lock_key)

-- name: day_charged
SELECT EXISTS (SELECT 1 FROM billing_days WHERE day = :day)

-- name: charge_day
-- Charge every account its daily-settled usage of :day (all but the international usage of accounts that
-- settle it monthly). Mainland parts are drawn first from the account's packages valid that day (in the time
-- zone :timezone), the one expiring first first; the rest is charged at the day's mainland price per part
-- (the value of the package parts is rounded up: a fraction of a minor unit goes to the customer). One
-- ledger entry per account (the unique key makes a repeat a no-op), the balances and standings.
WITH used AS (
    SELECT u.account_id, sum(u.amount_minor) AS amount,
           COALESCE(sum(u.parts) FILTER (WHERE NOT u.international), 0) AS cn_parts,
           COALESCE(sum(u.amount_minor) FILTER (WHERE NOT u.international), 0) AS cn_amount
    FROM usage_daily u JOIN accounts a ON a.id = u.account_id
    WHERE u.day = :day AND NOT u.monthly AND NOT a.system
    GROUP BY u.account_id
), available AS (
    -- Deductions are serialized by the advisory lock; nothing else changes parts_used.
    SELECT p.id, p.account_id, p.parts_total - p.parts_used AS remaining,
           COALESCE(sum(p.parts_total - p.parts_used) OVER (
               PARTITION BY p.account_id ORDER BY p.valid_until, p.id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
    FROM sms_packages p JOIN used n ON n.account_id = p.account_id AND n.cn_parts > 0
    WHERE p.parts_used < p.parts_total
      AND p.valid_from < ((:day::date + 1)::timestamp AT TIME ZONE :timezone)
      AND p.valid_until > (:day::date::timestamp AT TIME ZONE :timezone)
), drawn AS (
    UPDATE sms_packages p SET parts_used = p.parts_used + d.take
    FROM (SELECT a.id, LEAST(a.remaining, GREATEST(n.cn_parts - a.before, 0)) AS take
          FROM available a JOIN used n USING (account_id)) d
    WHERE p.id = d.id AND d.take > 0
    RETURNING p.account_id, d.take
), due AS (
    SELECT n.account_id,
           (n.amount - COALESCE(ceil(n.cn_amount * c.parts / NULLIF(n.cn_parts, 0)), 0))::bigint AS amount,
           'usage of ' || :day::date::text || CASE WHEN c.parts > 0
               THEN ', ' || c.parts || ' parts from packages' ELSE '' END AS note
    FROM used n
    LEFT JOIN (SELECT account_id, sum(take) AS parts FROM drawn GROUP BY account_id) c USING (account_id)
), charged AS (
    INSERT INTO ledger (account_id, kind, amount_minor, day, created_at, note)
    SELECT account_id, 'daily_charge', -amount, :day, :now, note FROM due WHERE amount <> 0
    ORDER BY account_id
    ON CONFLICT (account_id, kind, day) WHERE kind IN ('daily_charge', 'monthly_charge') DO NOTHING
    RETURNING account_id, amount_minor
)
UPDATE accounts a SET balance_minor = a.balance_minor + c.amount_minor,
    status = CASE WHEN a.balance_minor + c.amount_minor >= 0 THEN 'active'
                  WHEN a.status = 'active' THEN 'arrears' ELSE a.status END,
    arrears_since = CASE WHEN a.balance_minor + c.amount_minor >= 0 THEN NULL
                         ELSE COALESCE(a.arrears_since, :now::timestamptz) END,
    suspended_at = CASE WHEN a.balance_minor + c.amount_minor >= 0 THEN NULL ELSE a.suspended_at END
FROM charged c
WHERE a.id = c.account_id
RETURNING a.id, c.amount_minor, a.status, a.arrears_since = :now AS entered_arrears

-- name: mark_day_charged
INSERT INTO billing_days (day, charged_at, accounts, amount_minor) VALUES (:day, :now, :accounts, :amount_minor)

-- name: charged_months
SELECT month FROM billing_months WHERE month >= :since

-- name: month_charged
SELECT EXISTS (SELECT 1 FROM billing_months WHERE month = :month)

-- name: charge_month
-- Charge the month [:month, :last_day] of international usage settled monthly (P3): one monthly_charge per
-- account (day = the month's first day), the balances and standings as for a day.
WITH due AS (
    SELECT u.account_id, sum(u.amount_minor) AS amount,
           'international usage of ' || to_char(:month::date, 'YYYY-MM') AS note
    FROM usage_daily u JOIN accounts a ON a.id = u.account_id
    WHERE u.day BETWEEN :month AND :last_day AND u.monthly AND NOT a.system
    GROUP BY u.account_id
), charged AS (
    INSERT INTO ledger (account_id, kind, amount_minor, day, created_at, note)
    SELECT account_id, 'monthly_charge', -amount, :month, :now, note FROM due WHERE amount <> 0
    ORDER BY account_id
    ON CONFLICT (account_id, kind, day) WHERE kind IN ('daily_charge', 'monthly_charge') DO NOTHING
    RETURNING account_id, amount_minor
)
UPDATE accounts a SET balance_minor = a.balance_minor + c.amount_minor,
    status = CASE WHEN a.balance_minor + c.amount_minor >= 0 THEN 'active'
                  WHEN a.status = 'active' THEN 'arrears' ELSE a.status END,
    arrears_since = CASE WHEN a.balance_minor + c.amount_minor >= 0 THEN NULL
                         ELSE COALESCE(a.arrears_since, :now::timestamptz) END,
    suspended_at = CASE WHEN a.balance_minor + c.amount_minor >= 0 THEN NULL ELSE a.suspended_at END
FROM charged c
WHERE a.id = c.account_id
RETURNING a.id, c.amount_minor, a.status, a.arrears_since = :now AS entered_arrears

-- name: mark_month_charged
INSERT INTO billing_months (month, charged_at, accounts, amount_minor)
VALUES (:month, :now, :accounts, :amount_minor)

-- name: set_intl_settlement
-- P3: from now on, the account's international usage is settled :settlement ('daily' or 'monthly').
UPDATE accounts SET intl_settlement = :settlement WHERE id = :account_id

-- name: grant_package
-- Give (price 0: a gift, type 0) or sell (type 1, the price charged to the balance) a package of :parts
-- mainland parts, with its ledger entry and the account's standing. No row when the account does not exist.
WITH pkg AS (
    INSERT INTO sms_packages (account_id, package_type, parts_total, valid_from, valid_until,
                              created_at, created_by)
    SELECT id, CASE WHEN :price_minor > 0 THEN 1 ELSE 0 END, :parts, :valid_from, :valid_until, :now, :by
    FROM accounts WHERE id = :account_id
    RETURNING *
), entry AS (
    INSERT INTO ledger (account_id, kind, amount_minor, created_at, created_by, note)
    SELECT account_id, 'package', -:price_minor, :now, :by,
           'package ' || id || ': ' || parts_total || ' parts, '
           || to_char(valid_from, 'YYYY-MM-DD') || ' to ' || to_char(valid_until, 'YYYY-MM-DD')
    FROM pkg
), standing AS (
    UPDATE accounts a SET balance_minor = a.balance_minor - :price_minor,
        status = CASE WHEN a.balance_minor - :price_minor >= 0 THEN 'active'
                      WHEN a.status = 'active' THEN 'arrears' ELSE a.status END,
        arrears_since = CASE WHEN a.balance_minor - :price_minor >= 0 THEN NULL
                             ELSE COALESCE(a.arrears_since, :now::timestamptz) END,
        suspended_at = CASE WHEN a.balance_minor - :price_minor >= 0 THEN NULL ELSE a.suspended_at END
    FROM pkg WHERE a.id = pkg.account_id
    RETURNING a.balance_minor, a.status
)
SELECT pkg.*, standing.balance_minor, standing.status FROM pkg, standing

-- name: list_packages
SELECT id, account_id, package_type, parts_total, parts_used, valid_from, valid_until, created_at
FROM sms_packages
WHERE account_id = :account_id AND created_at >= :created_since AND created_at < :created_until
ORDER BY created_at, id
LIMIT :limit OFFSET :offset

-- name: suspend_overdue
-- Suspend accounts still below zero :grace_s seconds after they entered arrears (P2).
UPDATE accounts SET status = 'suspended', suspended_at = :now::timestamptz
WHERE status = 'arrears' AND balance_minor < 0
  AND arrears_since <= :now::timestamptz - make_interval(secs => :grace_s::int)
RETURNING id

-- name: recharge
-- Add money: a ledger entry and the balance; a balance back at zero or above ends arrears and any
-- suspension at once. No row when the account does not exist.
WITH entry AS (
    INSERT INTO ledger (account_id, kind, amount_minor, created_at, created_by, note)
    SELECT id, 'recharge', :amount_minor, :now, :by, :note FROM accounts WHERE id = :account_id
    RETURNING account_id
)
UPDATE accounts a SET balance_minor = a.balance_minor + :amount_minor,
    status = CASE WHEN a.balance_minor + :amount_minor >= 0 THEN 'active'
                  WHEN a.status = 'active' THEN 'arrears' ELSE a.status END,
    arrears_since = CASE WHEN a.balance_minor + :amount_minor >= 0 THEN NULL
                         ELSE COALESCE(a.arrears_since, :now::timestamptz) END,
    suspended_at = CASE WHEN a.balance_minor + :amount_minor >= 0 THEN NULL ELSE a.suspended_at END
FROM entry
WHERE a.id = entry.account_id
RETURNING a.id, a.balance_minor, a.status

-- name: claim_overdue_notices
-- Accounts in arrears whose episode has no overdue notice yet (or whose claim went stale without being
-- sent, its sender having died): claimed now, so one episode gets one notice.
WITH claimed AS (
    INSERT INTO arrears_notices (account_id, arrears_since, claimed_at)
    SELECT id, arrears_since, :now FROM accounts
    WHERE status <> 'active' AND arrears_since IS NOT NULL AND NOT system
    ON CONFLICT (account_id, arrears_since) DO UPDATE SET claimed_at = EXCLUDED.claimed_at
        WHERE arrears_notices.sent_at IS NULL
          AND arrears_notices.claimed_at < :now::timestamptz - make_interval(secs => :retry_after_s::int)
    RETURNING account_id, arrears_since
)
SELECT c.account_id, c.arrears_since, a.contact_phone, a.balance_minor
FROM claimed c JOIN accounts a ON a.id = c.account_id
ORDER BY c.account_id

-- name: record_notice
UPDATE arrears_notices SET sent_at = :now, serial_no = :serial_no, detail = :detail
WHERE account_id = :account_id AND arrears_since = :arrears_since

-- name: opening_balance
-- The account's balance just before :since: the sum of its ledger until then.
SELECT COALESCE(sum(amount_minor), 0) FROM ledger WHERE account_id = :account_id AND created_at < :since

-- name: ledger_entries
SELECT id, kind, amount_minor, day, created_at, created_by, note
FROM ledger
WHERE account_id = :account_id AND created_at >= :since AND created_at < :until
ORDER BY created_at, id

-- name: usage_by_day
-- The account's usage per day in [:first_day, :last_day], mainland and international apart.
SELECT day, international, sum(messages)::bigint AS messages, sum(parts)::bigint AS parts,
       sum(amount_minor)::bigint AS amount_minor
FROM usage_daily
WHERE account_id = :account_id AND day BETWEEN :first_day AND :last_day
GROUP BY day, international
ORDER BY day, international

-- name: unreconciled
-- Accounts whose balance is not the sum of their ledger: (account, balance, ledger sum). Always empty.
SELECT a.id, a.balance_minor, COALESCE(l.total, 0) AS total
FROM accounts a
LEFT JOIN (SELECT account_id, sum(amount_minor) AS total FROM ledger GROUP BY account_id) l
       ON l.account_id = a.id
WHERE a.balance_minor <> COALESCE(l.total, 0)

-- name: replace_prices
-- Set these countries' prices (others keep theirs): all or nothing.
INSERT INTO prices (iso_code, price_minor, updated_at)
SELECT * FROM unnest(:iso_codes::text[], :prices_minor::bigint[],
                     array_fill(:now::timestamptz, ARRAY[cardinality(:iso_codes::text[])]))
ON CONFLICT (iso_code) DO UPDATE SET price_minor = EXCLUDED.price_minor, updated_at = EXCLUDED.updated_at

-- name: list_prices
SELECT iso_code, price_minor, updated_at FROM prices ORDER BY iso_code
