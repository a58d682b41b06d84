-- Closing the loop (issue 11): one survey row per resolution. The link in
-- the resolution mail carries a random token; only its SHA-256 (hex) is
-- stored, so a copy of the database cannot answer anyone's survey. The same
-- token opens the survey, confirm and reopen pages of that resolution.
-- The table had no rows before this migration (schema only), so it is
-- rebuilt rather than altered.
DROP TABLE surveys;
CREATE TABLE surveys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id    BIGINT  NOT NULL REFERENCES tickets(id),
    token_hash   TEXT    NOT NULL UNIQUE,
    -- 'open' (links work), 'answered' (survey submitted), 'superseded'
    -- (the ticket was reopened or re-resolved: the link is dead).
    state        TEXT    NOT NULL,
    language     TEXT    NOT NULL,
    sent_at      BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    -- When the one reminder falls due; NULL once sent, or when reminders
    -- are off. The lifecycle tick reads only rows due by this index.
    remind_at    BIGINT,
    reminded_at  BIGINT,
    answered_at  BIGINT,
    -- JSON object {question key: 1..5}; the free text apart. `score` is
    -- the one figure the digest and reports average: the `overall`
    -- question's rating, else the rounded mean of the ratings given.
    ratings      TEXT,
    score        BIGINT,
    comment      TEXT
);
CREATE INDEX surveys_ticket ON surveys(ticket_id);
CREATE INDEX surveys_remind ON surveys(remind_at);
CREATE INDEX surveys_answered ON surveys(answered_at);

-- When a resolved ticket closes by itself (NULL: not resolved, or
-- auto-close is off), and who closed it: 'requester', 'staff' or 'auto'.
ALTER TABLE tickets ADD COLUMN auto_close_at BIGINT;
ALTER TABLE tickets ADD COLUMN closed_by TEXT;
CREATE INDEX tickets_auto_close ON tickets(auto_close_at);
