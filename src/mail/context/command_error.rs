//! The answer to a staff mail that changed nothing: it did not prove it is
//! theirs (`refused`, with what was wrong with its token), or a command
//! was invalid (`errors`).

use serde::Serialize;

use super::{Desk, TicketRef};

#[derive(Debug, Clone, Serialize)]
pub struct CommandError {
    pub desk: Desk,
    pub ticket: TicketRef,
    pub refused: bool,
    pub reason: String,
    pub errors: Vec<String>,
    /// The mail's subject.
    pub subject: String,
    /// Its text was kept on the ticket as an internal note.
    pub kept_internal: bool,
    /// Only when refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// What was wrong with the token of the address the mail was sent to; one
/// of the flags is set.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Token {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime_days: Option<u64>,
    /// The token was for this other ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_ticket: Option<i64>,
    /// The token was the personal one (no ticket).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_key: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid: Option<bool>,
    /// The mail was a new one (commands there need the personal address).
    pub new_ticket: bool,
}
