-- Leases (issue 14, several instances on one database): a named piece of
-- work that one instance at a time does, such as reading an IMAP mailbox.
-- The holder renews `expires_at` while it works; once that has passed,
-- another instance may take the lease over (a crashed holder's work is
-- resumed within one lease). Taken and renewed by one conditional upsert.
CREATE TABLE leases (
    name       TEXT    NOT NULL PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at BIGINT  NOT NULL,
    taken_at   BIGINT  NOT NULL
);
