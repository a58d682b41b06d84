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
//! The policy ([`SlaPolicy`]) and the warning thresholds ([`Escalation`]) come
//! from the configuration sections `[[sla]]`, `[clocks]` and `[escalation]`;
//! their raw serde structs live here so `config.rs` wires each in one line.

// The I/O side of service levels lives in `src/sla/` (issue 10).
pub mod clocks;
pub mod life;
pub mod notice;
pub mod scan;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calendar::{ALWAYS_OPEN, Calendar};
use crate::config::{ConfigError, parse_duration};
use crate::domain::Status;

/// A ticket's priority: 1 is the most urgent. The level set is configuration.
pub type Priority = u8;

/// The longest target accepted: a year. Longer targets are surely typos, and
/// the bound keeps every calendar walk short.
pub const MAX_TARGET_SECONDS: i64 = 366 * 86_400;

/// The warning thresholds shipped by default: 75 % of the target.
pub const DEFAULT_WARN_AT: [f64; 1] = [0.75];

// ---------------------------------------------------------------------------
// Targets and policy.

/// The two targets that apply to one ticket, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Targets {
    pub response: i64,
    pub resolution: i64,
    /// Counted in the business calendar; `false` means around the clock.
    pub business_hours: bool,
}

impl Targets {
    /// The target of one clock.
    pub fn target(&self, kind: ClockKind) -> i64 {
        match kind {
            ClockKind::Response => self.response,
            ClockKind::Resolution => self.resolution,
        }
    }

    /// The calendar these targets are counted in: the desk's business
    /// calendar, or 24×7.
    pub fn calendar<'a>(&self, business: &'a Calendar) -> &'a Calendar {
        if self.business_hours {
            business
        } else {
            &ALWAYS_OPEN
        }
    }
}

/// A per-category override from the service catalogue. Fields left out fall
/// back to the ticket's priority targets.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CategoryRule {
    /// Lower-cased, so "Incident-Network" and "incident-network" match.
    category: String,
    /// Only for this priority; `None` for every priority.
    priority: Option<Priority>,
    response: Option<i64>,
    resolution: Option<i64>,
    business_hours: Option<bool>,
}

/// Which targets apply to which ticket, and which statuses pause the clocks.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaPolicy {
    priorities: BTreeMap<Priority, Targets>,
    categories: Vec<CategoryRule>,
    pause_on: Vec<Status>,
}

impl Default for SlaPolicy {
    /// The city SOP's table, in business hours, pausing while `pending`:
    ///
    /// | priority | response | resolution |
    /// |---|---|---|
    /// | 1 high   | 10 min | 8 h  |
    /// | 2 medium | 1 h    | 24 h |
    /// | 3 low    | 4 h    | 48 h |
    fn default() -> SlaPolicy {
        SlaPolicy {
            priorities: default_priorities(),
            categories: Vec::new(),
            pause_on: vec![Status::Pending],
        }
    }
}

fn default_priorities() -> BTreeMap<Priority, Targets> {
    const MIN: i64 = 60;
    const HOUR: i64 = 3600;
    let t = |response, resolution| Targets {
        response,
        resolution,
        business_hours: true,
    };
    BTreeMap::from([
        (1, t(10 * MIN, 8 * HOUR)),
        (2, t(HOUR, 24 * HOUR)),
        (3, t(4 * HOUR, 48 * HOUR)),
    ])
}

impl SlaPolicy {
    /// The targets of a ticket with this priority and category: a rule for
    /// the category and this priority wins over a rule for the category alone,
    /// which wins over the priority's targets. `None` when no complete pair of
    /// targets applies (then the ticket has no clocks).
    pub fn targets(&self, priority: Priority, category: Option<&str>) -> Option<Targets> {
        let base = self.priorities.get(&priority);
        let rule = category.and_then(|c| {
            let c = c.trim().to_lowercase();
            let mut matching = self.categories.iter().filter(|r| r.category == c);
            matching
                .clone()
                .find(|r| r.priority == Some(priority))
                .or_else(|| matching.find(|r| r.priority.is_none()))
        });
        match (rule, base) {
            (None, base) => base.copied(),
            (Some(r), base) => Some(Targets {
                response: r.response.or(base.map(|b| b.response))?,
                resolution: r.resolution.or(base.map(|b| b.resolution))?,
                business_hours: r
                    .business_hours
                    .or(base.map(|b| b.business_hours))
                    .unwrap_or(true),
            }),
        }
    }

    /// Does a ticket in this status pause its clocks?
    pub fn pauses(&self, status: Status) -> bool {
        self.pause_on.contains(&status)
    }

    /// Adds the service catalogue's per-category targets (`response` and
    /// `resolution` on a `[[category]]`) as overrides for every priority.
    /// An `[[sla]]` entry for the same category (and no priority) wins for
    /// the targets it sets; the catalogue fills in the ones it leaves out.
    pub fn with_catalogue_targets(
        mut self,
        entries: impl IntoIterator<Item = (String, Option<i64>, Option<i64>)>,
    ) -> SlaPolicy {
        for (category, response, resolution) in entries {
            if response.is_none() && resolution.is_none() {
                continue;
            }
            let category = category.trim().to_lowercase();
            match self
                .categories
                .iter_mut()
                .find(|r| r.category == category && r.priority.is_none())
            {
                Some(r) => {
                    r.response = r.response.or(response);
                    r.resolution = r.resolution.or(resolution);
                }
                None => self.categories.push(CategoryRule {
                    category,
                    priority: None,
                    response,
                    resolution,
                    business_hours: None,
                }),
            }
        }
        self
    }

    /// The priorities that have targets, most urgent first.
    pub fn priorities(&self) -> impl Iterator<Item = (Priority, Targets)> + '_ {
        self.priorities.iter().map(|(p, t)| (*p, *t))
    }
}

