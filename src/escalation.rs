//! The SLA scan: due warnings, breaches and escalation steps → events and
//! outbox rows.
//!
//! [`Escalator::tick`] is one step (act on every clock due at `now`) and is
//! what tests and `run --once` call; [`Escalator::run`] repeats it until
//! shutdown. A tick reads only the rows of `sla_clocks` whose indexed
//! `next_check_at` is due, so its cost follows what is due, not the number
//! of open tickets.
//!
//! What a clock can reach, in order of business time used:
//! - a **warning** at each `warn_at` fraction of the target: to the
//!   assignee, or else the ticket's group (or else the service desk);
//! - the **breach**, the first second past the target: to the group (and
//!   assignee) and to the first entry of the escalation `chain`;
//! - further **escalation steps**, while the clock still runs: step `k`
//!   (k = 2, 3, …) after `target × (1 + (k−1) × every)` of business time,
//!   to `chain[k−1]`. So with `chain = ["level:1", "hendra", "ratna"]` and
//!   `every = 0.5`, an unanswered 10-minute response target reaches the
//!   service desk at 10 min, the division head at 15 and the director at 20.
//!
//! Each of these is claimed once in `sla_marks` (ticket, clock, threshold)
//! in the transaction that records its event and queues its mail, so it
//! happens exactly once across restarts and several instances. A status
//! change looks at a clock too (see [`crate::sla_store`]): what fell due
//! since the last scan is then recorded as events, without mail, since staff
//! are acting on the ticket at that moment.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::TimeZone;
use serde_json::json;
use tokio::sync::watch;
use tracing::{info, warn};

use crate::calendar::{ALWAYS_OPEN, Calendar};
use crate::compose::{self, Outgoing};
use crate::config::{Config, Language, Staff};
use crate::domain::{EmailAddress, Visibility};
use crate::notify::Templates;
use crate::sla::{Clock, ClockKind, ClockState, Crossing};
use crate::store::sla_clocks::{self, ClockRow};
use crate::store::tickets::Ticket;
use crate::store::{Conn, Db, events, tickets};
use crate::threading;

/// How often the daemon scans, unless `escalation.scan_interval` says.
pub const DEFAULT_SCAN_INTERVAL: Duration = Duration::from_secs(30);

/// Further steps come after this much more of the target, unless
/// `escalation.every` says.
pub const DEFAULT_EVERY: f64 = 0.5;

