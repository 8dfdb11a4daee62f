-- An account's signatures and templates as the customer APIs read and write them (core/store/catalog.py).
-- Every query is scoped to the account: another tenant's item is simply not found.

-- name: count_live_signatures
SELECT count(*) FROM signatures WHERE account_id = :account_id AND status <> 'deleted'

-- name: count_live_templates
SELECT count(*) FROM templates WHERE account_id = :account_id AND status <> 'deleted'

-- name: waiting_sign_names
-- Names of the account's signatures waiting for review (a duplicate may not be submitted twice).
SELECT name FROM signatures
WHERE account_id = :account_id AND international = :international AND id <> :exclude_id
  AND status IN ('pending', 'reviewing')

-- name: store_document
INSERT INTO documents (account_id, content_type, sha256, data)
VALUES (:account_id, :content_type, :sha256, :data)
RETURNING id

-- name: insert_signature
-- A signature submitted for review, with its history row.
WITH s AS (
    INSERT INTO signatures (account_id, name, sign_type, document_type, sign_purpose, international,
                            proof_document_id, commission_document_id, remark, qualification_id)
    VALUES (:account_id, :name, :sign_type, :document_type, :sign_purpose, :international,
            :proof_document_id, :commission_document_id, :remark, :qualification_id)
    RETURNING id
), e AS (
    INSERT INTO review_events (item_kind, item_id, account_id, actor, action, from_status, to_status)
    SELECT 'signature', id, :account_id, 'customer', 'submit', NULL, 'pending' FROM s
)
SELECT id FROM s

-- name: insert_template
-- A template submitted for review, with its history row.
WITH t AS (
    INSERT INTO templates (account_id, name, content, sms_type, international, remark, unsubscribe_info,
                           instruction)
    VALUES (:account_id, :name, :content, :sms_type, :international, :remark, :unsubscribe_info, :instruction)
    RETURNING id
), e AS (
    INSERT INTO review_events (item_kind, item_id, account_id, actor, action, from_status, to_status)
    SELECT 'template', id, :account_id, 'customer', 'submit', NULL, 'pending' FROM t
)
SELECT id FROM t

-- name: list_signatures
-- The account's live signatures, mainland or international (:international NULL: both), only :ids unless
-- it is empty.
SELECT id, name, international, status, review_reply, qualification_id, created_at, remark, sign_type,
       sign_purpose, updated_at
FROM signatures
WHERE account_id = :account_id AND (:international::boolean IS NULL OR international = :international)
  AND status <> 'deleted'
  AND (cardinality(:ids::bigint[]) = 0 OR id = ANY(:ids::bigint[]))
ORDER BY id
LIMIT :limit OFFSET :offset

-- name: list_templates
-- The account's live templates, as list_signatures.
SELECT id, name, content, international, status, review_reply, created_at, sms_type, remark, updated_at,
       unsubscribe_info, instruction
FROM templates
WHERE account_id = :account_id AND (:international::boolean IS NULL OR international = :international)
  AND status <> 'deleted'
  AND (cardinality(:ids::bigint[]) = 0 OR id = ANY(:ids::bigint[]))
ORDER BY id
LIMIT :limit OFFSET :offset

-- name: find_signature_by_name
-- The account's live signature of that exact name (the newest, should a resubmission share the name):
-- Alibaba's calls name a signature, never its id.
SELECT id, name, international, status, review_reply, qualification_id, created_at, remark, sign_type,
       sign_purpose, updated_at
FROM signatures
WHERE account_id = :account_id AND name = :name AND status <> 'deleted'
ORDER BY id DESC
LIMIT 1
