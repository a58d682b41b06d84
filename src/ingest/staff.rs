//! Staff mail: replies relayed to requesters, and `#commands` applied.
//!
//! A mail whose From is an address in the staff directory comes here
//! instead of becoming a plain comment. A From proves nothing, so such a
//! mail counts as the staff member's only once it proves itself
//! ([`crate::staff_auth`]: the token of the address it was sent to, bound to
//! the staff member and the ticket, or DKIM); until then it is recorded
//! under the sender's plain address, never the handle:
//!
//! 1. the commands are read from the subject and the leading body lines
//!    ([`crate::commands`]), and the new text is what is left without them,
//!    its quoted part and signature cut off ([`crate::reply_trim`]);
//! 2. the mail must prove it is the staff member's, for *this* ticket:
//!    without that proof nothing is applied *and nothing is relayed* (a
//!    forged "Budi via IT Helpdesk" mail to a requester is as harmful as a
//!    forged `#close`); the text is kept as an internal note under the
//!    sender's address, the attempt is recorded (`command_refused`, with
//!    the evidence) and the staff member is told at the directory address,
//!    never the forged sender's Reply-To, with a fresh reply address for
//!    the ticket (what to do when theirs expired or was another ticket's);
//! 3. every command is checked against the ticket and the configuration
//!    (handles, groups, categories, levels, role limits) before any is
//!    applied: one invalid command and none applies (`command_invalid`),
//!    and the staff member is told which, why and what was probably meant;
//! 4. all of them apply in the caller's transaction, each recorded as a
//!    `command` event with who, what, the evidence and the source message,
//!    plus the event of what changed (`status_changed`, `assigned`,
//!    `escalated`, `recategorised`, `merged`, `watcher_added` …);
//! 5. the requester (and the watchers) get one mail: the staff text, or the
//!    status notice with the text in it; the receiving group gets the
//!    escalation form; the staff member gets a short confirmation.
//!
//! What needs no ticket token: `#help` without a ticket (its answer goes to
//! the directory address, whoever asked); a staff member's own mail with
//! no commands (it opens a ticket of theirs, as a requester, or is their
//! reply on their own ticket). A new mail with commands (`#requester:`)
//! needs the staff member's personal address (the token without a ticket,
//! which `#help` gives); a ticket's token does nothing there. A robot's
//! mail from a staff address (an out-of-office) never acts and is never
//! the staff member's words: on someone else's ticket it is kept as an
//! internal note, marked `sender_unverified` when it proved nothing.
//!
//! The text of `#internal` and of `#escalate` (the reason) stays with staff.
//! The first mail the requester gets from staff is the ticket's first
//! response (`first_response_at`, event `first_response`), and a public
//! reply to a `new` ticket puts it in progress.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::TimeZone;
use serde_json::{Value, json};

use super::{Incoming, Ingestor, MAX_REFERENCES, Outcome};
use crate::catalogue::Group;
use crate::commands::{self, Assignee, Command, Located, Parsed};
use crate::compose::{self, Outgoing};
use crate::config::{Language, Staff};
use crate::domain::{EmailAddress, Status, TicketId, Visibility};
use crate::notify;
use crate::parse::{InboundMessage, Mailbox};
use crate::reply_trim;
use crate::rules;
use crate::sla_store;
use crate::staff_auth::{self, Check, Verdict};
use crate::staff_token::{self, KeyRing, Problem};
use crate::store::events::MsgRef;
use crate::store::script::Script;
use crate::store::{Conn, events, messages, outbox, raw, staff_keys, tickets, watchers};

/// How long the keys read from the database are used before they are read
/// again: a key made by `posko auth rotate-key` signs in a running daemon
/// within this time (the old one keeps verifying meanwhile).
const KEY_REFRESH: Duration = Duration::from_secs(60);

/// Keys read at an instant.
type Loaded = (Instant, Arc<KeyRing>);

/// The keys of the staff tokens and when they were read.
#[derive(Clone, Default)]
pub(super) struct KeyCache(Arc<RwLock<Option<Loaded>>>);

impl KeyCache {
    fn get(&self, max_age: Option<Duration>) -> Option<Arc<KeyRing>> {
        let guard = self.0.read().unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .filter(|(at, _)| max_age.is_none_or(|m| at.elapsed() < m))
            .map(|(_, k)| k.clone())
    }

    pub(super) fn set(&self, keys: Arc<KeyRing>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), keys));
    }
}

/// What a valid set of commands will do, worked out before anything is
/// written.
#[derive(Debug, Default)]
struct Plan {
    status: Option<Status>,
    reopen: bool,
    assign: Option<Staff>,
    escalate: Option<(Group, Group)>,
    priority: Option<i64>,
    urgency: Option<String>,
    impact: Option<String>,
    /// (category, type)
    recategorise: Option<(String, String)>,
    cc: Vec<EmailAddress>,
    merge: Option<tickets::Ticket>,
    internal: bool,
    help: bool,
}

/// The staff text of a mail: new text and what was cut off.
struct Text {
    new: String,
    quoted: Option<String>,
}

impl Ingestor {
    /// The staff member whose address `msg`'s From is: a claim, which
    /// [`Self::verify`] checks before anything counts as theirs.
    pub(super) fn claimed_staff(&self, msg: &InboundMessage) -> Option<Staff> {
        let from = msg.from.as_ref()?;
        self.cfg.staff_by_email(&from.address).cloned()
    }

    /// Loads the keys of the staff tokens; [`crate::app::App::build`] calls
    /// it at start, so a missing or weak `auth.secret_env` stops posko with
    /// a clear error rather than at the first staff mail.
    pub async fn prepare(&self) -> Result<()> {
        // A read: posko starts even while another writer holds the lock.
        let mut c = self.db.pool().acquire().await?;
        self.keys(&mut c).await?;
        Ok(())
    }

