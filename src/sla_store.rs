//! A ticket's SLA clocks through its life: started when it is recorded,
//! stopped by the first staff reply (response) or by resolving (both),
//! paused and resumed with the statuses of `[clocks] pause_on`, run again on
//! reopen.
//!
//! Each function is one small call inside the caller's transaction, so the
//! use cases (intake, staff commands) stay in charge of it. Following the
//! exactly-once protocol of [`crate::sla`], a transition first records what
//! fell due since the clock's last look (as events, without mail: staff are
//! on the ticket right now), then applies the change, then stores the next
//! check.
//!
//! Which clock does what:
//!
//! | change | response clock | resolution clock |
//! |---|---|---|
//! | ticket recorded | starts | starts |
//! | first staff reply | met or breached | — |
//! | into a `pause_on` status (`pending`) | pauses | pauses |
//! | out of it (the requester answers) | resumes | resumes |
//! | resolved or closed | stops (met or breached) | stops (met or breached) |
//! | reopened | stays stopped | runs again, without the closed time |

use anyhow::Result;
use serde_json::json;

use crate::config::{Config, Language};
use crate::domain::{Status, TicketId};
use crate::escalation::{self, calendar_of, due_between, human_duration, row_after};
use crate::sla::{Clock, ClockKind, Targets};
use crate::store::script::Script;
use crate::store::sla_clocks::{self, ClockRow};
use crate::store::{Conn, events, tickets};

/// Starts the response and resolution clocks of a new ticket, if its
/// priority and category have targets, as part of `w` (the ticket's own
/// insert is in the same script). Returns the targets (for the
/// acknowledgment).
pub fn push_start_clocks(
    w: &mut Script,
    cfg: &Config,
    ticket: TicketId,
    priority: u8,
    category: &str,
    now: i64,
) -> Option<Targets> {
    let targets = cfg.sla.targets(priority, Some(category))?;
    for kind in [ClockKind::Response, ClockKind::Resolution] {
        let row = ClockRow {
            ticket_id: ticket,
            kind,
            clock: Clock::start(targets.target(kind), now),
            business_hours: targets.business_hours,
            due_at: None,
            next_check_at: None,
        };
        sla_clocks::push_insert(w, &row_after(cfg, row, row.clock, now));
    }
    Some(targets)
}

/// Staff answered the requester for the first time: the response clock
/// stops, met or breached. Idempotent: later replies change nothing.
pub async fn on_first_response(
    c: &mut Conn,
    ticket: TicketId,
    now: i64,
    cfg: &Config,
) -> Result<()> {
    transition(c, ticket, now, cfg, |kind, clock, cal| match kind {
        ClockKind::Response => clock.stop(now, cal),
        ClockKind::Resolution => clock,
    })
    .await
}

/// The ticket's status changed from `from` to `to`: pause, resume, stop or
/// run the clocks again (see the module's table).
pub async fn on_status_change(
    c: &mut Conn,
    ticket: TicketId,
    from: Status,
    to: Status,
    now: i64,
    cfg: &Config,
) -> Result<()> {
    let done = |s: Status| matches!(s, Status::Resolved | Status::Closed);
    let pol = &cfg.sla;
    if from == to || (done(from) && done(to)) {
        return Ok(());
    }
    transition(c, ticket, now, cfg, |kind, clock, cal| {
        if done(to) {
            return clock.stop(now, cal);
        }
        let mut clock = clock;
        if done(from) && kind == ClockKind::Resolution {
            clock = clock.reopen(now, cal);
        }
        if pol.pauses(to) {
            clock.pause(now)
        } else if pol.pauses(from) {
            clock.resume(now, cal)
        } else {
            clock
        }
    })
    .await
}

/// Applies `change` to each clock of the ticket, after recording what fell
/// due since its last look; records `sla_stopped` / `sla_restarted` events.
async fn transition(
    c: &mut Conn,
    ticket: TicketId,
    now: i64,
    cfg: &Config,
    change: impl Fn(ClockKind, Clock, &crate::calendar::Calendar) -> Clock,
) -> Result<()> {
    let rows = sla_clocks::for_ticket(c, ticket).await?;
    let mut loaded = None;
    for row in rows {
        let cal = calendar_of(cfg, row.business_hours);
        let clock = change(row.kind, row.clock, cal);
        if clock == row.clock {
            continue;
        }
        if let Some(next) = row.next_check_at.filter(|&n| n <= now) {
            let dues = due_between(&row.clock, cal, &cfg.escalation, next - 1, now);
            if !dues.is_empty() {
                if loaded.is_none() {
                    loaded = tickets::get(c, ticket).await?;
                }
                if let Some(t) = &loaded {
                    for due in dues {
                        escalation::record(c, cfg, None, t, &row, due, now).await?;
                    }
                }
            }
        }
        let new = row_after(cfg, row, clock, now);
        sla_clocks::update(c, &new).await?;
        let was_stopped = row.clock.state.is_stopped();
        let kind = match (was_stopped, clock.state.is_stopped()) {
            (false, true) => Some("sla_stopped"),
            (true, false) => Some("sla_restarted"),
            _ => None,
        };
        if let Some(kind) = kind {
            events::insert(
                c,
                ticket,
                kind,
                "system",
                now,
                None,
                &json!({
                    "clock": row.kind.as_str(),
                    "state": clock.state.as_str(),
                    "target_seconds": clock.target_seconds,
                    "elapsed_seconds": clock.elapsed(now, cal),
                    "paused_seconds": clock.paused_total(now, cal),
                }),
            )
            .await?;
        }
    }
    Ok(())
}

/// What the acknowledgment says of the targets: `sla` in its template
/// context (`null` when the ticket has no targets).
pub fn ack_context(cfg: &Config, targets: Option<&Targets>) -> serde_json::Value {
    let Some(t) = targets else {
        return serde_json::Value::Null;
    };
    let lang = cfg.desk.language;
    let hours = match (t.business_hours, lang) {
        (true, Language::Id) => "dihitung dalam jam kerja",
        (true, Language::En) => "counted in business hours",
        (false, Language::Id) => "dihitung 24 jam sehari, 7 hari seminggu",
        (false, Language::En) => "counted around the clock",
    };
    json!({
        "response": human_duration(t.response, lang),
        "resolution": human_duration(t.resolution, lang),
        "response_seconds": t.response,
        "resolution_seconds": t.resolution,
        "business_hours": t.business_hours,
        "hours_text": hours,
    })
}
