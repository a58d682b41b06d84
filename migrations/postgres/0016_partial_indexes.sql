-- Issue 14, story 4 (PostgreSQL at full speed): indexes on columns that
-- stay NULL for nearly every row hold only the rows that have a value.
-- `messages.conversation` is set only for mail with an Outlook Thread-Index
-- (none of the desk's own outgoing mail, two of every three rows), and
-- `tickets.auto_close_at` only while a resolved ticket waits to close; yet
-- every new row added an entry to each index (a new ticket: four of them).
-- Their readers compare the column with `=` or `<=`, which no NULL passes,
-- so PostgreSQL (and SQLite, migrations/sqlite/0016) answers them from the
-- partial index as before: `SELECT ticket_id FROM messages WHERE
-- conversation = $1 ORDER BY id DESC LIMIT 1` and `SELECT id FROM tickets
-- WHERE auto_close_at <= $1 ORDER BY auto_close_at LIMIT $2`. The names
-- stay, so the plan tests that name them still hold.
DROP INDEX messages_conversation_id;
CREATE INDEX messages_conversation_id ON messages (conversation, id)
    WHERE conversation IS NOT NULL;
DROP INDEX tickets_auto_close;
CREATE INDEX tickets_auto_close ON tickets (auto_close_at)
    WHERE auto_close_at IS NOT NULL;
