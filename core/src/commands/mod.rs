//! Staff commands in mail: `#assign:me #status:in_progress` → typed [`Command`]s.
//!
//! Pure: [`parse`] takes the subject (the part after the ticket tag) and the
//! body text of a staff mail and returns the commands, the errors (with a
//! "did you mean" where a typo is likely), and the subject and body with the
//! commands taken out. Whether the sender may command at all, and whether a
//! handle or group exists, is decided later by the use case.
//!
//! Where commands are looked for, and why so narrowly:
//! - in the subject, every `#name` / `#name:value` word. The subject also
//!   carries the requester's own words, so a `#word` whose name is neither a
//!   command nor close to one (`#wfh`) stays subject text, and `#17` (a ticket
//!   reference) is never a command;
//! - at the top of the body, for phones where editing the subject is awkward:
//!   leading lines in which *every* word is a command, blank lines between
//!   them allowed. The first other line ends the search, so hashtags in prose
//!   and quoted text (`> #resolve`) are never commands.
//!
//! Names and word values are case-insensitive and Indonesian words are
//! accepted; see [`help_text`] for the reference staff receive.

use std::fmt;

use thiserror::Error;

use crate::domain::Language;
use crate::domain::{EmailAddress, Status, TicketId};

mod reference;
mod scan;
mod suggest;
mod words;

pub use reference::{help_text, markdown_table};
pub use scan::parse;
pub use suggest::suggest;
use words::*;

/// One command a staff member gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `#status:<status>`, English or Indonesian word.
    Status(Status),
    /// `#assign:me` or `#assign:<handle>`.
    Assign(Assignee),
    /// `#internal`: the text is a note for staff only.
    Internal,
    /// `#pending`: waiting for the requester.
    Pending,
    /// `#resolve`: the text is the resolution note.
    Resolve,
    /// `#close`.
    Close,
    /// `#reopen`.
    Reopen,
    /// `#escalate` (next level) or `#escalate:<group>`.
    Escalate(Option<String>),
    /// `#priority:<n>`, n ≥ 1; whether the level exists is configuration.
    Priority(u8),
    /// `#urgency:high|medium|low`.
    Urgency(Level),
    /// `#impact:high|medium|low`.
    Impact(Level),
    /// `#category:<key>`, e.g. `network.internet-slow`.
    Category(String),
    /// `#type:incident|request|access|change|security`.
    Type(TicketType),
    /// `#cc:<address>`: a watcher who gets public replies.
    Cc(EmailAddress),
    /// `#merge:<n>` or `#merge:#<n>`: this ticket into ticket n.
    Merge(TicketId),
    /// `#requester:<address>`: open the ticket on someone's behalf.
    Requester(EmailAddress),
    /// `#lang:en` / `#lang:id`: the language the requester is answered in.
    Lang(Language),
    /// `#help`: mail back the command reference.
    Help,
    /// `#show`: mail the sender the ticket's whole record.
    Show,
}

/// Who `#assign` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    /// The sender (`me`, `saya`, `aku`).
    Me,
    /// A staff handle, lower-cased; the directory lookup happens later.
    Handle(String),
}

/// Urgency and impact levels of the SOP's priority matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    High,
    Medium,
    Low,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::High => "high",
            Level::Medium => "medium",
            Level::Low => "low",
        }
    }
}

/// Ticket types of the SOP (an RFC arriving at the desk is a `change`):
/// the catalogue's type, so a command and a rule speak of the same thing.
pub use crate::catalogue::TicketType;

/// What a command does to the ticket's status, for conflict checks and so the
/// use case applies one change even when `#resolve` and `#status:selesai`
/// both came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    To(Status),
    /// Back from resolved / closed; the use case picks the status.
    Reopen,
}

/// The command names, in the order of the reference.
pub const NAMES: [&str; 19] = [
    "status",
    "assign",
    "internal",
    "pending",
    "resolve",
    "close",
    "reopen",
    "escalate",
    "priority",
    "urgency",
    "impact",
    "category",
    "type",
    "cc",
    "merge",
    "requester",
    "lang",
    "help",
    "show",
];

