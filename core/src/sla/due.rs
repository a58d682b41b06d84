//! Due-time maths of the escalation policy: what falls due on a clock and
//! when, from the clock, its calendar and `[escalation]`. No I/O: everything
//! comes in as arguments, `now` included, so the rules are tested directly.
//!
//! What a clock can reach, in order of business time used:
//! - a **warning** at each `warn_at` fraction of the target;
//! - the **breach**, the first second past the target (step 1 of the chain);
//! - further **escalation steps**, while the clock still runs: step `k`
//!   (k = 2, 3, …) after `target × (1 + (k−1) × every)` of business time,
//!   to `chain[k−1]`. So with `chain = ["level:1", "hendra", "ratna"]` and
//!   `every = 0.5`, an unanswered 10-minute response target reaches the
//!   service desk at 10 min, the division head at 15 and the director at 20.
//!
//! A look at a stored clock asks [`due_since_look`] what fell due since the
//! previous look (which stored `next_check_at`), and stores [`next_check`].
//! Who is told is decided on the I/O side (posko's `sla::notice`).

use std::time::Duration;

use crate::calendar::Calendar;
use crate::domain::EmailAddress;
use crate::sla::{Clock, ClockState, Crossing};

/// How often the daemon scans, unless `escalation.scan_interval` says.
pub const DEFAULT_SCAN_INTERVAL: Duration = Duration::from_secs(30);

/// Further steps come after this much more of the target, unless
/// `escalation.every` says.
pub const DEFAULT_EVERY: f64 = 0.5;

/// One entry of the escalation chain: who gets a breach notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// `"group"`: the ticket's group, and its assignee.
    Group,
    /// `"assignee"`: the ticket's assignee (nobody when unassigned).
    Assignee,
    /// `"group:network"`: the members of a configured group.
    GroupKey(String),
    /// `"level:2"`: every staff member of that level (1 service desk,
    /// 2 specialists, 3 third parties).
    Level(u8),
    /// `"managers"`: every staff member with `role = "manager"`.
    Managers,
    /// A staff handle, e.g. `"hendra"`.
    Staff(String),
    /// An address, e.g. `"kabag.ti@corp.test"`.
    Address(EmailAddress),
}

impl Recipient {
    /// Parses a chain entry; handles and group keys are checked against the
    /// configuration by the caller.
    pub fn parse(s: &str) -> Result<Recipient, String> {
        let s = s.trim();
        Ok(match s {
            "group" => Recipient::Group,
            "assignee" => Recipient::Assignee,
            "managers" => Recipient::Managers,
            _ if s.contains('@') => Recipient::Address(
                EmailAddress::parse(s).ok_or_else(|| format!("{s:?} is not an e-mail address"))?,
            ),
            _ => match s.split_once(':') {
                Some(("group", key)) if !key.trim().is_empty() => {
                    Recipient::GroupKey(key.trim().to_string())
                }
                Some(("level", n)) => Recipient::Level(
                    n.trim()
                        .parse()
                        .ok()
                        .filter(|n| (1..=3).contains(n))
                        .ok_or_else(|| format!("{s:?}: the level must be 1, 2 or 3"))?,
                ),
                Some(_) => {
                    return Err(format!(
                        "{s:?} is not \"group\", \"assignee\", \"managers\", \"group:KEY\", \
                         \"level:N\", a staff handle or an address"
                    ));
                }
                None if s.is_empty() => return Err("an empty entry".into()),
                None => Recipient::Staff(s.to_string()),
            },
        })
    }

    /// As written in the configuration.
    pub fn to_config_string(&self) -> String {
        match self {
            Recipient::Group => "group".into(),
            Recipient::Assignee => "assignee".into(),
            Recipient::GroupKey(g) => format!("group:{g}"),
            Recipient::Level(n) => format!("level:{n}"),
            Recipient::Managers => "managers".into(),
            Recipient::Staff(h) => h.clone(),
            Recipient::Address(a) => a.to_string(),
        }
    }
}

/// `[escalation]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Warning thresholds, fractions of the target, ascending.
    pub warn_at: Vec<f64>,
    /// Who the breach (step 1) and each further step go to.
    pub chain: Vec<Recipient>,
    /// Business time between steps, as a fraction of the target.
    pub every: f64,
    pub scan_interval: Duration,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            warn_at: crate::sla::DEFAULT_WARN_AT.to_vec(),
            chain: vec![Recipient::Managers],
            every: DEFAULT_EVERY,
            scan_interval: DEFAULT_SCAN_INTERVAL,
        }
    }
}

/// Something that fell due on a clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Due {
    Warning {
        fraction: f64,
        at: i64,
    },
    /// Step 1 of the chain.
    Breach {
        at: i64,
    },
    /// Step 2, 3, …
    Step {
        step: usize,
        at: i64,
    },
}

impl Due {
    pub fn at(&self) -> i64 {
        match *self {
            Due::Warning { at, .. } | Due::Breach { at } | Due::Step { at, .. } => at,
        }
    }

    /// Its key in `sla_marks`.
    pub fn threshold(&self) -> String {
        match *self {
            Due::Warning { fraction, .. } => format!("warn:{fraction}"),
            Due::Breach { .. } => "breach".into(),
            Due::Step { step, .. } => format!("step:{step}"),
        }
    }
}

/// The instants of escalation steps 2, 3, … of a clock not stopped.
fn steps(clock: &Clock, cal: &Calendar, pol: &Policy) -> Vec<(usize, i64)> {
    let target = clock.target_seconds;
    (2..=pol.chain.len())
        .map(|step| {
            let extra = (target as f64 * pol.every * (step - 1) as f64).ceil() as i64;
            let amount = target + extra.max(step as i64);
            (
                step,
                cal.add_business(clock.started_at, amount + clock.paused_seconds),
            )
        })
        .collect()
}

