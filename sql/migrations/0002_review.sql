-- Signatures and templates as customers apply for them, the documents they upload, the review history, and
-- the operator-editable word lists used by the automatic pre-checks.

CREATE TABLE documents (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES accounts (id),
    content_type text NOT NULL,
    sha256       text NOT NULL,
    data         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_account ON documents (account_id);

ALTER TABLE signatures
    ADD COLUMN sign_type              smallint NOT NULL DEFAULT 0,
    ADD COLUMN document_type          smallint NOT NULL DEFAULT 0,
    ADD COLUMN sign_purpose           smallint NOT NULL DEFAULT 0,
    ADD COLUMN proof_document_id      bigint REFERENCES documents (id),
    ADD COLUMN commission_document_id bigint REFERENCES documents (id),
    ADD COLUMN remark                 text NOT NULL DEFAULT '',
    ADD COLUMN qualification_id       bigint NOT NULL DEFAULT 0,
    ADD COLUMN urgent                 boolean NOT NULL DEFAULT false,
    -- When it was (re)submitted: the review queue's age.
    ADD COLUMN submitted_at           timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN updated_at             timestamptz NOT NULL DEFAULT now(),
    -- Bumped by every change: a modify and a review decision racing on the same item cannot both win.
    ADD COLUMN version                integer NOT NULL DEFAULT 1;

ALTER TABLE templates
    ADD COLUMN remark       text NOT NULL DEFAULT '',
    ADD COLUMN urgent       boolean NOT NULL DEFAULT false,
    ADD COLUMN submitted_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN updated_at   timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN version      integer NOT NULL DEFAULT 1;

-- The review queue: what is waiting, oldest first (urgent ahead).
CREATE INDEX signatures_queue ON signatures (urgent DESC, submitted_at) WHERE status IN ('pending', 'reviewing');
CREATE INDEX templates_queue ON templates (urgent DESC, submitted_at) WHERE status IN ('pending', 'reviewing');

-- Every state change of a signature or template: who, when, from, to, why.
CREATE TABLE review_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_kind   text NOT NULL CHECK (item_kind IN ('signature', 'template')),
    item_id     bigint NOT NULL,
    account_id  bigint NOT NULL REFERENCES accounts (id),
    actor       text NOT NULL,
    action      text NOT NULL,
    from_status text,
    to_status   text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_events_item ON review_events (item_kind, item_id, id);

-- Word lists for the pre-checks, edited by operators: 'neutral_sign' (S4) and 'banned_template' (T6).
CREATE TABLE word_lists (
    list       text NOT NULL CHECK (list IN ('neutral_sign', 'banned_template')),
    word       text NOT NULL,
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (list, word)
);
INSERT INTO word_lists (list, word) VALUES
    ('neutral_sign', 'test'), ('neutral_sign', 'aabb'), ('neutral_sign', 'verification code'),
    ('neutral_sign', 'notification'), ('neutral_sign', 'sms'), ('neutral_sign', 'demo'),
    ('neutral_sign', '测试'), ('neutral_sign', '验证码'), ('neutral_sign', '通知'), ('neutral_sign', '短信'),
    ('banned_template', 'loan'), ('banned_template', 'payday'), ('banned_template', 'debt collection'),
    ('banned_template', 'repay your debt'), ('banned_template', 'job interview'), ('banned_template', 'we are hiring'),
    ('banned_template', 'recruitment'), ('banned_template', 'home decoration'), ('banned_template', 'renovation'),
    ('banned_template', 'join our wechat group'), ('banned_template', 'add our qq'), ('banned_template', 'wechat group'),
    ('banned_template', 'qq group'), ('banned_template', 'tutoring'), ('banned_template', 'training course'),
    ('banned_template', 'cashback'), ('banned_template', 'rebate'),
    ('banned_template', '贷款'), ('banned_template', '催收'), ('banned_template', '招聘'), ('banned_template', '面试'),
    ('banned_template', '装修'), ('banned_template', '加群'), ('banned_template', '返利'), ('banned_template', '培训');
