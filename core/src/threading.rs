//! Which ticket a message belongs to. Pure: the caller looks tickets up.
//!
//! Evidence, strongest first:
//! 1. the subject tag `[Helpdesk #17]` (survives clients that drop headers);
//! 2. In-Reply-To / References naming one of our own Message-IDs, or an
//!    earlier inbound message of a ticket (survives clients that drop the tag);
//! 3. a Message-ID quoted inside a bounce (finds the ticket a bounce is about).
//!
//! The lookups happen in the `posko` crate's ingest; this module extracts
//! the tag ([`SubjectTag`]) and decides what to do with what was found.

use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;

use crate::domain::{Status, TicketId};
use crate::participants::NonParticipant;

/// Reply and forward prefixes of the clients our users have, in the
/// languages they write in ("Re", "AW", "Balas", "Fwd", "TR", "WG" …).
static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*((re|aw|sv|vs|antw|antwort|r|rif|balas|bls|fw|fwd|fwd?|tr|wg|wtr|doorst|rv|enc|tr|ttp|trs|teruskan|penerusan)\s*(\[\d+\])?\s*[:：]\s*)+")
        .expect("prefix regex")
});

/// The desk's subject tag (`desk.tag`, e.g. `Helpdesk` in
/// `[Helpdesk #17]`), with the pattern that finds it compiled once, when
/// the configuration is read.
///
/// Compiling the pattern costs far more than using it (`(?i)` with Unicode
/// `\s` and `\d` builds large classes), and ingest needs it several times
/// per message (tag lookup, subject cleaning, the subjects of the mail it
/// sends), so it is built with the tag and travels with it.
#[derive(Debug, Clone)]
pub struct SubjectTag {
    name: String,
    pattern: Regex,
}

/// A tag that cannot stand in `[<tag> #17]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} must be non-empty and free of '[', ']' and '#'")]
pub struct BadTag(pub String);

impl SubjectTag {
    /// The tag `name` (trimmed); it may not be empty or contain `[`, `]`
    /// or `#`, which would make the tag ambiguous in a subject.
    pub fn new(name: &str) -> Result<SubjectTag, BadTag> {
        let trimmed = name.trim();
        if trimmed.is_empty() || trimmed.contains(['[', ']', '#']) {
            return Err(BadTag(name.to_string()));
        }
        // The tag name is matched case-insensitively and the space before
        // `#` is optional, because mail clients and people retyping
        // subjects vary.
        let pattern = Regex::new(&format!(
            r"(?i)\[\s*{}\s*#\s*(\d{{1,18}})\s*\]",
            regex::escape(trimmed)
        ))
        .expect("an escaped tag makes a valid pattern");
        Ok(SubjectTag {
            name: trimmed.to_string(),
            pattern,
        })
    }

    /// The tag as configured.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The ticket number in a subject tag such as `[Helpdesk #17]`.
    pub fn number(&self, subject: &str) -> Option<TicketId> {
        self.pattern
            .captures(subject)
            .and_then(|c| c.get(1))
            .and_then(|m| m.as_str().parse().ok())
    }

    /// The subject without reply prefixes and without this tag.
    pub fn clean(&self, subject: &str) -> String {
        let without_tag = self.pattern.replace_all(subject, " ");
        let mut s = without_tag.trim().to_string();
        // Prefixes can also stand after the tag ("[Helpdesk #1] Re: …").
        loop {
            let stripped = PREFIX.replace(&s, "").trim().to_string();
            if stripped == s {
                break;
            }
            s = stripped;
        }
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.is_empty() {
            "(no subject)".into()
        } else {
            s
        }
    }

    /// The subject of mail about a ticket: `[Helpdesk #17] Internet lambat`.
    pub fn tagged(&self, id: TicketId, subject: &str) -> String {
        format!("[{} #{id}] {}", self.name, self.clean(subject))
    }
}

impl PartialEq for SubjectTag {
    fn eq(&self, other: &SubjectTag) -> bool {
        self.name == other.name
    }
}

impl fmt::Display for SubjectTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// The ticket number in `subject`'s tag ([`SubjectTag::number`]).
pub fn tag_number(subject: &str, tag: &SubjectTag) -> Option<TicketId> {
    tag.number(subject)
}

/// `subject` without reply prefixes and the tag ([`SubjectTag::clean`]).
pub fn clean_subject(subject: &str, tag: &SubjectTag) -> String {
    tag.clean(subject)
}

/// The subject of mail about a ticket ([`SubjectTag::tagged`]).
pub fn tagged_subject(tag: &SubjectTag, id: TicketId, subject: &str) -> String {
    tag.tagged(id, subject)
}

/// What is known of the ticket a message points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub id: TicketId,
    pub status: Status,
    /// When it was closed, in Unix seconds.
    pub closed_at: Option<i64>,
    /// Set when the ticket was merged into another.
    pub merged_into: Option<TicketId>,
}

/// What to do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Open a new ticket.
    NewTicket,
    /// Add the message to this ticket; `reopen` when it was resolved or
    /// closed recently and the reply brings it back to life.
    Append { ticket: TicketId, reopen: bool },
    /// The ticket was closed too long ago: open a new one linked to it.
    NewLinked { previous: TicketId },
    /// The sender does not take part in the ticket (see
    /// [`crate::participants`]): an internal note on it, and nothing else
    /// changes (no reopening, no status, no clocks, nothing relayed).
    Note { ticket: TicketId },
    /// The same sender, with `desk.non_participant = "new_ticket"`: a new
    /// ticket of theirs, linked to the one they wrote about.
    NewFromOutsider { previous: TicketId },
}

