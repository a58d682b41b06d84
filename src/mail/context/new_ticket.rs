//! The context of a new ticket's mail: the acknowledgment to the requester
//! (`ack`), the notice to staff (`staff_new`) and the alerts to management
//! (`security_alert`, `major_incident`).

use serde::Serialize;
use serde_json::Value;

use super::Desk;

#[derive(Debug, Clone, Serialize)]
pub struct NewTicket {
    pub classification: Classification,
    pub desk: Desk,
    pub ticket: Ticket,
    /// What staff see of the sender ([`crate::mail::templates::Templates::sender`]:
    /// `shown`, `flags`, `warning`), with `display`, `full` and `address`.
    pub requester: Value,
    /// `[Helpdesk #12]`
    pub reference: String,
    pub message: Message,
    pub attachments: Vec<Attachment>,
    /// The SLA targets the requester is told (set once the clocks start).
    pub sla: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub id: i64,
    /// On one line.
    pub subject: String,
    /// In the desk's time zone.
    pub created_at: String,
}

/// A bounded part of what the sender wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub body_text: String,
    /// How much was left out, when anything was.
    pub omitted: Value,
    pub subject: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub size_human: String,
}

/// The classification, in the desk's language.
#[derive(Debug, Clone, Serialize)]
pub struct Classification {
    #[serde(rename = "type")]
    pub ticket_type: String,
    pub type_name: String,
    pub category: String,
    pub category_name: String,
    pub urgency: String,
    pub impact: String,
    pub priority: u8,
    pub priority_name: Option<String>,
    pub priority_text: String,
    pub group: String,
    pub group_name: String,
    pub assignee: Option<String>,
    pub major: bool,
    pub tags: Vec<String>,
    /// The rules that matched.
    pub rules: Vec<String>,
}