/// What fell due on `clock` in `(after, upto]`, in order: the pure core's
/// warnings and breach, and the escalation steps past it. As with
/// [`Clock::crossings`], a paused clock reports only what fell due before it
/// paused and a stopped one nothing.
pub fn due_between(clock: &Clock, cal: &Calendar, pol: &Policy, after: i64, upto: i64) -> Vec<Due> {
    let mut out: Vec<Due> = clock
        .crossings(cal, &pol.warn_at, after, upto)
        .into_iter()
        .map(|c| match c {
            Crossing::Warning { fraction, at } => Due::Warning { fraction, at },
            Crossing::Breach { at } => Due::Breach { at },
        })
        .collect();
    let upto = match (clock.state, clock.paused_since) {
        (ClockState::Running, _) => upto,
        (ClockState::Paused, Some(since)) => upto.min(since),
        _ => return out,
    };
    out.extend(
        steps(clock, cal, pol)
            .into_iter()
            .filter(|&(_, at)| at > after && at <= upto)
            .map(|(step, at)| Due::Step { step, at }),
    );
    out.sort_by_key(Due::at);
    out
}

/// The next instant after `after` at which anything falls due: what is
/// stored as `next_check_at`.
pub fn next_check(clock: &Clock, cal: &Calendar, pol: &Policy, after: i64) -> Option<i64> {
    if clock.state != ClockState::Running {
        return None;
    }
    let step = steps(clock, cal, pol)
        .into_iter()
        .map(|(_, at)| at)
        .find(|&at| at > after);
    match (clock.next_check_at(cal, &pol.warn_at, after), step) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// What fell due on a stored clock since its previous look, which stored
/// `next_check_at` (nothing when that is not yet due, or unset: the clock
/// is stopped or has nothing more to reach). Every look uses it: the scan,
/// and a status or target change, which records what no scan saw yet.
pub fn due_since_look(
    clock: &Clock,
    cal: &Calendar,
    pol: &Policy,
    next_check_at: Option<i64>,
    now: i64,
) -> Vec<Due> {
    let Some(next) = next_check_at.filter(|&n| n <= now) else {
        return Vec::new();
    };
    due_between(clock, cal, pol, next - 1, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(chain: usize) -> Policy {
        Policy {
            warn_at: vec![0.75],
            chain: (0..chain).map(|_| Recipient::Managers).collect(),
            every: 0.5,
            scan_interval: DEFAULT_SCAN_INTERVAL,
        }
    }

    #[test]
    fn steps_climb_after_the_breach_and_each_falls_due_once() {
        let cal = Calendar::always_open();
        let pol = policy(3);
        let clock = Clock::start(600, 0);
        // Warning at 450 s, breach at 601 s, steps at 900 s and 1200 s.
        assert_eq!(next_check(&clock, &cal, &pol, 0), Some(450));
        assert_eq!(next_check(&clock, &cal, &pol, 601), Some(900));
        assert_eq!(next_check(&clock, &cal, &pol, 1200), None);
        let all = due_between(&clock, &cal, &pol, 0, 5000);
        assert_eq!(
            all,
            vec![
                Due::Warning {
                    fraction: 0.75,
                    at: 450
                },
                Due::Breach { at: 601 },
                Due::Step { step: 2, at: 900 },
                Due::Step { step: 3, at: 1200 },
            ]
        );
        let thresholds: Vec<String> = all.iter().map(Due::threshold).collect();
        assert_eq!(thresholds, ["warn:0.75", "breach", "step:2", "step:3"]);
        // Looks that follow each other report each once.
        let mut after = 0;
        let mut seen = Vec::new();
        for now in [100, 450, 700, 1000, 1000, 3000] {
            seen.extend(due_between(&clock, &cal, &pol, after, now));
            after = now;
        }
        assert_eq!(seen, all);
        // A paused clock climbs no further; a stopped one reports nothing.
        let paused = clock.pause(800);
        assert_eq!(due_between(&paused, &cal, &pol, 700, 5000), vec![]);
        assert_eq!(next_check(&paused, &cal, &pol, 800), None);
        let stopped = clock.stop(650, &cal);
        assert!(due_between(&stopped, &cal, &pol, 0, 5000).is_empty());
        // Without a chain the breach is the last thing.
        assert_eq!(next_check(&clock, &cal, &policy(0), 601), None);
    }

    #[test]
    fn chain_entries() {
        assert_eq!(Recipient::parse("group"), Ok(Recipient::Group));
        assert_eq!(Recipient::parse("level:2"), Ok(Recipient::Level(2)));
        assert_eq!(
            Recipient::parse("group:network"),
            Ok(Recipient::GroupKey("network".into()))
        );
        assert_eq!(
            Recipient::parse("hendra"),
            Ok(Recipient::Staff("hendra".into()))
        );
        assert!(matches!(
            Recipient::parse("kabag@corp.test"),
            Ok(Recipient::Address(_))
        ));
        for bad in ["", "level:7", "team:x", "a@"] {
            assert!(Recipient::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_look_reports_what_fell_due_since_the_stored_check() {
        let cal = Calendar::always_open();
        let pol = policy(2);
        let clock = Clock::start(600, 0);
        // Stored next check 450 (the warning); a look at 1000 sees the
        // warning, the breach and step 2, once.
        let seen = due_since_look(&clock, &cal, &pol, Some(450), 1000);
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert_eq!(seen, due_between(&clock, &cal, &pol, 449, 1000));
        // Not due yet, or nothing to check: nothing.
        assert!(due_since_look(&clock, &cal, &pol, Some(450), 449).is_empty());
        assert!(due_since_look(&clock, &cal, &pol, None, 5000).is_empty());
    }
}
