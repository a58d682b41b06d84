//! Who takes part in a ticket, and so may move it by mail. Pure: the
//! caller gathers the [`Facts`] (the `posko` crate's `store::participants`).
//!
//! Ticket numbers are sequential and the subject tag is public, so anyone
//! can write `[Helpdesk #2] still broken`. A reply counts as part of the
//! conversation (a public comment that reopens a resolved ticket, resumes a
//! pending one and restarts its clocks) only when its sender (From) is:
//!
//! - staff (their own mail goes through the `posko` crate's ingest, staff path);
//! - the ticket's requester, or the requester of a ticket merged into it;
//! - a watcher (`#cc:`), of it or of a ticket merged into it;
//! - a **recipient** of its public conversation: an address in To or Cc of
//!   a public, human (not automatic) inbound message of the ticket. The
//!   requester who writes "Cc: my manager" or a colleague who answers "reply
//!   all" brings them in, as in any mature helpdesk; each such message was
//!   itself sent by a participant, because mail from anyone else is kept
//!   internal and never adds recipients.
//!
//! The desk's own addresses never take part (they are in every To), and a
//! mail without a readable From does not either. Everyone else is a
//! non-participant: see `desk.non_participant`.

use crate::domain::EmailAddress;

/// What is stored about a ticket's people (addresses as stored, any case).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The requester of the ticket and of the tickets merged into it.
    pub requesters: Vec<String>,
    /// Watchers of the ticket and of the tickets merged into it.
    pub watchers: Vec<String>,
    /// To and Cc of its public inbound human messages, as stored
    /// (`Name <addr>` or `addr`).
    pub recipients: Vec<String>,
}

/// Why a sender takes part in a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Staff,
    Requester,
    Watcher,
    Recipient,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Requester => "requester",
            Role::Watcher => "watcher",
            Role::Recipient => "recipient",
        }
    }
}

/// The part `sender` has in the ticket `facts` describe; `None` for a
/// non-participant. `staff` and `desk` say whether the sender is a staff
/// member or one of the desk's own addresses.
pub fn role(sender: &EmailAddress, facts: &Facts, staff: bool, desk: bool) -> Option<Role> {
    if desk {
        return None;
    }
    if staff {
        return Some(Role::Staff);
    }
    let same = |stored: &String| address_of(stored).is_some_and(|a| a.base() == sender.base());
    if facts.requesters.iter().any(same) {
        Some(Role::Requester)
    } else if facts.watchers.iter().any(same) {
        Some(Role::Watcher)
    } else if facts.recipients.iter().any(same) {
        Some(Role::Recipient)
    } else {
        None
    }
}

/// The address in a stored `Name <addr>` (the last bracketed part, which
/// is the real address however the name is written) or a bare `addr`.
pub fn address_of(stored: &str) -> Option<EmailAddress> {
    match stored.rfind('<') {
        Some(start) => {
            let rest = &stored[start + 1..];
            EmailAddress::parse(rest.split('>').next().unwrap_or(rest))
        }
        None => EmailAddress::parse(stored),
    }
}

/// `desk.non_participant`: what becomes of a mail threaded to a ticket
/// (by its subject tag or references) from someone who is not its
/// requester, a watcher, staff, or a recipient of its public conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonParticipant {
    /// An internal note on the ticket; its assignee (or group, or the
    /// service desk) is told; nothing else changes.
    Note,
    /// A new ticket of the sender's, linked to the one they wrote about.
    NewTicket,
}

impl NonParticipant {
    pub fn as_str(self) -> &'static str {
        match self {
            NonParticipant::Note => "note",
            NonParticipant::NewTicket => "new_ticket",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            requesters: vec!["alice@corp.test".into(), "Dewi@Corp.test".into()],
            watchers: vec!["bob@corp.test".into()],
            recipients: vec![
                "IT Helpdesk <helpdesk@corp.test>".into(),
                "Pak Joko <joko+it@corp.test>".into(),
                "\"Eve <carol@corp.test>\" <eve@outside.test>".into(),
            ],
        }
    }

    fn role_of(addr: &str) -> Option<Role> {
        role(&EmailAddress::parse(addr).unwrap(), &facts(), false, false)
    }

    #[test]
    fn requesters_watchers_and_recipients_take_part() {
        assert_eq!(role_of("alice@corp.test"), Some(Role::Requester));
        assert_eq!(role_of("ALICE+phone@corp.test"), Some(Role::Requester));
        assert_eq!(role_of("dewi@corp.test"), Some(Role::Requester));
        assert_eq!(role_of("bob@corp.test"), Some(Role::Watcher));
        assert_eq!(role_of("joko@corp.test"), Some(Role::Recipient));
        assert_eq!(role_of("eve@outside.test"), Some(Role::Recipient));
    }

    #[test]
    fn others_do_not() {
        assert_eq!(role_of("mallory@outside.test"), None);
        // A name that carries an address does not make it a recipient.
        assert_eq!(role_of("carol@corp.test"), None);
    }

    #[test]
    fn staff_always_and_the_desk_never() {
        let m = EmailAddress::parse("siti@corp.test").unwrap();
        assert_eq!(role(&m, &facts(), true, false), Some(Role::Staff));
        let d = EmailAddress::parse("helpdesk@corp.test").unwrap();
        assert_eq!(role(&d, &facts(), false, true), None);
    }

    #[test]
    fn stored_addresses_are_read_back() {
        assert_eq!(
            address_of("A <a@x.test>").map(|a| a.base().to_string()),
            Some("a@x.test".into())
        );
        assert_eq!(
            address_of("a@x.test").map(|a| a.base().to_string()),
            Some("a@x.test".into())
        );
        assert_eq!(address_of("Undisclosed recipients"), None);
    }
}
