//! The command reference, to a staff member's directory address.

use serde::Serialize;

use super::Desk;

#[derive(Debug, Clone, Serialize)]
pub struct Help {
    pub desk: Desk,
    /// The reference itself, in the desk's language.
    pub commands: String,
    /// Their personal reply address (new tickets with commands).
    pub personal_address: String,
    pub personal_until: String,
}