    /// The keys of the staff tokens: `auth.secret_env`'s variable (read
    /// once), else the database's `staff_keys` (read again after
    /// [`KEY_REFRESH`], to follow a rotation).
    pub(super) async fn keys(&self, c: &mut Conn) -> Result<Arc<KeyRing>> {
        let max_age = self.cfg.auth.secret_env.is_none().then_some(KEY_REFRESH);
        if let Some(k) = self.keys.get(max_age) {
            return Ok(k);
        }
        let ring = match &self.cfg.auth.secret_env {
            Some(var) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => KeyRing::from_env(&v)
                    .map_err(|e| anyhow::anyhow!("auth.secret_env ({var}): {e}"))?,
                _ => anyhow::bail!(
                    "auth.secret_env names the environment variable {var}, which is not set: \
                     set it to a long random string (e.g. `openssl rand -hex 32`), or remove \
                     secret_env to use the keys kept in the database"
                ),
            },
            None => KeyRing::new(staff_keys::load(c).await?).map_err(anyhow::Error::msg)?,
        };
        let ring = Arc::new(ring);
        self.keys.set(ring.clone());
        Ok(ring)
    }

    /// The Reply-To of mail to `to` about `ticket` (none: the personal
    /// address), sent at `now`: for staff, the desk address with their
    /// token; for everyone else, the desk's address. The keys are loaded
    /// before any message is processed ([`Ingestor::keys`]).
    pub(super) fn reply_to_for(
        &self,
        to: &EmailAddress,
        ticket: Option<TicketId>,
        now: i64,
    ) -> EmailAddress {
        let desk = &self.cfg.desk;
        match (self.cfg.staff_by_email(to), self.keys.get(None)) {
            (Some(s), Some(keys)) => staff_auth::tokened_address(
                &desk.address,
                &staff_token::issue(&keys, &s.handle, ticket, now),
            ),
            _ => desk.address.clone(),
        }
    }

    /// Staff mail: see the module documentation.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn staff_mail(
        &self,
        c: &mut Conn,
        numbering: &mut tickets::Numbering,
        w: &mut Script,
        msg: &InboundMessage,
        raw_id: &str,
        staff: &Staff,
        item: &Incoming,
        recent_acks: i64,
        now: i64,
    ) -> Result<Outcome> {
        let found = self.find_ticket(c, msg).await?;
        let parsed = commands::parse(&msg.subject, &msg.body_text);
        let help_only = !parsed.commands.is_empty()
            && parsed.errors.is_empty()
            && parsed.commands.iter().all(|l| l.command == Command::Help);
        match found {
            None if parsed.is_empty() => {
                self.open_ticket(c, numbering, w, msg, raw_id, None, item, recent_acks, now)
                    .await
            }
            None if help_only => {
                self.queue_help(c, w, msg, staff, None, now).await?;
                Ok(Outcome::Answered)
            }
            None => {
                self.staff_new_ticket(
                    c,
                    numbering,
                    w,
                    msg,
                    raw_id,
                    staff,
                    parsed,
                    item,
                    recent_acks,
                    now,
                )
                .await
            }
            Some(f) => {
                let ticket = tickets::get(c, f.id).await?.context("ticket vanished")?;
                let own = EmailAddress::parse(&ticket.requester)
                    .is_some_and(|r| r.base() == staff.email.base());
                if own && parsed.is_empty() {
                    // Their own ticket, as a requester.
                    let reopen = matches!(
                        crate::threading::decide(Some(f), now, self.cfg.desk.reopen_window),
                        crate::threading::Decision::Append { reopen: true, .. }
                    );
                    return self.add_comment(c, w, msg, raw_id, f.id, reopen, now).await;
                }
                self.staff_on_ticket(c, w, msg, raw_id, staff, ticket, parsed, item, now)
                    .await
            }
        }
    }

    /// Whether `msg` proves it is `staff`'s, for `ticket` (none: a mail
    /// opening a new ticket): see [`crate::staff_auth`].
    fn verify(
        &self,
        keys: &KeyRing,
        staff: &Staff,
        item: &Incoming,
        msg: &InboundMessage,
        ticket: Option<TicketId>,
        now: i64,
    ) -> Verdict {
        let recipients = staff_auth::recipients(&self.cfg.auth, &item.recipients, msg);
        let claim = staff_auth::Claim {
            staff,
            ticket,
            recipients: &recipients,
            headers: &msg.headers,
            now,
        };
        staff_auth::verify(&self.cfg.auth, &self.cfg.desk, keys, &claim)
    }

    /// [`Self::verify`] for a mail on ticket `id`, which may be where the
    /// ticket its token names was merged into (the staff member replied to
    /// a notice about the merged ticket).
    async fn verify_on_ticket(
        &self,
        c: &mut Conn,
        staff: &Staff,
        item: &Incoming,
        msg: &InboundMessage,
        id: TicketId,
        now: i64,
    ) -> Result<Verdict> {
        let keys = self.keys(c).await?;
        let verdict = self.verify(&keys, staff, item, msg, Some(id), now);
        let Some(Problem::OtherTicket {
            token_ticket: Some(mut t),
        }) = verdict.token_problem
        else {
            return Ok(verdict);
        };
        for _ in 0..8 {
            match tickets::get(c, t).await?.and_then(|x| x.merged_into) {
                Some(next) if next == id => {
                    return Ok(self.verify(&keys, staff, item, msg, Some(t), now));
                }
                Some(next) => t = next,
                None => break,
            }
        }
        Ok(verdict)
    }

    /// A robot's mail from a staff address (an out-of-office, a bounce),
    /// just added to ticket `id` as a comment (which changes nothing, as for
    /// any robot). On a ticket that is not the staff member's own it is
    /// never their words: an internal note, and, when it proves nothing,
    /// marked `sender_unverified` with the evidence.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn staff_robot_note(
        &self,
        c: &mut Conn,
        w: &mut Script,
        msg: &InboundMessage,
        item: &Incoming,
        staff: &Staff,
        id: TicketId,
        now: i64,
    ) -> Result<()> {
        let ticket = tickets::get(c, id).await?.context("ticket vanished")?;
        let own =
            EmailAddress::parse(&ticket.requester).is_some_and(|r| r.base() == staff.email.base());
        if own {
            return Ok(());
        }
        messages::push_set_internal(w, &msg.message_id);
        let verdict = self.verify_on_ticket(c, staff, item, msg, id, now).await?;
        if !verdict.passed() {
            events::push(
                w,
                id,
                "sender_unverified",
                &self.author_of(msg),
                now,
                &MsgRef::Latest(msg.message_id.clone()),
                &json!({
                    "claimed_staff": staff.handle,
                    "reason": verdict.reason(),
                    "auth": verdict.json(),
                    "auto": msg.auto.as_ref().map(|a| a.kind.as_str()),
                    "kept_internal": true,
                    "source_message": msg.message_id,
                }),
            );
        }
        Ok(())
    }

    /// A staff mail on an existing ticket.
    #[allow(clippy::too_many_arguments)]
    async fn staff_on_ticket(
        &self,
        c: &mut Conn,
        w: &mut Script,
        msg: &InboundMessage,
        raw_id: &str,
        staff: &Staff,
        ticket: tickets::Ticket,
        parsed: Parsed,
        item: &Incoming,
        now: i64,
    ) -> Result<Outcome> {
        let id = ticket.id;
        let text = staff_text(&parsed);
        let verdict = self.verify_on_ticket(c, staff, item, msg, id, now).await?;
        // Their handle and a staff kind only once the mail proved it is
        // theirs; else it is the sender address's reply (kept internal).
        let (author, kind) = if !verdict.passed() {
            (self.author_of(msg), "reply")
        } else if parsed
            .commands
            .iter()
            .any(|l| l.command == Command::Internal)
        {
            (staff.handle.clone(), "note")
        } else {
            (staff.handle.clone(), "staff_reply")
        };
        let mid = self.record_inbound(
            w,
            msg,
            raw_id,
            id,
            kind,
            &text.new,
            text.quoted.as_deref(),
            &author,
            now,
        )?;
        tickets::push_touch(w, id, now);
        if !verdict.passed() {
            messages::push_set_internal(w, &msg.message_id);
            self.refuse(w, msg, staff, &ticket, &parsed, &verdict, &mid, true, now)?;
            return Ok(Outcome::Comment(id));
        }
        let plan = match self.plan(&ticket, staff, &parsed) {
            Ok(p) => p,
            Err(errors) => {
                messages::push_set_internal(w, &msg.message_id);
                self.reject(
                    w, msg, staff, &ticket, &parsed, &verdict, errors, &mid, true, now,
                )?;
                return Ok(Outcome::Comment(id));
            }
        };
        if plan.internal || plan.escalate.is_some() {
            messages::push_set_internal(w, &msg.message_id);
        }
        self.apply(
            c, w, msg, staff, ticket, &parsed, plan, &verdict, &text, &mid, false, now,
        )
        .await?;
        Ok(Outcome::Comment(id))
    }

    /// A new mail from staff with commands: `#requester:` opens the ticket
    /// on someone's behalf; other commands apply to the new ticket.
    #[allow(clippy::too_many_arguments)]
    async fn staff_new_ticket(
        &self,
        c: &mut Conn,
        numbering: &mut tickets::Numbering,
        w: &mut Script,
        msg: &InboundMessage,
        raw_id: &str,
        staff: &Staff,
        parsed: Parsed,
        item: &Incoming,
        recent_acks: i64,
        now: i64,
    ) -> Result<Outcome> {
        // A new ticket: only the personal address (no ticket) proves it.
        let keys = self.keys(c).await?;
        let verdict = self.verify(&keys, staff, item, msg, None, now);
        let on_behalf = parsed.commands.iter().find_map(|l| match &l.command {
            Command::Requester(a) => Some(a.clone()),
            _ => None,
        });
        let mut m = msg.clone();
        m.subject = parsed.subject_without_commands.clone();
        m.body_text = parsed.body_without_commands.trim().to_string();
        if let Some(a) = &on_behalf {
            m.from = Some(Mailbox {
                name: None,
                address: a.clone(),
            });
            m.reply_to = None;
            m.in_reply_to.clear();
            m.references.clear();
        }
        // Checked against the ticket-to-be, so nothing opens when a command
        // is wrong.
        let class = rules::classify(&self.cfg.rules, &self.cfg.catalogue, &m);
        let provisional = provisional_ticket(&m, &class.result, now);
        let plan = if verdict.passed() {
            Some(self.plan(&provisional, staff, &parsed))
        } else {
            None
        };
        let plan = match plan {
            Some(Ok(p)) => p,
            failed => {
                // Nothing applies: the mail becomes an ordinary ticket of
                // its sender, and the refusal is recorded on it.
                let outcome = self
                    .open_ticket(c, numbering, w, msg, raw_id, None, item, recent_acks, now)
                    .await?;
                // The new ticket is read back below: write it first.
                w.flush(c, self.db.backend()).await?;
                if let Outcome::NewTicket(id) = outcome {
                    let t = tickets::get(c, id).await?.context("ticket vanished")?;
                    let mid = MsgRef::Latest(msg.message_id.clone());
                    match failed {
                        Some(Err(errors)) => self.reject(
                            w, msg, staff, &t, &parsed, &verdict, errors, &mid, false, now,
                        )?,
                        _ => self.refuse(w, msg, staff, &t, &parsed, &verdict, &mid, false, now)?,
                    }
                }
                return Ok(outcome);
            }
        };
        // The acknowledgment to the requester a staff member named counts
        // against that address's limit and the desk's, like any other:
        // `#requester:` must not be a way around them.
        let acks = match &on_behalf {
            Some(a) => {
                let since = now - self.cfg.desk.ack_window.as_secs() as i64;
                raw::acks_to(c, a.base(), since).await?
            }
            None => recent_acks,
        };
        let outcome = self
            .open_ticket(c, numbering, w, &m, raw_id, None, item, acks, now)
            .await?;
        // The commands below read and update the new ticket: write it first.
        w.flush(c, self.db.backend()).await?;
        let Outcome::NewTicket(id) = outcome else {
            return Ok(outcome);
        };
        let request = MsgRef::Latest(msg.message_id.clone());
        if let Some(a) = &on_behalf {
            let from = msg.from.as_ref();
            messages::push_set_sender(
                w,
                &msg.message_id,
                from.map(|f| f.address.as_str()).unwrap_or_default(),
                from.and_then(|f| f.name.as_deref()),
                &staff.handle,
            );
            events::push(
                w,
                id,
                "opened_on_behalf",
                &staff.handle,
                now,
                &request,
                &json!({ "requester": a.as_str(), "by": staff.handle, "auth": verdict.json(),
                         "source_message": msg.message_id }),
            );
        }
        let ticket = tickets::get(c, id).await?.context("ticket vanished")?;
        let text = Text {
            new: String::new(),
            quoted: None,
        };
        self.apply(
            c, w, msg, staff, ticket, &parsed, plan, &verdict, &text, &request, true, now,
        )
        .await?;
        Ok(outcome)
    }

    /// Checks every command; the errors, each with what was probably meant.
    fn plan(
        &self,
        t: &tickets::Ticket,
        staff: &Staff,
        parsed: &Parsed,
    ) -> std::result::Result<Plan, Vec<String>> {
        let cfg = &self.cfg;
        let cat = &cfg.catalogue;
        let mut errors: Vec<String> = parsed.errors.iter().map(|e| e.to_string()).collect();
        let mut p = Plan::default();
        let resolving = parsed.commands.iter().any(|l| {
            l.command.status_change() == Some(commands::StatusChange::To(Status::Resolved))
        });
        let current_group = t
            .group_key
            .as_deref()
            .and_then(|g| cat.group(g))
            .cloned()
            .unwrap_or_else(|| cat.groups[0].clone());
        let explicit_type = parsed.commands.iter().find_map(|l| match l.command {
            Command::Type(ty) => Some(ty.as_str().to_string()),
            _ => None,
        });
        for Located { command, raw, .. } in &parsed.commands {
            match command {
                Command::Status(Status::Closed) | Command::Close => {
                    if t.status != Status::Resolved
                        && t.status != Status::Closed
                        && !resolving
                        && !staff.role.satisfies(cfg.auth.close_requires)
                    {
                        errors.push(format!(
                            "{raw}: only a {} may close a ticket that is not resolved; \
                             did you mean #resolve?",
                            cfg.auth.close_requires.as_str()
                        ));
                    }
                    p.status = Some(Status::Closed);
                }
                Command::Status(s) => p.status = Some(*s),
                Command::Pending => p.status = Some(Status::Pending),
                Command::Resolve => p.status = Some(Status::Resolved),
                Command::Reopen => {
                    if matches!(t.status, Status::Resolved | Status::Closed) {
                        p.reopen = true;
                    } else {
                        errors.push(format!(
                            "{raw}: ticket #{} is not resolved or closed (it is {})",
                            t.id, t.status
                        ));
                    }
                }
                Command::Assign(a) => {
                    let who = match a {
                        Assignee::Me => Some(staff.clone()),
                        Assignee::Handle(h) => cfg
                            .staff_by_handle(h)
                            .or_else(|| EmailAddress::parse(h).and_then(|e| cfg.staff_by_email(&e)))
                            .cloned(),
                    };
                    match who {
                        Some(s) => p.assign = Some(s),
                        None => {
                            let h = command.value().unwrap_or_default();
                            let hint =
                                commands::suggest(&h, cfg.staff.iter().map(|s| s.handle.as_str()))
                                    .map(|s| format!("; did you mean #assign:{s}?"))
                                    .unwrap_or_default();
                            errors
                                .push(format!("{raw}: no staff member has the handle {h:?}{hint}"));
                        }
                    }
                }
                Command::Escalate(target) => {
                    let to = match target {
                        Some(g) => match cat.group(g) {
                            Some(g) => Some(g.clone()),
                            None => {
                                let hint = commands::suggest(g, cat.groups.iter().map(|g| g.key.as_str()))
                                    .map(|s| format!("; did you mean #escalate:{s}?"))
                                    .unwrap_or_default();
                                errors.push(format!("{raw}: there is no group {g:?}{hint}"));
                                None
                            }
                        },
                        None => next_level(cat, t, &current_group).or_else(|| {
                            errors.push(format!(
                                "{raw}: ticket #{} is with {} (level {}), and there is no higher level",
                                t.id, current_group.key, current_group.level
                            ));
                            None
                        }),
                    };
                    if let Some(to) = to {
                        if to.key == current_group.key {
                            errors.push(format!(
                                "{raw}: ticket #{} is with {} already",
                                t.id, to.key
                            ));
                        } else if to.level <= current_group.level
                            && !staff.role.satisfies(cfg.auth.move_requires)
                        {
                            errors.push(format!(
                                "{raw}: only a {} may move a ticket from {} (level {}) to {} (level {}): \
                                 escalation goes up a level",
                                cfg.auth.move_requires.as_str(),
                                current_group.key,
                                current_group.level,
                                to.key,
                                to.level
                            ));
                        } else {
                            p.escalate = Some((current_group.clone(), to));
                        }
                    }
                }
                Command::Priority(n) => {
                    if cat.priority.level(*n).is_some() {
                        p.priority = Some(*n as i64);
                    } else {
                        let levels: Vec<String> = cat
                            .priority
                            .levels
                            .iter()
                            .map(|l| l.value.to_string())
                            .collect();
                        errors.push(format!(
                            "{raw}: {n} is not a priority level (levels: {})",
                            levels.join(", ")
                        ));
                    }
                }
                Command::Urgency(l) | Command::Impact(l) => {
                    let (scale, slot) = if matches!(command, Command::Urgency(_)) {
                        (&cat.priority.urgency, &mut p.urgency)
                    } else {
                        (&cat.priority.impact, &mut p.impact)
                    };
                    if scale.iter().any(|s| s == l.as_str()) {
                        *slot = Some(l.as_str().to_string());
                    } else {
                        errors.push(format!(
                            "{raw}: {} is not on this desk's scale ({})",
                            l.as_str(),
                            scale.join(", ")
                        ));
                    }
                }
                Command::Category(k) => match cat.category(k) {
                    Some(category) => {
                        let ty = explicit_type
                            .clone()
                            .unwrap_or_else(|| category.ticket_type.as_str().to_string());
                        p.recategorise = Some((k.clone(), ty));
                    }
                    None => {
                        let hint =
                            commands::suggest(k, cat.categories.iter().map(|c| c.key.as_str()))
                                .map(|s| format!("; did you mean #category:{s}?"))
                                .unwrap_or_default();
                        errors.push(format!("{raw}: there is no category {k:?}{hint}"));
                    }
                },
                Command::Type(ty) => {
                    if p.recategorise.is_none() {
                        let current = t
                            .category
                            .clone()
                            .unwrap_or_else(|| cat.default_category().key.clone());
                        p.recategorise = Some((current, ty.as_str().to_string()));
                    }
                }
                Command::Cc(a) => {
                    if cfg.desk.is_own_address(a) {
                        errors.push(format!(
                            "{raw}: the desk's own address cannot watch a ticket"
                        ));
                    } else {
                        p.cc.push(a.clone());
                    }
                }
                Command::Merge(n) => {
                    if *n == t.id {
                        errors.push(format!("{raw}: a ticket cannot be merged into itself"));
                    } else {
                        p.merge = Some(tickets::Ticket {
                            id: *n,
                            ..t.clone()
                        });
                    }
                }
                Command::Requester(_) => {
                    if t.id != 0 {
                        errors.push(format!(
                            "{raw}: #requester opens a new ticket; send it in a new mail to {}, \
                             not in a reply on ticket #{}",
                            cfg.desk.address, t.id
                        ));
                    }
                }
                Command::Internal => p.internal = true,
                Command::Help => p.help = true,
            }
        }
        if errors.is_empty() {
            Ok(p)
        } else {
            Err(errors)
        }
    }

    /// Writes what `plan` says, records every command, and queues the mail.
    #[allow(clippy::too_many_arguments)]
    async fn apply(
        &self,
        c: &mut Conn,
        w: &mut Script,
        msg: &InboundMessage,
        staff: &Staff,
        ticket: tickets::Ticket,
        parsed: &Parsed,
        mut plan: Plan,
        verdict: &Verdict,
        text: &Text,
        mid: &MsgRef,
        new_ticket: bool,
        now: i64,
    ) -> Result<()> {
        let cfg = &self.cfg;
        let id = ticket.id;
        let actor = staff.handle.as_str();
        let evidence = verdict.json();
        // The merge target is looked up inside the transaction.
        if let Some(target) = plan.merge.take() {
            let found = tickets::get(c, target.id).await?;
            match found {
                Some(t) if t.merged_into.is_none() => plan.merge = Some(t),
                other => {
                    let why = match other {
                        Some(t) => format!(
                            "#merge:{}: ticket #{} was itself merged into #{}; did you mean #merge:{}?",
                            target.id,
                            t.id,
                            t.merged_into.unwrap_or_default(),
                            t.merged_into.unwrap_or_default()
                        ),
                        None => format!("#merge:{}: there is no ticket #{}", target.id, target.id),
                    };
                    messages::push_set_internal(w, &msg.message_id);
                    return self.reject(
                        w,
                        msg,
                        staff,
                        &ticket,
                        parsed,
                        verdict,
                        vec![why],
                        mid,
                        !new_ticket,
                        now,
                    );
                }
            }
        }
        for l in &parsed.commands {
            events::push(
                w,
                id,
                "command",
                actor,
                now,
                mid,
                &json!({
                    "command": l.command.to_string(),
                    "name": l.command.name(),
                    "value": l.command.value(),
                    "raw": l.raw,
                    "source": match l.source {
                        commands::Source::Subject => "subject".to_string(),
                        commands::Source::Body { line } => format!("body line {line}"),
                    },
                    "auth": evidence,
                    "source_message": msg.message_id,
                }),
            );
        }
        // Urgency and impact: the matrix gives the priority, unless the same
        // mail set the priority itself.
        let urgency = plan.urgency.clone().or(ticket.urgency.clone());
        let impact = plan.impact.clone().or(ticket.impact.clone());
        let mut priority = plan.priority;
        if priority.is_none()
            && (plan.urgency.is_some() || plan.impact.is_some())
            && let (Some(u), Some(i)) = (&urgency, &impact)
        {
            priority = cfg.catalogue.priority.priority(u, i).map(i64::from);
        }
        let retarget = retargeted_ticket(&ticket, priority, &plan);
        // The clocks follow a new priority or category while they run: before
        // a `#resolve` in this mail stops them (so it is judged against the
        // new targets), or after a `#reopen` runs them again.
        let clocks_stopped = matches!(ticket.status, Status::Resolved | Status::Closed);
        let mut retargeted = Vec::new();
        if let Some(t) = retarget.as_ref().filter(|_| !clocks_stopped) {
            retargeted = sla_store::on_retarget(c, t, now, cfg).await?;
        }
        let mut update = tickets::Update::default();
        let mut status = ticket.status;
        let private_text = plan.internal || plan.escalate.is_some() || text.new.trim().is_empty();
        let mut set_status = |to: Status,
                              kind: &'static str,
                              why: Value|
         -> Option<(Status, Status, &'static str, Value)> {
            (to != status).then(|| {
                let from = status;
                status = to;
                (from, to, kind, why)
            })
        };
        let mut changes = Vec::new();
        if plan.reopen {
            changes.extend(set_status(Status::InProgress, "reopened", json!({})));
        }
        if let Some(s) = plan.status {
            changes.extend(set_status(s, "status_changed", json!({})));
        }
        if plan.merge.is_some() {
            changes.extend(set_status(
                Status::Closed,
                "status_changed",
                json!({ "reason": "merged" }),
            ));
        }
        if plan.status.is_none() && !plan.reopen && !private_text && !new_ticket {
            changes.extend(
                set_status(
                    Status::InProgress,
                    "status_changed",
                    json!({ "reason": "first staff reply" }),
                )
                .filter(|(from, ..)| *from == Status::New),
            );
        }
        // The closure's borrow ends here.
        let status = if changes.is_empty() {
            ticket.status
        } else {
            changes.last().map(|c| c.1).unwrap_or(ticket.status)
        };
        for (from, to, kind, why) in &changes {
            tickets::push_status(w, id, *to, now);
            sla_store::on_status_change(c, id, *from, *to, now, cfg).await?;
            let mut data = json!({ "from": from.as_str(), "to": to.as_str() });
            if let (Some(d), Some(w)) = (data.as_object_mut(), why.as_object()) {
                d.extend(w.clone());
            }
            events::push(w, id, kind, actor, now, mid, &data);
        }
        if let Some(t) = retarget.filter(|_| clocks_stopped) {
            let t = tickets::Ticket { status, ..t };
            retargeted = sla_store::on_retarget(c, &t, now, cfg).await?;
        }
        let mut assignee = ticket.assignee.clone();
        if let Some(s) = &plan.assign {
            update.assignee = Some(Some(s.handle.as_str()));
            assignee = Some(s.handle.clone());
            events::push(
                w,
                id,
                "assigned",
                actor,
                now,
                mid,
                &json!({ "from": ticket.assignee, "to": s.handle }),
            );
        }
        let mut group_key = ticket.group_key.clone();
        if let Some((from, to)) = &plan.escalate {
            update.group = Some(to.key.as_str());
            group_key = Some(to.key.clone());
            if plan.assign.is_none() {
                // The receiving group picks it up.
                update.assignee = Some(None);
                assignee = None;
            }
            events::push(
                w,
                id,
                "escalated",
                actor,
                now,
                mid,
                &json!({
                    "from_group": from.key, "from_level": from.level,
                    "to_group": to.key, "to_level": to.level,
                    "reason": text.new.trim(),
                }),
            );
        }
        update.urgency = plan.urgency.as_deref();
        update.impact = plan.impact.as_deref();
        update.priority = priority;
        if plan.urgency.is_some() || plan.impact.is_some() || plan.priority.is_some() {
            events::push(
                w,
                id,
                "priority_changed",
                actor,
                now,
                mid,
                &json!({
                    "from": { "urgency": ticket.urgency, "impact": ticket.impact, "priority": ticket.priority },
                    "to": { "urgency": urgency, "impact": impact, "priority": priority.or(ticket.priority) },
                    "rule": if plan.priority.is_some() { "set by #priority" } else { "urgency × impact matrix" },
                }),
            );
        }
        if let Some((category, ty)) = &plan.recategorise {
            // The event's message is not written yet (the script runs last); the
            // `command` event names it.
            tickets::recategorise(c, id, category, ty, actor, None, now).await?;
        }
        for a in &plan.cc {
            if watchers::add(c, id, a.base(), actor, now).await? {
                events::push(
                    w,
                    id,
                    "watcher_added",
                    actor,
                    now,
                    mid,
                    &json!({ "address": a.base() }),
                );
            }
        }
        if let Some(target) = &plan.merge {
            update.merged_into = Some(target.id);
            events::push(
                w,
                id,
                "merged",
                actor,
                now,
                mid,
                &json!({ "into": target.id }),
            );
            events::push(
                w,
                target.id,
                "merged_from",
                actor,
                now,
                &MsgRef::None,
                &json!({ "ticket": id }),
            );
        }

        // Mail to the requester and the watchers.
        let notice = if plan.merge.is_some() {
            Some("merged")
        } else if status == Status::Resolved && status != ticket.status {
            Some("resolved")
        } else if plan.escalate.is_some() {
            Some("escalated")
        } else if status != ticket.status {
            Some("status_changed")
        } else if plan.assign.is_some() {
            Some("assigned")
        } else {
            None
        };
        let note = (!private_text).then(|| text.new.trim().to_string());
        let template = match (notice, &note) {
            (Some(n), _) => Some(n),
            (None, Some(_)) => Some("staff_reply"),
            (None, None) => None,
        };
        let mut relayed: Vec<String> = Vec::new();
        if let Some(template) = template.filter(|_| !new_ticket && !plan.internal) {
            let lang = cfg.desk.language;
            let ctx = json!({
                "desk": { "name": cfg.desk.name, "address": cfg.desk.address.as_str() },
                "ticket": { "id": id, "subject": ticket.subject },
                "reference": format!("[{} #{id}]", cfg.desk.tag),
                "staff": { "name": staff.name, "handle": staff.handle },
                "requester": { "display": ticket.requester_name.clone().unwrap_or_else(|| ticket.requester.clone()) },
                "note": note,
                "status": { "code": status.as_str(), "name": status_name(status, lang) },
                "pending": status == Status::Pending,
                "assignee": assignee.as_deref().and_then(|h| cfg.staff_by_handle(h)).map(|s| json!({ "name": s.name })),
                "group": group_key.as_deref().and_then(|g| cfg.catalogue.group(g)).map(|g| json!({ "key": g.key, "name": g.name, "level": g.level })),
                "merged_into": plan.merge.as_ref().map(|t| json!({ "id": t.id, "subject": t.subject })),
            });
            let rendered = self.templates.render(template, lang, &ctx)?;
            relayed = self
                .queue_to_requester(
                    c,
                    w,
                    msg,
                    staff,
                    &ticket,
                    template,
                    &rendered,
                    note.is_some(),
                    now,
                )
                .await?;
            if !relayed.is_empty() && ticket.first_response_at.is_none() {
                update.first_response_at = Some(now);
                sla_store::on_first_response(c, id, now, cfg).await?;
                events::push(
                    w,
                    id,
                    "first_response",
                    actor,
                    now,
                    mid,
                    &json!({ "seconds": now - ticket.created_at, "via": template }),
                );
            }
        }
        tickets::update(c, id, &update, now).await?;

        if let Some((from, to)) = &plan.escalate {
            self.queue_escalation(c, w, msg, staff, id, from, to, text.new.trim(), now)
                .await?;
        }
        if plan.help {
            self.queue_help(c, w, msg, staff, Some(id), now).await?;
        }
        let applied: Vec<String> = parsed
            .commands
            .iter()
            .filter(|l| l.command != Command::Help)
            .map(|l| describe(&l.command, staff, cfg))
            .collect();
        if !applied.is_empty() {
            let lang = cfg.desk.language;
            // What the ticket is now (the script has not run yet).
            let ctx = json!({
                "desk": { "name": cfg.desk.name, "address": cfg.desk.address.as_str() },
                "ticket": { "id": id, "subject": ticket.subject },
                "applied": applied,
                "sla": sla_store::confirm_lines(cfg, &self.templates, &retargeted)?,
                "status": { "code": status.as_str(), "name": status_name(status, lang) },
                "assignee": assignee.as_deref().and_then(|h| cfg.staff_by_handle(h)).map(|s| json!({ "name": s.name })),
                "group": group_key.as_deref().and_then(|g| cfg.catalogue.group(g)).map(|g| json!({ "name": g.name })),
                "relayed": relayed,
                "internal": !text.new.trim().is_empty() && private_text,
                "evidence": evidence_text(verdict),
            });
            let rendered = self.templates.render("staff_confirm", lang, &ctx)?;
            self.queue_to_staff(
                w,
                "staff_confirm",
                id,
                &ticket.subject,
                staff,
                msg,
                &rendered,
                now,
            )?;
        }
        Ok(())
    }

    /// The requester's mail, and a copy to each watcher; returns who got it.
    #[allow(clippy::too_many_arguments)]
    async fn queue_to_requester(
        &self,
        c: &mut Conn,
        w: &mut Script,
        msg: &InboundMessage,
        staff: &Staff,
        ticket: &tickets::Ticket,
        kind: &str,
        rendered: &crate::notify::Rendered,
        written: bool,
        now: i64,
    ) -> Result<Vec<String>> {
        let desk = &self.cfg.desk;
        let sender = msg.from.as_ref().map(|m| m.address.base().to_string());
        let mut to: Vec<(Option<String>, EmailAddress)> = Vec::new();
        if let Some(r) = EmailAddress::parse(&ticket.requester) {
            to.push((ticket.requester_name.clone(), r));
        }
        for w in watchers::list(c, ticket.id).await? {
            if let Some(a) = EmailAddress::parse(&w) {
                to.push((None, a));
            }
        }
        // Thread it in the requester's conversation: their messages and our
        // earlier mail to them.
        let history = messages::list_for_ticket(c, ticket.id).await?;
        let requester = EmailAddress::parse(&ticket.requester);
        let mut thread: Vec<String> = history
            .iter()
            .filter(|m| {
                let theirs = m.direction == "in"
                    && requester
                        .as_ref()
                        .and_then(|r| {
                            EmailAddress::parse(&m.from_addr).map(|f| f.base() == r.base())
                        })
                        .unwrap_or(false);
                let ours = m.direction == "out"
                    && m.visibility == "public"
                    && requester.as_ref().is_some_and(|r| {
                        m.to_addrs
                            .iter()
                            .any(|t| t.to_lowercase().contains(r.base()))
                    });
                theirs || ours
            })
            .map(|m| m.message_id.clone())
            .collect();
        if thread.len() > MAX_REFERENCES {
            // The first (the thread's root) and the latest.
            let tail = thread.split_off(thread.len() - (MAX_REFERENCES - 1));
            thread.truncate(1);
            thread.extend(tail);
        }
        let mut done: Vec<String> = sender.into_iter().collect();
        let mut sent = Vec::new();
        for (name, addr) in to {
            if done.iter().any(|d| d == addr.base()) || desk.is_own_address(&addr) {
                continue;
            }
            done.push(addr.base().to_string());
            let reply_to = self.reply_to_for(&addr, Some(ticket.id), now);
            let out = Outgoing {
                from_name: format!("{} via {}", staff.name, desk.name),
                from: desk.address.clone(),
                reply_to,
                to: vec![(name, addr.clone())],
                subject: crate::threading::tagged_subject(&desk.tag, ticket.id, &ticket.subject),
                text: rendered.text.clone(),
                html: Some(rendered.html.clone()),
                message_id: compose::new_message_id(Some(ticket.id), kind, desk.domain()),
                in_reply_to: thread.last().cloned(),
                references: thread.clone(),
                // A person wrote it; a bare notice is automatic.
                auto_submitted: (!written).then_some("auto-generated"),
                ticket_id: Some(ticket.id),
                date: now,
            };
            self.enqueue(w, &out, kind, Visibility::Public, addr.base(), now)?;
            sent.push(addr.base().to_string());
        }
        Ok(sent)
    }

    /// An internal mail to the staff member who sent `msg`, at their
    /// directory address, answering their mail.
    #[allow(clippy::too_many_arguments)]
    fn queue_to_staff(
        &self,
        w: &mut Script,
        kind: &str,
        id: TicketId,
        subject: &str,
        staff: &Staff,
        msg: &InboundMessage,
        rendered: &crate::notify::Rendered,
        now: i64,
    ) -> Result<()> {
        let desk = &self.cfg.desk;
        let mut references = msg.references.clone();
        references.push(msg.message_id.clone());
        let skip = references.len().saturating_sub(MAX_REFERENCES);
        let out = Outgoing {
            from_name: desk.name.clone(),
            from: desk.address.clone(),
            reply_to: self.reply_to_for(&staff.email, Some(id), now),
            to: vec![(Some(staff.name.clone()), staff.email.clone())],
            subject: crate::threading::tagged_subject(&desk.tag, id, subject),
            text: rendered.text.clone(),
            html: Some(rendered.html.clone()),
            message_id: compose::new_message_id(Some(id), kind, desk.domain()),
            in_reply_to: Some(msg.message_id.clone()),
            references: references.into_iter().skip(skip).collect(),
            auto_submitted: Some("auto-replied"),
            ticket_id: Some(id),
            date: now,
        };
        self.enqueue(w, &out, kind, Visibility::Internal, staff.email.base(), now)
    }

    /// The mail failed the authentication check: nothing applied.
    #[allow(clippy::too_many_arguments)]
    fn refuse(
        &self,
        w: &mut Script,
        msg: &InboundMessage,
        staff: &Staff,
        ticket: &tickets::Ticket,
        parsed: &Parsed,
        verdict: &Verdict,
        mid: &MsgRef,
        kept_internal: bool,
        now: i64,
    ) -> Result<()> {
        let reason = verdict.reason().unwrap_or_default();
        let details = json!({
            "commands": parsed.commands.iter().map(|l| l.raw.clone()).collect::<Vec<_>>(),
            "reason": reason,
            "claimed_staff": staff.handle,
            "auth": verdict.json(),
            "from": msg.from.as_ref().map(|m| m.display()),
            "reply_to": msg.reply_to.as_ref().map(|m| m.display()),
            "source_message": msg.message_id,
        });
        let mut ctx = self.error_context(msg, ticket, true, &reason, &[], kept_internal);
        ctx["token"] = self.token_context(verdict);
        // A new mail (kept as a ticket of its own, not a note): commands
        // there need the personal address.
        ctx["token"]["new_ticket"] = json!(!kept_internal);
        // Not the handle: nothing shows the mail is the staff member's.
        self.not_applied(
            w,
            msg,
            staff,
            ticket,
            "command_refused",
            &self.author_of(msg),
            &details,
            &ctx,
            mid,
            now,
        )
    }

    /// A command was invalid or not allowed: nothing applied.
    #[allow(clippy::too_many_arguments)]
    fn reject(
        &self,
        w: &mut Script,
        msg: &InboundMessage,
        staff: &Staff,
        ticket: &tickets::Ticket,
        parsed: &Parsed,
        verdict: &Verdict,
        errors: Vec<String>,
        mid: &MsgRef,
        kept_internal: bool,
        now: i64,
    ) -> Result<()> {
        let ctx = self.error_context(msg, ticket, false, "", &errors, kept_internal);
        let details = json!({
            "commands": parsed.commands.iter().map(|l| l.raw.clone()).collect::<Vec<_>>(),
            "errors": errors,
            "auth": verdict.json(),
            "source_message": msg.message_id,
        });
        self.not_applied(
            w,
            msg,
            staff,
            ticket,
            "command_invalid",
            &staff.handle,
            &details,
            &ctx,
            mid,
            now,
        )
    }

    /// What [`Self::refuse`] and [`Self::reject`] share: the `kind` event
    /// by `actor` with `details` on the ticket, and the `command_error` mail
    /// (rendered from `ctx`) back to the staff member.
    #[allow(clippy::too_many_arguments)]
    fn not_applied(
        &self,
        w: &mut Script,
        msg: &InboundMessage,
        staff: &Staff,
        ticket: &tickets::Ticket,
        kind: &str,
        actor: &str,
        details: &serde_json::Value,
        ctx: &serde_json::Value,
        mid: &MsgRef,
        now: i64,
    ) -> Result<()> {
        events::push(w, ticket.id, kind, actor, now, mid, details);
        let rendered = self
            .templates
            .render("command_error", self.cfg.desk.language, ctx)?;
        self.queue_to_staff(
            w,
            kind,
            ticket.id,
            &ticket.subject,
            staff,
            msg,
            &rendered,
            now,
        )
    }

    /// What the staff member is told about a token that did not prove
    /// their mail (the `token` of the `command_error` template).
    fn token_context(&self, verdict: &Verdict) -> Value {
        match &verdict.token_problem {
            Some(Problem::Expired { expired_at, .. }) => json!({
                "expired": true,
                "expired_at": self.local_time(*expired_at),
                "lifetime_days": self.cfg.auth.token_lifetime.as_secs() / 86_400,
            }),
            Some(Problem::OtherTicket {
                token_ticket: Some(t),
            }) => json!({ "other_ticket": t }),
            Some(Problem::OtherTicket { token_ticket: None }) => json!({ "personal": true }),
            Some(Problem::UnknownKey) => json!({ "old_key": true }),
            Some(Problem::Missing) => json!({ "missing": true }),
            Some(Problem::Malformed | Problem::NotTheirs) => json!({ "invalid": true }),
            None => json!({}),
        }
    }

    /// An instant as staff read it: the desk's time zone.
    fn local_time(&self, t: i64) -> String {
        self.cfg
            .desk
            .timezone
            .timestamp_opt(t, 0)
            .single()
            .map(|t| t.format("%d %b %Y %H:%M %Z").to_string())
            .unwrap_or_default()
    }

    fn error_context(
        &self,
        msg: &InboundMessage,
        ticket: &tickets::Ticket,
        refused: bool,
        reason: &str,
        errors: &[String],
        kept_internal: bool,
    ) -> Value {
        json!({
            "desk": { "name": self.cfg.desk.name, "address": self.cfg.desk.address.as_str() },
            "ticket": { "id": ticket.id, "subject": ticket.subject },
            "refused": refused,
            "reason": reason,
            "errors": errors,
            "subject": msg.subject,
            "kept_internal": kept_internal,
        })
    }

    /// The command reference, to the staff member's directory address.
    async fn queue_help(
        &self,
        c: &mut Conn,
        w: &mut Script,
        msg: &InboundMessage,
        staff: &Staff,
        ticket: Option<TicketId>,
        now: i64,
    ) -> Result<()> {
        let desk = &self.cfg.desk;
        // The address for new tickets with commands: no ticket in it.
        let personal = self.reply_to_for(&staff.email, None, now);
        let lifetime = self.cfg.auth.token_lifetime.as_secs() as i64;
        let ctx = json!({
            "desk": { "name": desk.name, "address": desk.address.as_str() },
            "commands": commands::help_text(desk.language),
            "personal_address": personal.as_str(),
            "personal_until": self.local_time(now.saturating_add(lifetime)),
        });
        let rendered = self.templates.render("help", desk.language, &ctx)?;
        if let Some(id) = ticket {
            let t = tickets::get(c, id).await?.context("ticket vanished")?;
            return self.queue_to_staff(w, "help", id, &t.subject, staff, msg, &rendered, now);
        }
        let out = Outgoing {
            from_name: desk.name.clone(),
            from: desk.address.clone(),
            reply_to: personal,
            to: vec![(Some(staff.name.clone()), staff.email.clone())],
            subject: match desk.language {
                Language::Id => format!("Daftar perintah {}", desk.name),
                Language::En => format!("{}: command reference", desk.name),
            },
            text: rendered.text,
            html: Some(rendered.html),
            message_id: compose::new_message_id(None, "help", desk.domain()),
            in_reply_to: Some(msg.message_id.clone()),
            references: vec![msg.message_id.clone()],
            auto_submitted: Some("auto-replied"),
            ticket_id: None,
            date: now,
        };
        let rcpts = [staff.email.as_str().to_string()];
        let Some(raw) = self.build_or_record(w, &out, "help", &rcpts, staff.email.base(), now)?
        else {
            return Ok(());
        };
        outbox::push(
            w,
            &outbox::NewOutgoing {
                ticket_id: None,
                kind: "help",
                message_id: &out.message_id,
                env_from: desk.address.as_str(),
                rcpts: &rcpts,
                primary_rcpt: staff.email.base(),
                subject: &out.subject,
                raw: &raw,
                due_at: now,
                now,
            },
        )
    }

    /// The escalation form, to the receiving group (its managers when it
    /// has no members).
    #[allow(clippy::too_many_arguments)]
    async fn queue_escalation(
        &self,
        c: &mut Conn,
        w: &mut Script,
        msg: &InboundMessage,
        staff: &Staff,
        id: TicketId,
        from: &Group,
        to: &Group,
        reason: &str,
        now: i64,
    ) -> Result<()> {
        let cfg = &self.cfg;
        let desk = &cfg.desk;
        let t = tickets::get(c, id).await?.context("ticket vanished")?;
        let history = messages::list_for_ticket(c, id).await?;
        let at = |s: i64| self.local_time(s);
        let tried: Vec<Value> = history
            .iter()
            .filter(|m| {
                m.direction == "in"
                    && matches!(m.kind.as_str(), "staff_reply" | "note")
                    && !m.body_text.trim().is_empty()
                    && m.message_id != msg.message_id
            })
            .map(|m| {
                let (text, omitted) = notify::excerpt(m.body_text.trim(), notify::EXCERPT_BYTES);
                json!({ "at": at(m.created_at), "author": m.author, "text": text, "omitted": omitted })
            })
            .collect();
        let (request, request_omitted) = history
            .iter()
            .find(|m| m.kind == "request")
            .map(|m| notify::excerpt(m.body_text.trim(), notify::EXCERPT_BYTES))
            .unwrap_or(("", Value::Null));
        let events: Vec<Value> = events::list_for_ticket(c, id)
            .await?
            .into_iter()
            .filter(|e| e.kind != "command" && !e.kind.ends_with("_queued"))
            .map(|e| {
                let detail = match e.kind.as_str() {
                    "status_changed" | "reopened" | "assigned" => format!(
                        "{} → {}",
                        e.data["from"].as_str().unwrap_or("-"),
                        e.data["to"].as_str().unwrap_or("-")
                    ),
                    "escalated" => format!(
                        "{} → {}",
                        e.data["from_group"].as_str().unwrap_or("-"),
                        e.data["to_group"].as_str().unwrap_or("-")
                    ),
                    "classified" => e.data["result"]["category"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    _ => String::new(),
                };
                json!({ "at": at(e.at), "actor": e.actor, "kind": e.kind, "detail": detail })
            })
            .collect();
        let requester = self.templates.sender(
            desk.language,
            &self.known,
            t.requester_name.as_deref(),
            &t.requester,
        )?;
        let ctx = json!({
            "requester": requester,
            "ticket": {
                "id": id, "subject": t.subject, "requester": t.requester, "status": t.status.as_str(),
                "priority": t.priority, "category": t.category, "created_at": at(t.created_at),
            },
            "escalation": {
                "by": format!("{} ({}, L{})", staff.name, staff.handle, staff.level),
                "to_name": to.name, "to_level": to.level,
                "from_name": from.name, "from_level": from.level,
                "at": at(now), "reason": reason,
            },
            "tried": tried,
            "request": request,
            "request_omitted": request_omitted,
            "history": events,
        });
        let rendered = self.templates.render("escalation", desk.language, &ctx)?;
        let mut to_staff: Vec<&Staff> = cfg.group_members(&to.key).collect();
        if to_staff.is_empty() {
            to_staff = cfg.managers().collect();
        }
        let prefix = match desk.language {
            Language::Id => "Eskalasi",
            Language::En => "Escalation",
        };
        let subject = format!("{prefix}: {}", t.subject);
        let mut done = vec![staff.email.base().to_string()];
        for s in to_staff {
            if done.iter().any(|d| d == s.email.base()) {
                continue;
            }
            done.push(s.email.base().to_string());
            self.queue_internal(
                w,
                "escalation",
                id,
                &subject,
                Some(s.name.clone()),
                s.email.clone(),
                &rendered,
                now,
            )?;
        }
        Ok(())
    }
}

