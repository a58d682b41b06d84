-- Issue 14, story 4: the partial indexes of
-- migrations/postgres/0016_partial_indexes.sql, here too so the two schemas
-- keep one shape (tests/schema_parity.rs). SQLite uses an index `WHERE c IS
-- NOT NULL` for a query that compares `c` with `=` or `<=` (its planner
-- knows such a comparison is false for NULL), so the readers are answered
-- from these as before, and a new row without a value adds no entry.
DROP INDEX messages_conversation_id;
CREATE INDEX messages_conversation_id ON messages (conversation, id)
    WHERE conversation IS NOT NULL;
DROP INDEX tickets_auto_close;
CREATE INDEX tickets_auto_close ON tickets (auto_close_at)
    WHERE auto_close_at IS NOT NULL;
