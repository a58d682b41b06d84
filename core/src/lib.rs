//! posko-core: the decisions posko makes, with none of its I/O.
//!
//! Everything here is a pure function of its arguments: bytes in, a parsed
//! message out ([`parse`]); a message in, "a machine sent this" out
//! ([`autoreply`]); a subject and references in, a ticket out
//! ([`threading`]); a message in, a category, priority and group out
//! ([`rules`] against the [`catalogue`]); a reply in, staff commands out
//! ([`commands`]); two instants in, the open time between them out
//! ([`calendar`]); a ticket's history in, its service-level clocks out
//! ([`sla`]); a mail in, the language its sender is answered in out
//! ([`language`]). Nothing here reads a file, a socket, a clock or the database:
//! "now" is an argument, and the configuration arrives already validated
//! as the typed values each core defines (the `posko` crate's `config`
//! turns the TOML into them).
//!
//! The leaf is [`domain`] (ids, statuses, addresses, languages, durations,
//! field errors); every other module may use it, and it uses none of them.
//! This crate depends on no async runtime, database driver or mail
//! transport, and `scripts/test.sh` checks that it stays so.

pub mod ack_policy;
pub mod autoreply;
pub mod budget;
pub mod calendar;
pub mod catalogue;
pub mod clean;
pub mod commands;
pub mod display_name;
pub mod domain;
pub mod language;
pub mod oauth;
pub mod parse;
pub mod participants;
pub mod reply_trim;
pub mod rules;
pub mod sla;
pub mod staff_auth;
pub mod staff_token;
pub mod survey;
pub mod thread_index;
pub mod threading;