/// Parses a target: a duration such as `"10m"`, `"8h"`, `"1h30m"`, or the
/// SOP's working-day notation `"NxD"`: N working days of D each, so `"3x8h"`
/// is 24 business hours (and `"1 × 8h"` is accepted too). Must be positive
/// and at most [`MAX_TARGET_SECONDS`].
pub fn parse_target(value: &str) -> Result<i64, String> {
    let v = value.trim();
    let lower = v.to_lowercase().replace('×', "x");
    let seconds = match lower.split_once('x') {
        Some((days, day)) => {
            let n: i64 = days.trim().parse().map_err(|_| {
                format!("{value:?}: write working days as \"3x8h\" (days × hours per day)")
            })?;
            let d = parse_duration(day).map_err(|e| format!("{value:?}: {e}"))?;
            n.saturating_mul(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        }
        None => i64::try_from(parse_duration(v)?.as_secs()).unwrap_or(i64::MAX),
    };
    if seconds <= 0 {
        return Err(format!("{value:?}: a target must be longer than zero"));
    }
    if seconds > MAX_TARGET_SECONDS {
        return Err(format!("{value:?}: a target may be at most a year"));
    }
    Ok(seconds)
}

// ---------------------------------------------------------------------------
// Warning thresholds.

/// When warnings go out, as fractions of the target, ascending; each strictly
/// between 0 and 1. The breach at 100 % is always there and not listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub warn_at: Vec<f64>,
}

impl Default for Escalation {
    fn default() -> Escalation {
        Escalation {
            warn_at: DEFAULT_WARN_AT.to_vec(),
        }
    }
}

// ---------------------------------------------------------------------------
// Clocks.

/// Which of a ticket's two clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// Until staff first handle the ticket.
    Response,
    /// Until the service is back to normal.
    Resolution,
}

impl ClockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::Response => "response",
            ClockKind::Resolution => "resolution",
        }
    }

    pub fn parse(s: &str) -> Option<ClockKind> {
        match s {
            "response" => Some(ClockKind::Response),
            "resolution" => Some(ClockKind::Resolution),
            _ => None,
        }
    }
}

/// Where a clock stands. The names are part of the JSON interface and of the
/// `sla_clocks.state` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Running,
    Paused,
    /// Stopped within the target.
    Met,
    /// Stopped after the target.
    Breached,
}

impl ClockState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::Running => "running",
            ClockState::Paused => "paused",
            ClockState::Met => "met",
            ClockState::Breached => "breached",
        }
    }

    pub fn parse(s: &str) -> Option<ClockState> {
        Some(match s {
            "running" => ClockState::Running,
            "paused" => ClockState::Paused,
            "met" => ClockState::Met,
            "breached" => ClockState::Breached,
            _ => return None,
        })
    }

    /// Met or breached: the clock no longer runs.
    pub fn is_stopped(self) -> bool {
        matches!(self, ClockState::Met | ClockState::Breached)
    }
}

/// Something a scan must act on: a warning or the breach, and the instant it
/// fell due.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Crossing {
    /// Elapsed business time reached `fraction` of the target.
    Warning { fraction: f64, at: i64 },
    /// Elapsed business time went past the target.
    Breach { at: i64 },
}

impl Crossing {
    /// The instant it fell due.
    pub fn at(&self) -> i64 {
        match *self {
            Crossing::Warning { at, .. } | Crossing::Breach { at } => at,
        }
    }
}

/// One SLA clock: the fields of an `sla_clocks` row except the derived
/// `due_at` and `next_check_at`, which [`Clock::due_at`] and
/// [`Clock::next_check_at`] compute for storage.
///
/// Transitions take and return the value; one that does not apply (pausing a
/// paused clock, resuming a running one, stopping a stopped one) returns it
/// unchanged, because staff commands arrive by mail and may well come twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Clock {
    pub target_seconds: i64,
    /// When the ticket was recorded; business time counts from the first
    /// opening at or after it.
    pub started_at: i64,
    /// Set while paused.
    pub paused_since: Option<i64>,
    /// Business seconds spent in completed pauses (and between a stop and a
    /// reopen); the current pause is not included.
    pub paused_seconds: i64,
    pub state: ClockState,
    /// Set once met or breached.
    pub stopped_at: Option<i64>,
}

impl Clock {
    /// A running clock for `target_seconds`, started when the ticket was
    /// recorded at `now`.
    pub fn start(target_seconds: i64, now: i64) -> Clock {
        Clock {
            target_seconds,
            started_at: now,
            paused_since: None,
            paused_seconds: 0,
            state: ClockState::Running,
            stopped_at: None,
        }
    }

    /// Stops counting (the ticket waits on the requester).
    pub fn pause(self, now: i64) -> Clock {
        if self.state != ClockState::Running {
            return self;
        }
        Clock {
            state: ClockState::Paused,
            paused_since: Some(now.max(self.started_at)),
            ..self
        }
    }

    /// Counts again; the business time of the pause is set aside.
    pub fn resume(self, now: i64, cal: &Calendar) -> Clock {
        let Some(since) = self
            .paused_since
            .filter(|_| self.state == ClockState::Paused)
        else {
            return self;
        };
        Clock {
            state: ClockState::Running,
            paused_since: None,
            paused_seconds: self.paused_seconds + cal.business_between(since, now),
            ..self
        }
    }

    /// Stops the clock for good: met when the elapsed business time is within
    /// the target, breached otherwise. A paused clock stops with the time it
    /// had when it paused.
    pub fn stop(self, now: i64, cal: &Calendar) -> Clock {
        if self.state.is_stopped() {
            return self;
        }
        let now = now.max(self.started_at);
        // Folding a pause in first keeps `elapsed` a single formula for
        // stopped clocks: business time to the stop, minus all pauses.
        let running = self.resume(now, cal);
        let elapsed = running.elapsed(now, cal);
        Clock {
            state: if elapsed <= self.target_seconds {
                ClockState::Met
            } else {
                ClockState::Breached
            },
            stopped_at: Some(now),
            ..running
        }
    }

    /// Runs a stopped clock again (the ticket was reopened); the time it was
    /// stopped does not count. Warnings and the breach already past do not
    /// fall due again, because their instants lie before `now`.
    pub fn reopen(self, now: i64, cal: &Calendar) -> Clock {
        let Some(stopped) = self.stopped_at.filter(|_| self.state.is_stopped()) else {
            return self;
        };
        Clock {
            state: ClockState::Running,
            stopped_at: None,
            paused_seconds: self.paused_seconds + cal.business_between(stopped, now),
            ..self
        }
    }

