-- Issue 11 (speed): a survey answer's claim as a HOT update. An UPDATE
-- that changes no indexed column, and finds room on the row's own page,
-- writes the new row version beside the old one and no index entry at all
-- (a "heap-only tuple"); otherwise every index of the table gets an entry
-- for it. The claim wrote six (measured with callgrind on a PostgreSQL 15
-- backend: index insertion was over a quarter of an answer's work).
--
-- * `answered_at` is no longer indexed: only the digest's range of answers
--   read by it, and that query scans the surveys anyway (its other half
--   sums over every survey). The claim sets `answered_at`.
-- * The reminder's due index holds only rows with a reminder due, and the
--   claim no longer clears `remind_at` (the lifecycle tick clears what an
--   answer left, by this index, when it falls due:
--   `store::surveys::due_reminders`): the tick still reads only what is
--   due.
-- * The reminder token's unique index holds only surveys that have one
--   (most never do): a non-HOT update (a long comment) skips it too.
-- * Room on the page: a survey row is ~150 bytes open and about twice that
--   answered (the ratings' JSON, the comment). At fillfactor 30 a page
--   keeps room for every row on it to be answered, all in one batch
--   before the page is pruned; at 50 and 70 fewer of a batch's answers on
--   consecutive surveys were HOT (callgrind, 100 answers a transaction on
--   consecutive surveys: 384,458 instructions an answer before, 348,890
--   with the indexes alone, 339,842 / 330,671 / 295,696 at fillfactor 70 /
--   50 / 30). The table takes three times the pages; a survey is read by
--   its token's index, one page. Pages written before this migration keep
--   their fill.
DROP INDEX surveys_answered;
DROP INDEX surveys_remind;
CREATE INDEX surveys_remind ON surveys (remind_at) WHERE remind_at IS NOT NULL;
DROP INDEX surveys_reminder_token;
CREATE UNIQUE INDEX surveys_reminder_token ON surveys (reminder_token_hash)
    WHERE reminder_token_hash IS NOT NULL;
ALTER TABLE surveys SET (fillfactor = 30);
