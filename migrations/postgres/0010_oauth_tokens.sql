-- OAuth 2.0 refresh tokens of the mailboxes (issue 14, story 3), stored by
-- `posko auth login --mailbox imap|smtp` (the device-code flow) and replaced
-- when the provider rotates them. One row per mailbox ("imap", "smtp").
-- Access tokens are never stored: they live an hour and are fetched again.
CREATE TABLE oauth_tokens (
    mailbox        TEXT    PRIMARY KEY,
    refresh_token  TEXT    NOT NULL,
    updated_at     BIGINT  NOT NULL
);
