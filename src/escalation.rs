//! Old paths of the SLA scan, kept while the house is rebuilt (issue 10):
//! the pure due-time maths are in [`crate::sla::due`], the clock-look use
//! case in [`crate::sla::clocks`], the notices in [`crate::sla::notice`]
//! and the worker in [`crate::sla::scan`]. What is left here records an SLA
//! notice as outgoing mail, through the one [`crate::outgoing::record_outgoing`].

use anyhow::Result;

use crate::compose::Outgoing;
use crate::domain::{EmailAddress, Visibility};
use crate::store::Conn;

pub use crate::mail::words::human_duration;
pub use crate::sla::clocks::{calendar_of, record, row_after, row_retargeted};
pub use crate::sla::due::{
    DEFAULT_EVERY, DEFAULT_SCAN_INTERVAL, Due, Policy, Recipient, due_between, next_check,
};
pub use crate::sla::notice::{first_responders, local_time, rfc3339};
pub use crate::sla::scan::{Escalator, ScanStats};

/// Queues the SLA notice `out` (kind `kind`: `sla_warning`, `sla_breach`,
/// `sla_escalated`) to `to`: the outbox row, the message row and its
/// `*_queued` event; a notice that cannot be built is recorded as failed.
pub(crate) async fn queue_notice(
    c: &mut Conn,
    kind: &'static str,
    out: Outgoing,
    to: EmailAddress,
    now: i64,
) -> Result<()> {
    // Recorded like every outgoing mail (crate::outgoing); a mail that
    // cannot be built is recorded as failed, the scan goes on, and this
    // threshold is not tried again.
    let mut w = crate::store::script::Script::new();
    let recording = crate::outgoing::Recording {
        kind,
        visibility: Visibility::Internal,
        primary: to.base(),
    };
    crate::outgoing::record_outgoing(&mut w, &out, recording, now)?;
    w.run(c, crate::store::backend_of(c)).await
}
