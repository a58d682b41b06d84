//! posko: an email-driven IT helpdesk daemon.
//!
//! # Which way the arrows go
//!
//! ```text
//!   main ─► cli, app ─► workers (intake, outbox, SLA scan) ─► use cases ─► store
//!                                                  │                ▲
//!                                                  └──► posko-core ◄┘
//!   config (TOML → typed values) ──────────────────────► posko-core
//! ```
//!
//! The pure cores live in their own crate, **posko-core** (`core/`): they
//! decide and never do I/O, take "now" and the configuration as typed
//! arguments, and depend on no async runtime, database driver or mail
//! transport (`scripts/test.sh` checks this with `cargo tree`). They are
//! re-exported at this crate's root, so `crate::parse::…` names the core
//! module:
//!
//! - [`parse`] turns raw bytes into an [`parse::InboundMessage`];
//!   [`autoreply`] decides whether a machine sent it; [`reply_trim`] keeps
//!   what a reply adds; [`threading`] decides which ticket it belongs to;
//!   [`participants`] who the sender is to that ticket; [`display_name`]
//!   whether the sender's name may mislead; [`budget`] what one message may
//!   cost; [`ack_policy`] whether an acknowledgment may go out.
//! - New tickets are classified by [`rules`] against the service catalogue
//!   ([`catalogue`]: groups, categories, the urgency × impact matrix).
//! - [`commands`] reads the `#assign:me #resolve` commands staff put in
//!   their replies; [`staff_auth`] decides whether a mail claiming a staff
//!   From is really theirs, with the ticket-bound, expiring tokens of
//!   [`staff_token`].
//! - [`calendar`] (business hours, holidays, time zones) and [`sla`]
//!   (targets, the clocks' transitions, due instants, warnings, breaches).
//! - [`survey`]: the satisfaction survey's questions, what a submitted
//!   form means and its score, and what a survey link may still do.
//! - [`domain`] is the leaf: ids, statuses, priorities, event and mail
//!   kinds, addresses, languages, staff, durations and sizes, field errors.
//!
//! This crate holds the I/O around them. [`config`] reads the TOML (one file
//! per section, each its raw serde type and its checks; `config/load.rs`
//! does all file reading) and turns each section into the cores' typed
//! values: cores never see [`config::Config`]. [`inbound`] reads mailboxes (IMAP, a Maildir, an
//! MTA pipe) into raw bytes; [`ingest`] is the use case that ties the cores
//! together and writes the ticket, the message, its events and any outgoing
//! mail in one database transaction ([`store`]), keeping one message's
//! failure its own ([`isolate`]). Outgoing mail is only ever a row in the
//! outbox at that point ("persist first, send later", [`outgoing`]);
//! [`outbox`] is the worker that sends due rows over SMTP ([`smtp`]) or
//! writes them as files. [`workers`] holds the intake workers. Mailboxes
//! that refuse passwords log in with OAuth 2.0 access tokens from
//! [`oauth`] (the decisions in posko-core's `oauth`).
//! [`sla`] is the SLA clocks' I/O side: [`sla::clocks`] (the one protocol
//! by which anything looks at a stored clock), [`sla::life`],
//! [`sla::notice`] and the scan worker [`sla::scan`], beside the core's
//! maths ([`sla::due`]: what falls due when). Every mail posko writes
//! comes from [`mail`]: templates with typed contexts, in Indonesian and
//! English, composed into MIME; [`digest`] is the managers' daily digest.
//! [`lifecycle`] is what follows a resolution: the survey's links, the
//! reminder and the auto-close (a tick run after each SLA scan); the
//! requester's pages are [`web::survey`].
//! [`app`] runs the workers until shutdown, with the HTTP listener
//! ([`web`]), what the daemon knows of itself ([`monitor`]), the reload on
//! SIGHUP ([`reload`]) and logging ([`telemetry`]); [`cli`] is the command
//! line and its views.
//!
//! Nothing in posko-core imports this crate; inside this crate, the use
//! cases and workers import the cores and the store, never the other way.

pub mod app;
pub mod cli;
pub mod config;
pub mod digest;
pub mod inbound;
pub mod ingest;
pub mod isolate;
pub mod lifecycle;
pub mod mail;
pub mod monitor;
pub mod oauth;
pub mod outbox;
pub mod outgoing;
pub mod reload;
pub mod sla;
pub mod smtp;
pub mod store;
pub mod telemetry;
pub mod web;
pub mod workers;

// The pure cores live in the `posko-core` crate (core/), named from the
// root like the crate's own modules (`crate::parse::…`).
pub use posko_core::{
    ack_policy, autoreply, budget, calendar, catalogue, commands, display_name, domain, language,
    parse, participants, reply_trim, rules, staff_auth, staff_token, survey, thread_index,
    threading,
};
