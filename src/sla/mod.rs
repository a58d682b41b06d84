//! Service levels. The pure core (targets, the clocks' transitions, due
//! instants, warnings and breaches) is posko-core's `sla`, re-exported here
//! so `crate::sla::Clock` keeps its path; the I/O side is in this folder:
//! [`clocks`] (the one clock-look protocol), [`life`] (clocks through a
//! ticket's life), [`notice`] (who is told, and the notice) and [`scan`]
//! (the SLA scan worker).

pub use posko_core::sla::*;

pub mod clocks;
pub mod life;
pub mod notice;
pub mod scan;
