-- Issue 14, story 4: lookups by Message-ID, Outlook conversation and
-- requester take the newest or oldest row (`ORDER BY id … LIMIT 1`,
-- `MAX(id)`). With an index on the key alone PostgreSQL, unsure how many
-- rows share a key (before the first ANALYZE, and for a key it has never
-- seen), walked the primary key instead, filtering every row: a reply whose
-- References name mail the desk does not know read the whole `messages`
-- table (7 ms at 14,000 messages, quadratic over an ingest). The key with
-- `id` after it answers each of these from the index; each replaces the
-- index on the key alone, so writes touch no more indexes than before.
-- (SQLite gets the same indexes, migrations/sqlite/0015, for one shape; its
-- indexes end with the rowid already.)
CREATE INDEX messages_message_id_id ON messages (message_id, id);
DROP INDEX messages_message_id;
CREATE INDEX messages_conversation_id ON messages (conversation, id);
DROP INDEX messages_conversation;
CREATE INDEX tickets_requester_id ON tickets (requester, id);
DROP INDEX tickets_requester;
