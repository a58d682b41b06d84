//! posko: an email-driven IT helpdesk daemon.
//!
//! Mail comes in from a mailbox (IMAP, a Maildir, or an MTA pipe) as raw bytes.
//! [`parse`] turns the bytes into an [`parse::InboundMessage`] without any I/O;
//! [`autoreply`] decides whether a machine sent it; [`threading`] decides which
//! ticket it belongs to; [`ingest`] is the use case that ties these together and
//! writes the ticket, the message, its events and any outgoing mail in one
//! database transaction. Outgoing mail is only ever a row in the outbox at that
//! point ("persist first, send later"); [`outbox`] is the worker that sends due
//! rows over SMTP or writes them as files. [`app`] runs the intake and outbox
//! workers until shutdown.
//!
//! New tickets are classified by [`rules`] against the service catalogue
//! ([`catalogue`]: groups, categories, the urgency × impact matrix), which
//! decides type, category, priority, routing and who else is alerted.
//!
//! [`commands`] reads the `#assign:me #resolve` commands staff put in their
//! replies; [`staff_auth`] decides whether a mail claiming a staff From is
//! really theirs, with the ticket-bound, expiring tokens of [`staff_token`]. Service levels rest on two more pure cores: [`calendar`]
//! (business hours, holidays, time zones: how much open time lies between two
//! instants) and [`sla`] (targets per priority and category, and the clocks'
//! transitions, due instants, warnings and breaches).
//!
//! Their I/O side is [`sla::clocks`] (the one protocol by which anything
//! looks at a stored clock), [`sla::life`], [`sla::notice`] and the scan
//! worker [`sla::scan`]; [`sla_due`] is the escalation policy's pure maths.
//! Every mail posko writes comes from [`mail`]: templates with typed
//! contexts in Indonesian and English, composed into MIME.
//!
//! The pure cores (parse, autoreply, reply_trim, threading, rules, commands,
//! calendar, sla, sla_due) take everything they need as arguments and are tested
//! directly; the I/O shells (inbound, store, outbox) are thin and tested
//! against real servers.

pub mod ack_policy;
pub mod app;
pub mod autoreply;
pub mod budget;
pub mod calendar;
pub mod catalogue;
pub mod cli;
pub mod commands;
pub mod config;
pub mod display_name;
pub mod domain;
pub mod escalation;
pub mod inbound;
pub mod ingest;
pub mod isolate;
pub mod mail;
pub mod outbox;
pub mod parse;
pub mod participants;
pub mod reply_trim;
pub mod rules;
pub mod sla;
pub mod sla_due;
pub mod staff_auth;
pub mod staff_token;
pub mod store;
pub mod telemetry;
pub mod threading;

// Old paths of the CLI's views, kept while other branches still use them.
pub use cli::{auth as auth_cli, report, rules as rules_cli, ticket_view as view};

// Old paths, kept while the house is rebuilt (issue 10).
pub use mail::compose;
pub use mail::notify;
pub use sla::life as sla_store;
