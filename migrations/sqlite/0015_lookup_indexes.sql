-- Issue 14, story 4: the indexes of migrations/postgres/0015_lookup_indexes.sql,
-- made here too so the two schemas keep one shape (tests/schema_parity.rs).
-- SQLite's indexes end with the rowid (`id`) already, so these answer the
-- same lookups as before: newest or oldest row of a Message-ID, an Outlook
-- conversation, a requester.
CREATE INDEX messages_message_id_id ON messages (message_id, id);
DROP INDEX messages_message_id;
CREATE INDEX messages_conversation_id ON messages (conversation, id);
DROP INDEX messages_conversation;
CREATE INDEX tickets_requester_id ON tickets (requester, id);
DROP INDEX tickets_requester;
