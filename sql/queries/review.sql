-- Review state changes of signatures and templates (core/store/review.py): each one a versioned update plus
-- its history row, in one transaction, so a customer's modification and an operator's decision racing on the
-- same item cannot both win.

-- name: load_signature_state
-- A signature's review state; with :account_id (not NULL), only if that account owns it.
SELECT id, account_id, status, version, urgent, international FROM signatures
WHERE id = :id AND (:account_id::bigint IS NULL OR account_id = :account_id)

-- name: load_template_state
-- A template's review state; with :account_id (not NULL), only if that account owns it.
SELECT id, account_id, status, version, urgent, international FROM templates
WHERE id = :id AND (:account_id::bigint IS NULL OR account_id = :account_id)

-- name: change_signature
-- The signature's new status if nobody changed it since it was loaded at :version; :resubmit puts it at the
-- back of the queue, :mark_urgent marks it urgent. :fields (a JSON object) holds the columns the change also
-- sets, by name; a column it does not name keeps its value. No row when the version moved.
UPDATE signatures SET
    status = :to_status, version = version + 1, updated_at = now(),
    submitted_at = CASE WHEN :resubmit THEN now() ELSE submitted_at END,
    urgent = urgent OR :mark_urgent,
    name = CASE WHEN :fields::jsonb ? 'name' THEN :fields::jsonb ->> 'name' ELSE name END,
    sign_type = CASE WHEN :fields::jsonb ? 'sign_type'
                     THEN (:fields::jsonb ->> 'sign_type')::smallint ELSE sign_type END,
    document_type = CASE WHEN :fields::jsonb ? 'document_type'
                         THEN (:fields::jsonb ->> 'document_type')::smallint ELSE document_type END,
    sign_purpose = CASE WHEN :fields::jsonb ? 'sign_purpose'
                        THEN (:fields::jsonb ->> 'sign_purpose')::smallint ELSE sign_purpose END,
    proof_document_id = CASE WHEN :fields::jsonb ? 'proof_document_id'
                             THEN (:fields::jsonb ->> 'proof_document_id')::bigint ELSE proof_document_id END,
    commission_document_id = CASE WHEN :fields::jsonb ? 'commission_document_id'
                                  THEN (:fields::jsonb ->> 'commission_document_id')::bigint
                                  ELSE commission_document_id END,
    remark = CASE WHEN :fields::jsonb ? 'remark' THEN :fields::jsonb ->> 'remark' ELSE remark END,
    qualification_id = CASE WHEN :fields::jsonb ? 'qualification_id'
                            THEN (:fields::jsonb ->> 'qualification_id')::bigint ELSE qualification_id END,
    review_reply = CASE WHEN :fields::jsonb ? 'review_reply'
                        THEN :fields::jsonb ->> 'review_reply' ELSE review_reply END
WHERE id = :id AND version = :version
RETURNING id

-- name: change_template
-- The template's new status, as change_signature.
UPDATE templates SET
    status = :to_status, version = version + 1, updated_at = now(),
    submitted_at = CASE WHEN :resubmit THEN now() ELSE submitted_at END,
    urgent = urgent OR :mark_urgent,
    name = CASE WHEN :fields::jsonb ? 'name' THEN :fields::jsonb ->> 'name' ELSE name END,
    content = CASE WHEN :fields::jsonb ? 'content' THEN :fields::jsonb ->> 'content' ELSE content END,
    sms_type = CASE WHEN :fields::jsonb ? 'sms_type'
                    THEN (:fields::jsonb ->> 'sms_type')::smallint ELSE sms_type END,
    remark = CASE WHEN :fields::jsonb ? 'remark' THEN :fields::jsonb ->> 'remark' ELSE remark END,
    unsubscribe_info = CASE WHEN :fields::jsonb ? 'unsubscribe_info'
                            THEN :fields::jsonb ->> 'unsubscribe_info' ELSE unsubscribe_info END,
    instruction = CASE WHEN :fields::jsonb ? 'instruction'
                       THEN :fields::jsonb ->> 'instruction' ELSE instruction END,
    review_reply = CASE WHEN :fields::jsonb ? 'review_reply'
                        THEN :fields::jsonb ->> 'review_reply' ELSE review_reply END
WHERE id = :id AND version = :version
RETURNING id

-- name: record_review_event
INSERT INTO review_events (item_kind, item_id, account_id, actor, action, from_status, to_status, reason)
VALUES (:item_kind, :item_id, :account_id, :actor, :action, :from_status, :to_status, :reason)

-- name: review_history
SELECT actor, action, from_status, to_status, reason, at FROM review_events
WHERE item_kind = :item_kind AND item_id = :item_id
ORDER BY id

-- name: word_list
SELECT word FROM word_lists WHERE list = :list ORDER BY word
