//! The language a new ticket's requester is answered in: the decision is
//! the core's ([`crate::language`]); this reads the requester's earlier
//! tickets, and only when the mail itself cannot tell (so the batch keeps
//! its no-read path for nearly every new ticket).

use anyhow::Result;

use super::Ingestor;
use crate::domain::Language;
use crate::language::{self, Decision};
use crate::parse::InboundMessage;
use crate::store::{Conn, tickets};

impl Ingestor {
    /// True when `msg` alone cannot say its language, so opening a ticket
    /// for it needs [`Self::earlier_language`].
    pub(super) fn needs_earlier_language(&self, msg: &InboundMessage) -> bool {
        language::needs_earlier(msg.header("Content-Language"), &msg.body_text)
    }

    /// The language of the requester's earlier tickets, read only when the
    /// mail cannot say its own.
    pub(super) async fn earlier_language(
        &self,
        c: &mut Conn,
        msg: &InboundMessage,
    ) -> Result<Option<Language>> {
        if !self.needs_earlier_language(msg) {
            return Ok(None);
        }
        tickets::latest_language(c, &requester_of(msg)).await
    }

    /// The language of the ticket `msg` opens, given what
    /// [`Self::earlier_language`] found.
    pub(super) fn ticket_language(
        &self,
        msg: &InboundMessage,
        earlier: Option<Language>,
    ) -> Decision {
        let from_mail = language::from_mail(msg.header("Content-Language"), &msg.body_text);
        language::decide(from_mail, earlier, self.cfg.desk.language)
    }
}

/// The requester a message names: its From address, else the sender as
/// written.
pub(super) fn requester_of(msg: &InboundMessage) -> String {
    msg.from
        .as_ref()
        .map(|m| m.address.as_str().to_string())
        .or_else(|| msg.sender_text.clone())
        .unwrap_or_else(|| "unknown".into())
}
