-- Issue 14, story 4: the bytes of outgoing mail move out of `outbox` into a
-- table of their own, written once when the mail is queued and read when it
-- is claimed. A claim or a mark rewrites an `outbox` row; with the ~5 KB
-- mail in it SQLite copied the row's overflow pages each time (about half
-- the pass's page writes). Now claims and marks rewrite small rows only.
-- Existing rows keep their bytes (copied here before the column goes).
CREATE TABLE outbox_raw (
    outbox_id  INTEGER PRIMARY KEY REFERENCES outbox(id),
    raw        BLOB    NOT NULL
);
INSERT INTO outbox_raw (outbox_id, raw) SELECT id, raw FROM outbox;
ALTER TABLE outbox DROP COLUMN raw;
