//! The satisfaction survey and closure after resolution (issue 11): the
//! questions, what a submitted form means, the score, and what a link may
//! still do. No I/O: the token's randomness, the database and the pages
//! live in the `posko` crate; this module only decides.
//!
//! One survey row per resolution. Its token opens three pages (survey,
//! confirm, reopen); [`access`] says, from the row and the ticket as they
//! are now, whether a page may act or which polite refusal it shows.

mod form;
mod questions;
#[cfg(test)]
mod tests;

use std::time::Duration;

use sha2::{Digest, Sha256};

pub use form::{Answer, FormError, MAX_COMMENT_CHARS, parse_rating, read_form, score};
pub use questions::{DEFAULT_KEYS, Question, default_questions, scale_label};

/// `[survey]` as the cores take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Whether `#resolve` sends a survey at all (the confirm and reopen
    /// links come with it).
    pub enabled: bool,
    /// How long the links work.
    pub valid_for: Duration,
    /// When the one reminder goes out; `None`: never.
    pub remind_after: Option<Duration>,
    /// In the order the page shows them.
    pub questions: Vec<Question>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            enabled: true,
            valid_for: Duration::from_secs(30 * 86_400),
            remind_after: Some(Duration::from_secs(3 * 86_400)),
            questions: default_questions(),
        }
    }
}

/// `[closure]` as the cores take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closure {
    /// A resolved ticket nobody answers closes after this; `None`: never.
    pub auto_close_after: Option<Duration>,
}

impl Default for Closure {
    fn default() -> Closure {
        Closure {
            auto_close_after: Some(Duration::from_secs(5 * 86_400)),
        }
    }
}

/// The instants a resolution at `now` sets: (expires_at, remind_at,
/// auto_close_at).
pub fn schedule(s: &Settings, c: &Closure, now: i64) -> (i64, Option<i64>, Option<i64>) {
    let after = |d: Duration| now + d.as_secs() as i64;
    (
        after(s.valid_for),
        s.remind_after.map(after),
        c.auto_close_after.map(after),
    )
}

/// A survey row's state column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The links work.
    Open,
    /// The survey was submitted (confirm and reopen may still work).
    Answered,
    /// The ticket was reopened or resolved again: the links are dead.
    Superseded,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Answered => "answered",
            State::Superseded => "superseded",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        match s {
            "open" => Some(State::Open),
            "answered" => Some(State::Answered),
            "superseded" => Some(State::Superseded),
            _ => None,
        }
    }
}

/// The three pages a token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Survey,
    Confirm,
    Reopen,
}

/// What the page sees of a token's survey and its ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen<'a> {
    pub state: State,
    pub expires_at: i64,
    /// Whether a newer survey of the same ticket exists.
    pub newer: bool,
    /// The ticket's status (`None`: the ticket is gone).
    pub ticket_status: Option<&'a str>,
    pub merged: bool,
}

/// Why a page refuses; each is a page of its own with its status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No survey has this token (404).
    Unknown,
    /// The ticket was merged into another or removed (410).
    TicketGone,
    /// A newer resolution replaced this link (410).
    Superseded,
    /// Past `valid_for` (410).
    Expired,
    /// The survey was already answered (409).
    Answered,
    /// Confirm: the ticket is already closed (409).
    AlreadyClosed,
    /// Confirm or reopen: the ticket is open again (409).
    NotResolved,
}

impl Refusal {
    /// The HTTP status of the refusal's page.
    pub fn status(self) -> u16 {
        match self {
            Refusal::Unknown => 404,
            Refusal::TicketGone | Refusal::Superseded | Refusal::Expired => 410,
            Refusal::Answered | Refusal::AlreadyClosed | Refusal::NotResolved => 409,
        }
    }

    /// The name of the template words that explain it.
    pub fn key(self) -> &'static str {
        match self {
            Refusal::Unknown => "unknown",
            Refusal::TicketGone => "gone",
            Refusal::Superseded => "superseded",
            Refusal::Expired => "expired",
            Refusal::Answered => "answered",
            Refusal::AlreadyClosed => "closed",
            Refusal::NotResolved => "not_resolved",
        }
    }
}

/// Whether `page` may be shown (and its form act) for what was `seen` at
/// `now`; `None` (no row) is an unknown token.
pub fn access(page: Page, seen: Option<Seen<'_>>, now: i64) -> Result<(), Refusal> {
    let s = seen.ok_or(Refusal::Unknown)?;
    if s.merged || s.ticket_status.is_none() {
        return Err(Refusal::TicketGone);
    }
    if s.state == State::Superseded || s.newer {
        return Err(Refusal::Superseded);
    }
    if now >= s.expires_at {
        return Err(Refusal::Expired);
    }
    let status = s.ticket_status.unwrap_or_default();
    match page {
        Page::Survey if s.state == State::Answered => Err(Refusal::Answered),
        Page::Survey => Ok(()),
        Page::Confirm if status == "closed" => Err(Refusal::AlreadyClosed),
        Page::Confirm | Page::Reopen if status == "resolved" => Ok(()),
        Page::Reopen if status == "closed" => Ok(()),
        Page::Confirm | Page::Reopen => Err(Refusal::NotResolved),
    }
}

/// Random bytes in a token: 256 bits, far past guessing.
pub const TOKEN_BYTES: usize = 32;

/// The base64url length of a token of [`TOKEN_BYTES`] (no padding).
pub const TOKEN_CHARS: usize = 43;

/// Whether `token` has a token's shape (so junk never reaches the
/// database).
pub fn token_well_formed(token: &str) -> bool {
    token.len() == TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What the database keeps of a token: its SHA-256, hex. Looking a token
/// up by this hash compares no secret byte by byte in our code.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
