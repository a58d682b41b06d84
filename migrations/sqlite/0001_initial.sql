-- posko's first schema (SQLite). Times are Unix seconds (UTC) in BIGINT
-- columns, so that the same queries compare and index them on SQLite and
-- PostgreSQL alike. Booleans are 0/1 integers for the same reason.

-- Every inbound message exactly as it arrived. dedupe_key makes re-delivery
-- idempotent: a second copy of the same message is recognised here.
CREATE TABLE raw_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key  TEXT    NOT NULL UNIQUE,
    source      TEXT    NOT NULL,
    received_at BIGINT  NOT NULL,
    size        BIGINT  NOT NULL,
    raw         BLOB    NOT NULL
);

CREATE TABLE tickets (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    subject            TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    requester          TEXT    NOT NULL,
    requester_name     TEXT,
    type               TEXT,
    category           TEXT,
    urgency            TEXT,
    impact             TEXT,
    priority           BIGINT,
    group_key          TEXT,
    assignee           TEXT,
    tags               TEXT    NOT NULL DEFAULT '[]',
    major              BIGINT  NOT NULL DEFAULT 0,
    auto_kind          TEXT,
    linked_ticket_id   BIGINT REFERENCES tickets(id),
    merged_into        BIGINT REFERENCES tickets(id),
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    first_response_at  BIGINT,
    resolved_at        BIGINT,
    closed_at          BIGINT
);
CREATE INDEX tickets_status ON tickets(status);
CREATE INDEX tickets_requester ON tickets(requester);

-- Inbound and outbound messages of a ticket. message_id is the RFC 5322
-- Message-ID without angle brackets; threading looks messages up by it.
CREATE TABLE messages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id    BIGINT  NOT NULL REFERENCES tickets(id),
    raw_id       BIGINT  REFERENCES raw_messages(id),
    outbox_id    BIGINT,
    direction    TEXT    NOT NULL,
    visibility   TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    message_id   TEXT    NOT NULL,
    in_reply_to  TEXT,
    refs         TEXT,
    from_addr    TEXT    NOT NULL,
    from_name    TEXT,
    to_addrs     TEXT    NOT NULL,
    cc_addrs     TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    body_text    TEXT    NOT NULL,
    body_html    TEXT,
    quoted_text  TEXT,
    author       TEXT    NOT NULL,
    auto_kind    TEXT,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX messages_message_id ON messages(message_id);
CREATE INDEX messages_ticket ON messages(ticket_id, id);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id   BIGINT  NOT NULL REFERENCES messages(id),
    filename     TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         BIGINT  NOT NULL,
    sha256       TEXT    NOT NULL,
    content_id   TEXT
);
CREATE INDEX attachments_message ON attachments(message_id);

-- Every change to a ticket: what, who, when, from which message.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id   BIGINT  NOT NULL REFERENCES tickets(id),
    kind        TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    message_id  BIGINT  REFERENCES messages(id),
    data        TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX events_ticket ON events(ticket_id, id);
CREATE INDEX events_kind_at ON events(kind, at);

-- Outgoing mail: persisted first, sent later by the outbox worker.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id     BIGINT REFERENCES tickets(id),
    kind          TEXT    NOT NULL,
    message_id    TEXT    NOT NULL UNIQUE,
    env_from      TEXT    NOT NULL,
    rcpts         TEXT    NOT NULL,
    primary_rcpt  TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    raw           BLOB    NOT NULL,
    status        TEXT    NOT NULL,
    due_at        BIGINT  NOT NULL,
    attempts      BIGINT  NOT NULL DEFAULT 0,
    locked_until  BIGINT,
    last_error    TEXT,
    created_at    BIGINT  NOT NULL,
    sent_at       BIGINT
);
CREATE INDEX outbox_due ON outbox(status, due_at);
CREATE INDEX outbox_rcpt ON outbox(primary_rcpt, kind, created_at);

-- Where each inbound source stopped (IMAP: UIDVALIDITY and the last UID).
CREATE TABLE mailbox_state (
    source       TEXT    PRIMARY KEY,
    uidvalidity  BIGINT  NOT NULL,
    last_uid     BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);

-- Messages that could not become tickets, kept raw for the admin.
CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256      TEXT    NOT NULL UNIQUE,
    source      TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    size        BIGINT  NOT NULL,
    raw         BLOB    NOT NULL,
    truncated   BIGINT  NOT NULL DEFAULT 0,
    status      TEXT    NOT NULL DEFAULT 'held',
    received_at BIGINT  NOT NULL,
    retried_at  BIGINT
);

-- Service-level clocks (used by the SLA work): one row per ticket and kind,
-- with the next instant anything can happen indexed, so the periodic scan
-- reads only what is due.
CREATE TABLE sla_clocks (
    ticket_id       BIGINT  NOT NULL REFERENCES tickets(id),
    kind            TEXT    NOT NULL,
    target_seconds  BIGINT  NOT NULL,
    started_at      BIGINT  NOT NULL,
    due_at          BIGINT,
    paused_since    BIGINT,
    paused_seconds  BIGINT  NOT NULL DEFAULT 0,
    state           TEXT    NOT NULL,
    stopped_at      BIGINT,
    next_check_at   BIGINT,
    PRIMARY KEY (ticket_id, kind)
);
CREATE INDEX sla_clocks_next ON sla_clocks(next_check_at);

-- Satisfaction surveys sent at resolution (used by later work).
CREATE TABLE surveys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id    BIGINT  NOT NULL REFERENCES tickets(id),
    token        TEXT    NOT NULL UNIQUE,
    sent_at      BIGINT  NOT NULL,
    answered_at  BIGINT,
    score        BIGINT,
    answers      TEXT
);
