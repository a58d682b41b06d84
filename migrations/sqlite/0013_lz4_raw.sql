-- Issue 14, story 4: PostgreSQL compresses raw message bytes with lz4 from
-- here on (migrations/postgres/0013_lz4_raw.sql). SQLite does not compress
-- them; this migration keeps the two trees numbered alike.
SELECT 1;
