-- Keys of the staff tokens (issue 9), kept in the database unless
-- `auth.secret_env` names them. Several at once, so a key can be replaced
-- without breaking replies to recent notices (`posko auth rotate-key`): the
-- newest key not retired signs new tokens; a retired one still verifies the
-- tokens it signed until they expire (retired_at + auth.token_lifetime),
-- then it is deleted. `secret` is random (gen_random_uuid uses a
-- cryptographic generator); every instance sharing the database uses the
-- same keys.
--
-- The single key of 0002 (`desk_secrets.staff_token`) signed tokens that
-- never expired and were good on every ticket; it is not carried over, so
-- none of those addresses proves anything any more.
CREATE TABLE staff_keys (
    secret      TEXT    PRIMARY KEY,
    created_at  BIGINT  NOT NULL,
    retired_at  BIGINT
);
INSERT INTO staff_keys (secret, created_at)
VALUES (replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 0);
DELETE FROM desk_secrets WHERE name = 'staff_token';
