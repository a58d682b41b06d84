-- Staff work tickets by mail (PostgreSQL).

-- Watchers added with `#cc:addr`: they get the public replies of a ticket.
CREATE TABLE watchers (
    ticket_id   BIGINT  NOT NULL REFERENCES tickets(id),
    address     TEXT    NOT NULL,
    added_by    TEXT    NOT NULL,
    added_at    BIGINT  NOT NULL,
    PRIMARY KEY (ticket_id, address)
);

-- Secrets the desk makes for itself. `staff_token` keys the per-staff
-- tokens in the Reply-To of staff notices (helpdesk+<token>@…) when
-- `auth.secret_env` is not set; it is made once, here, from two random
-- UUIDs (gen_random_uuid uses a cryptographic generator), so every
-- instance sharing the database agrees.
CREATE TABLE desk_secrets (
    name        TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL
);
INSERT INTO desk_secrets (name, value)
VALUES ('staff_token', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));
