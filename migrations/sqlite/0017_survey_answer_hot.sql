-- Issue 11 (speed): the index changes of
-- migrations/postgres/0017_survey_answer_hot.sql, made here too so the two
-- schemas keep one shape (tests/schema_parity.rs). SQLite has no HOT
-- updates nor fillfactor, but an answer's claim still writes fewer index
-- entries: `answered_at` is no longer indexed, and the reminder's due index
-- and the reminder token's index hold only the rows that have one.
DROP INDEX surveys_answered;
DROP INDEX surveys_remind;
CREATE INDEX surveys_remind ON surveys (remind_at) WHERE remind_at IS NOT NULL;
DROP INDEX surveys_reminder_token;
CREATE UNIQUE INDEX surveys_reminder_token ON surveys (reminder_token_hash)
    WHERE reminder_token_hash IS NOT NULL;
