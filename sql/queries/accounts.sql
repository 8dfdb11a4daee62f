-- Account-level reads and settings that belong to no other capability (core/store/accounts.py).

-- name: account_exists
SELECT EXISTS (SELECT 1 FROM accounts WHERE id = :account_id)

-- name: set_alarm_recipients
-- L4: who hears of an account's unusual limit refusals.
UPDATE accounts SET alarm_phones = :phones, alarm_webhook = :webhook WHERE id = :account_id
