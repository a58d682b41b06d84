//! One typed context per template (or per family of templates that read
//! the same fields): what a template may use is what its struct holds.
//! Each serialises to the JSON the handlebars templates read.
//!
//! | file | templates |
//! |---|---|
//! | `new_ticket.rs` | `ack`, `staff_new`, `security_alert`, `major_incident` |
//! | `requester_notice.rs` | `staff_reply`, `status_changed`, `resolved`, `escalated`, `assigned`, `merged` |
//! | `staff_confirm.rs` | `staff_confirm` |
//! | `command_error.rs` | `command_error` |
//! | `help.rs` | `help` |
//! | `escalation.rs` | `escalation` (the form to the receiving group) |
//! | `non_participant.rs` | `non_participant` |
//! | `sla_notice.rs` | `sla_warning`, `sla_breach` (body and subject) |
//! | `show.rs` | `show` (a ticket's record, for `#show`) |
//! | `sender.rs` | how staff see a sender; `sender_warning` |
//! | `words.rs` | `duration`, `clock_name`, `sla_hours`, `sla_confirm`; the ack's `sla` |
//!
//! The golden files (`tests/fixtures/mail/`) show what each renders.

pub mod command_error;
pub mod escalation;
pub mod help;
pub mod new_ticket;
pub mod non_participant;
pub mod requester_notice;
pub mod sender;
pub mod show;
pub mod sla_notice;
pub mod staff_confirm;
pub mod words;

pub use sender::{Sender, SenderWarning};
pub use sla_notice::{SlaBreach, SlaNotice, SlaWarning};
pub use words::{
    AckSla, ClockName, DurationWords, SlaConfirm, SlaHours, StatusName, SubjectPrefix, TypeName,
};

use serde::Serialize;

/// The desk, as every template names it.
#[derive(Debug, Clone, Serialize)]
pub struct Desk {
    pub name: String,
    pub address: String,
}

impl Desk {
    pub fn of(desk: &crate::config::Desk) -> Desk {
        Desk {
            name: desk.name.clone(),
            address: desk.address.as_str().to_string(),
        }
    }
}

/// A ticket by number and subject.
#[derive(Debug, Clone, Serialize)]
pub struct TicketRef {
    pub id: i64,
    pub subject: String,
}

impl TicketRef {
    pub fn of(t: &crate::store::tickets::Ticket) -> TicketRef {
        TicketRef {
            id: t.id,
            subject: t.subject.clone(),
        }
    }
}

/// A status, by code and in words requesters read.
#[derive(Debug, Clone, Serialize)]
pub struct StatusRef {
    pub code: &'static str,
    pub name: String,
}

/// Someone by name.
#[derive(Debug, Clone, Serialize)]
pub struct Named {
    pub name: String,
}
