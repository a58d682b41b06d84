//! Service levels: targets per priority and category, and the clock maths.
//!
//! Each ticket has two clocks, response and resolution. A [`Clock`] is a plain
//! value that mirrors a row of `sla_clocks`; its transitions (start, pause,
//! resume, stop, reopen, retarget) and its questions (when is it due, how
//! much business time has elapsed, when must the scan look at it next, which
//! warnings and breaches fell due since the last look) are pure functions of
//! `now` and a [`Calendar`]. Instants and durations are `i64` Unix seconds
//! throughout.
//!
//! Elapsed time is business time: the calendar's open seconds since the clock
//! started, minus the business seconds it spent paused (waiting on the
//! requester). A clock is met when its elapsed time at the stop is at most the
//! target, breached otherwise; the breach notice falls due at the first second
//! past the target, so the notice and the final verdict always agree.
//!
//! The periodic scan reads only rows whose stored `next_check_at` is due. The
//! contract that makes it exactly-once: every look at a clock (a scan, or a
//! transition such as `#pending`) first takes [`Clock::crossings`] since the
//! previous look, then applies the transition, then stores the new
//! [`Clock::next_check_at`]. A delivery guarantee across instances still needs
//! a unique event per (ticket, clock, threshold) in the database.
//!
//! [`Clock::retarget`] is the one transition that can put thresholds before
//! `now` that no look has covered (a shorter target brings them forward).
//! Its caller therefore stores as the next check the first threshold since
//! the start instead, so the next scan reports what the change made due, and
//! the database's unique marks keep those the old target already reported
//! from being reported twice.
//!
//! The policy ([`SlaPolicy`]) is built from the configuration sections
//! `[[sla]]` and `[clocks]` by the `posko` crate's `config`, through
//! [`SlaPolicy::new`]; nothing here reads the file. [`due`] is the
//! escalation policy (`[escalation]`): what falls due on a clock, and when.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calendar::{ALWAYS_OPEN, Calendar};
use crate::domain::Status;
use crate::domain::parse_duration;

mod clock;
pub mod due;
mod policy;

pub use clock::{Clock, ClockKind, ClockState, Crossing};
pub use policy::{CategoryRule, SlaPolicy, Targets, default_priorities, parse_target};

pub use crate::domain::Priority;

/// The longest target accepted: a year. Longer targets are surely typos, and
/// the bound keeps every calendar walk short.
pub const MAX_TARGET_SECONDS: i64 = 366 * 86_400;

/// The warning thresholds shipped by default: 75 % of the target.
pub const DEFAULT_WARN_AT: [f64; 1] = [0.75];

#[cfg(test)]
mod tests;
