//! Mail sources. Each turns a mailbox into [`crate::ingest::Incoming`]
//! batches and, only after the batch is committed, marks the messages done
//! on its side (Maildir: `new/` → `cur/`; IMAP: flag or move, and the last
//! UID recorded). The pipe source is the `posko ingest` command.

pub mod imap;
pub mod maildir;
pub mod tls;

use crate::ingest::Outcome;

/// How many messages go into one transaction. Large enough that the
/// durable commit is paid rarely, small enough that a crash re-reads little.
pub const BATCH: usize = 200;

/// What one intake pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassStats {
    pub fetched: u32,
    pub new_tickets: u32,
    pub comments: u32,
    pub duplicates: u32,
    pub quarantined: u32,
    /// Left in the mailbox to be tried again (e.g. the database was locked).
    pub deferred: u32,
}

impl PassStats {
    pub fn count(&mut self, o: &Outcome) {
        match o {
            Outcome::NewTicket(_) => self.new_tickets += 1,
            Outcome::Comment(_) | Outcome::Answered => self.comments += 1,
            Outcome::Duplicate => self.duplicates += 1,
            Outcome::Quarantined { .. } => self.quarantined += 1,
        }
    }

    /// True when something was queued that the outbox may want to send.
    pub fn queued_mail(&self) -> bool {
        self.new_tickets + self.comments > 0
    }
}
