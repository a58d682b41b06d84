//! The notice that someone who takes no part in a ticket wrote about it.

use serde::Serialize;
use serde_json::Value;

use super::Desk;

#[derive(Debug, Clone, Serialize)]
pub struct NonParticipant {
    pub desk: Desk,
    pub ticket: Ticket,
    /// `[Helpdesk #12]`
    pub reference: String,
    /// What staff see of the sender ([`crate::mail::templates::Templates::sender`]).
    pub sender: Value,
    /// Their text, bounded.
    pub text: String,
    pub truncated: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub id: i64,
    pub subject: String,
    pub status: &'static str,
}
