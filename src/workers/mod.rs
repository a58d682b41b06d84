//! The workers: each a public one-step function (`tick`, which tests call)
//! and a loop around it (`run`) until shutdown. [`crate::app`] builds and
//! runs them.
//!
//! - intake: [`maildir::MaildirIntake`], and IMAP's
//!   [`crate::inbound::imap::ImapIntake`] beside its source — mail in,
//!   through [`crate::ingest`];
//! - the SLA scan: [`crate::sla::scan::Escalator`];
//! - the outbox: [`crate::outbox::Outbox`] — mail out.
//!
//! [`lease::Lease`] is how several daemons on one database share work only
//! one may do at a time (reading an IMAP mailbox).

pub mod lease;
pub mod maildir;
