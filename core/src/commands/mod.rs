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
    /// `#help`: mail back the command reference.
    Help,
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
pub const NAMES: [&str; 17] = [
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
    "help",
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
            Command::Help => "help",
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
            Command::Internal
            | Command::Pending
            | Command::Resolve
            | Command::Close
            | Command::Reopen
            | Command::Escalate(None)
            | Command::Help => return None,
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

/// Finds the commands in `subject` (the text after the ticket tag; the tag
/// itself is harmless too, `#17]` is not a command) and at the top of `body`.
pub fn parse(subject: &str, body: &str) -> Parsed {
    let mut attempts: Vec<(Source, Attempt)> = Vec::new();

    let mut subject_text: Vec<&str> = Vec::new();
    for item in scan(&subject.split_whitespace().collect::<Vec<_>>()) {
        match item {
            Item::Text(w) | Item::Hashtag(w) => subject_text.push(w),
            Item::Attempt(a) => attempts.push((Source::Subject, a)),
        }
    }

    // Body: leading command lines and blank lines; stop at anything else.
    let mut rest_at = None;
    let mut saw_command_line = false;
    let mut offset = 0;
    for (index, line) in body.split_inclusive('\n').enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            offset += line.len();
            continue;
        }
        let items = scan(&words);
        let is_command_line = items.iter().any(|i| matches!(i, Item::Attempt(_)))
            && items.iter().all(|i| !matches!(i, Item::Text(_)));
        if !is_command_line {
            rest_at = Some(offset);
            break;
        }
        saw_command_line = true;
        offset += line.len();
        let source = Source::Body { line: index + 1 };
        for item in items {
            match item {
                Item::Attempt(a) => attempts.push((source, a)),
                // On a command line a far-off name is a mistake, not prose.
                Item::Hashtag(w) => attempts.push((
                    source,
                    Attempt {
                        raw: w.to_string(),
                        result: Err(CommandError::UnknownCommand {
                            name: hashtag_name(w),
                            did_you_mean: None,
                        }),
                    },
                )),
                Item::Text(_) => unreachable!("command lines have no text"),
            }
        }
    }
    let body_without_commands = if saw_command_line {
        rest_at.map_or_else(String::new, |at| body[at..].to_string())
    } else {
        body.to_string()
    };

    let mut parsed = Parsed {
        subject_without_commands: subject_text.join(" "),
        body_without_commands,
        ..Parsed::default()
    };
    for (source, attempt) in attempts {
        match attempt.result {
            Err(e) => parsed.errors.push(e),
            Ok(command) => {
                if parsed.commands.iter().any(|c| c.command == command) {
                    continue;
                }
                if let Some(earlier) = parsed
                    .commands
                    .iter()
                    .find(|c| c.command.conflicts_with(&command))
                {
                    parsed.errors.push(CommandError::Conflict {
                        a: earlier.raw.clone(),
                        b: attempt.raw.clone(),
                    });
                }
                parsed.commands.push(Located {
                    command,
                    source,
                    raw: attempt.raw,
                });
            }
        }
    }
    parsed
}

