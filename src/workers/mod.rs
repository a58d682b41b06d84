//! The workers: each a public one-step function (`tick`, which tests call)
//! and a loop around it (`run`) until shutdown. [`crate::app`] builds and
//! runs them.
//!
//! - intake: [`maildir::MaildirIntake`], [`imap::ImapIntake`] — mail in,
//!   through [`crate::ingest`];
//! - the SLA scan: [`crate::escalation::Escalator`];
//! - the outbox: [`crate::outbox::Outbox`] — mail out.

pub mod maildir;

/// The IMAP intake worker (`pass`/`once` + `run`), beside its source.
pub mod imap {
    pub use crate::inbound::imap::ImapIntake;
}
