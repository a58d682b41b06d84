-- Issue 14, story 4 (PostgreSQL at full speed): the raw bytes of every
-- message in and out are compressed with lz4 rather than pglz when the
-- server has it (PostgreSQL 14+ built with lz4, as Debian's and PGDG's
-- are). Profiling the Maildir ingest put pglz_compress at ~11% of the
-- server's CPU; lz4 compresses several times faster at a similar ratio.
-- Rows already stored keep their compression; only new values change.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE raw_messages ALTER COLUMN raw SET COMPRESSION lz4;
        ALTER TABLE outbox ALTER COLUMN raw SET COMPRESSION lz4;
        ALTER TABLE messages ALTER COLUMN body_text SET COMPRESSION lz4;
    END IF;
END
$$;