/// One word (or `#name: value` word pair) of a subject or body line.
enum Item<'a> {
    /// Not command-shaped.
    Text(&'a str),
    /// Command-shaped but its name is nowhere near a command (`#wfh`).
    Hashtag(&'a str),
    /// Meant as a command: a known name, or a likely typo of one.
    Attempt(Attempt),
}

struct Attempt {
    raw: String,
    result: Result<Command, CommandError>,
}

/// Punctuation that ends a sentence rather than belongs to a command
/// (`… #resolve.`). No value we accept ends with one of these.
const TRAILING: &[char] = &['.', ',', ';', '!', '?', ')'];

/// Splits `#name` / `#name:value` into the name and the value. `None` for
/// anything else, including `#17` and `#` alone.
fn shape(word: &str) -> Option<(&str, Option<&str>)> {
    let word = word.trim_end_matches(TRAILING);
    let rest = word.strip_prefix('#')?;
    if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let (name, after) = rest.split_at(end);
    match after.strip_prefix(':') {
        Some(value) => Some((name, Some(value))),
        None if after.is_empty() => Some((name, None)),
        None => None,
    }
}

fn hashtag_name(word: &str) -> String {
    shape(word).map_or_else(String::new, |(n, _)| n.to_ascii_lowercase())
}

fn scan<'a>(words: &[&'a str]) -> Vec<Item<'a>> {
    let mut items = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = words[i];
        i += 1;
        let Some((name, value)) = shape(word) else {
            items.push(Item::Text(word));
            continue;
        };
        let name = name.to_ascii_lowercase();
        let Some(spec) = SPECS.iter().find(|s| s.name == name) else {
            let did_you_mean = NAME_HINTS
                .iter()
                .find(|(id, _)| *id == name)
                .map(|(_, en)| *en)
                .or_else(|| suggest(&name, NAMES));
            match did_you_mean {
                Some(s) => items.push(Item::Attempt(Attempt {
                    raw: word.to_string(),
                    result: Err(CommandError::UnknownCommand {
                        name,
                        did_you_mean: Some(s.to_string()),
                    }),
                })),
                None => items.push(Item::Hashtag(word)),
            }
            continue;
        };
        let mut raw = word.to_string();
        let mut value = value.filter(|v| !v.is_empty()).map(str::to_string);
        // `#assign: budi`: some phones add a space after a colon.
        if word.ends_with(':')
            && spec.arity != Arity::None
            && i < words.len()
            && shape(words[i]).is_none()
        {
            value = Some(words[i].trim_end_matches(TRAILING).to_string());
            raw = format!("{word} {}", words[i]);
            i += 1;
        }
        items.push(Item::Attempt(Attempt {
            raw,
            result: build(spec, value.as_deref()),
        }));
    }
    items
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arity {
    None,
    Optional,
    Required,
}

struct Spec {
    name: &'static str,
    arity: Arity,
}

const SPECS: [Spec; 17] = {
    const fn s(name: &'static str, arity: Arity) -> Spec {
        Spec { name, arity }
    }
    [
        s("status", Arity::Required),
        s("assign", Arity::Required),
        s("internal", Arity::None),
        s("pending", Arity::None),
        s("resolve", Arity::None),
        s("close", Arity::None),
        s("reopen", Arity::None),
        s("escalate", Arity::Optional),
        s("priority", Arity::Required),
        s("urgency", Arity::Required),
        s("impact", Arity::Required),
        s("category", Arity::Required),
        s("type", Arity::Required),
        s("cc", Arity::Required),
        s("merge", Arity::Required),
        s("requester", Arity::Required),
        s("help", Arity::None),
    ]
};

/// Indonesian words staff may reach for as a command name, and the command
/// they mean. Only used for "did you mean": the names are the interface.
const NAME_HINTS: &[(&str, &str)] = &[
    ("selesai", "resolve"),
    ("beres", "resolve"),
    ("tutup", "close"),
    ("tunda", "pending"),
    ("menunggu", "pending"),
    ("buka", "reopen"),
    ("bantuan", "help"),
    ("eskalasi", "escalate"),
    ("tugaskan", "assign"),
    ("catatan", "internal"),
    ("prioritas", "priority"),
    ("urgensi", "urgency"),
    ("dampak", "impact"),
    ("kategori", "category"),
    ("jenis", "type"),
    ("gabung", "merge"),
    ("gabungkan", "merge"),
    ("tembusan", "cc"),
    ("pelapor", "requester"),
    ("pemohon", "requester"),
];

