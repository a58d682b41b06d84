//! One message's writes, in the order the use case makes them.
//!
//! Writes are queued in a [`Script`] and sent together (one round trip to
//! SQLite instead of a dozen). Anything that needs the connection itself —
//! a read, or a store function that writes directly — goes through
//! [`Unit::conn`], which sends what is queued first: a read always sees
//! what was written before it, and rows land in the order they were made
//! (a ticket's events are its timeline). On PostgreSQL the unit keeps what
//! it learns of the connection's prepared statements ([`Prepared`]) for
//! all its scripts — or uses the caller's, a batch's, so a reply inside a
//! batch does not ask the server for the list again.

use std::ops::{Deref, DerefMut};

use anyhow::Result;

use super::script::{Prepared, Script};
use super::{Backend, Conn};

/// The caller's transaction and the writes queued on it.
pub struct Unit<'c> {
    conn: &'c mut Conn,
    backend: Backend,
    queued: Script,
    prepared: Known<'c>,
    /// The acknowledgments of the scripts already run ([`Script::note_ack`]).
    acks: Vec<String>,
}

/// Whose record of the prepared statements the unit keeps up to date.
enum Known<'c> {
    Own(Prepared),
    Callers(&'c mut Prepared),
}

impl<'c> Unit<'c> {
    pub fn new(conn: &'c mut Conn, backend: Backend) -> Unit<'c> {
        Unit {
            conn,
            backend,
            queued: Script::new(),
            prepared: Known::Own(Prepared::default()),
            acks: Vec::new(),
        }
    }

    /// A unit that runs its scripts with the caller's record of the
    /// connection's prepared statements (one kept for a whole batch).
    pub fn with_prepared(
        conn: &'c mut Conn,
        backend: Backend,
        prepared: &'c mut Prepared,
    ) -> Unit<'c> {
        Unit {
            conn,
            backend,
            queued: Script::new(),
            prepared: Known::Callers(prepared),
            acks: Vec::new(),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection, once everything queued has been written.
    pub async fn conn(&mut self) -> Result<&mut Conn> {
        if !self.queued.is_empty() {
            self.acks.extend(self.queued.take_acks());
            let prepared = match &mut self.prepared {
                Known::Own(p) => p,
                Known::Callers(p) => &mut **p,
            };
            std::mem::take(&mut self.queued)
                .run_with(self.conn, self.backend, prepared)
                .await?;
        }
        Ok(self.conn)
    }

    /// Writes what is still queued; the primary recipients of the
    /// acknowledgments the unit queued, one entry each
    /// ([`Script::note_ack`]).
    pub async fn finish(mut self) -> Result<Vec<String>> {
        self.conn().await?;
        self.acks.extend(self.queued.take_acks());
        Ok(self.acks)
    }

    /// [`Unit::finish`] without the last write: the writes still queued
    /// are handed back unsent, for the caller to send on the same
    /// connection before anything reads them (a batch sends them with the
    /// next messages' writes, so the server writes them while those are
    /// built rather than both waiting on a round trip). Also the primary
    /// recipients of every acknowledgment the unit queued, sent or not.
    pub fn defer(mut self) -> (Script, Vec<String>) {
        self.acks.extend(self.queued.take_acks());
        (self.queued, self.acks)
    }
}

/// Writes are queued by passing the unit where a [`Script`] is taken.
impl Deref for Unit<'_> {
    type Target = Script;
    fn deref(&self) -> &Script {
        &self.queued
    }
}

impl DerefMut for Unit<'_> {
    fn deref_mut(&mut self) -> &mut Script {
        &mut self.queued
    }
}
