//! Templates `sla_warning` and `sla_breach` (body and subject): an SLA
//! warning, breach or escalation step, to staff.

use serde::Serialize;

use super::{Desk, Sender};

/// The context of an SLA notice.
#[derive(Debug, Clone, Serialize)]
pub struct SlaNotice {
    pub requester: Sender,
    pub desk: Desk,
    pub ticket: Ticket,
    /// `[Helpdesk #17]`.
    pub reference: String,
    pub clock: ClockView,
    pub escalation: Escalation,
}

/// Template `sla_warning`.
pub type SlaWarning = SlaNotice;
/// Template `sla_breach` (the breach, and each further step).
pub type SlaBreach = SlaNotice;

/// `ticket`: what the notice says of the ticket.
#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub id: i64,
    pub subject: String,
    pub status: String,
    /// The requester's address.
    pub requester: String,
    /// `1 (tinggi)`.
    pub priority_text: String,
    pub category_name: String,
    pub group_name: String,
    /// A staff handle; empty when unassigned.
    pub assignee: String,
}

/// `clock`: the clock that reached a threshold, in words.
#[derive(Debug, Clone, Serialize)]
pub struct ClockView {
    /// `response` or `resolution`.
    pub kind: &'static str,
    /// The clock's name in the desk's language (`respons`).
    pub name: String,
    /// The target in words (`10 menit`).
    pub target: String,
    pub business_hours: bool,
    /// The due instant in the desk's zone; empty while paused.
    pub due_at: String,
    /// Business time used when the threshold was reached, in words.
    pub elapsed: String,
    /// The threshold: 75 for a warning at 75 %, 100 for a breach or step.
    pub percent: i64,
}

/// `escalation`: the step of the chain (0 for a warning, 1 for the breach).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Escalation {
    pub step: usize,
    /// A step past the breach.
    pub further: bool,
}
