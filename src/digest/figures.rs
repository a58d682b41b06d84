//! Every number the managers' digest shows, as plain data: what the
//! database query ([`crate::store::digest`]) fills in and what the pure
//! parts ([`super::sections`], [`super::chart`]) read. Nothing here does I/O,
//! so tests build `Figures` by hand.

use serde::Serialize;

use crate::domain::TicketId;

/// The digest of one period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Tickets recorded in the period (spam left out).
    pub new: Count,
    /// Tickets set to resolved in the period.
    pub resolved: Count,
    /// Tickets set to closed in the period.
    pub closed: Count,
    /// Reopenings in the period.
    pub reopened: Count,
    /// Open tickets (new, in progress, pending) at the period's end.
    pub backlog: Count,
    /// Response and resolution met, per priority, for the period and the
    /// month to date.
    pub sla: Vec<SlaRow>,
    /// Every breach in the period.
    pub breaches: Vec<Breach>,
    /// Clocks due within the next business day and not yet met, soonest first.
    pub at_risk: Vec<AtRisk>,
    /// Open tickets at the period's end by priority × age.
    pub aging: Vec<AgeRow>,
    /// The oldest open tickets (at most [`OLDEST`]).
    pub oldest: Vec<TicketLine>,
    /// Open tickets per group (`None`: no group), most first.
    pub per_group: Vec<Tally>,
    /// Open tickets per assignee (`None`: nobody), most first.
    pub per_assignee: Vec<Tally>,
    /// `escalated` events in the period.
    pub escalations: Vec<Escalation>,
    /// Major incidents recorded in the period.
    pub major: Vec<TicketLine>,
    /// Security tickets recorded in the period.
    pub security: Vec<TicketLine>,
    /// `None` until the desk sends surveys.
    pub satisfaction: Option<Satisfaction>,
    /// Tickets recorded in the month to date, and how many were recategorised.
    pub categories: CategoryAccuracy,
    /// One entry per day of the chart window (oldest first).
    pub daily: Vec<Day>,
}

/// How many of the oldest open tickets are listed.
pub const OLDEST: usize = 5;

/// The age buckets of the backlog, in seconds: < 1 day, 1–3, 3–7, > 7 days.
pub const AGE_LIMITS: [i64; 3] = [86_400, 3 * 86_400, 7 * 86_400];

/// The bucket (0..=3) of a ticket of `age` seconds.
pub fn age_bucket(age: i64) -> usize {
    AGE_LIMITS.iter().take_while(|&&l| age >= l).count()
}

/// A headline figure and the same figure on the previous four same weekdays.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Count {
    pub value: i64,
    /// The figure in each earlier period that had one (at most four).
    pub earlier: Vec<i64>,
}

impl Count {
    pub fn new(value: i64, earlier: Vec<i64>) -> Count {
        Count { value, earlier }
    }

    /// The average of the earlier periods; `None` without any.
    pub fn baseline(&self) -> Option<f64> {
        (!self.earlier.is_empty())
            .then(|| self.earlier.iter().sum::<i64>() as f64 / self.earlier.len() as f64)
    }

    /// The change against the baseline in whole percent; `None` without a
    /// baseline or when it is zero (any change from nothing is no percentage).
    pub fn change_pct(&self) -> Option<i64> {
        let b = self.baseline().filter(|&b| b > 0.0)?;
        Some(((self.value as f64 - b) / b * 100.0).round() as i64)
    }
}

/// Met / decided for one clock over some span.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Share {
    pub met: i64,
    pub decided: i64,
}

impl Share {
    /// Percent met, one decimal; `None` when nothing was decided.
    pub fn pct(&self) -> Option<f64> {
        (self.decided > 0).then(|| (1000.0 * self.met as f64 / self.decided as f64).round() / 10.0)
    }
}

impl std::ops::Add for Share {
    type Output = Share;

    fn add(self, other: Share) -> Share {
        Share {
            met: self.met + other.met,
            decided: self.decided + other.decided,
        }
    }
}

/// SLA attainment of one priority (`None`: tickets without a priority).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SlaRow {
    pub priority: Option<i64>,
    pub response: Share,
    pub resolution: Share,
    pub response_mtd: Share,
    pub resolution_mtd: Share,
}

/// What every ticket list shows of a ticket.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TicketLine {
    pub id: TicketId,
    pub subject: String,
    pub priority: Option<i64>,
    pub group: Option<String>,
    pub assignee: Option<String>,
    pub created_at: i64,
}

/// A clock that went past its target in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breach {
    pub ticket: TicketLine,
    /// `response` or `resolution`.
    pub clock: String,
    /// Business seconds past the target, at the clock's stop or the period's end.
    pub late_seconds: i64,
}

/// A clock still running that falls due soon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtRisk {
    pub ticket: TicketLine,
    pub clock: String,
    pub due_at: i64,
}

/// Open tickets of one priority by age bucket ([`AGE_LIMITS`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AgeRow {
    pub priority: Option<i64>,
    pub buckets: [i64; 4],
}

/// A count for one key (a group, an assignee).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub key: Option<String>,
    pub count: i64,
}

/// One escalation: staff `#escalate` to a group, or a step of the SLA chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Escalation {
    pub ticket: TicketLine,
    pub at: i64,
    /// The group escalated to, or `step:N` (step N of the SLA chain).
    pub to: String,
}

/// Survey answers of the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Satisfaction {
    pub sent: i64,
    pub answered: i64,
    /// Mean score of the answers (1–5); `None` without answers.
    pub average: Option<f64>,
    /// Ratings of 1 or 2, with their suggestion text.
    pub low: Vec<LowRating>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LowRating {
    pub ticket: TicketId,
    pub score: i64,
    pub suggestion: String,
}

/// The "category right" KPI: recategorised tickets count against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CategoryAccuracy {
    pub tickets: i64,
    pub recategorised: i64,
}

impl CategoryAccuracy {
    /// Percent whose category was right, one decimal; `None` without tickets.
    pub fn right_pct(&self) -> Option<f64> {
        Share {
            met: self.tickets - self.recategorised,
            decided: self.tickets,
        }
        .pct()
    }
}

/// One day of the charts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Day {
    /// `YYYY-MM-DD` in the desk's time zone.
    pub date: String,
    pub opened: i64,
    pub resolved: i64,
    pub response: Share,
    pub resolution: Share,
}

/// An incident the problem-candidate rule looks at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub id: TicketId,
    pub subject: String,
    pub category: Option<String>,
    pub requester: String,
    pub created_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_against_the_average_of_earlier_weeks() {
        assert_eq!(Count::new(12, vec![10, 10, 10, 10]).change_pct(), Some(20));
        assert_eq!(Count::new(5, vec![10]).change_pct(), Some(-50));
        assert_eq!(Count::new(5, vec![]).change_pct(), None);
        assert_eq!(Count::new(5, vec![0, 0]).change_pct(), None);
        assert_eq!(Count::new(0, vec![0, 0, 0, 0]).baseline(), Some(0.0));
    }

    #[test]
    fn shares_and_buckets() {
        assert_eq!(Share { met: 2, decided: 3 }.pct(), Some(66.7));
        assert_eq!(Share::default().pct(), None);
        assert_eq!(age_bucket(0), 0);
        assert_eq!(age_bucket(86_399), 0);
        assert_eq!(age_bucket(86_400), 1);
        assert_eq!(age_bucket(3 * 86_400), 2);
        assert_eq!(age_bucket(30 * 86_400), 3);
        let c = CategoryAccuracy {
            tickets: 4,
            recategorised: 1,
        };
        assert_eq!(c.right_pct(), Some(75.0));
    }
}
