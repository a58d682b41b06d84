//! One message being taken in: what every step of its work needs to know
//! about it, passed as one value instead of five arguments.

use super::Incoming;
use crate::parse::InboundMessage;

/// The message, where it came from, and when it is taken in.
#[derive(Clone, Copy)]
pub(crate) struct Arrival<'a> {
    /// As the source handed it over (source name, envelope recipients).
    pub item: &'a Incoming,
    /// As parsed. For a staff mail opening a ticket on someone's behalf,
    /// the message as the requester's (commands taken out).
    pub msg: &'a InboundMessage,
    pub now: i64,
}

impl<'a> Arrival<'a> {
    pub fn new(item: &'a Incoming, msg: &'a InboundMessage, now: i64) -> Arrival<'a> {
        Arrival { item, msg, now }
    }

    /// The same arrival seen as `msg` (a rewritten copy of the message).
    pub fn with_msg<'b>(&self, msg: &'b InboundMessage) -> Arrival<'b>
    where
        'a: 'b,
    {
        Arrival {
            item: self.item,
            msg,
            now: self.now,
        }
    }

    /// The key of its raw row, which the message rows refer to.
    pub fn raw_id(&self) -> &'a str {
        &self.msg.dedupe_key
    }

    /// The sender's address, as its author. Never a staff handle: a From
    /// proves nothing, and only a staff mail that proved itself is recorded
    /// under the handle (`staff/`).
    pub fn author(&self) -> String {
        match &self.msg.from {
            Some(m) => m.address.as_str().to_string(),
            None => self
                .msg
                .sender_text
                .clone()
                .unwrap_or_else(|| "unknown".into()),
        }
    }
}
