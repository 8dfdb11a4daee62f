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
