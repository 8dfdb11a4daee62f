-- Operator bootstrapping (core/store/admin.py): accounts, API keys, applications, and directly approved
-- signatures and templates.

-- name: create_account
-- An account with its first API key; a starting balance is the ledger's opening entry (balance = sum(ledger)
-- from the start).
WITH a AS (
    INSERT INTO accounts (name, kind, balance_minor, contact_phone)
    VALUES (:name, :kind, :balance_minor, :contact_phone)
    RETURNING id, created_at
), k AS (
    INSERT INTO api_keys (secret_id, account_id, secret_key_sealed) SELECT :secret_id, id, :secret_key_sealed FROM a
), l AS (
    INSERT INTO ledger (account_id, kind, amount_minor, created_at, created_by, note)
    SELECT id, 'opening', :balance_minor, created_at, 'operator', 'starting balance' FROM a
    WHERE :balance_minor <> 0
)
SELECT id FROM a

-- name: set_key_enabled
UPDATE api_keys SET enabled = :enabled WHERE secret_id = :secret_id

-- name: next_sdk_app_id
-- An application's id, taken before its row is written: its sealed AppKey is bound to it.
SELECT nextval('sdk_app_id_seq')::text

-- name: create_app
INSERT INTO apps (sdk_app_id, account_id, name, app_key_sealed)
VALUES (:sdk_app_id, :account_id, :name, :app_key_sealed)

-- name: set_app_status
UPDATE apps SET status = :status WHERE sdk_app_id = :sdk_app_id

-- name: create_signature
INSERT INTO signatures (account_id, name, international, status)
VALUES (:account_id, :name, :international, :status)
RETURNING id

-- name: create_template
INSERT INTO templates (account_id, name, content, sms_type, international, status)
VALUES (:account_id, :name, :content, :sms_type, :international, :status)
RETURNING id