    /// Counts the clock against a new target, because the ticket's priority
    /// or category changed: as if the new target had applied since the
    /// ticket was recorded. The business time already counted stays
    /// counted, a pause stays a pause, and from `now` on the clock counts in
    /// `to`, the calendar of the new targets (`from` is the one it counted
    /// in so far). A stopped clock keeps its verdict and is returned
    /// unchanged.
    ///
    /// Elapsed time is calendar time since the start minus the pauses, so
    /// keeping it while the calendar changes means setting aside whatever
    /// `to` counts beyond it. Moving from 24×7 to business hours can leave
    /// less business time since the start than was counted; the clock then
    /// keeps all of that time (nothing set aside) rather than counting time
    /// that the new calendar never had.
    pub fn retarget(self, target_seconds: i64, now: i64, from: &Calendar, to: &Calendar) -> Clock {
        if self.state.is_stopped() {
            return self;
        }
        let elapsed = self.elapsed(now, from);
        let counted = to.business_between(self.started_at, self.counted_until(now));
        Clock {
            target_seconds,
            paused_seconds: (counted - elapsed).max(0),
            ..self
        }
    }

    /// Business seconds counted against the target, as of `now`.
    pub fn elapsed(&self, now: i64, cal: &Calendar) -> i64 {
        let end = self.counted_until(now);
        (cal.business_between(self.started_at, end) - self.paused_seconds).max(0)
    }

    /// The instant up to which the clock has counted, as of `now`: `now`
    /// while running, the start of the pause or the stop otherwise.
    fn counted_until(&self, now: i64) -> i64 {
        match self.state {
            ClockState::Running => now,
            ClockState::Paused => self.paused_since.unwrap_or(now).min(now),
            ClockState::Met | ClockState::Breached => self.stopped_at.unwrap_or(now),
        }
    }

    /// Business seconds spent paused, including a pause still going on.
    pub fn paused_total(&self, now: i64, cal: &Calendar) -> i64 {
        let current = match (self.state, self.paused_since) {
            (ClockState::Paused, Some(since)) => cal.business_between(since, now),
            _ => 0,
        };
        self.paused_seconds + current
    }

    /// When the target runs out: the last instant at which the clock is still
    /// within it. `None` while paused, since it depends on when the pause
    /// ends. For a stopped clock, the due instant it had when it stopped.
    pub fn due_at(&self, cal: &Calendar) -> Option<i64> {
        match self.state {
            ClockState::Paused => None,
            _ => Some(self.instant_of(self.target_seconds, cal)),
        }
    }

    /// The state to show at `now`: like [`Clock::state`], except that a
    /// running clock already past its target shows as breached.
    pub fn state_at(&self, now: i64, cal: &Calendar) -> ClockState {
        match self.state {
            ClockState::Running if self.elapsed(now, cal) > self.target_seconds => {
                ClockState::Breached
            }
            state => state,
        }
    }

    /// The next instant after `after` at which a warning or the breach falls
    /// due: what the scan stores as `next_check_at`. `None` when nothing can
    /// happen without a transition first (paused, stopped, or already past
    /// the breach).
    pub fn next_check_at(&self, cal: &Calendar, warn_at: &[f64], after: i64) -> Option<i64> {
        if self.state != ClockState::Running {
            return None;
        }
        self.thresholds(cal, warn_at)
            .into_iter()
            .map(|c| c.at())
            .find(|&at| at > after)
    }

    /// The warnings and breach that fell due in `(after, upto]`, in order.
    ///
    /// `after` is the instant of the previous look at this clock: the scan or
    /// the transition (start, resume, reopen) that last computed its
    /// `next_check_at`; `upto` is `now`. Consecutive looks then cover time
    /// without gaps or overlaps, so each crossing is reported once. Since
    /// nothing falls due between that look and the `next_check_at` it stored,
    /// a scan that keeps only the row may pass `after = next_check_at - 1`.
    /// A paused clock reports only what fell due before it paused; a stopped
    /// clock reports nothing (its state is the record).
    pub fn crossings(
        &self,
        cal: &Calendar,
        warn_at: &[f64],
        after: i64,
        upto: i64,
    ) -> Vec<Crossing> {
        let upto = match (self.state, self.paused_since) {
            (ClockState::Running, _) => upto,
            (ClockState::Paused, Some(since)) => upto.min(since),
            _ => return Vec::new(),
        };
        self.thresholds(cal, warn_at)
            .into_iter()
            .filter(|c| c.at() > after && c.at() <= upto)
            .collect()
    }

    /// Every threshold with its instant, in order, valid for the current
    /// running stretch. An instant is where elapsed time reaches the amount,
    /// so with the pauses so far set aside it is `add(started, amount +
    /// paused)`; amounts passed before the last pause map to instants at or
    /// before the resume, hence never after a later `after`.
    fn thresholds(&self, cal: &Calendar, warn_at: &[f64]) -> Vec<Crossing> {
        let target = self.target_seconds;
        let mut out: Vec<Crossing> = warn_at
            .iter()
            .map(|&fraction| {
                // Round up: a warning at 75 % of 10 s is due at 8 s, never early.
                let amount = (target as f64 * fraction).ceil() as i64;
                Crossing::Warning {
                    fraction,
                    at: self.instant_of(amount, cal),
                }
            })
            .collect();
        // Breached means elapsed > target: the first whole second past it.
        out.push(Crossing::Breach {
            at: self.instant_of(target + 1, cal),
        });
        out.sort_by_key(Crossing::at);
        out
    }

    /// The instant at which elapsed business time reaches `amount`.
    fn instant_of(&self, amount: i64, cal: &Calendar) -> i64 {
        cal.add_business(self.started_at, amount + self.paused_seconds)
    }
}

// ---------------------------------------------------------------------------
// Configuration: `[[sla]]`, `[clocks]`, `[escalation]`.

/// One `[[sla]]` entry as written in the file:
///
/// ```toml
/// [[sla]]
/// priority = 1
/// response = "10m"
/// resolution = "8h"            # or "1x8h"
/// business_hours = true        # false: 24x7
///
/// [[sla]]                      # a service-catalogue override
/// category = "Incident-Network"
/// resolution = "3x8h"          # response: from the priority
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSla {
    pub priority: Option<Priority>,
    pub category: Option<String>,
    pub response: Option<String>,
    pub resolution: Option<String>,
    pub business_hours: Option<bool>,
}

/// The `[[sla]]` array; empty means the city SOP's table.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct RawSlaTable(pub Vec<RawSla>);

/// `[clocks]`: which statuses pause the clocks.
///
/// ```toml
/// [clocks]
/// pause_on = ["pending"]
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClocks {
    /// Default `["pending"]`; `[]` never pauses.
    pub pause_on: Option<Vec<String>>,
}