/// The new text of a staff mail: without the command lines, the quoted
/// copy of our notice and the signature.
fn staff_text(parsed: &Parsed) -> Text {
    let body = &parsed.body_without_commands;
    let trimmed = reply_trim::trim(body);
    let quoted = Some(trimmed.elided).filter(|q| !q.trim().is_empty());
    Text {
        new: trimmed.reply.trim().to_string(),
        quoted,
    }
}

/// The group one level up: the category's own group when it is above the
/// current one, else the first group of the next level.
fn next_level(
    cat: &crate::catalogue::Catalogue,
    t: &tickets::Ticket,
    current: &Group,
) -> Option<Group> {
    let home = t
        .category
        .as_deref()
        .and_then(|k| cat.category(k))
        .and_then(|c| cat.group(&c.group))
        .filter(|g| g.level > current.level);
    let next = cat
        .groups
        .iter()
        .filter(|g| g.level > current.level)
        .map(|g| g.level)
        .min();
    home.or_else(|| cat.groups.iter().find(|g| Some(g.level) == next))
        .cloned()
}

/// A stand-in for a ticket about to be opened, to check commands against.
fn provisional_ticket(m: &InboundMessage, r: &rules::Classification, now: i64) -> tickets::Ticket {
    tickets::Ticket {
        id: 0,
        subject: m.subject.clone(),
        status: Status::New,
        requester: m
            .from
            .as_ref()
            .map(|f| f.address.as_str().to_string())
            .unwrap_or_default(),
        requester_name: None,
        ticket_type: Some(r.ticket_type.to_string()),
        category: Some(r.category.clone()),
        urgency: Some(r.urgency.clone()),
        impact: Some(r.impact.clone()),
        priority: Some(r.priority as i64),
        group_key: Some(r.group.clone()),
        assignee: r.assignee.clone(),
        tags: r.tags.clone(),
        major: r.major,
        auto_kind: None,
        linked_ticket_id: None,
        merged_into: None,
        created_at: now,
        updated_at: now,
        first_response_at: None,
        resolved_at: None,
        closed_at: None,
    }
}

