//! The I/O shell of the digest: the figures of one period, read from the
//! database through [`crate::store::digest`], plus the problem candidates.
//! Takes the calendar and the period as arguments, like the pure parts.

use anyhow::Result;
use chrono::Days;
use chrono_tz::Tz;

use super::config::Settings;
use super::figures::{
    AtRisk, Breach, CategoryAccuracy, Count, Day, Escalation, Figures, OLDEST, SlaRow,
};
use super::period::{self, Period};
use super::problems::{self, Candidate};
use crate::calendar::{ALWAYS_OPEN, Calendar};
use crate::store::Conn;
use crate::store::digest::{self as q, Per, Recorded};

/// How many days the charts show.
pub const CHART_DAYS: u64 = 14;

/// Everything one digest needs from the database.
pub struct Collected {
    pub figures: Figures,
    pub problems: Vec<Candidate>,
}

/// The figures of `p`, restricted to group `scope` ("" for the whole desk).
pub async fn collect(
    c: &mut Conn,
    cal: &Calendar,
    tz: Tz,
    p: &Period,
    scope: &str,
    settings: &Settings,
) -> Result<Collected> {
    let earlier = period::earlier_spans(cal, tz, p.date);
    let mut f = Figures::default();

    // The headline, and the same figure for each earlier week.
    let spans: Vec<&Period> = std::iter::once(p).chain(earlier.iter()).collect();
    let mut new = Vec::new();
    let mut resolved = Vec::new();
    let mut closed = Vec::new();
    let mut reopened = Vec::new();
    let mut backlog = Vec::new();
    for s in &spans {
        new.push(q::count_new(c, s.start, s.end, scope).await?);
        resolved.push(q::count_set_to(c, "resolved", s.start, s.end, scope).await?);
        closed.push(q::count_set_to(c, "closed", s.start, s.end, scope).await?);
        reopened.push(q::count_reopened(c, s.start, s.end, scope).await?);
        backlog.push(q::count_open(c, s.end, scope).await?);
    }
    let count = |v: Vec<i64>| Count::new(v[0], v[1..].to_vec());
    f.new = count(new);
    f.resolved = count(resolved);
    f.closed = count(closed);
    f.reopened = count(reopened);
    f.backlog = count(backlog);

    // Service levels of the period and of the month to date.
    let month = period::month_start(p, tz);
    let mut rows: Vec<SlaRow> = Vec::new();
    for (mtd, from) in [(false, p.start), (true, month)] {
        for (priority, clock, share) in q::sla_shares(c, from, p.end, scope).await? {
            let i = match rows.iter().position(|r| r.priority == priority) {
                Some(i) => i,
                None => {
                    rows.push(SlaRow {
                        priority,
                        ..SlaRow::default()
                    });
                    rows.len() - 1
                }
            };
            let r = &mut rows[i];
            match (clock.as_str(), mtd) {
                ("response", false) => r.response = share,
                ("resolution", false) => r.resolution = share,
                ("response", true) => r.response_mtd = share,
                ("resolution", true) => r.resolution_mtd = share,
                _ => {}
            }
        }
    }
    rows.sort_by_key(|r| (r.priority.is_none(), r.priority));
    f.sla = rows;

    f.breaches = q::breaches(c, p.start, p.end, scope)
        .await?
        .into_iter()
        .map(|b| {
            let due = b
                .due_at
                .as_deref()
                .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
                .map(|d| d.timestamp());
            let stop = b.stopped_at.unwrap_or(p.end).min(p.end);
            let clock_cal = if b.business_hours { cal } else { &ALWAYS_OPEN };
            Breach {
                ticket: b.ticket,
                clock: b.clock,
                late_seconds: due
                    .map(|d| clock_cal.business_between(d, stop))
                    .unwrap_or(0),
            }
        })
        .collect();
    let horizon = period::risk_horizon(cal, tz, p.date);
    f.at_risk = q::at_risk(c, p.end, horizon, scope)
        .await?
        .into_iter()
        .map(|(ticket, clock, due_at)| AtRisk {
            ticket,
            clock,
            due_at,
        })
        .collect();

    f.aging = q::aging(c, p.end, scope).await?;
    f.oldest = q::oldest(c, p.end, scope, OLDEST as i64).await?;
    f.per_group = q::open_per(c, p.end, scope, Per::Group).await?;
    f.per_assignee = q::open_per(c, p.end, scope, Per::Assignee).await?;

    f.escalations = q::escalations(c, p.start, p.end, scope)
        .await?
        .into_iter()
        .map(|(ticket, at, to)| Escalation { ticket, at, to })
        .collect();
    f.major = q::recorded_where(c, p.start, p.end, scope, Recorded::Major).await?;
    f.security = q::recorded_where(c, p.start, p.end, scope, Recorded::Security).await?;
    f.satisfaction = q::satisfaction(c, p.start, p.end, scope).await?;
    let (tickets, recategorised) = q::category_accuracy(c, month, p.end, scope).await?;
    f.categories = CategoryAccuracy {
        tickets,
        recategorised,
    };

    let first = p.date - Days::new(CHART_DAYS);
    let from = period::midnight(first, tz);
    let d = q::daily(c, from, CHART_DAYS as usize, scope).await?;
    f.daily = (0..CHART_DAYS as usize)
        .map(|i| Day {
            date: (first + Days::new(i as u64)).to_string(),
            opened: d.opened[i],
            resolved: d.resolved[i],
            response: d.response[i],
            resolution: d.resolution[i],
        })
        .collect();

    let window = settings.recurring_window;
    let incidents = q::incidents(c, p.end - window, p.end, scope).await?;
    let problems = problems::candidates(&incidents, settings.recurring_threshold, window, p.end);
    Ok(Collected {
        figures: f,
        problems,
    })
}
