-- Signature qualifications and the files uploaded for them (core/store/qualifications.py). Every customer
-- query is scoped to the account: another tenant's qualification or file is simply not found.

-- name: store_upload
INSERT INTO documents (account_id, content_type, sha256, data, file_name)
VALUES (:account_id, :content_type, :sha256, :data, :file_name)
RETURNING id

-- name: owned_documents
-- Which of :ids are the account's documents.
SELECT id FROM documents WHERE account_id = :account_id AND id = ANY(:ids::bigint[])

-- name: insert_qualification
INSERT INTO qualifications (account_id, name, attr, status, company_name, company_credit_code, handler_name,
                            handler_id_number, handler_phone, manager_name, manager_id_number, manager_phone,
                            files, review_started_at)
VALUES (:account_id, :name, :attr, :status::smallint, :company_name, :company_credit_code, :handler_name,
        :handler_id_number, :handler_phone, :manager_name, :manager_id_number, :manager_phone,
        :files::jsonb, CASE WHEN :status::smallint = 1 THEN now() END)
RETURNING id

-- name: lock_qualification
-- One of the account's live qualifications, locked for a change.
SELECT status FROM qualifications WHERE id = :id AND account_id = :account_id AND NOT deleted FOR UPDATE

-- name: update_qualification
UPDATE qualifications SET
    name = :name, attr = :attr, status = :status::smallint, company_name = :company_name,
    company_credit_code = :company_credit_code, handler_name = :handler_name,
    handler_id_number = :handler_id_number, handler_phone = :handler_phone, manager_name = :manager_name,
    manager_id_number = :manager_id_number, manager_phone = :manager_phone, files = :files::jsonb,
    err_desc = '', updated_at = now(),
    review_started_at = CASE WHEN :status::smallint = 1 THEN now() ELSE NULL END, review_ended_at = NULL
WHERE id = :id AND account_id = :account_id AND NOT deleted

-- name: delete_qualifications
-- Marks the account's live qualifications among :ids deleted; returns the ids it deleted.
UPDATE qualifications SET deleted = true, updated_at = now()
WHERE account_id = :account_id AND id = ANY(:ids::bigint[]) AND NOT deleted
RETURNING id

-- name: list_qualifications
-- A page of the account's live qualifications, filtered by status and attr (NULL: any), by id or by creation.
SELECT id, account_id, name, attr, status, company_name, company_credit_code, handler_name, handler_id_number,
       handler_phone, manager_name, manager_id_number, manager_phone, files, err_desc, created_at, updated_at,
       review_started_at, review_ended_at, count(*) OVER () AS total
FROM qualifications
WHERE account_id = :account_id AND NOT deleted
  AND (:status::smallint IS NULL OR status = :status::smallint)
  AND (:attr::smallint IS NULL OR attr = :attr::smallint)
  AND (cardinality(:ids::bigint[]) = 0 OR id = ANY(:ids::bigint[]))
ORDER BY CASE WHEN :descending THEN -id ELSE id END
LIMIT :limit OFFSET :offset

-- name: approve_signature_qualification
-- The operator approved a signature: the qualification it rests on, if still under review, is approved with it.
UPDATE qualifications q SET status = 2, review_ended_at = now(), updated_at = now()
FROM signatures s
WHERE s.id = :signature_id AND q.id = s.qualification_id AND q.account_id = s.account_id AND q.status = 1

-- name: signature_qualification_documents
-- The documents of the qualification a signature rests on (its own account's only), for the reviewer.
SELECT f.key AS role, d.id, d.content_type, octet_length(d.data) AS size
FROM signatures s
JOIN qualifications q ON q.id = s.qualification_id AND q.account_id = s.account_id
CROSS JOIN LATERAL jsonb_each_text(q.files) AS f
JOIN documents d ON d.id = f.value::bigint AND d.account_id = s.account_id
WHERE s.id = :signature_id
ORDER BY f.key