/// A status in words requesters read.
fn status_name(s: Status, lang: Language) -> &'static str {
    match (s, lang) {
        (Status::New, Language::Id) => "baru",
        (Status::New, Language::En) => "new",
        (Status::InProgress, Language::Id) => "sedang dikerjakan",
        (Status::InProgress, Language::En) => "in progress",
        (Status::Pending, Language::Id) => "menunggu tanggapan Anda",
        (Status::Pending, Language::En) => "waiting for your reply",
        (Status::Resolved, Language::Id) => "selesai",
        (Status::Resolved, Language::En) => "resolved",
        (Status::Closed, Language::Id) => "ditutup",
        (Status::Closed, Language::En) => "closed",
    }
}

/// The ticket as a mail leaves its priority and category, when the mail
/// changes either: what its SLA clocks are re-targeted to.
fn retargeted_ticket(
    ticket: &tickets::Ticket,
    priority: Option<i64>,
    plan: &Plan,
) -> Option<tickets::Ticket> {
    let category = plan.recategorise.as_ref().map(|(c, _)| c.clone());
    if priority.is_none() && category.is_none() {
        return None;
    }
    Some(tickets::Ticket {
        priority: priority.or(ticket.priority),
        category: category.or(ticket.category.clone()),
        ..ticket.clone()
    })
}

/// One line of the staff confirmation.
fn describe(c: &Command, staff: &Staff, cfg: &crate::config::Config) -> String {
    match c {
        Command::Assign(Assignee::Me) => format!("{c} → {}", staff.handle),
        Command::Internal => "#internal (note kept for staff)".into(),
        Command::Escalate(None) => "#escalate (next level)".into(),
        Command::Category(k) => match cfg.catalogue.category(k) {
            Some(cat) => format!("{c} ({})", cat.name.get(cfg.desk.language)),
            None => c.to_string(),
        },
        _ => c.to_string(),
    }
}

fn evidence_text(v: &Verdict) -> String {
    [&v.token, &v.dkim]
        .into_iter()
        .filter_map(|c| match c {
            Check::Pass(d) => Some(d.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("; ")
}
