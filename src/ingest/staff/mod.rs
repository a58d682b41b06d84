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
use serde_json::json;

use super::{Arrival, Ingestor, Outcome};
use crate::commands::{self, Command, Parsed};
use crate::config::Staff;
use crate::domain::{EmailAddress, EventKind, TicketId};
use crate::parse::InboundMessage;
use crate::staff_auth::{self, Verdict};
use crate::staff_token::{KeyRing, Problem};
use crate::store::events::{self, MsgRef};
use crate::store::unit::Unit;
use crate::store::{Conn, messages, staff_keys, tickets};

mod apply;
mod escalation_form;
mod mail;
mod on_ticket;
pub mod plan;
mod refusal;
mod show;

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

/// The staff text of a mail: new text and what was cut off.
struct Text {
    new: String,
    quoted: Option<String>,
}

/// One staff mail being acted on: the arrival, who claims it, what it
/// proved, its commands, and the message row its events refer to. Passed
/// whole to every step instead of a long list of arguments.
#[derive(Clone, Copy)]
struct StaffMail<'a> {
    a: Arrival<'a>,
    staff: &'a Staff,
    parsed: &'a Parsed,
    verdict: &'a Verdict,
    /// The inbound message row (or, for a ticket opened by the mail, the
    /// request) the events refer to.
    mid: &'a MsgRef,
}

impl StaffMail<'_> {
    fn msg(&self) -> &InboundMessage {
        self.a.msg
    }
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
        let keys = self.keys.get(None);
        crate::lifecycle::mail::reply_to(&self.cfg, keys.as_deref(), to, ticket, now)
    }

    /// Staff mail: see the module documentation.
    pub(super) async fn staff_mail(
        &self,
        u: &mut Unit<'_>,
        numbering: &mut tickets::Numbering,
        a: Arrival<'_>,
        staff: &Staff,
        recent_acks: i64,
    ) -> Result<Outcome> {
        let msg = a.msg;
        let found = self.find_ticket(u.conn().await?, msg).await?;
        let parsed = commands::parse(&msg.subject, &msg.body_text);
        let help_only = !parsed.commands.is_empty()
            && parsed.errors.is_empty()
            && parsed.commands.iter().all(|l| l.command == Command::Help);
        match found {
            None if parsed.is_empty() => self.open_ticket(u, numbering, a, None, recent_acks).await,
            None if help_only => {
                self.queue_help(u, a, staff, None).await?;
                Ok(Outcome::Answered)
            }
            None => {
                self.staff_new_ticket(u, numbering, a, staff, parsed, recent_acks)
                    .await
            }
            Some(ticket) => {
                let own = EmailAddress::parse(&ticket.requester)
                    .is_some_and(|r| r.base() == staff.email.base());
                if own && parsed.is_empty() {
                    // Their own ticket, as a requester.
                    let found = super::process::found_of(&ticket);
                    let reopen = matches!(
                        crate::threading::decide(Some(found), a.now, self.cfg.desk.reopen_window),
                        crate::threading::Decision::Append { reopen: true, .. }
                    );
                    return self.add_comment(u, a, &ticket, reopen).await;
                }
                self.staff_on_ticket(u, a, staff, ticket, parsed).await
            }
        }
    }

    /// Whether the arrival proves it is `staff`'s, for `ticket` (none: a
    /// mail opening a new ticket): see [`crate::staff_auth`].
    fn verify(
        &self,
        keys: &KeyRing,
        staff: &Staff,
        a: Arrival<'_>,
        ticket: Option<TicketId>,
    ) -> Verdict {
        let recipients = staff_auth::recipients(&self.cfg.auth, &a.item.recipients, a.msg);
        let claim = staff_auth::Claim {
            staff,
            ticket,
            recipients: &recipients,
            headers: &a.msg.headers,
            now: a.now,
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
        a: Arrival<'_>,
        id: TicketId,
    ) -> Result<Verdict> {
        let keys = self.keys(c).await?;
        let verdict = self.verify(&keys, staff, a, Some(id));
        let Some(Problem::OtherTicket {
            token_ticket: Some(mut t),
        }) = verdict.token_problem
        else {
            return Ok(verdict);
        };
        for _ in 0..8 {
            match tickets::get(c, t).await?.and_then(|x| x.merged_into) {
                Some(next) if next == id => {
                    return Ok(self.verify(&keys, staff, a, Some(t)));
                }
                Some(next) => t = next,
                None => break,
            }
        }
        Ok(verdict)
    }

    /// A robot's mail from a staff address (an out-of-office, a bounce),
    /// just added to `ticket` as a comment (which changes nothing, as for
    /// any robot). On a ticket that is not the staff member's own it is
    /// never their words: an internal note, and, when it proves nothing,
    /// marked `sender_unverified` with the evidence.
    pub(super) async fn staff_robot_note(
        &self,
        u: &mut Unit<'_>,
        a: Arrival<'_>,
        staff: &Staff,
        ticket: &tickets::Ticket,
    ) -> Result<()> {
        let msg = a.msg;
        let own =
            EmailAddress::parse(&ticket.requester).is_some_and(|r| r.base() == staff.email.base());
        if own {
            return Ok(());
        }
        messages::push_set_internal(u, &msg.message_id);
        let verdict = self
            .verify_on_ticket(u.conn().await?, staff, a, ticket.id)
            .await?;
        if !verdict.passed() {
            events::push(
                u,
                ticket.id,
                EventKind::SenderUnverified,
                &a.author(),
                a.now,
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
}

/// The new text of a staff mail: without the command lines, the quoted
/// copy of our notice and the signature.
fn staff_text(parsed: &Parsed) -> Text {
    let body = &parsed.body_without_commands;
    let trimmed = crate::reply_trim::trim(body);
    let quoted = Some(trimmed.elided).filter(|q| !q.trim().is_empty());
    Text {
        new: trimmed.reply.trim().to_string(),
        quoted,
    }
}

/// Ticket `id`, which the transaction has read before.
async fn ticket(c: &mut Conn, id: TicketId) -> Result<tickets::Ticket> {
    tickets::get(c, id).await?.context("ticket vanished")
}
