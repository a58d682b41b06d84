//! The managers' daily digest: the state of the desk in one mail.
//!
//! [`figures`] holds every number the digest shows; the database fills it in
//! ([`crate::store::digest`], aggregating in SQL from events, clocks and
//! tickets, so any past day can be recomputed). The rest is pure:
//! [`period`] decides which days a digest covers, [`problems`] groups
//! recurring incidents into problem candidates, [`sections`] turns figures
//! into the typed context of the templates, [`render`] renders them (text
//! and HTML, Indonesian and English) and [`chart`] draws the PNG charts.
//! [`config`] is the `[digest]` section; [`send`] is the daemon's worker
//! that queues each day's digest once per recipient.

pub mod chart;
pub mod collect;
pub mod config;
pub mod figures;
pub mod mail;
pub mod make;
pub mod period;
pub mod problems;
pub mod render;
pub mod sections;
pub mod send;

#[cfg(test)]
mod tests;