impl Command {
    /// The stable name recorded in events (`"status"`, `"assign"` …).
    pub fn name(&self) -> &'static str {
        match self {
            Command::Status(_) => "status",
            Command::Assign(_) => "assign",
            Command::Internal => "internal",
            Command::Pending => "pending",
            Command::Resolve => "resolve",
            Command::Close => "close",
            Command::Reopen => "reopen",
            Command::Escalate(_) => "escalate",
            Command::Priority(_) => "priority",
            Command::Urgency(_) => "urgency",
            Command::Impact(_) => "impact",
            Command::Category(_) => "category",
            Command::Type(_) => "type",
            Command::Cc(_) => "cc",
            Command::Merge(_) => "merge",
            Command::Requester(_) => "requester",
            Command::Lang(_) => "lang",
            Command::Help => "help",
            Command::Show => "show",
        }
    }

    /// The value in canonical form (`"in_progress"`, `"me"`, `"12"`), if any.
    pub fn value(&self) -> Option<String> {
        Some(match self {
            Command::Status(s) => s.as_str().to_string(),
            Command::Assign(Assignee::Me) => "me".to_string(),
            Command::Assign(Assignee::Handle(h)) => h.clone(),
            Command::Escalate(Some(g)) => g.clone(),
            Command::Priority(p) => p.to_string(),
            Command::Urgency(l) | Command::Impact(l) => l.as_str().to_string(),
            Command::Category(c) => c.clone(),
            Command::Type(t) => t.as_str().to_string(),
            Command::Cc(a) | Command::Requester(a) => a.as_str().to_string(),
            Command::Merge(n) => n.to_string(),
            Command::Lang(l) => l.code().to_string(),
            Command::Internal
            | Command::Pending
            | Command::Resolve
            | Command::Close
            | Command::Reopen
            | Command::Escalate(None)
            | Command::Help
            | Command::Show => return None,
        })
    }

    /// What the command does to the status, if anything.
    pub fn status_change(&self) -> Option<StatusChange> {
        Some(match self {
            Command::Status(s) => StatusChange::To(*s),
            Command::Pending => StatusChange::To(Status::Pending),
            Command::Resolve => StatusChange::To(Status::Resolved),
            Command::Close => StatusChange::To(Status::Closed),
            Command::Reopen => StatusChange::Reopen,
            _ => return None,
        })
    }

    /// Two commands that cannot both apply: different status changes, or two
    /// different values for something a ticket has one of. `#cc` may repeat.
    fn conflicts_with(&self, other: &Command) -> bool {
        if let (Some(a), Some(b)) = (self.status_change(), other.status_change()) {
            return a != b;
        }
        self.name() == other.name() && self != other && self.name() != "cc"
    }
}

/// The canonical spelling, which [`parse`] reads back to the same command.
impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value() {
            Some(v) => write!(f, "#{}:{v}", self.name()),
            None => write!(f, "#{}", self.name()),
        }
    }
}

/// Where a command was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Subject,
    /// Line number in the body, counting from 1.
    Body {
        line: usize,
    },
}

/// A command with where it came from and how it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub command: Command,
    pub source: Source,
    /// The text as the sender wrote it (`#Status:Selesai`), for replies.
    pub raw: String,
}

/// Why a command cannot be applied. The use case applies none of a mail's
/// commands when there is any error, and tells the sender these.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommandError {
    #[error("unknown command #{name}{}", hint("#", did_you_mean))]
    UnknownCommand {
        name: String,
        did_you_mean: Option<String>,
    },
    #[error("#{name} needs a value, as in #{name}:{}", example(name))]
    MissingValue { name: String },
    #[error("#{name} takes no value (got #{name}:{value})")]
    UnexpectedValue { name: String, value: String },
    #[error("#{name}:{value} is not valid: expected {expected}{}", hint(&format!("#{name}:"), did_you_mean))]
    BadValue {
        name: String,
        value: String,
        expected: String,
        did_you_mean: Option<String>,
    },
    #[error("{a} and {b} contradict each other; send only one")]
    Conflict { a: String, b: String },
}

fn hint(prefix: &str, did_you_mean: &Option<String>) -> String {
    match did_you_mean {
        Some(s) => format!("; did you mean {prefix}{s}?"),
        None => String::new(),
    }
}

fn example(name: &str) -> &'static str {
    match name {
        "status" => "in_progress",
        "assign" => "me",
        "priority" => "1",
        "urgency" | "impact" => "high",
        "category" => "network.internet-slow",
        "type" => "incident",
        "cc" | "requester" => "someone@corp.test",
        "merge" => "12",
        "lang" => "en",
        _ => "…",
    }
}

/// What [`parse`] found in one mail.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    /// Commands in the order written, subject first; an exact repeat is
    /// dropped.
    pub commands: Vec<Located>,
    /// Unknown commands, bad values, conflicts, in the order found.
    pub errors: Vec<CommandError>,
    /// The subject words that are not commands, joined by single spaces.
    pub subject_without_commands: String,
    /// The body from the first line that is not a command line or blank
    /// (the staff member's real text); the whole body when it starts with
    /// no command line. Always a suffix of the body.
    pub body_without_commands: String,
}

impl Parsed {
    /// True when the mail held nothing that looked like a command.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty() && self.errors.is_empty()
    }

    /// The status change the commands ask for (conflicts are errors, so
    /// there is at most one distinct change).
    pub fn status_change(&self) -> Option<StatusChange> {
        self.commands.iter().find_map(|c| c.command.status_change())
    }
}

#[cfg(test)]
mod tests;
