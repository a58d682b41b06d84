-- The managers' digest (issue 12) reads tickets by when they were recorded
-- (new in a period, the charts' days, the month's category accuracy) and
-- by when they last changed (the backlog at a past instant looks again only
-- at tickets touched since): ranges on both, not scans of every ticket.
CREATE INDEX tickets_created ON tickets(created_at);
CREATE INDEX tickets_updated ON tickets(updated_at);
