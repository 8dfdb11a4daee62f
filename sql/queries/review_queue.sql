-- The operator's side of review (core/store/review_queue.py, rules S2, S4, S7, T6): the queue of signatures
-- and templates waiting, urgent first and then oldest first; one item with its documents; the documents;
-- the word lists the automatic pre-checks read.

-- name: review_queue
-- What waits for review (pending or reviewing), signatures and templates together: urgent first, then oldest
-- submitted first. Each branch is ordered and limited on its own so it can walk its partial queue index.
-- urgent_at: when it was first marked urgent (the history knows), for its expected review time.
(SELECT 'signature' AS kind, s.id, s.account_id, a.name AS account_name, s.name, s.name AS content,
        s.status, s.urgent, s.submitted_at,
        (SELECT min(e.at) FROM review_events e WHERE e.item_kind = 'signature' AND e.item_id = s.id
           AND e.action = 'mark_urgent') AS urgent_at
 FROM signatures s JOIN accounts a ON a.id = s.account_id
 WHERE s.status IN ('pending', 'reviewing')
 ORDER BY s.urgent DESC, s.submitted_at, s.id LIMIT :limit)
UNION ALL
(SELECT 'template' AS kind, t.id, t.account_id, a.name AS account_name, t.name, t.content,
        t.status, t.urgent, t.submitted_at,
        (SELECT min(e.at) FROM review_events e WHERE e.item_kind = 'template' AND e.item_id = t.id
           AND e.action = 'mark_urgent') AS urgent_at
 FROM templates t JOIN accounts a ON a.id = t.account_id
 WHERE t.status IN ('pending', 'reviewing')
 ORDER BY t.urgent DESC, t.submitted_at, t.id LIMIT :limit)
ORDER BY urgent DESC, submitted_at, kind, id
LIMIT :limit

-- name: review_queue_signatures
-- The signatures waiting for review (a signature's content is its name).
SELECT 'signature' AS kind, s.id, s.account_id, a.name AS account_name, s.name, s.name AS content,
       s.status, s.urgent, s.submitted_at,
       (SELECT min(e.at) FROM review_events e WHERE e.item_kind = 'signature' AND e.item_id = s.id
          AND e.action = 'mark_urgent') AS urgent_at
FROM signatures s JOIN accounts a ON a.id = s.account_id
WHERE s.status IN ('pending', 'reviewing')
ORDER BY s.urgent DESC, s.submitted_at, s.id
LIMIT :limit

-- name: review_queue_templates
-- The templates waiting for review.
SELECT 'template' AS kind, t.id, t.account_id, a.name AS account_name, t.name, t.content,
       t.status, t.urgent, t.submitted_at,
       (SELECT min(e.at) FROM review_events e WHERE e.item_kind = 'template' AND e.item_id = t.id
          AND e.action = 'mark_urgent') AS urgent_at
FROM templates t JOIN accounts a ON a.id = t.account_id
WHERE t.status IN ('pending', 'reviewing')
ORDER BY t.urgent DESC, t.submitted_at, t.id
LIMIT :limit

-- name: review_signature
-- One signature with everything the reviewer needs: its owner, what was applied for, its documents' types
-- and sizes. Deleted ones too.
SELECT x.id, x.account_id, a.name AS account_name, a.kind AS account_kind, x.status, x.urgent, x.review_reply,
       x.version, x.created_at, x.submitted_at, x.updated_at,
       x.name, x.sign_type, x.document_type, x.sign_purpose, x.international, x.remark, x.qualification_id,
       x.proof_document_id, pd.content_type AS proof_content_type, octet_length(pd.data) AS proof_size,
       x.commission_document_id, cd.content_type AS commission_content_type,
       octet_length(cd.data) AS commission_size
FROM signatures x JOIN accounts a ON a.id = x.account_id
LEFT JOIN documents pd ON pd.id = x.proof_document_id
LEFT JOIN documents cd ON cd.id = x.commission_document_id
WHERE x.id = :id

-- name: review_template
-- One template with everything the reviewer needs. Deleted ones too.
SELECT x.id, x.account_id, a.name AS account_name, a.kind AS account_kind, x.status, x.urgent, x.review_reply,
       x.version, x.created_at, x.submitted_at, x.updated_at,
       x.name, x.content, x.sms_type, x.international, x.remark
FROM templates x JOIN accounts a ON a.id = x.account_id
WHERE x.id = :id

-- name: get_document
SELECT content_type, data FROM documents WHERE id = :id

-- name: add_words
-- Add words to a list; returns the ones that were not in it yet.
INSERT INTO word_lists (list, word) SELECT :list, w FROM unnest(:words::text[]) AS w
ON CONFLICT DO NOTHING
RETURNING word

-- name: remove_words
-- Remove words from a list; returns the ones that were in it.
DELETE FROM word_lists WHERE list = :list AND word = ANY(:words::text[]) RETURNING word
