//! Which targets apply to a ticket: per priority, overridden per category,
//! in business hours or around the clock; and which statuses pause the clocks.

use super::*;

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
pub struct CategoryRule {
    /// Lower-cased, so "Incident-Network" and "incident-network" match.
    pub category: String,
    /// Only for this priority; `None` for every priority.
    pub priority: Option<Priority>,
    pub response: Option<i64>,
    pub resolution: Option<i64>,
    pub business_hours: Option<bool>,
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

/// The city SOP's targets per priority (see [`SlaPolicy::default`]).
pub fn default_priorities() -> BTreeMap<Priority, Targets> {
    const MIN: i64 = 60;
    const HOUR: i64 = 3600;
    let t = |response, resolution| Targets {
        response,
        resolution,
        business_hours: true,
    };
    let p = |n| Priority::new(n).expect("1 to 3 are priorities");
    BTreeMap::from([
        (p(1), t(10 * MIN, 8 * HOUR)),
        (p(2), t(HOUR, 24 * HOUR)),
        (p(3), t(4 * HOUR, 48 * HOUR)),
    ])
}

impl SlaPolicy {
    /// Targets per priority, per-category overrides and the statuses that
    /// pause the clocks, as `[[sla]]` and `[clocks]` give them. An empty
    /// `priorities` means the city SOP's table; `categories` are matched
    /// case-insensitively.
    pub fn new(
        priorities: BTreeMap<Priority, Targets>,
        mut categories: Vec<CategoryRule>,
        pause_on: Vec<Status>,
    ) -> SlaPolicy {
        let priorities = if priorities.is_empty() {
            default_priorities()
        } else {
            priorities
        };
        for c in &mut categories {
            c.category = c.category.trim().to_lowercase();
        }
        SlaPolicy {
            priorities,
            categories,
            pause_on,
        }
    }

    /// The targets of a ticket with this priority and category: a rule for
    /// the category and this priority wins over a rule for the category alone,
    /// which wins over the priority's targets. `None` when no complete pair of
    /// targets applies (then the ticket has no clocks).
    ///
    /// `priority` is the number the ticket carries; one outside 1 to 9 has
    /// no targets.
    pub fn targets(&self, priority: u8, category: Option<&str>) -> Option<Targets> {
        let priority = Priority::new(priority)?;
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