/// Clocks read per transaction.
const BATCH: i64 = 500;

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

    /// The addresses this entry means for `ticket`.
    fn resolve(&self, cfg: &Config, ticket: &Ticket) -> Vec<(Option<String>, EmailAddress)> {
        let staff = |s: &Staff| (Some(s.name.clone()), s.email.clone());
        let assignee = || {
            ticket
                .assignee
                .as_deref()
                .and_then(|h| cfg.staff_by_handle(h))
                .map(staff)
        };
        match self {
            Recipient::Group => ticket
                .group_key
                .as_deref()
                .map(|g| cfg.group_members(g).map(staff).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .chain(assignee())
                .collect(),
            Recipient::Assignee => assignee().into_iter().collect(),
            Recipient::GroupKey(g) => cfg.group_members(g).map(staff).collect(),
            Recipient::Level(n) => cfg
                .staff
                .iter()
                .filter(|s| s.level == *n)
                .map(staff)
                .collect(),
            Recipient::Managers => cfg.managers().map(staff).collect(),
            Recipient::Staff(h) => cfg.staff_by_handle(h).map(staff).into_iter().collect(),
            Recipient::Address(a) => {
                vec![(cfg.staff_by_email(a).map(|s| s.name.clone()), a.clone())]
            }
        }
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

/// The calendar a stored clock counts in.
pub fn calendar_of(cfg: &Config, business_hours: bool) -> &Calendar {
    if business_hours {
        &cfg.calendar
    } else {
        &ALWAYS_OPEN
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

/// Who hears first of something on a ticket (an SLA warning, mail from a
/// non-participant): its assignee, or else its group, or else the service
/// desk.
pub fn first_responders(cfg: &Config, ticket: &Ticket) -> Vec<(Option<String>, EmailAddress)> {
    let assignee = Recipient::Assignee.resolve(cfg, ticket);
    let mut to = if assignee.is_empty() {
        Recipient::Group.resolve(cfg, ticket)
    } else {
        assignee
    };
    if to.is_empty() {
        to = cfg
            .service_desk()
            .map(|s| (Some(s.name.clone()), s.email.clone()))
            .collect();
    }
    to
}

/// Records what fell due on a clock (`row` as it was read), once: claims
/// the mark, writes the event and, with `templates`, queues the mail.
/// Returns whether it was new.
pub async fn record(
    c: &mut Conn,
    cfg: &Config,
    templates: Option<&Templates>,
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
    let (event, recipients, step) = match due {
        Due::Warning { .. } => ("sla_warning", first_responders(cfg, ticket), None),
        Due::Breach { .. } => {
            let mut to = Recipient::Group.resolve(cfg, ticket);
            if let Some(first) = cfg.escalation.chain.first() {
                to.extend(first.resolve(cfg, ticket));
            }
            ("sla_breach", to, Some(1))
        }
        Due::Step { step, .. } => {
            let to = cfg
                .escalation
                .chain
                .get(step - 1)
                .map(|r| r.resolve(cfg, ticket))
                .unwrap_or_default();
            ("escalated", to, Some(step))
        }
    };
    let mut seen: Vec<String> = Vec::new();
    let recipients: Vec<(Option<String>, EmailAddress)> = recipients
        .into_iter()
        .filter(|(_, a)| {
            let new = !seen.iter().any(|s| s == a.base());
            if new {
                seen.push(a.base().to_string());
            }
            new
        })
        .collect();
    let to: Vec<&str> = recipients.iter().map(|(_, a)| a.as_str()).collect();
    let mut data = json!({
        "clock": row.kind.as_str(),
        "threshold": due.threshold(),
        "due_at": rfc3339(due.at()),
        "target_seconds": clock.target_seconds,
        "elapsed_seconds": clock.elapsed(due.at(), cal),
        "to": to,
        "mailed": templates.is_some() && !recipients.is_empty(),
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
        kinds.push("escalated");
    }
    for kind in kinds {
        events::insert(c, ticket.id, kind, "system", now, None, &data).await?;
    }
    if let Some(templates) = templates {
        for (name, addr) in recipients {
            queue_notice(c, cfg, templates, ticket, row, due, name, addr, now).await?;
        }
    }
    Ok(true)
}

/// An instant as RFC 3339 in UTC, for event data.
pub fn rfc3339(t: i64) -> String {
    chrono::Utc
        .timestamp_opt(t, 0)
        .single()
        .map(|d| d.to_rfc3339())
        .unwrap_or_default()
}

/// `10 menit`, `8 jam`, `1 jam 30 menit`; `10 minutes`, `1 hour 30 minutes`.
pub fn human_duration(seconds: i64, lang: Language) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let unit = |n: i64, id: &str, en: &str| match lang {
        Language::Id => format!("{n} {id}"),
        Language::En if n == 1 => format!("{n} {en}"),
        Language::En => format!("{n} {en}s"),
    };
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(unit(h, "jam", "hour"));
    }
    if m > 0 {
        parts.push(unit(m, "menit", "minute"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(unit(s, "detik", "second"));
    }
    parts.join(" ")
}

/// An instant in the desk's zone, for mail.
pub fn local_time(cfg: &Config, t: i64) -> String {
    cfg.desk
        .timezone
        .timestamp_opt(t, 0)
        .single()
        .map(|d| d.format("%d %b %Y %H:%M %Z").to_string())
        .unwrap_or_default()
}

/// The clock's name in the desk's language.
pub fn clock_name(kind: ClockKind, lang: Language) -> &'static str {
    match (kind, lang) {
        (ClockKind::Response, Language::Id) => "respons",
        (ClockKind::Response, Language::En) => "response",
        (ClockKind::Resolution, Language::Id) => "penyelesaian",
        (ClockKind::Resolution, Language::En) => "resolution",
    }
}

#[allow(clippy::too_many_arguments)]
async fn queue_notice(
    c: &mut Conn,
    cfg: &Config,
    templates: &Templates,
    ticket: &Ticket,
    row: &ClockRow,
    due: Due,
    name: Option<String>,
    to: EmailAddress,
    now: i64,
) -> Result<()> {
    let desk = &cfg.desk;
    let lang = desk.language;
    let cat = &cfg.catalogue;
    let cal = calendar_of(cfg, row.business_hours);
    let clock = row.clock;
    let (template, kind, step) = match due {
        Due::Warning { .. } => ("sla_warning", "sla_warning", 0),
        Due::Breach { .. } => ("sla_breach", "sla_breach", 1),
        Due::Step { step, .. } => ("sla_breach", "sla_escalated", step),
    };
    let percent = match due {
        Due::Warning { fraction, .. } => (fraction * 100.0).round() as i64,
        _ => 100,
    };
    let category_name = ticket
        .category
        .as_deref()
        .map(|k| {
            cat.category(k)
                .map(|c| c.name.get(lang).to_string())
                .unwrap_or_else(|| k.to_string())
        })
        .unwrap_or_default();
    let group_name = ticket
        .group_key
        .as_deref()
        .map(|g| {
            cat.group(g)
                .map(|g| g.name.clone())
                .unwrap_or_else(|| g.to_string())
        })
        .unwrap_or_default();
    let priority_text = ticket
        .priority
        .map(|p| cat.priority.describe(p as u8, lang))
        .unwrap_or_default();
    let clock_label = clock_name(row.kind, lang);
    let requester = templates.sender(
        lang,
        &cfg.known_names(),
        ticket.requester_name.as_deref(),
        &ticket.requester,
    )?;
    let ctx = json!({
        "requester": requester,
        "desk": { "name": desk.name, "address": desk.address.as_str() },
        "ticket": {
            "id": ticket.id,
            "subject": ticket.subject,
            "status": ticket.status.as_str(),
            "requester": ticket.requester,
            "priority_text": priority_text,
            "category_name": category_name,
            "group_name": group_name,
            "assignee": ticket.assignee.clone().unwrap_or_default(),
        },
        "reference": format!("[{} #{}]", desk.tag, ticket.id),
        "clock": {
            "kind": row.kind.as_str(),
            "name": clock_label,
            "target": human_duration(clock.target_seconds, lang),
            "business_hours": row.business_hours,
            "due_at": clock.due_at(cal).map(|t| local_time(cfg, t)).unwrap_or_default(),
            "elapsed": human_duration(clock.elapsed(due.at(), cal), lang),
            "percent": percent,
        },
        "escalation": { "step": step, "further": step > 1 },
    });
    let rendered = templates.render(template, lang, &ctx)?;
    let prefix = match (due, lang) {
        (Due::Warning { .. }, Language::Id) => format!("Peringatan SLA ({clock_label} {percent}%)"),
        (Due::Warning { .. }, Language::En) => format!("SLA warning ({clock_label} {percent}%)"),
        (Due::Breach { .. }, Language::Id) => format!("SLA terlampaui ({clock_label})"),
        (Due::Breach { .. }, Language::En) => format!("SLA breached ({clock_label})"),
        (Due::Step { step, .. }, Language::Id) => {
            format!("Eskalasi tingkat {step}: SLA {clock_label} terlampaui")
        }
        (Due::Step { step, .. }, Language::En) => {
            format!("Escalation step {step}: {clock_label} SLA breached")
        }
    };
    let out = Outgoing {
        from_name: desk.name.clone(),
        from: desk.address.clone(),
        reply_to: desk.address.clone(),
        to: vec![(name, to.clone())],
        subject: threading::tagged_subject(
            &desk.tag,
            ticket.id,
            &format!("{prefix}: {}", ticket.subject),
        ),
        text: rendered.text,
        html: Some(rendered.html),
        message_id: compose::new_message_id(Some(ticket.id), "sla", desk.domain()),
        in_reply_to: None,
        references: Vec::new(),
        auto_submitted: Some("auto-generated"),
        ticket_id: Some(ticket.id),
        date: now,
    };
    // Recorded like every outgoing mail (crate::outgoing); a mail that
    // cannot be built is recorded as failed, the scan goes on, and this
    // threshold is not tried again.
    let mut w = crate::store::script::Script::new();
    let recording = crate::outgoing::Recording {
        kind,
        visibility: Visibility::Internal,
        primary: to.base(),
    };
    crate::outgoing::record_outgoing(&mut w, &out, recording, now)?;
    w.run(c, crate::store::backend_of(c)).await
}

/// What one scan did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanStats {
    /// Due clocks looked at.
    pub clocks: u32,
    pub warnings: u32,
    pub breaches: u32,
    /// Steps past the breach.
    pub escalations: u32,
}

impl ScanStats {
    pub fn queued_mail(&self) -> bool {
        self.warnings + self.breaches + self.escalations > 0
    }
}

/// The worker. Cheap to clone.
#[derive(Clone)]
pub struct Escalator {
    cfg: Arc<Config>,
    db: Db,
    templates: Arc<Templates>,
}

impl Escalator {
    pub fn new(cfg: Arc<Config>, db: Db, templates: Arc<Templates>) -> Escalator {
        Escalator { cfg, db, templates }
    }

    /// Acts on every clock due at `now`: records what fell due since the
    /// clock's last look, queues the mail, and stores its next check.
    pub async fn tick(&self, now: i64) -> Result<ScanStats> {
        let started = std::time::Instant::now();
        let mut stats = ScanStats::default();
        // Every row handled gets a next check after `now` (or none), so each
        // batch makes progress; the bound only guards against a row a
        // concurrent transition keeps changing.
        for _ in 0..10_000 {
            let mut tx = self.db.begin().await?;
            let due = sla_clocks::due(&mut tx, now, BATCH).await?;
            let n = due.len() as i64;
            for row in due {
                self.look(&mut tx, row, now, &mut stats).await?;
            }
            tx.commit().await.context("cannot commit the SLA scan")?;
            if n < BATCH {
                break;
            }
        }
        crate::monitor::get().scanned(&stats, started.elapsed());
        if stats.queued_mail() {
            info!(
                clocks = stats.clocks,
                warnings = stats.warnings,
                breaches = stats.breaches,
                escalations = stats.escalations,
                "SLA scan"
            );
        }
        Ok(stats)
    }

    async fn look(
        &self,
        c: &mut Conn,
        row: ClockRow,
        now: i64,
        stats: &mut ScanStats,
    ) -> Result<()> {
        let cfg = &self.cfg;
        stats.clocks += 1;
        let cal = calendar_of(cfg, row.business_hours);
        let after = row.next_check_at.map_or(now, |n| n - 1);
        let dues = due_between(&row.clock, cal, &cfg.escalation, after, now);
        if !dues.is_empty() {
            let ticket = tickets::get(c, row.ticket_id)
                .await?
                .with_context(|| format!("clock of a missing ticket #{}", row.ticket_id))?;
            for due in dues {
                if record(c, cfg, Some(&self.templates), &ticket, &row, due, now).await? {
                    match due {
                        Due::Warning { .. } => stats.warnings += 1,
                        Due::Breach { .. } => stats.breaches += 1,
                        Due::Step { .. } => stats.escalations += 1,
                    }
                }
            }
        }
        let next = next_check(&row.clock, cal, &cfg.escalation, now);
        sla_clocks::set_next_check(c, &row, next).await?;
        Ok(())
    }

    /// Scans every `escalation.scan_interval` until `shutdown` turns true;
    /// `wake` is nudged when a scan queued mail. A scan in progress always
    /// finishes.
    pub async fn run(
        &self,
        wake: watch::Sender<()>,
        mut shutdown: watch::Receiver<bool>,
        clock: impl Fn() -> i64,
    ) -> Result<()> {
        let mut interval = tokio::time::interval(self.cfg.escalation.scan_interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            match self.tick(clock()).await {
                Ok(stats) if stats.queued_mail() => {
                    let _ = wake.send(());
                }
                Ok(_) => {}
                Err(e) => warn!(error = %format!("{e:#}"), "SLA scan failed"),
            }
            tokio::select! {
                _ = interval.tick() => {}
                _ = shutdown.changed() => {}
            }
        }
    }
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
    fn durations_read_well() {
        assert_eq!(human_duration(600, Language::Id), "10 menit");
        assert_eq!(human_duration(8 * 3600, Language::Id), "8 jam");
        assert_eq!(human_duration(3600, Language::En), "1 hour");
        assert_eq!(human_duration(5400, Language::En), "1 hour 30 minutes");
        assert_eq!(human_duration(450, Language::Id), "7 menit 30 detik");
    }
}