/// Status words, English and Indonesian. Reopening is not a status of its
/// own (the ticket goes back to work), so the "open" words give `#reopen`.
const STATUS_WORDS: &[(&str, Command)] = &[
    ("new", Command::Status(Status::New)),
    ("baru", Command::Status(Status::New)),
    ("in_progress", Command::Status(Status::InProgress)),
    ("inprogress", Command::Status(Status::InProgress)),
    ("progress", Command::Status(Status::InProgress)),
    ("proses", Command::Status(Status::InProgress)),
    ("diproses", Command::Status(Status::InProgress)),
    ("dikerjakan", Command::Status(Status::InProgress)),
    ("ditangani", Command::Status(Status::InProgress)),
    ("pending", Command::Status(Status::Pending)),
    ("waiting", Command::Status(Status::Pending)),
    ("tunda", Command::Status(Status::Pending)),
    ("ditunda", Command::Status(Status::Pending)),
    ("menunggu", Command::Status(Status::Pending)),
    ("resolved", Command::Status(Status::Resolved)),
    ("done", Command::Status(Status::Resolved)),
    ("selesai", Command::Status(Status::Resolved)),
    ("beres", Command::Status(Status::Resolved)),
    ("closed", Command::Status(Status::Closed)),
    ("tutup", Command::Status(Status::Closed)),
    ("ditutup", Command::Status(Status::Closed)),
    ("reopen", Command::Reopen),
    ("reopened", Command::Reopen),
    ("buka", Command::Reopen),
    ("dibuka", Command::Reopen),
];

const LEVEL_WORDS: &[(&str, Level)] = &[
    ("high", Level::High),
    ("medium", Level::Medium),
    ("low", Level::Low),
    ("tinggi", Level::High),
    ("sedang", Level::Medium),
    ("rendah", Level::Low),
];

const TYPE_WORDS: &[(&str, TicketType)] = &[
    ("incident", TicketType::Incident),
    ("request", TicketType::Request),
    ("access", TicketType::Access),
    ("change", TicketType::Change),
    ("security", TicketType::Security),
    ("insiden", TicketType::Incident),
    ("permintaan", TicketType::Request),
    ("akses", TicketType::Access),
    ("perubahan", TicketType::Change),
    ("keamanan", TicketType::Security),
];

const ME_WORDS: &[&str] = &["me", "saya", "aku"];

