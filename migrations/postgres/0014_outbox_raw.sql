-- Issue 14, story 4: the bytes of outgoing mail move out of `outbox` into a
-- table of their own (as on SQLite: migrations/sqlite/0014_outbox_raw.sql),
-- written once when the mail is queued and read when it is claimed. A claim
-- or a mark then writes a new version of a small row only; the bytes stay
-- where they are (TOAST, lz4 where the server has it, as 0013 set).
CREATE TABLE outbox_raw (
    outbox_id  BIGINT  PRIMARY KEY REFERENCES outbox(id),
    raw        BYTEA   NOT NULL
);
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE outbox_raw ALTER COLUMN raw SET COMPRESSION lz4;
    END IF;
END
$$;
INSERT INTO outbox_raw (outbox_id, raw) SELECT id, raw FROM outbox;
ALTER TABLE outbox DROP COLUMN raw;
