//! The typed contexts of the templates: one struct per template, its fields
//! the names the template reads (`{{ticket.subject}}`). A template reading a
//! field its struct lacks fails to render (strict mode), and the golden
//! files (`tests/fixtures/mail/`) show what each renders.

pub mod sender;
pub mod sla_notice;
pub mod words;

pub use sender::{Sender, SenderWarning};
pub use sla_notice::{SlaBreach, SlaNotice, SlaWarning};
pub use words::{AckSla, ClockName, DurationWords, SlaConfirm, SlaHours};

use serde::Serialize;

/// `desk`: the desk's name and address, as mail shows them.
#[derive(Debug, Clone, Serialize)]
pub struct Desk {
    pub name: String,
    pub address: String,
}