fn build(spec: &Spec, value: Option<&str>) -> Result<Command, CommandError> {
    let name = spec.name;
    let value = match (spec.arity, value) {
        (Arity::None, None) => return Ok(flag(name)),
        (Arity::None, Some(v)) => {
            return Err(CommandError::UnexpectedValue {
                name: name.into(),
                value: v.into(),
            });
        }
        (Arity::Required, None) => return Err(CommandError::MissingValue { name: name.into() }),
        (Arity::Optional, None) => return Ok(Command::Escalate(None)),
        (_, Some(v)) => v,
    };
    let lower = value.to_lowercase();
    let bad = |expected: &str, did_you_mean: Option<String>| CommandError::BadValue {
        name: name.into(),
        value: value.into(),
        expected: expected.into(),
        did_you_mean,
    };
    match name {
        "status" => {
            let word = lower.replace('-', "_");
            lookup(STATUS_WORDS, &word).cloned().ok_or_else(|| {
                bad(
                    "new, in_progress, pending, resolved, closed, reopen \
                     (or baru, proses, tunda, selesai, tutup, buka)",
                    suggest(&word, STATUS_WORDS.iter().map(|(w, _)| *w)).map(String::from),
                )
            })
        }
        "assign" if ME_WORDS.contains(&lower.as_str()) => Ok(Command::Assign(Assignee::Me)),
        "assign" if is_handle(&lower) => Ok(Command::Assign(Assignee::Handle(lower))),
        "assign" => Err(bad("me or a staff handle such as budi", None)),
        "priority" => match lower.parse::<u8>() {
            Ok(n) if n > 0 && lower.bytes().all(|b| b.is_ascii_digit()) => Ok(Command::Priority(n)),
            _ => {
                // `p1` is how some tools write priorities.
                let digits = lower.strip_prefix('p').filter(|d| {
                    d.parse::<u8>().is_ok_and(|n| n > 0) && d.bytes().all(|b| b.is_ascii_digit())
                });
                Err(bad(
                    "a whole number from 1 (highest)",
                    digits.map(String::from),
                ))
            }
        },
        "urgency" | "impact" => match lookup(LEVEL_WORDS, &lower) {
            Some(l) if name == "urgency" => Ok(Command::Urgency(*l)),
            Some(l) => Ok(Command::Impact(*l)),
            None => Err(bad(
                "high, medium or low (tinggi, sedang, rendah)",
                suggest(&lower, LEVEL_WORDS.iter().map(|(w, _)| *w)).map(String::from),
            )),
        },
        "category" if is_key(&lower) => Ok(Command::Category(lower)),
        "category" => Err(bad(
            "a category key of a-z, 0-9, '.', '-', '_' such as network.internet-slow",
            None,
        )),
        "escalate" if is_key(&lower) => Ok(Command::Escalate(Some(lower))),
        "escalate" => Err(bad("a group key such as network, or nothing", None)),
        "type" => lookup(TYPE_WORDS, &lower)
            .map(|t| Command::Type(*t))
            .ok_or_else(|| {
                bad(
                    "incident, request, access, change or security \
                 (insiden, permintaan, akses, perubahan, keamanan)",
                    suggest(&lower, TYPE_WORDS.iter().map(|(w, _)| *w)).map(String::from),
                )
            }),
        "cc" | "requester" => match EmailAddress::parse(value) {
            Some(a) if name == "cc" => Ok(Command::Cc(a)),
            Some(a) => Ok(Command::Requester(a)),
            None => Err(bad("an e-mail address such as someone@corp.test", None)),
        },
        "merge" => {
            let digits = lower.strip_prefix('#').unwrap_or(&lower);
            match digits.parse::<TicketId>() {
                Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => {
                    Ok(Command::Merge(n))
                }
                _ => Err(bad("a ticket number such as 12 or #12", None)),
            }
        }
        _ => unreachable!("every spec with a value is handled: {name}"),
    }
}

fn flag(name: &str) -> Command {
    match name {
        "internal" => Command::Internal,
        "pending" => Command::Pending,
        "resolve" => Command::Resolve,
        "close" => Command::Close,
        "reopen" => Command::Reopen,
        "help" => Command::Help,
        _ => unreachable!("not a flag: {name}"),
    }
}

fn lookup<'t, T>(table: &'t [(&str, T)], word: &str) -> Option<&'t T> {
    table.iter().find(|(w, _)| *w == word).map(|(_, t)| t)
}

/// Category and group keys: what configuration files use as keys.
fn is_key(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
}

/// Staff handles; an address is let through too, since the directory knows
/// staff by address as well.
fn is_handle(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_' | '@' | '+')
        })
}