/// Decides, given the ticket the evidence points at (if any).
pub fn decide(found: Option<Found>, now: i64, reopen_window: Duration) -> Decision {
    let Some(t) = found else {
        return Decision::NewTicket;
    };
    match t.status {
        Status::New | Status::InProgress | Status::Pending => Decision::Append {
            ticket: t.id,
            reopen: false,
        },
        // A reply to a resolved ticket means it is not solved after all.
        Status::Resolved => Decision::Append {
            ticket: t.id,
            reopen: true,
        },
        Status::Closed => {
            let closed = t.closed_at.unwrap_or(now);
            if now - closed <= reopen_window.as_secs() as i64 {
                Decision::Append {
                    ticket: t.id,
                    reopen: true,
                }
            } else {
                Decision::NewLinked { previous: t.id }
            }
        }
    }
}

/// What `d` becomes when its sender does not take part in the ticket:
/// a message that would have joined it is a [`Decision::Note`], or opens
/// a linked ticket when the desk says so. A robot's mail (a bounce, an
/// out-of-office) is always a note: a ticket per bounce helps nobody. A
/// ticket closed too long ago is left alone either way.
pub fn for_non_participant(d: Decision, mode: NonParticipant, auto: bool) -> Decision {
    match d {
        Decision::Append { ticket, .. } if mode == NonParticipant::NewTicket && !auto => {
            Decision::NewFromOutsider { previous: ticket }
        }
        Decision::Append { ticket, .. } => Decision::Note { ticket },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(name: &str) -> SubjectTag {
        SubjectTag::new(name).unwrap()
    }

    #[test]
    fn tag_is_found_in_many_spellings() {
        for s in [
            "[Helpdesk #17] Internet lambat",
            "Re: [Helpdesk #17] Internet lambat",
            "RE: AW: [helpdesk#17] x",
            "Balas: [ HELPDESK # 17 ] x",
            "x [Helpdesk #17]",
        ] {
            assert_eq!(tag_number(s, &tag("Helpdesk")), Some(17), "{s}");
        }
        assert_eq!(tag_number("[Ticket #17] x", &tag("Helpdesk")), None);
        assert_eq!(tag_number("Helpdesk #17", &tag("Helpdesk")), None);
        assert_eq!(tag_number("[Helpdesk #] x", &tag("Helpdesk")), None);
    }

    #[test]
    fn tag_with_regex_characters_is_literal() {
        assert_eq!(tag_number("[IT.Desk #3] a", &tag("IT.Desk")), Some(3));
        assert_eq!(tag_number("[ITxDesk #3] a", &tag("IT.Desk")), None);
    }

    #[test]
    fn tags_that_would_be_ambiguous_are_refused() {
        for bad in ["", "  ", "IT [Desk]", "Desk#1"] {
            assert_eq!(SubjectTag::new(bad).unwrap_err(), BadTag(bad.into()));
        }
        assert_eq!(tag(" Helpdesk ").as_str(), "Helpdesk");
        assert_eq!(tag("Helpdesk").to_string(), "Helpdesk");
    }

    #[test]
    fn subjects_are_cleaned() {
        assert_eq!(
            clean_subject("Re: AW: [Helpdesk #17] Internet lambat", &tag("Helpdesk")),
            "Internet lambat"
        );
        assert_eq!(
            clean_subject("Fwd: Balas: printer", &tag("Helpdesk")),
            "printer"
        );
        assert_eq!(clean_subject("   ", &tag("Helpdesk")), "(no subject)");
        assert_eq!(
            tagged_subject(&tag("Helpdesk"), 5, "RE: Printer rusak"),
            "[Helpdesk #5] Printer rusak"
        );
        // Words that merely start like a prefix stay.
        assert_eq!(
            clean_subject("Reset password", &tag("Helpdesk")),
            "Reset password"
        );
    }

    #[test]
    fn decisions() {
        let w = Duration::from_secs(14 * 86400);
        let open = Found {
            id: 1,
            status: Status::InProgress,
            closed_at: None,
            merged_into: None,
        };
        assert_eq!(decide(None, 0, w), Decision::NewTicket);
        assert_eq!(
            decide(Some(open), 0, w),
            Decision::Append {
                ticket: 1,
                reopen: false
            }
        );
        let closed = Found {
            status: Status::Closed,
            closed_at: Some(1_000),
            ..open
        };
        assert_eq!(
            decide(Some(closed), 1_000 + 86400, w),
            Decision::Append {
                ticket: 1,
                reopen: true
            }
        );
        assert_eq!(
            decide(Some(closed), 1_000 + 15 * 86400, w),
            Decision::NewLinked { previous: 1 }
        );
        let resolved = Found {
            status: Status::Resolved,
            ..open
        };
        assert_eq!(
            decide(Some(resolved), 0, w),
            Decision::Append {
                ticket: 1,
                reopen: true
            }
        );
    }

    #[test]
    fn non_participants_change_nothing() {
        let reopen = Decision::Append {
            ticket: 2,
            reopen: true,
        };
        assert_eq!(
            for_non_participant(reopen, NonParticipant::Note, false),
            Decision::Note { ticket: 2 }
        );
        assert_eq!(
            for_non_participant(reopen, NonParticipant::NewTicket, false),
            Decision::NewFromOutsider { previous: 2 }
        );
        assert_eq!(
            for_non_participant(reopen, NonParticipant::NewTicket, true),
            Decision::Note { ticket: 2 },
            "a robot's mail opens no ticket"
        );
        let old = Decision::NewLinked { previous: 2 };
        assert_eq!(for_non_participant(old, NonParticipant::Note, false), old);
        assert_eq!(
            for_non_participant(Decision::NewTicket, NonParticipant::Note, false),
            Decision::NewTicket
        );
    }
}
