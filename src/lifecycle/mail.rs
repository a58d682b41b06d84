//! Queuing the survey's mail: to the requester (the reminder) and to the
//! people who handle the ticket (a low rating, a reopening from the page).
//! Rows in the outbox, written in the caller's transaction.

use anyhow::Result;
use chrono::TimeZone;

use crate::config::Config;
use crate::domain::{EmailAddress, MailKind, TicketId, Visibility};
use crate::mail::compose::{self, Outgoing};
use crate::mail::templates::Rendered;
use crate::outgoing::{Recording, record_outgoing};
use crate::staff_token::KeyRing;
use crate::store::script::Script;
use crate::{staff_auth, staff_token};

/// Who handles ticket: its assignee, else its group's members, else the
/// service desk; by name and address.
pub fn handlers(
    cfg: &Config,
    assignee: Option<&str>,
    group: Option<&str>,
) -> Vec<(Option<String>, EmailAddress)> {
    let pick = |s: &crate::config::Staff| (Some(s.name.clone()), s.email.clone());
    if let Some(s) = assignee.and_then(|h| cfg.staff_by_handle(h)) {
        return vec![pick(s)];
    }
    let members: Vec<_> = group
        .map(|g| cfg.group_members(g).map(pick).collect())
        .unwrap_or_default();
    if !members.is_empty() {
        return members;
    }
    cfg.service_desk().map(pick).collect()
}

/// The Reply-To of a mail to `to` about `ticket`: for staff, the desk's
/// address with their token, so their answer acts with commands as
/// themselves; for anyone else, or without `keys`, the desk's address.
pub fn reply_to(
    cfg: &Config,
    keys: Option<&KeyRing>,
    to: &EmailAddress,
    ticket: Option<TicketId>,
    now: i64,
) -> EmailAddress {
    let desk = &cfg.desk.address;
    match (cfg.staff_by_email(to), keys) {
        (Some(s), Some(keys)) => {
            staff_auth::tokened_address(desk, &staff_token::issue(keys, &s.handle, ticket, now))
        }
        _ => desk.clone(),
    }
}

/// One mail about ticket `id` (subject `subject`) to `to`, from the desk,
/// queued in `w`: `internal` for staff, public for the requester. Staff
/// get their tokened Reply-To when `keys` are given.
pub struct Queued<'a> {
    pub id: TicketId,
    pub subject: &'a str,
    pub kind: MailKind,
    pub to: Vec<(Option<String>, EmailAddress)>,
    pub internal: bool,
    pub keys: Option<&'a KeyRing>,
}

pub fn queue(w: &mut Script, cfg: &Config, q: Queued<'_>, r: &Rendered, now: i64) -> Result<()> {
    let desk = &cfg.desk;
    for (name, addr) in q.to {
        let out = Outgoing {
            from_name: desk.name.clone(),
            from: desk.address.clone(),
            reply_to: reply_to(cfg, q.keys, &addr, Some(q.id), now),
            to: vec![(name, addr.clone())],
            subject: crate::threading::tagged_subject(&desk.tag, q.id, q.subject),
            text: r.text.clone(),
            html: Some(r.html.clone()),
            message_id: compose::new_message_id(Some(q.id), q.kind.as_str(), desk.domain()),
            in_reply_to: None,
            references: Vec::new(),
            auto_submitted: Some("auto-generated"),
            ticket_id: Some(q.id),
            date: now,
        };
        let recording = Recording {
            kind: q.kind,
            visibility: if q.internal {
                Visibility::Internal
            } else {
                Visibility::Public
            },
            primary: addr.base(),
        };
        record_outgoing(w, &out, recording, now)?;
    }
    Ok(())
}

/// A day as the desk writes it ("30 Dec 2026").
pub fn day(cfg: &Config, t: i64) -> String {
    cfg.desk
        .timezone
        .timestamp_opt(t, 0)
        .single()
        .map(|t| t.format("%d %b %Y").to_string())
        .unwrap_or_default()
}
