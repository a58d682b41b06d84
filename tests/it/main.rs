//! The integration suite: one binary, real servers on loopback.
//!
//! Each test starts its own Dovecot and SMTP sink (see `harness::mailstack`),
//! a fresh SQLite file or PostgreSQL database, and drives the real `posko`
//! binary against them.

mod admin;
mod classify;
mod config_path;
mod corpus;
mod crash;
mod delivery;
mod digest;
mod fleet;
mod fleet_lease;
mod harness;
mod hostile;
mod intake;
mod language;
mod mailstack_smoke;
mod monitor;
mod oauth;
mod outbox_batch;
mod outbox_raw;
mod outsider;
mod pg_parity;
mod pipeline;
mod refused;
mod reply_reading;
mod show;
mod sla;
mod smtp_stall;
mod staff;
mod staff_tokens;
mod survey;
mod surveys;
