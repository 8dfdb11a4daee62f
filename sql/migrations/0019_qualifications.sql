-- Signature qualifications (UCloud USMS, issue 16): the set of documents a signature's review uses, and the files
-- customers upload for them. An uploaded file is a `documents` row (bytes, media type, account), so the
-- operator's review serves it like any signature document; it keeps the name it was uploaded under.
ALTER TABLE documents ADD COLUMN file_name text NOT NULL DEFAULT '';

CREATE TABLE qualifications (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id        bigint NOT NULL REFERENCES accounts (id),
    name              text NOT NULL,
    -- 0 the account's own, 1 a third party's.
    attr              smallint NOT NULL CHECK (attr IN (0, 1)),
    -- 0 draft, 1 under review, 2 approved, 3 rejected, 4 disabled.
    status            smallint NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 4),
    deleted           boolean NOT NULL DEFAULT false,
    company_name      text NOT NULL DEFAULT '',
    company_credit_code text NOT NULL DEFAULT '',
    handler_name      text NOT NULL DEFAULT '',
    handler_id_number text NOT NULL DEFAULT '',
    handler_phone     text NOT NULL DEFAULT '',
    manager_name      text NOT NULL DEFAULT '',
    manager_id_number text NOT NULL DEFAULT '',
    manager_phone     text NOT NULL DEFAULT '',
    -- Which uploaded document plays which part: {"company_certificate": <documents.id>, ...}.
    files             jsonb NOT NULL DEFAULT '{}',
    err_desc          text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    review_started_at timestamptz,
    review_ended_at   timestamptz
);
CREATE INDEX qualifications_account ON qualifications (account_id, id) WHERE NOT deleted;

-- UCloud's templates carry an unsubscribe instruction and a note for the reviewer of their own.
ALTER TABLE templates
    ADD COLUMN unsubscribe_info text NOT NULL DEFAULT '',
    ADD COLUMN instruction      text NOT NULL DEFAULT '';
