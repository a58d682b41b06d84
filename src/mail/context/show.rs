//! A ticket's whole record, mailed to the staff member who sent `#show`:
//! the ticket, its SLA clocks, its survey, every message and every event.
//! Staff on the desk have no shell; this is their `tickets show`.

use serde::Serialize;
use serde_json::Value;

use super::escalation::HistoryLine;
use super::{Desk, Sender, StatusRef};

#[derive(Debug, Clone, Serialize)]
pub struct TicketRecord {
    pub desk: Desk,
    /// `[Helpdesk #17]`
    pub reference: String,
    /// When the record was read, in the desk's time zone.
    pub as_of: String,
    pub ticket: Ticket,
    pub clocks: Vec<Clock>,
    /// The latest survey; `None` when none was sent.
    pub survey: Option<Survey>,
    pub messages: Vec<Message>,
    pub events: Vec<HistoryLine>,
    /// Messages whose text was cut to keep the mail small.
    pub cut: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub id: i64,
    pub subject: String,
    pub status: StatusRef,
    /// What staff see of the requester (a misleading name flagged).
    pub requester: Sender,
    #[serde(rename = "type")]
    pub ticket_type: Option<String>,
    pub category: Option<String>,
    pub priority: Option<i64>,
    pub group: Option<String>,
    pub assignee: Option<String>,
    pub watchers: Vec<String>,
    pub merged_into: Option<i64>,
    pub created_at: String,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    /// `requester`, `staff` or `auto`; `None` while open (or not recorded).
    pub closed_by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Clock {
    /// In words: `respons`, `resolution`.
    pub name: String,
    /// `running`, `paused`, `met`, `breached`.
    pub state: &'static str,
    /// The target in words.
    pub target: String,
    pub business_hours: bool,
    /// `None` while paused.
    pub due_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Survey {
    /// `open`, `answered`, `superseded`.
    pub state: String,
    pub sent_at: String,
    pub expires_at: String,
    pub reminded_at: Option<String>,
    pub answered_at: Option<String>,
    /// In the survey's order.
    pub ratings: Vec<Rating>,
    pub score: Option<i64>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rating {
    pub key: String,
    pub value: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// Its number on the ticket (`#M`).
    pub number: i64,
    pub at: String,
    /// Came in (true) or went out.
    pub inbound: bool,
    /// `request`, `reply`, `staff_reply`, `note`, or a mail kind.
    pub kind: String,
    pub internal: bool,
    pub from: Sender,
    pub to: Vec<String>,
    pub subject: String,
    /// `layar.png (image/png, 120 KB)`.
    pub attachments: Vec<String>,
    /// The text kept (a reply's new text, without the quoted part).
    pub text: String,
    /// What was left out (as the other templates' `omitted`), or null.
    pub omitted: Value,
    /// An earlier record (`#show`) mailed to staff: its text is not
    /// repeated.
    pub record: bool,
}
