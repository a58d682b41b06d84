-- The survey reminder (issue 11) carries working links, but only hashes of
-- tokens are stored: the reminder mints a second token for the same
-- survey and keeps its hash here. Either token opens the survey's pages.
ALTER TABLE surveys ADD COLUMN reminder_token_hash TEXT;
CREATE UNIQUE INDEX surveys_reminder_token ON surveys(reminder_token_hash);
