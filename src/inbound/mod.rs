//! Mail sources. Each turns a mailbox into [`crate::ingest::Incoming`]
//! batches and, only after the batch is committed, marks the messages done
//! on its side (Maildir: `new/` → `cur/`; IMAP: flag or move, and the last
//! UID recorded). The pipe source is the `posko ingest` command.

pub mod imap;
mod imap_auth;
mod imap_check;
mod imap_conn;
mod imap_run;
pub mod maildir;
pub mod tls;

use crate::ingest::Outcome;

/// How many messages go into one transaction. Large enough that the
/// durable commit is paid rarely, small enough that a crash re-reads little.
/// Each batch also costs its reads before the first message (on
/// PostgreSQL seven round trips, the server idle between them) and a
/// pipeline that starts empty: 200 messages a transaction (100 from a
/// Maildir) left a tenth of the PostgreSQL ingest there (issue 14, story 4).
pub const BATCH: usize = 400;

/// How many bytes of mail are read into memory at once: a batch of 200
/// messages near the size limit would otherwise be gigabytes.
pub const BATCH_BYTES: u64 = 16 * 1024 * 1024;

/// Splits messages of `sizes` (bytes, in order) into consecutive batches of
/// at most [`BATCH`] messages and [`BATCH_BYTES`] bytes (a larger message is
/// a batch of its own); the number of messages in each.
pub fn batches(sizes: impl IntoIterator<Item = u64>) -> Vec<usize> {
    split(sizes, BATCH, BATCH_BYTES)
}

/// [`batches`] for a source that reads one batch ahead (the Maildir: the
/// next batch is read and parsed while one is written and committed): half
/// as large, so that the two in memory at once stay within [`BATCH`]
/// messages and [`BATCH_BYTES`] bytes (but for a single message larger
/// than half of that, which is a batch of its own).
pub fn half_batches(sizes: impl IntoIterator<Item = u64>) -> Vec<usize> {
    split(sizes, BATCH / 2, BATCH_BYTES / 2)
}

fn split(sizes: impl IntoIterator<Item = u64>, most: usize, most_bytes: u64) -> Vec<usize> {
    let mut out = Vec::new();
    let (mut n, mut bytes) = (0usize, 0u64);
    for size in sizes {
        if n > 0 && (n == most || bytes + size > most_bytes) {
            out.push(n);
            (n, bytes) = (0, 0);
        }
        n += 1;
        bytes += size;
    }
    if n > 0 {
        out.push(n);
    }
    out
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_bounded_in_count_and_bytes() {
        assert_eq!(batches([]), Vec::<usize>::new());
        assert_eq!(batches(vec![1000; 850]), vec![400, 400, 50]);
        let mb = 1 << 20;
        assert_eq!(batches(vec![6 * mb; 5]), vec![2, 2, 1]);
        assert_eq!(batches([mb, 40 * mb, mb, mb]), vec![1, 1, 2]);
        assert_eq!(half_batches(vec![1000; 450]), vec![200, 200, 50]);
        assert_eq!(half_batches(vec![3 * mb; 5]), vec![2, 2, 1]);
        assert_eq!(half_batches([mb, 40 * mb, mb]), vec![1, 1, 1]);
    }
}
