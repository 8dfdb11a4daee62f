-- Issue 14, finding 8: API SecretKeys and AppKeys sealed at rest (AES-GCM, core/infra/crypto.py). SQL holds
-- no key, so this migration only makes room: `smsctl migrate` (and `smsctl up`) seal the plain values right
-- after applying it and clear them; `smsctl keys reencrypt` re-seals under the current key after a rotation.
-- A sealed value is text "v1:<key id>:<base64url(nonce || ciphertext)>"; the plain columns stay, NULL, until
-- a later migration drops them.
ALTER TABLE api_keys
    ADD COLUMN secret_key_sealed text,
    ALTER COLUMN secret_key DROP NOT NULL,
    ADD CONSTRAINT api_keys_secret_key_present CHECK (secret_key IS NOT NULL OR secret_key_sealed IS NOT NULL);

ALTER TABLE apps
    ADD COLUMN app_key_sealed text,
    ALTER COLUMN app_key DROP NOT NULL,
    ADD CONSTRAINT apps_app_key_present CHECK (app_key IS NOT NULL OR app_key_sealed IS NOT NULL);

-- Message numbers and rendered content sealed the same way: `phone` and `content` hold sealed values, and
-- `phone_hash` the keyed hash (HMAC, core/infra/crypto.py) of the number, for look-ups by number. `smsctl
-- migrate` seals the rows written before this migration. The two indexes on the plain number go (a sealed
-- value is different every time, so only the hash can be looked up) and ONE on the hash takes their place: a
-- hash scatters its inserts over the whole index, and one number's messages in a time window are few, so the
-- look-ups scoped to an application filter them instead of keeping a second index.
ALTER TABLE messages ADD COLUMN phone_hash bytea;
DROP INDEX messages_app_phone;
DROP INDEX messages_phone_time;
CREATE INDEX messages_phone_hash_time ON messages (phone_hash, accepted_at DESC);
