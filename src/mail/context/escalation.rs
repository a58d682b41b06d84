//! The escalation form, to the group that receives a ticket.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
pub struct EscalationForm {
    /// What staff see of the requester ([`crate::mail::templates::Templates::sender`]).
    pub requester: Value,
    pub ticket: Ticket,
    pub escalation: Escalation,
    /// What staff wrote on the ticket so far.
    pub tried: Vec<Tried>,
    /// The request, bounded.
    pub request: String,
    pub request_omitted: Value,
    pub history: Vec<HistoryLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub id: i64,
    pub subject: String,
    pub requester: String,
    pub status: &'static str,
    pub priority: Option<i64>,
    pub category: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Escalation {
    /// `Siti Rahma (siti, L1)`
    pub by: String,
    pub to_name: String,
    pub to_level: u8,
    pub from_name: String,
    pub from_level: u8,
    pub at: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tried {
    pub at: String,
    pub author: String,
    pub text: String,
    pub omitted: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryLine {
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub detail: String,
}
