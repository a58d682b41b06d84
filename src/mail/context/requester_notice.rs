//! The mail a staff mail sends the requester and the watchers: the staff
//! text (`staff_reply`), or a notice of what changed with the text in it
//! (`status_changed`, `resolved`, `escalated`, `assigned`, `merged`).

use serde::Serialize;

use super::{Desk, Named, StatusRef, TicketRef};

#[derive(Debug, Clone, Serialize)]
pub struct RequesterNotice {
    pub desk: Desk,
    pub ticket: TicketRef,
    /// `[Helpdesk #12]`
    pub reference: String,
    pub staff: Staff,
    pub requester: Requester,
    /// The staff member's words, when they are for the requester.
    pub note: Option<String>,
    pub status: StatusRef,
    /// Waiting for the requester.
    pub pending: bool,
    pub assignee: Option<Named>,
    pub group: Option<Group>,
    pub merged_into: Option<TicketRef>,
    /// `resolved` to the requester: the confirm, reopen, survey and
    /// rating links (none for watchers, or with surveys off).
    pub survey: Option<crate::lifecycle::links::Links>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Staff {
    pub name: String,
    pub handle: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Requester {
    pub display: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub key: String,
    pub name: String,
    pub level: u8,
}
