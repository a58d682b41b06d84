-- Issue 13: each requester answered in their language; Outlook threading.
--
-- The language a ticket's requester is answered in ('id', 'en'); NULL means
-- the desk's `[desk] language` (nothing in the mail said otherwise). Set
-- when the ticket opens, changed by staff with #lang.
ALTER TABLE tickets ADD COLUMN language TEXT;

-- The Outlook conversation of an inbound message: the first 22 bytes of
-- its Thread-Index, in hex. A reply that lost both the subject tag and the
-- references finds its ticket by it (from a participant only).
ALTER TABLE messages ADD COLUMN conversation TEXT;
CREATE INDEX messages_conversation ON messages(conversation);
