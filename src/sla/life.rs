//! A ticket's SLA clocks through its life: started when it is recorded,
//! stopped by the first staff reply (response) or by resolving (both),
//! paused and resumed with the statuses of `[clocks] pause_on`, run again on
//! reopen, re-targeted when staff change the priority or category.
//!
//! Each function is one small call inside the caller's transaction, so the
//! use cases (intake, staff commands) stay in charge of it. Each
//! transition is a look by the protocol of [`crate::sla::clocks`]: it first
//! records what fell due since the clock's last look (as events, without
//! mail: staff are on the ticket right now), then applies the change, then
//! stores the next check.
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
//! | priority or category changed | new target, time so far kept | new target, time so far kept |
//!
//! A priority or category change ([`on_retarget`]) leaves stopped clocks
//! alone, drops running ones when the new pair has no targets, and starts
//! clocks for a ticket that had none.

use anyhow::Result;
use serde_json::json;

use crate::calendar::Calendar;
use crate::config::Config;
use crate::domain::{EventKind, Language, Status, TicketId};
use crate::mail::context::{AckSla, SlaConfirm};
use crate::mail::templates::Templates;
use crate::sla::clocks::{self, calendar_of, row_after, row_retargeted};
use crate::sla::notice::{local_time, rfc3339};
use crate::sla::{Clock, ClockKind, Targets};
use crate::store::script::Script;
use crate::store::sla_clocks::{self, ClockRow};
use crate::store::tickets::Ticket;
use crate::store::{Conn, events};

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
    change: impl Fn(ClockKind, Clock, &Calendar) -> Clock,
) -> Result<()> {
    let rows = sla_clocks::for_ticket(c, ticket).await?;
    for row in rows {
        let cal = calendar_of(cfg, row.business_hours);
        let clock = change(row.kind, row.clock, cal);
        if clock == row.clock {
            continue;
        }
        // The look records what fell due under the old state, without
        // mail: staff are on the ticket right now.
        clocks::look(c, cfg, None, &row, None, now).await?;
        let new = row_after(cfg, row, clock, now);
        sla_clocks::update(c, &new).await?;
        let was_stopped = row.clock.state.is_stopped();
        let kind = match (was_stopped, clock.state.is_stopped()) {
            (false, true) => Some(EventKind::SlaStopped),
            (true, false) => Some(EventKind::SlaRestarted),
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

/// What a priority or category change did to one clock, for the staff
/// member's confirmation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retargeted {
    pub kind: ClockKind,
    /// The new target; `None` when the clock is no longer kept.
    pub target_seconds: Option<i64>,
    /// The new due instant; `None` while paused or when no longer kept.
    pub due_at: Option<i64>,
}

/// The ticket's priority or category changed: its clocks follow the targets
/// of the new pair, as if those had applied since the ticket was recorded.
/// `ticket` is the ticket as it stands after the change (its priority,
/// category and status). What happens:
///
/// - a running or paused clock gets the new target; its business time so
///   far and its pauses are kept ([`Clock::retarget`]); what the new target
///   already made due goes out at the next scan;
/// - a stopped clock (met or breached) keeps its verdict;
/// - with no targets for the new pair, running and paused clocks are no
///   longer kept (the ticket is then like one recorded without targets);
/// - a ticket without clocks that now has targets gets them, counted from
///   when it was recorded: the response clock only if staff have not
///   answered yet, none on a resolved or closed ticket.
///
/// Each clock changed is an `sla_retargeted` event with its old and new
/// target and due time.
pub async fn on_retarget(
    c: &mut Conn,
    ticket: &Ticket,
    now: i64,
    cfg: &Config,
) -> Result<Vec<Retargeted>> {
    let targets = targets_of(cfg, ticket);
    let rows = sla_clocks::for_ticket(c, ticket.id).await?;
    if rows.is_empty() {
        return start_late(c, ticket, targets, now, cfg).await;
    }
    let mut out = Vec::new();
    for row in rows.into_iter().filter(|r| !r.clock.state.is_stopped()) {
        let new = targets.map(|t| retargeted_row(cfg, row, t, now));
        if new.is_some_and(|n| n.clock == row.clock && n.business_hours == row.business_hours) {
            continue;
        }
        clocks::look(c, cfg, None, &row, Some(ticket), now).await?;
        match &new {
            Some(n) => sla_clocks::update(c, n).await?,
            None => sla_clocks::delete(c, ticket.id, row.kind).await?,
        }
        let event = retarget_event(c, cfg, ticket, row.kind, Some(&row), new.as_ref(), now);
        out.push(event.await?);
    }
    Ok(out)
}

/// The targets of the ticket's priority and category, if any.
fn targets_of(cfg: &Config, ticket: &Ticket) -> Option<Targets> {
    let priority = u8::try_from(ticket.priority?).ok()?;
    cfg.sla.targets(priority, ticket.category.as_deref())
}

/// `row` counted against `targets` from `now` on, ready to store.
fn retargeted_row(cfg: &Config, row: ClockRow, targets: Targets, now: i64) -> ClockRow {
    let from = calendar_of(cfg, row.business_hours);
    let to = targets.calendar(&cfg.calendar);
    let clock = row.clock.retarget(targets.target(row.kind), now, from, to);
    let row = ClockRow {
        business_hours: targets.business_hours,
        ..row
    };
    row_retargeted(cfg, row, clock, now)
}

/// Starts the clocks of a ticket that had none, counted from when it was
/// recorded (see [`on_retarget`]).
async fn start_late(
    c: &mut Conn,
    ticket: &Ticket,
    targets: Option<Targets>,
    now: i64,
    cfg: &Config,
) -> Result<Vec<Retargeted>> {
    let done = matches!(ticket.status, Status::Resolved | Status::Closed);
    let Some(t) = targets.filter(|_| !done) else {
        return Ok(Vec::new());
    };
    let mut kinds = vec![ClockKind::Resolution];
    if ticket.first_response_at.is_none() {
        kinds.insert(0, ClockKind::Response);
    }
    let mut out = Vec::new();
    for kind in kinds {
        let mut clock = Clock::start(t.target(kind), ticket.created_at);
        if cfg.sla.pauses(ticket.status) {
            // When the pause began is not known: the time until now counts.
            clock = clock.pause(now);
        }
        let row = ClockRow {
            ticket_id: ticket.id,
            kind,
            clock,
            business_hours: t.business_hours,
            due_at: None,
            next_check_at: None,
        };
        let row = row_retargeted(cfg, row, clock, now);
        sla_clocks::insert(c, &row).await?;
        out.push(retarget_event(c, cfg, ticket, kind, None, Some(&row), now).await?);
    }
    Ok(out)
}

/// Records `sla_retargeted` for a clock that was `old` and is now `new`
/// (`None`: not kept), and says what to tell the staff member.
async fn retarget_event(
    c: &mut Conn,
    cfg: &Config,
    ticket: &Ticket,
    kind: ClockKind,
    old: Option<&ClockRow>,
    new: Option<&ClockRow>,
    now: i64,
) -> Result<Retargeted> {
    let side = |r: &ClockRow| {
        json!({
            "target_seconds": r.clock.target_seconds,
            "due_at": r.due_at.map(rfc3339),
            "business_hours": r.business_hours,
            "state": r.clock.state.as_str(),
        })
    };
    let elapsed = new
        .or(old)
        .map(|r| r.clock.elapsed(now, calendar_of(cfg, r.business_hours)));
    events::insert(
        c,
        ticket.id,
        EventKind::SlaRetargeted,
        "system",
        now,
        None,
        &json!({
            "clock": kind.as_str(),
            "priority": ticket.priority,
            "category": ticket.category,
            "from": old.map(side),
            "to": new.map(side),
            "elapsed_seconds": elapsed,
        }),
    )
    .await?;
    Ok(Retargeted {
        kind,
        target_seconds: new.map(|r| r.clock.target_seconds),
        due_at: new.and_then(|r| r.due_at),
    })
}

/// The confirmation's lines about clocks a change re-targeted, in the
/// desk's language (template `sla_confirm`): "SLA respons: 10 menit, jatuh
/// tempo 2026-11-23 09:10 WIB".
pub fn confirm_lines(
    cfg: &Config,
    templates: &Templates,
    changed: &[Retargeted],
) -> Result<Vec<String>> {
    let lang = cfg.desk.language;
    changed
        .iter()
        .map(|r| {
            let ctx = SlaConfirm {
                clock: templates.clock_name(r.kind, lang)?,
                kept: r.target_seconds.is_some(),
                target: match r.target_seconds {
                    Some(t) => templates.duration(t, lang)?,
                    None => String::new(),
                },
                due_at: r.due_at.map(|at| local_time(cfg, at)).unwrap_or_default(),
            };
            templates.sla_confirm(&ctx, lang)
        })
        .collect()
}

/// What the acknowledgment says of the targets: `sla` in its template
/// context (`None` when the ticket has no targets).
pub fn ack_sla(
    templates: &Templates,
    targets: Option<&Targets>,
    lang: Language,
) -> Result<Option<AckSla>> {
    let Some(t) = targets else {
        return Ok(None);
    };
    Ok(Some(AckSla {
        response: templates.duration(t.response, lang)?,
        resolution: templates.duration(t.resolution, lang)?,
        response_seconds: t.response,
        resolution_seconds: t.resolution,
        business_hours: t.business_hours,
        hours_text: templates.sla_hours(t.business_hours, lang)?,
    }))
}

/// [`ack_sla`] as JSON (`null` without targets), in `lang`, for contexts
/// still built with `json!`.
pub fn ack_context(
    templates: &Templates,
    targets: Option<&Targets>,
    lang: Language,
) -> Result<serde_json::Value> {
    Ok(serde_json::to_value(ack_sla(templates, targets, lang)?)?)
}
