//! The short confirmation to the staff member whose commands applied.

use serde::Serialize;

use super::{Desk, Named, StatusRef, TicketRef};

#[derive(Debug, Clone, Serialize)]
pub struct StaffConfirm {
    pub desk: Desk,
    pub ticket: TicketRef,
    /// One line per command, as applied.
    pub applied: Vec<String>,
    /// What the SLA clocks were re-targeted to.
    pub sla: Vec<String>,
    /// What the ticket is now.
    pub status: StatusRef,
    pub assignee: Option<Named>,
    pub group: Option<Named>,
    /// Who got the mail to the requester.
    pub relayed: Vec<String>,
    /// The text was kept for staff only.
    pub internal: bool,
    /// What proved the mail was theirs.
    pub evidence: String,
}
