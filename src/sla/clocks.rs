//! The clock-look use case: the one protocol by which anything looks at a
//! stored SLA clock, whether the scan ([`crate::sla::scan`]) or a status
//! or target change ([`crate::sla::life`]).
//!
//! A look at `now`, inside the caller's transaction:
//! 1. asks what fell due since the previous look, which stored
//!    `next_check_at` ([`crate::sla::due::due_since_look`]);
//! 2. records each of those once ([`record`]): claims its mark in
//!    `sla_marks` (ticket, clock, threshold), writes its events and, when
//!    the caller mails (the scan does; a change made by staff on the
//!    ticket does not), queues its notices;
//! 3. lets the caller apply its change, and stores the clock with its next
//!    check ([`row_after`]).
//!
//! The mark makes each warning, breach and step happen exactly once across
//! restarts and several instances sharing a database.

use anyhow::{Context, Result};
use serde_json::json;

use crate::calendar::{ALWAYS_OPEN, Calendar};
use crate::config::Config;
use crate::domain::EventKind;
use crate::sla::Clock;
use crate::sla::due::{Due, Recipient, due_between, due_since_look, next_check};
use crate::sla::notice::{self, Notices, rfc3339};
use crate::store::sla_clocks::{self, ClockRow};
use crate::store::tickets::Ticket;
use crate::store::{Conn, events, tickets};

/// The calendar a stored clock counts in.
pub fn calendar_of(cfg: &Config, business_hours: bool) -> &Calendar {
    if business_hours {
        &cfg.calendar
    } else {
        &ALWAYS_OPEN
    }
}

/// Where a clock stands after a look at `now`, ready to store.
pub fn row_after(cfg: &Config, mut row: ClockRow, clock: Clock, now: i64) -> ClockRow {
    let cal = calendar_of(cfg, row.business_hours);
    row.clock = clock;
    row.due_at = clock.due_at(cal);
    row.next_check_at = next_check(&clock, cal, &cfg.escalation, now);
    row
}

/// Like [`row_after`], for a clock whose target changed (or that started
/// in the past): the next check is the first thing that fell due since the
/// clock started, when there is one, so the next scan reports (and mails)
/// what the change made due; thresholds already reported under the same
/// name are skipped by their marks. Otherwise it is the next one to come.
pub fn row_retargeted(cfg: &Config, row: ClockRow, clock: Clock, now: i64) -> ClockRow {
    let mut row = row_after(cfg, row, clock, now);
    let cal = calendar_of(cfg, row.business_hours);
    let overdue = due_between(&clock, cal, &cfg.escalation, clock.started_at - 1, now);
    if let Some(first) = overdue.first() {
        row.next_check_at = Some(first.at());
    }
    row
}

/// What one look recorded that was new (each counted once, by its mark).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Looked {
    pub warnings: u32,
    pub breaches: u32,
    /// Steps past the breach.
    pub escalations: u32,
}

/// Steps 1 and 2 of the protocol for the clock `row` (as it was read) at
/// `now`: records what fell due since its previous look. `ticket` is the
/// clock's ticket when the caller has it (read here only when something
/// fell due); `notices`, when given, queues the mail.
pub async fn look(
    c: &mut Conn,
    cfg: &Config,
    notices: Option<&Notices<'_>>,
    row: &ClockRow,
    ticket: Option<&Ticket>,
    now: i64,
) -> Result<Looked> {
    let mut looked = Looked::default();
    let cal = calendar_of(cfg, row.business_hours);
    let dues = due_since_look(&row.clock, cal, &cfg.escalation, row.next_check_at, now);
    if dues.is_empty() {
        return Ok(looked);
    }
    let read;
    let ticket = match ticket {
        Some(t) => t,
        None => {
            read = tickets::get(c, row.ticket_id)
                .await?
                .with_context(|| format!("clock of a missing ticket #{}", row.ticket_id))?;
            &read
        }
    };
    for due in dues {
        if record(c, cfg, notices, ticket, row, due, now).await? {
            match due {
                Due::Warning { .. } => looked.warnings += 1,
                Due::Breach { .. } => looked.breaches += 1,
                Due::Step { .. } => looked.escalations += 1,
            }
        }
    }
    Ok(looked)
}

/// Records what fell due on a clock (`row` as it was read), once: claims
/// the mark, writes the event and, with `notices`, queues the mail.
/// Returns whether it was new.
pub async fn record(
    c: &mut Conn,
    cfg: &Config,
    notices: Option<&Notices<'_>>,
    ticket: &Ticket,
    row: &ClockRow,
    due: Due,
    now: i64,
) -> Result<bool> {
    if !sla_clocks::mark(c, ticket.id, row.kind, &due.threshold(), due.at()).await? {
        return Ok(false);
    }
    let cal = calendar_of(cfg, row.business_hours);
    let clock = row.clock;
    let (event, recipients, step) = notice::recipients(cfg, ticket, due);
    let to: Vec<&str> = recipients.iter().map(|(_, a)| a.as_str()).collect();
    let mut data = json!({
        "clock": row.kind.as_str(),
        "threshold": due.threshold(),
        "due_at": rfc3339(due.at()),
        "target_seconds": clock.target_seconds,
        "elapsed_seconds": clock.elapsed(due.at(), cal),
        "to": to,
        "mailed": notices.is_some() && !recipients.is_empty(),
    });
    if let Due::Warning { fraction, .. } = due {
        data["fraction"] = json!(fraction);
    }
    if let Some(step) = step {
        data["step"] = json!(step);
        data["chain"] = json!(
            cfg.escalation
                .chain
                .get(step - 1)
                .map(Recipient::to_config_string)
        );
    }
    let mut kinds = vec![event];
    if matches!(due, Due::Breach { .. }) && !cfg.escalation.chain.is_empty() {
        // The breach notice is the first step of the chain as well.
        kinds.push(EventKind::Escalated);
    }
    for kind in kinds {
        events::insert(c, ticket.id, kind, "system", now, None, &data).await?;
    }
    if let Some(notices) = notices {
        for to in recipients {
            notices.queue(c, ticket, row, due, to, now).await?;
        }
    }
    Ok(true)
}

#[cfg(test)]
#[path = "clocks_tests.rs"]
mod tests;