/// `[escalation]`: warning thresholds.
///
/// ```toml
/// [escalation]
/// warn_at = [0.75]
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEscalation {
    /// Fractions of the target; default `[0.75]`; `[]` sends no warnings.
    pub warn_at: Option<Vec<f64>>,
    /// Who a breach climbs to, step by step (see [`crate::escalation`]);
    /// validated with the staff list in `config.rs`.
    pub chain: Option<Vec<String>>,
    /// Each further step after another `every` × target of business time.
    pub every: Option<f64>,
    /// How often the daemon scans for due clocks, e.g. `"30s"`.
    pub scan_interval: Option<String>,
}

fn config_err(file: &str, key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        file: file.to_string(),
        key: key.into(),
        reason: reason.into(),
    }
}

impl RawSlaTable {
    /// Validates `[[sla]]` together with `[clocks]`.
    ///
    /// Entries with a priority and no category set that priority's targets;
    /// when there are any, they replace the default table as a whole (so a
    /// file that lists priorities 1 to 4 gets exactly those). Entries with a
    /// category are overrides, optionally limited to one priority.
    pub fn validate(self, file: &str, clocks: &RawClocks) -> Result<SlaPolicy, ConfigError> {
        let mut priorities = BTreeMap::new();
        let mut categories: Vec<CategoryRule> = Vec::new();
        for (i, e) in self.0.into_iter().enumerate() {
            let key = |k: &str| format!("sla[{i}].{k}");
            let target = |k: &str, v: &Option<String>| -> Result<Option<i64>, ConfigError> {
                v.as_deref()
                    .map(parse_target)
                    .transpose()
                    .map_err(|r| config_err(file, key(k), r))
            };
            let response = target("response", &e.response)?;
            let resolution = target("resolution", &e.resolution)?;
            if let Some(p) = e.priority
                && !(1..=9).contains(&p)
            {
                return Err(config_err(
                    file,
                    key("priority"),
                    format!("{p} is not between 1 and 9"),
                ));
            }
            match (e.priority, e.category) {
                (None, None) => {
                    return Err(config_err(
                        file,
                        format!("sla[{i}]"),
                        "needs a priority, a category, or both",
                    ));
                }
                (Some(p), None) => {
                    let (Some(response), Some(resolution)) = (response, resolution) else {
                        let missing = if response.is_none() {
                            "response"
                        } else {
                            "resolution"
                        };
                        return Err(config_err(
                            file,
                            key(missing),
                            format!("required for priority {p}"),
                        ));
                    };
                    let t = Targets {
                        response,
                        resolution,
                        business_hours: e.business_hours.unwrap_or(true),
                    };
                    if priorities.insert(p, t).is_some() {
                        return Err(config_err(
                            file,
                            key("priority"),
                            format!("priority {p} is listed twice"),
                        ));
                    }
                }
                (priority, Some(category)) => {
                    let category = category.trim().to_lowercase();
                    if category.is_empty() {
                        return Err(config_err(file, key("category"), "must not be empty"));
                    }
                    if response.is_none() && resolution.is_none() && e.business_hours.is_none() {
                        return Err(config_err(
                            file,
                            format!("sla[{i}]"),
                            "a category entry must set response, resolution or business_hours",
                        ));
                    }
                    if categories
                        .iter()
                        .any(|r| r.category == category && r.priority == priority)
                    {
                        return Err(config_err(
                            file,
                            key("category"),
                            format!("{category:?} is listed twice for the same priority"),
                        ));
                    }
                    categories.push(CategoryRule {
                        category,
                        priority,
                        response,
                        resolution,
                        business_hours: e.business_hours,
                    });
                }
            }
        }
        if priorities.is_empty() {
            priorities = default_priorities();
        }
        let pause_on = match &clocks.pause_on {
            None => vec![Status::Pending],
            Some(list) => {
                let mut set = Vec::new();
                for (i, s) in list.iter().enumerate() {
                    let key = format!("clocks.pause_on[{i}]");
                    let status = Status::parse(s.trim()).ok_or_else(|| {
                        config_err(
                            file,
                            &key,
                            format!("{s:?} is not a status (new, in_progress, pending)"),
                        )
                    })?;
                    if matches!(status, Status::Resolved | Status::Closed) {
                        return Err(config_err(
                            file,
                            &key,
                            format!("{s:?} stops the clocks; it cannot pause them"),
                        ));
                    }
                    if !set.contains(&status) {
                        set.push(status);
                    }
                }
                set
            }
        };
        Ok(SlaPolicy {
            priorities,
            categories,
            pause_on,
        })
    }
}

