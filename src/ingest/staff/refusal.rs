//! A staff mail that changes nothing: it did not prove it is the staff
//! member's (`command_refused`), or a command was invalid or not allowed
//! (`command_invalid`). The event goes on the ticket and the staff member
//! is told why, at their directory address.

use anyhow::Result;
use serde_json::{Value, json};

use super::StaffMail;
use crate::domain::{EventKind, MailKind};
use crate::ingest::Ingestor;
use crate::mail::context::command_error::{CommandError, Token};
use crate::mail::context::{Desk, TicketRef};
use crate::staff_auth::Verdict;
use crate::staff_token::Problem;
use crate::store::events;
use crate::store::script::Script;
use crate::store::tickets;

impl Ingestor {
    /// The mail failed the authentication check: nothing applied.
    /// `kept_internal`: its text was kept on the ticket as a note (a mail
    /// on a ticket), not as a ticket of its own (a new mail).
    pub(super) fn refuse(
        &self,
        w: &mut Script,
        m: StaffMail<'_>,
        ticket: &tickets::Ticket,
        kept_internal: bool,
    ) -> Result<()> {
        let (msg, verdict) = (m.msg(), m.verdict);
        let reason = verdict.reason().unwrap_or_default();
        let details = json!({
            "commands": m.parsed.commands.iter().map(|l| l.raw.clone()).collect::<Vec<_>>(),
            "reason": reason,
            "claimed_staff": m.staff.handle,
            "auth": verdict.json(),
            "from": msg.from.as_ref().map(|m| m.display()),
            "reply_to": msg.reply_to.as_ref().map(|m| m.display()),
            "source_message": msg.message_id,
        });
        let mut ctx = self.error_context(m, ticket, true, &reason, &[], kept_internal);
        ctx.token = Some(Token {
            // A new mail (kept as a ticket of its own, not a note): commands
            // there need the personal address.
            new_ticket: !kept_internal,
            ..self.token_context(verdict)
        });
        // Not the handle: nothing shows the mail is the staff member's.
        let actor = m.a.author();
        self.not_applied(
            w,
            m,
            ticket,
            (EventKind::CommandRefused, MailKind::CommandRefused, &actor),
            &details,
            &ctx,
        )
    }

    /// A command was invalid or not allowed (`errors`, as the staff member
    /// reads them): nothing applied.
    pub(super) fn reject(
        &self,
        w: &mut Script,
        m: StaffMail<'_>,
        ticket: &tickets::Ticket,
        errors: Vec<String>,
        kept_internal: bool,
    ) -> Result<()> {
        let ctx = self.error_context(m, ticket, false, "", &errors, kept_internal);
        let details = json!({
            "commands": m.parsed.commands.iter().map(|l| l.raw.clone()).collect::<Vec<_>>(),
            "errors": errors,
            "auth": m.verdict.json(),
            "source_message": m.msg().message_id,
        });
        let actor = m.staff.handle.clone();
        self.not_applied(
            w,
            m,
            ticket,
            (EventKind::CommandInvalid, MailKind::CommandInvalid, &actor),
            &details,
            &ctx,
        )
    }

    /// What [`Self::refuse`] and [`Self::reject`] share: the `kind` event
    /// by `actor` with `details` on the ticket, and the `command_error` mail
    /// (rendered from `ctx`) back to the staff member.
    fn not_applied(
        &self,
        w: &mut Script,
        m: StaffMail<'_>,
        ticket: &tickets::Ticket,
        (event, mail, actor): (EventKind, MailKind, &str),
        details: &Value,
        ctx: &CommandError,
    ) -> Result<()> {
        events::push(w, ticket.id, event, actor, m.a.now, m.mid, details);
        let rendered = self
            .templates
            .render("command_error", self.cfg.desk.language, ctx)?;
        self.queue_to_staff(w, m.a, m.staff, mail, ticket, &rendered)
    }

    /// What the staff member is told about a token that did not prove
    /// their mail (the `token` of the `command_error` template).
    fn token_context(&self, verdict: &Verdict) -> Token {
        let yes = Some(true);
        match &verdict.token_problem {
            Some(Problem::Expired { expired_at, .. }) => Token {
                expired: yes,
                expired_at: Some(self.local_time(*expired_at)),
                lifetime_days: Some(self.cfg.auth.token_lifetime.as_secs() / 86_400),
                ..Token::default()
            },
            Some(Problem::OtherTicket {
                token_ticket: Some(t),
            }) => Token {
                other_ticket: Some(*t),
                ..Token::default()
            },
            Some(Problem::OtherTicket { token_ticket: None }) => Token {
                personal: yes,
                ..Token::default()
            },
            Some(Problem::UnknownKey) => Token {
                old_key: yes,
                ..Token::default()
            },
            Some(Problem::Missing) => Token {
                missing: yes,
                ..Token::default()
            },
            Some(Problem::Malformed | Problem::NotTheirs) => Token {
                invalid: yes,
                ..Token::default()
            },
            None => Token::default(),
        }
    }

    fn error_context(
        &self,
        m: StaffMail<'_>,
        ticket: &tickets::Ticket,
        refused: bool,
        reason: &str,
        errors: &[String],
        kept_internal: bool,
    ) -> CommandError {
        CommandError {
            desk: Desk::of(&self.cfg.desk),
            ticket: TicketRef::of(ticket),
            refused,
            reason: reason.to_string(),
            errors: errors.to_vec(),
            subject: m.msg().subject.clone(),
            kept_internal,
            token: None,
        }
    }
}
