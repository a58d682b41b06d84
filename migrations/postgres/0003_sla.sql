-- Service levels (issue 5).
--
-- Whether a clock counts business hours (the desk's calendar) or wall time
-- (24x7): fixed when the clock starts, so a later change of policy or of the
-- ticket's category does not move a running clock's due time.
ALTER TABLE sla_clocks ADD COLUMN business_hours BIGINT NOT NULL DEFAULT 1;

-- Each warning, breach and escalation step of a clock, at most once: the scan
-- (and a status change that looks at the clock) inserts the mark before it
-- records the event and queues the mail, in the same transaction, so a second
-- instance or a rerun after a crash finds the mark and does nothing.
-- threshold: 'warn:0.75', 'breach', 'step:2', 'step:3', ...
CREATE TABLE sla_marks (
    ticket_id   BIGINT  NOT NULL REFERENCES tickets(id),
    kind        TEXT    NOT NULL,
    threshold   TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    PRIMARY KEY (ticket_id, kind, threshold)
);