impl RawEscalation {
    /// Validates `[escalation]`: each threshold strictly between 0 and 1;
    /// sorted, duplicates dropped.
    pub fn validate(self, file: &str) -> Result<Escalation, ConfigError> {
        let Some(mut warn_at) = self.warn_at else {
            return Ok(Escalation::default());
        };
        for (i, f) in warn_at.iter().enumerate() {
            if !(f.is_finite() && *f > 0.0 && *f < 1.0) {
                return Err(config_err(
                    file,
                    format!("escalation.warn_at[{i}]"),
                    format!("{f} is not a fraction between 0 and 1 (e.g. 0.75 for 75 %)"),
                ));
            }
        }
        warn_at.sort_by(f64::total_cmp);
        warn_at.dedup();
        Ok(Escalation { warn_at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::WeeklyHours;
    use chrono::{Datelike, NaiveDateTime, TimeZone, Weekday};

    const MIN: i64 = 60;
    const H: i64 = 3600;
    const WARN: &[f64] = &[0.75];

    fn jkt(s: &str) -> i64 {
        let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        chrono_tz::Asia::Jakarta
            .from_local_datetime(&local)
            .unwrap()
            .timestamp()
    }

    fn office(holidays: &[&str]) -> Calendar {
        Calendar::business(
            chrono_tz::Asia::Jakarta,
            WeeklyHours::office(),
            holidays
                .iter()
                .map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
        )
        .unwrap()
    }

    #[test]
    fn the_issue_story_p1_at_0755_monday() {
        let cal = office(&[]);
        let policy = SlaPolicy::default();
        let t = policy.targets(1, None).unwrap();
        assert_eq!((t.response, t.resolution), (10 * MIN, 8 * H));
        let recorded = jkt("2026-07-06 07:55:00");
        assert_eq!(
            chrono::DateTime::from_timestamp(recorded, 0)
                .unwrap()
                .weekday(),
            Weekday::Mon
        );
        let cal = t.calendar(&cal);
        let response = Clock::start(t.response, recorded);
        let resolution = Clock::start(t.resolution, recorded);
        // The clocks start at 08:00: nothing has elapsed at 07:59.
        assert_eq!(cal.next_open(recorded), jkt("2026-07-06 08:00:00"));
        assert_eq!(response.elapsed(jkt("2026-07-06 07:59:59"), cal), 0);
        assert_eq!(response.due_at(cal), Some(jkt("2026-07-06 08:10:00")));
        assert_eq!(resolution.due_at(cal), Some(jkt("2026-07-06 16:00:00")));
        // The scan first looks at the 75 % warning, then at the breach.
        let warn = jkt("2026-07-06 08:07:30");
        assert_eq!(response.next_check_at(cal, WARN, recorded), Some(warn));
        assert_eq!(
            response.crossings(cal, WARN, recorded, warn),
            vec![Crossing::Warning {
                fraction: 0.75,
                at: warn
            }]
        );
        let breach = jkt("2026-07-06 08:10:01");
        assert_eq!(response.next_check_at(cal, WARN, warn), Some(breach));
        // A scan at 08:09 finds nothing new; one at 08:12 finds the breach once.
        assert!(
            response
                .crossings(cal, WARN, warn, jkt("2026-07-06 08:09:00"))
                .is_empty()
        );
        let c = response.crossings(
            cal,
            WARN,
            jkt("2026-07-06 08:09:00"),
            jkt("2026-07-06 08:12:00"),
        );
        assert_eq!(c, vec![Crossing::Breach { at: breach }]);
        assert_eq!(
            response.next_check_at(cal, WARN, jkt("2026-07-06 08:12:00")),
            None
        );
        assert_eq!(
            response.state_at(jkt("2026-07-06 08:12:00"), cal),
            ClockState::Breached
        );
        assert_eq!(
            response.state_at(jkt("2026-07-06 08:10:00"), cal),
            ClockState::Running
        );
        // A scan that missed everything catches both at once, in order.
        let both = response.crossings(cal, WARN, recorded, jkt("2026-07-06 09:00:00"));
        assert_eq!(both.len(), 2);
        assert!(matches!(both[0], Crossing::Warning { .. }));
    }

    #[test]
    fn met_and_breached() {
        let cal = office(&[]);
        let recorded = jkt("2026-07-06 07:55:00");
        let clock = Clock::start(10 * MIN, recorded);
        let met = clock.stop(jkt("2026-07-06 08:10:00"), &cal);
        assert_eq!(met.state, ClockState::Met);
        assert_eq!(met.stopped_at, Some(jkt("2026-07-06 08:10:00")));
        assert_eq!(met.elapsed(jkt("2026-07-06 12:00:00"), &cal), 10 * MIN);
        let breached = clock.stop(jkt("2026-07-06 08:10:01"), &cal);
        assert_eq!(breached.state, ClockState::Breached);
        // Stopped clocks ask nothing more of the scan, and stop only once.
        assert_eq!(breached.next_check_at(&cal, WARN, 0), None);
        assert!(breached.crossings(&cal, WARN, 0, i64::MAX / 2).is_empty());
        assert_eq!(breached.stop(jkt("2026-07-06 09:00:00"), &cal), breached);
        // Resolving after hours costs no business time: 8 h from 08:00 is
        // still met at 17:00.
        let resolution = Clock::start(8 * H, recorded).stop(jkt("2026-07-06 17:00:00"), &cal);
        assert_eq!(resolution.state, ClockState::Met);
    }

    #[test]
    fn spanning_a_weekend_and_a_holiday() {
        let cal = office(&["2026-12-25"]);
        let t = SlaPolicy::default().targets(2, None).unwrap();
        // Wednesday 14:00, 24 business hours: Wed 2 h, Thu 8 h, Fri is
        // Christmas, the weekend, Mon 8 h, Tue 6 h.
        let clock = Clock::start(t.resolution, jkt("2026-12-23 14:00:00"));
        assert_eq!(clock.due_at(&cal), Some(jkt("2026-12-29 14:00:00")));
        assert_eq!(clock.elapsed(jkt("2026-12-28 08:00:00"), &cal), 10 * H);
        // 75 % of 24 h = 18 h: Monday at 16:00 closes with exactly 18 h.
        assert_eq!(
            clock.next_check_at(&cal, WARN, 0),
            Some(jkt("2026-12-28 16:00:00"))
        );
        // With the shipped holiday file, Christmas Eve is cuti bersama too.
        let dates = crate::calendar::parse_holiday_file(include_str!("../config/holidays-id.toml"))
            .unwrap()
            .into_iter()
            .map(|h| h.date);
        let cal =
            Calendar::business(chrono_tz::Asia::Jakarta, WeeklyHours::office(), dates).unwrap();
        assert_eq!(clock.due_at(&cal), Some(jkt("2026-12-30 14:00:00")));
    }

    #[test]
    fn pending_pauses_and_resumes() {
        let cal = office(&[]);
        let policy = SlaPolicy::default();
        assert!(policy.pauses(Status::Pending));
        assert!(!policy.pauses(Status::InProgress));
        let clock = Clock::start(8 * H, jkt("2026-07-06 08:00:00"));
        // Two hours of work, then #pending at 10:00 until Alice answers on
        // Tuesday at 09:00: Monday 10:00–16:00 and Tuesday 08:00–09:00 do
        // not count, 7 business hours in all.
        let paused = clock.pause(jkt("2026-07-06 10:00:00"));
        assert_eq!(paused.state, ClockState::Paused);
        assert_eq!(paused.due_at(&cal), None);
        assert_eq!(paused.next_check_at(&cal, WARN, 0), None);
        assert_eq!(paused.elapsed(jkt("2026-07-06 15:00:00"), &cal), 2 * H);
        assert_eq!(paused.pause(jkt("2026-07-06 11:00:00")), paused);
        assert_eq!(paused.paused_total(jkt("2026-07-06 15:00:00"), &cal), 5 * H);
        let running = paused.resume(jkt("2026-07-07 09:00:00"), &cal);
        assert_eq!(running.state, ClockState::Running);
        assert_eq!(running.paused_seconds, 7 * H);
        assert_eq!(running.elapsed(jkt("2026-07-07 09:00:00"), &cal), 2 * H);
        assert_eq!(running.due_at(&cal), Some(jkt("2026-07-07 15:00:00")));
        // The 75 % warning (6 h) now falls due at 13:00 on Tuesday, and a
        // scan that last looked before the pause finds it only once.
        let warn = jkt("2026-07-07 13:00:00");
        assert_eq!(
            running.next_check_at(&cal, WARN, jkt("2026-07-07 09:00:00")),
            Some(warn)
        );
        let c = running.crossings(
            &cal,
            WARN,
            jkt("2026-07-06 09:00:00"),
            jkt("2026-07-07 13:30:00"),
        );
        assert_eq!(
            c,
            vec![Crossing::Warning {
                fraction: 0.75,
                at: warn
            }]
        );
        assert_eq!(running.resume(jkt("2026-07-07 10:00:00"), &cal), running);
        // Stopping while paused keeps the time it had when it paused.
        let stopped = running
            .pause(jkt("2026-07-07 14:00:00"))
            .stop(jkt("2026-07-08 12:00:00"), &cal);
        assert_eq!(stopped.state, ClockState::Met);
        assert_eq!(stopped.elapsed(jkt("2026-07-09 12:00:00"), &cal), 7 * H);
    }

    #[test]
    fn a_warning_passed_before_a_pause_is_not_repeated_after_it() {
        let cal = Calendar::always_open();
        let clock = Clock::start(100, 0);
        // Warning at 75 s, reported by a scan at 80 s; paused at 90 s,
        // resumed at 150 s, which stores the next check: the breach at 161 s
        // (100 s elapsed plus 60 s paused, plus the second past the target).
        assert_eq!(clock.crossings(&cal, WARN, 0, 80).len(), 1);
        let resumed = clock.pause(90).resume(150, &cal);
        let next = resumed.next_check_at(&cal, WARN, 150);
        assert_eq!(next, Some(161));
        assert!(resumed.crossings(&cal, WARN, 150, 160).is_empty());
        // A scan at 170 s that kept only the row finds the breach alone.
        assert_eq!(
            resumed.crossings(&cal, WARN, next.unwrap() - 1, 170),
            vec![Crossing::Breach { at: 161 }]
        );
        // A paused clock still reports what fell due before it paused.
        let paused = Clock::start(100, 0).pause(90);
        assert_eq!(paused.crossings(&cal, WARN, 0, 200).len(), 1);
    }

    #[test]
    fn reopen_runs_the_clock_again_without_the_closed_time() {
        let cal = office(&[]);
        let clock =
            Clock::start(8 * H, jkt("2026-07-06 08:00:00")).stop(jkt("2026-07-06 12:00:00"), &cal);
        assert_eq!(clock.state, ClockState::Met);
        let reopened = clock.reopen(jkt("2026-07-08 08:00:00"), &cal);
        assert_eq!(reopened.state, ClockState::Running);
        assert_eq!(reopened.stopped_at, None);
        assert_eq!(reopened.elapsed(jkt("2026-07-08 08:00:00"), &cal), 4 * H);
        assert_eq!(reopened.due_at(&cal), Some(jkt("2026-07-08 12:00:00")));
        assert_eq!(reopened.reopen(jkt("2026-07-09 08:00:00"), &cal), reopened);
    }

    #[test]
    fn retarget_keeps_the_elapsed_time_and_moves_the_due_time() {
        let cal = office(&[]);
        let policy = SlaPolicy::default();
        let (p3, p1) = (
            policy.targets(3, None).unwrap(),
            policy.targets(1, None).unwrap(),
        );
        // A P3 ticket recorded on Monday at 09:00, raised to P1 at 09:05:
        // the five minutes count, and P1's 8 hours run from 09:00.
        let clock = Clock::start(p3.resolution, jkt("2026-07-06 09:00:00"));
        let now = jkt("2026-07-06 09:05:00");
        let raised = clock.retarget(p1.resolution, now, &cal, &cal);
        assert_eq!(raised.target_seconds, 8 * H);
        assert_eq!(raised.elapsed(now, &cal), 5 * MIN);
        assert_eq!(raised.started_at, clock.started_at);
        assert_eq!(raised.paused_seconds, 0);
        assert_eq!(raised.due_at(&cal), Some(jkt("2026-07-07 09:00:00")));
        // The warning moves from 75 % of 48 h to 75 % of 8 h: Monday 15:00.
        assert_eq!(
            raised.next_check_at(&cal, WARN, now),
            Some(jkt("2026-07-06 15:00:00"))
        );
        // The same target again changes nothing.
        assert_eq!(raised.retarget(8 * H, now, &cal, &cal), raised);
        // Lowered back, the clock is the one it was.
        assert_eq!(raised.retarget(p3.resolution, now, &cal, &cal), clock);
    }

    #[test]
    fn retarget_keeps_pauses_done_and_going_on() {
        let cal = office(&[]);
        // Paused Monday 10:00–Tuesday 09:00 (7 business hours), paused
        // again on Tuesday at 10:00, raised to 8 h on Tuesday at 15:00.
        let clock = Clock::start(48 * H, jkt("2026-07-06 08:00:00"))
            .pause(jkt("2026-07-06 10:00:00"))
            .resume(jkt("2026-07-07 09:00:00"), &cal)
            .pause(jkt("2026-07-07 10:00:00"));
        let raised = clock.retarget(8 * H, jkt("2026-07-07 15:00:00"), &cal, &cal);
        assert_eq!(raised.state, ClockState::Paused);
        assert_eq!(raised.paused_since, clock.paused_since);
        assert_eq!(raised.paused_seconds, 7 * H);
        assert_eq!(raised.elapsed(jkt("2026-07-07 15:00:00"), &cal), 3 * H);
        assert_eq!(raised.due_at(&cal), None);
        // Resumed on Wednesday at 08:00: 5 h left, due 13:00.
        let running = raised.resume(jkt("2026-07-08 08:00:00"), &cal);
        assert_eq!(running.due_at(&cal), Some(jkt("2026-07-08 13:00:00")));
    }

    #[test]
    fn retarget_leaves_a_stopped_clock_alone() {
        let cal = office(&[]);
        let start = jkt("2026-07-06 09:00:00");
        let met = Clock::start(4 * H, start).stop(jkt("2026-07-06 10:00:00"), &cal);
        let later = jkt("2026-07-06 11:00:00");
        assert_eq!(met.retarget(10 * MIN, later, &cal, &cal), met);
        let breached = Clock::start(10 * MIN, start).stop(later, &cal);
        assert_eq!(breached.state, ClockState::Breached);
        assert_eq!(breached.retarget(4 * H, later, &cal, &cal), breached);
    }

    #[test]
    fn retarget_past_the_new_target_is_a_breach_already_due() {
        let cal = office(&[]);
        let start = jkt("2026-07-06 09:00:00");
        let now = jkt("2026-07-06 09:30:00");
        let raised = Clock::start(4 * H, start).retarget(10 * MIN, now, &cal, &cal);
        assert_eq!(raised.state, ClockState::Running);
        assert_eq!(raised.state_at(now, &cal), ClockState::Breached);
        // Both thresholds of the new target lie before `now`: a look that
        // covers the time since the start finds them, in order.
        assert_eq!(
            raised.crossings(&cal, WARN, start - 1, now),
            vec![
                Crossing::Warning {
                    fraction: 0.75,
                    at: jkt("2026-07-06 09:07:30")
                },
                Crossing::Breach {
                    at: jkt("2026-07-06 09:10:01")
                },
            ]
        );
        assert_eq!(raised.next_check_at(&cal, WARN, now), None);
        assert_eq!(raised.stop(now, &cal).state, ClockState::Breached);
    }

    #[test]
    fn retarget_into_another_calendar_keeps_the_time_counted() {
        let office = office(&[]);
        let always = Calendar::always_open();
        // Business hours to 24×7: Monday 09:00–16:00 counted 7 h; at 17:00
        // the 8-hour 24×7 target has one wall-clock hour left.
        let clock = Clock::start(48 * H, jkt("2026-07-06 09:00:00"));
        let now = jkt("2026-07-06 17:00:00");
        let raised = clock.retarget(8 * H, now, &office, &always);
        assert_eq!(raised.elapsed(now, &always), 7 * H);
        assert_eq!(raised.due_at(&always), Some(jkt("2026-07-06 18:00:00")));
        // 24×7 to business hours: 5 h counted since Monday 15:00, but the
        // office was open one of them; the clock keeps that hour and has
        // 7 business hours left, to Tuesday 15:00.
        let clock = Clock::start(4 * H, jkt("2026-07-06 15:00:00"));
        let now = jkt("2026-07-06 20:00:00");
        assert_eq!(clock.elapsed(now, &always), 5 * H);
        let moved = clock.retarget(8 * H, now, &always, &office);
        assert_eq!(moved.paused_seconds, 0);
        assert_eq!(moved.elapsed(now, &office), H);
        assert_eq!(moved.due_at(&office), Some(jkt("2026-07-07 15:00:00")));
    }

    #[test]
    fn working_day_notation() {
        assert_eq!(parse_target("1x8h"), Ok(8 * H));
        assert_eq!(parse_target("3x8h"), Ok(24 * H));
        assert_eq!(parse_target("6 x 8h"), Ok(48 * H));
        assert_eq!(parse_target("1 × 8h"), Ok(8 * H));
        assert_eq!(parse_target("1X7h30m"), Ok(7 * H + 30 * MIN));
        assert_eq!(parse_target("10m"), Ok(10 * MIN));
        for bad in ["", "0m", "x8h", "3x", "3x8", "8 hours", "400d", "-1x8h"] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
        // 1x8h with 08:00–16:00 hours is one working day.
        let cal = office(&[]);
        let clock = Clock::start(parse_target("1x8h").unwrap(), jkt("2026-07-06 13:00:00"));
        assert_eq!(clock.due_at(&cal), Some(jkt("2026-07-07 13:00:00")));
    }

    #[derive(Debug, Clone, Copy)]
    enum Step {
        Scan,
        /// A scan exactly when the stored next check falls due, as the real
        /// scanner does.
        ScanAtNextCheck,
        Pause,
        Resume,
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        /// Scans and transitions at arbitrary instants report every warning
        /// and breach the clock reached, each exactly once, in order; and the
        /// verdict at a stop agrees with the breach notice.
        #[test]
        fn crossings_are_reported_once_and_agree_with_the_verdict(
            start in 1_767_225_600i64..1_798_761_600i64,
            target in 60i64..=30 * H,
            steps in proptest::collection::vec(
                (1i64..=10 * H, proptest::prop_oneof![
                    proptest::strategy::Just(Step::Scan),
                    proptest::strategy::Just(Step::ScanAtNextCheck),
                    proptest::strategy::Just(Step::Pause),
                    proptest::strategy::Just(Step::Resume),
                ]),
                0..12,
            ),
        ) {
            let cal = office(&["2026-12-25"]);
            let warn = [0.5, 0.75, 0.9];
            let mut clock = Clock::start(target, start);
            let mut look = start;
            let mut now = start;
            let mut seen: Vec<Crossing> = Vec::new();
            for (gap, step) in steps {
                now = match (step, clock.next_check_at(&cal, &warn, now)) {
                    (Step::ScanAtNextCheck, Some(next)) => next,
                    _ => now + gap,
                };
                // Every look, scan or transition, first takes what fell due.
                let due = clock.crossings(&cal, &warn, look, now);
                for c in &due {
                    // At its instant, a breach is a breach and a warning's
                    // share of the target has been used.
                    match *c {
                        Crossing::Breach { at } => proptest::prop_assert_eq!(
                            clock.stop(at, &cal).state,
                            ClockState::Breached
                        ),
                        Crossing::Warning { fraction, at } => proptest::prop_assert!(
                            clock.elapsed(at, &cal) as f64 >= target as f64 * fraction
                        ),
                    }
                }
                seen.extend(due);
                look = now;
                clock = match step {
                    Step::Scan | Step::ScanAtNextCheck => clock,
                    Step::Pause => clock.pause(now),
                    Step::Resume => clock.resume(now, &cal),
                };
                if let Some(next) = clock.next_check_at(&cal, &warn, now) {
                    proptest::prop_assert!(next > now);
                    // Nothing falls due before the stored next check.
                    proptest::prop_assert!(clock.crossings(&cal, &warn, now, next - 1).is_empty());
                }
            }
            let elapsed = clock.elapsed(now, &cal);
            let mut expected: Vec<i64> = warn
                .iter()
                .map(|f| (target as f64 * f).ceil() as i64)
                .filter(|&a| a <= elapsed)
                .collect();
            if elapsed > target {
                expected.push(target + 1);
            }
            proptest::prop_assert_eq!(seen.len(), expected.len(), "{:?}", seen);
            proptest::prop_assert!(seen.windows(2).all(|w| w[0].at() < w[1].at()));
            let breach_seen = seen.iter().any(|c| matches!(c, Crossing::Breach { .. }));
            let stopped = clock.stop(now, &cal);
            proptest::prop_assert_eq!(stopped.state == ClockState::Breached, breach_seen);
            proptest::prop_assert_eq!(stopped.elapsed(now + 100 * H, &cal), elapsed);
        }
    }

    fn table(text: &str) -> Result<(SlaPolicy, Escalation), ConfigError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Doc {
            #[serde(default)]
            sla: RawSlaTable,
            #[serde(default)]
            clocks: RawClocks,
            #[serde(default)]
            escalation: RawEscalation,
        }
        let doc: Doc = toml::from_str(text).unwrap();
        Ok((
            doc.sla.validate("p.toml", &doc.clocks)?,
            doc.escalation.validate("p.toml")?,
        ))
    }

    #[test]
    fn the_default_is_the_city_sop_table() {
        let (policy, esc) = table("").unwrap();
        assert_eq!(policy, SlaPolicy::default());
        assert_eq!(esc.warn_at, vec![0.75]);
        let rows: Vec<(u8, i64, i64)> = policy
            .priorities()
            .map(|(p, t)| (p, t.response, t.resolution))
            .collect();
        assert_eq!(
            rows,
            [(1, 10 * MIN, 8 * H), (2, H, 24 * H), (3, 4 * H, 48 * H)]
        );
        assert!(policy.priorities().all(|(_, t)| t.business_hours));
        assert_eq!(policy.targets(4, None), None);
    }

    #[test]
    fn twenty_four_seven_policies_count_wall_time() {
        let (policy, _) = table(
            r#"
[[sla]]
priority = 1
response = "15m"
resolution = "4h"
business_hours = false
[[sla]]
priority = 2
response = "1h"
resolution = "3x8h"
"#,
        )
        .unwrap();
        let business = office(&[]);
        let p1 = policy.targets(1, None).unwrap();
        assert!(!p1.business_hours);
        let cal = p1.calendar(&business);
        assert!(cal.is_always_open());
        // Saturday 23:00: due Sunday 03:00, weekend or not.
        let clock = Clock::start(p1.resolution, jkt("2026-07-11 23:00:00"));
        assert_eq!(clock.due_at(cal), Some(jkt("2026-07-12 03:00:00")));
        assert_eq!(
            clock.next_check_at(cal, WARN, 0),
            Some(jkt("2026-07-12 02:00:00"))
        );
        // Listing priorities replaces the default table.
        assert_eq!(policy.targets(2, None).unwrap().resolution, 24 * H);
        assert_eq!(policy.targets(3, None), None);
    }

    #[test]
    fn category_overrides_priority() {
        let (policy, _) = table(
            r#"
[[sla]]
category = "Incident-Network"
resolution = "1x8h"
[[sla]]
category = "incident-network"
priority = 3
response = "2h"
[[sla]]
category = "Request-Access"
response = "1h"
resolution = "6x8h"
business_hours = true
[clocks]
pause_on = ["pending", "new"]
[escalation]
warn_at = [0.9, 0.5, 0.9]
"#,
        )
        .unwrap();
        // Default priorities still apply; the category changes resolution only.
        let t = policy.targets(2, Some("Incident-Network")).unwrap();
        assert_eq!((t.response, t.resolution), (H, 8 * H));
        // A rule for the category and this priority wins.
        let t = policy.targets(3, Some("INCIDENT-NETWORK")).unwrap();
        assert_eq!((t.response, t.resolution), (2 * H, 48 * H));
        // A complete category rule needs no priority target at all.
        let t = policy.targets(7, Some("Request-Access")).unwrap();
        assert_eq!((t.response, t.resolution), (H, 48 * H));
        assert_eq!(policy.targets(7, Some("Incident-Network")), None);
        // Other categories fall back to the priority.
        assert_eq!(policy.targets(1, Some("Other")), policy.targets(1, None));
        assert!(policy.pauses(Status::New));
        let (_, esc) = table("[escalation]\nwarn_at = [0.9, 0.5, 0.9]").unwrap();
        assert_eq!(esc.warn_at, vec![0.5, 0.9]);
    }

    #[test]
    fn configuration_errors_name_the_key() {
        let cases = [
            (
                "[[sla]]\npriority = 1\nresponse = \"10 minutes\"\nresolution = \"8h\"",
                "sla[0].response",
            ),
            (
                "[[sla]]\npriority = 1\nresponse = \"10m\"",
                "sla[0].resolution",
            ),
            ("[[sla]]\nresponse = \"10m\"", "sla[0]"),
            (
                "[[sla]]\npriority = 0\nresponse = \"1m\"\nresolution = \"1h\"",
                "sla[0].priority",
            ),
            (
                "[[sla]]\npriority = 1\nresponse = \"1m\"\nresolution = \"1h\"\n[[sla]]\npriority = 1\nresponse = \"1m\"\nresolution = \"1h\"",
                "sla[1].priority",
            ),
            ("[[sla]]\ncategory = \"Data\"", "sla[0]"),
            (
                "[[sla]]\ncategory = \"Data\"\nresolution = \"0x8h\"",
                "sla[0].resolution",
            ),
            ("[clocks]\npause_on = [\"waiting\"]", "clocks.pause_on[0]"),
            ("[clocks]\npause_on = [\"resolved\"]", "clocks.pause_on[0]"),
            (
                "[escalation]\nwarn_at = [0.5, 1.0]",
                "escalation.warn_at[1]",
            ),
            ("[escalation]\nwarn_at = [-0.5]", "escalation.warn_at[0]"),
        ];
        for (text, key) in cases {
            let e = table(text).unwrap_err();
            assert_eq!(e.key, key, "{text}: {e}");
            assert_eq!(e.file, "p.toml");
        }
        // Unknown keys are refused by serde.
        assert!(toml::from_str::<RawSlaTable>("x = 1").is_err());
        let e = toml::from_str::<RawEscalation>("warn_at = [0.5]\nwarn = 1").unwrap_err();
        assert!(e.message().contains("warn"), "{e}");
    }
}