/// The closest candidate within a few edits, first in table order on ties.
/// Short words get a tight limit, or every two-letter word would be `#cc`.
pub fn suggest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let n = word.chars().count();
    // Long words are no typo of ours, and the cost grows with the length.
    if n == 0 || n > 32 {
        return None;
    }
    let limit = match n {
        0..=3 => 1,
        4..=6 => 2,
        _ => 3,
    };
    candidates
        .into_iter()
        .map(|c| (levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance (insertions, deletions, substitutions), by characters.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// One line of the reference: usage, then English and Indonesian.
const REFERENCE: &[(&str, &str, &str)] = &[
    (
        "#status:<status>",
        "set the status: new, in_progress, pending, resolved, closed",
        "ubah status: baru, proses, tunda, selesai, tutup (buka = buka kembali)",
    ),
    (
        "#assign:me | #assign:<handle>",
        "assign the ticket to yourself or to a colleague",
        "tugaskan tiket ke Anda sendiri (me/saya) atau ke rekan",
    ),
    (
        "#internal",
        "your text becomes an internal note; the requester never sees it",
        "teks Anda menjadi catatan internal; pelapor tidak melihatnya",
    ),
    (
        "#pending",
        "wait for the requester; their next mail resumes work",
        "menunggu pelapor; balasan berikutnya melanjutkan tiket",
    ),
    (
        "#resolve",
        "resolve; your text is the resolution note to the requester",
        "selesaikan; teks Anda menjadi catatan penyelesaian untuk pelapor",
    ),
    ("#close", "close the ticket", "tutup tiket"),
    ("#reopen", "reopen the ticket", "buka kembali tiket"),
    (
        "#escalate | #escalate:<group>",
        "hand over to the next level (L1 → L2 → L3) or to a group; your text is the reason",
        "eskalasi ke level berikutnya (L1 → L2 → L3) atau ke grup; teks Anda adalah alasannya",
    ),
    (
        "#priority:<n>",
        "set the priority (1 is highest)",
        "ubah prioritas (1 tertinggi)",
    ),
    (
        "#urgency:high|medium|low",
        "set the urgency",
        "ubah urgensi: tinggi, sedang, rendah",
    ),
    (
        "#impact:high|medium|low",
        "set the impact",
        "ubah dampak: tinggi, sedang, rendah",
    ),
    (
        "#category:<key>",
        "set the category, e.g. network.internet-slow",
        "ubah kategori, mis. network.internet-slow",
    ),
    (
        "#type:<type>",
        "set the type: incident, request, access, change, security",
        "ubah jenis: insiden, permintaan, akses, perubahan, keamanan",
    ),
    (
        "#cc:<address>",
        "add a watcher who gets public replies",
        "tambahkan pemantau yang menerima balasan publik",
    ),
    (
        "#merge:<n>",
        "merge this ticket into ticket n; the requester is told",
        "gabungkan tiket ini ke tiket n; pelapor diberi tahu",
    ),
    (
        "#requester:<address>",
        "open the ticket on someone's behalf (e.g. a phone call)",
        "buka tiket atas nama orang lain (mis. dari telepon)",
    ),
    (
        "#help",
        "mail back this reference",
        "kirim kembali daftar perintah ini",
    ),
];

/// The command reference mailed back for `#help`.
pub fn help_text(lang: Language) -> String {
    let (intro, outro) = match lang {
        Language::En => (
            "Commands go in the subject after the ticket tag, or alone on the first \
             lines of your reply. Names and values are case-insensitive; several \
             commands apply together, and none applies if one is wrong.",
            "Example: Re: [Helpdesk #17] Internet lambat #assign:me #status:in_progress",
        ),
        Language::Id => (
            "Tulis perintah di subjek setelah tanda tiket, atau sendiri di baris-baris \
             pertama balasan Anda. Huruf besar/kecil tidak berpengaruh; beberapa \
             perintah berlaku bersama, dan tidak ada yang berlaku bila satu salah.",
            "Contoh: Re: [Helpdesk #17] Internet lambat #assign:me #status:proses",
        ),
    };
    let width = REFERENCE
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = format!("{intro}\n\n");
    for (usage, en, id) in REFERENCE {
        let text = match lang {
            Language::En => en,
            Language::Id => id,
        };
        out.push_str(&format!("  {usage:<width$}  {text}\n"));
    }
    out.push_str(&format!("\n{outro}\n"));
    out
}

/// The staff quick reference as a Markdown table, for the README.
pub fn markdown_table() -> String {
    let mut out = String::from("| command | what it does |\n|---|---|\n");
    for (usage, en, _) in REFERENCE {
        out.push_str(&format!("| `{}` | {en} |\n", usage.replace('|', "\\|")));
    }
    out
}

#[cfg(test)]
mod tests;
