//! The part of a message's work that needs no database: the size limit,
//! parsing, and the route it takes. The one-message path and the batch
//! both start here, so they cannot disagree about a message.

use crate::budget::Meter;
use crate::config::Staff;
use crate::parse::{self, InboundMessage};
use crate::threading;

use super::{Incoming, Ingestor};

/// What [`Ingestor::examine`] made of a message before any database work.
pub(super) enum Examined {
    Parsed(Box<InboundMessage>),
    /// For quarantine: too large (`oversize` holds its size) or unparseable.
    Refused {
        reason: String,
        oversize: Option<u64>,
    },
}

/// Which way a parsed message goes, decided from the message alone.
#[derive(Debug, Clone)]
pub enum Route {
    /// Its From is in the staff directory: commands, authentication
    /// (`staff/`). A robot's mail from a staff address is threaded instead.
    Staff(Box<Staff>),
    /// It names a ticket (subject tag), refers to earlier mail, or answers
    /// an Outlook conversation: threading reads the database to decide.
    Thread,
    /// Neither: it opens a new ticket, with nothing to read to tell.
    New,
}

impl Ingestor {
    /// Size limit and parse.
    pub(super) fn examine(&self, item: &Incoming, raw: &[u8]) -> Examined {
        let limit = self.cfg.inbound.max_message_size();
        if item.size > limit || raw.len() as u64 > limit {
            let size = item.size.max(raw.len() as u64);
            return Examined::Refused {
                reason: format!("the message is {size} bytes; inbound.max_message_size is {limit}"),
                oversize: Some(size),
            };
        }
        // Time and memory are counted per message from here (see
        // crate::budget); past either, parsing stops and says which.
        let meter = Meter::start(self.cfg.message_budget);
        match parse::parse_metered(raw, self.cfg.desk.domain(), &meter) {
            Ok(m) => {
                crate::isolate::parse_fault_point(&m.subject);
                Examined::Parsed(Box::new(m))
            }
            Err(e) => Examined::Refused {
                reason: e.to_string(),
                oversize: None,
            },
        }
    }

    /// The route of `msg` (see [`Route`]).
    pub fn route(&self, msg: &InboundMessage) -> Route {
        match self.claimed_staff(msg) {
            Some(staff) if msg.auto.is_none() => return Route::Staff(Box::new(staff)),
            Some(_) => return Route::Thread,
            None => {}
        }
        // An Outlook answer (its Thread-Index has reply blocks) may have lost
        // both tag and references: threading looks its conversation up.
        if threading::tag_number(&msg.subject, &self.cfg.desk.tag).is_some()
            || msg.referenced_ids().next().is_some()
            || msg.conversation().is_some_and(|c| c.is_answer())
        {
            Route::Thread
        } else {
            Route::New
        }
    }
}

/// The header block of a raw message (up to the first empty line), at most
/// `max` bytes.
pub(super) fn header_block(raw: &[u8], max: usize) -> &[u8] {
    // Only the first `max` bytes (and the 3 an end marker may reach past
    // them) are searched: the rest would be cut anyway.
    let scan = &raw[..raw.len().min(max + 3)];
    let end = scan
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .or_else(|| scan.windows(2).position(|w| w == b"\n\n").map(|p| p + 2))
        .unwrap_or(raw.len());
    &raw[..end.min(max)]
}
