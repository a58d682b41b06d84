//! One message's writes, in the order the use case makes them.
//!
//! Writes are queued in a [`Script`] and sent together (one round trip to
//! SQLite instead of a dozen). Anything that needs the connection itself —
//! a read, or a store function that writes directly — goes through
//! [`Unit::conn`], which sends what is queued first: a read always sees
//! what was written before it, and rows land in the order they were made
//! (a ticket's events are its timeline).

use std::ops::{Deref, DerefMut};

use anyhow::Result;

use super::script::Script;
use super::{Backend, Conn};

/// The caller's transaction and the writes queued on it.
pub struct Unit<'c> {
    conn: &'c mut Conn,
    backend: Backend,
    queued: Script,
}

impl<'c> Unit<'c> {
    pub fn new(conn: &'c mut Conn, backend: Backend) -> Unit<'c> {
        Unit {
            conn,
            backend,
            queued: Script::new(),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection, once everything queued has been written.
    pub async fn conn(&mut self) -> Result<&mut Conn> {
        if !self.queued.is_empty() {
            std::mem::take(&mut self.queued)
                .run(self.conn, self.backend)
                .await?;
        }
        Ok(self.conn)
    }

    /// Writes what is still queued.
    pub async fn finish(mut self) -> Result<()> {
        self.conn().await?;
        Ok(())
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
