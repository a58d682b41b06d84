//! How staff-facing mail shows a sender (`requester`, `sender`), and the
//! context of the `sender_warning` fragment that flags a misleading name.

use serde::Serialize;

use crate::display_name::Flag;

/// A mail's sender as staff see it.
#[derive(Debug, Clone, Serialize)]
pub struct Sender {
    /// The name beside the real address, on one line.
    pub shown: String,
    pub address: String,
    /// Why the name may mislead ([`crate::display_name::check`]).
    pub flags: Vec<Flag>,
    /// The `sender_warning` line; empty when the name is fine.
    pub warning: String,
}

/// Template `sender_warning`.
#[derive(Debug, Clone, Serialize)]
pub struct SenderWarning<'a> {
    pub flags: &'a [Flag],
    pub address: &'a str,
}
