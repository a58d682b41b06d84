//! From a name and a value to a [`Command`]: the command table, and the
//! English and Indonesian words each value may be written in.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Arity {
    None,
    Optional,
    Required,
}

pub(super) struct Spec {
    pub(super) name: &'static str,
    pub(super) arity: Arity,
}

pub(super) const SPECS: [Spec; 19] = {
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
        s("lang", Arity::Required),
        s("help", Arity::None),
        s("show", Arity::None),
    ]
};

/// Indonesian words staff may reach for as a command name, and the command
/// they mean. Only used for "did you mean": the names are the interface.
pub(super) const NAME_HINTS: &[(&str, &str)] = &[
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
    ("lihat", "show"),
    ("tampilkan", "show"),
    ("riwayat", "show"),
    ("bahasa", "lang"),
    ("language", "lang"),
];

/// The languages `#lang` sets, by code or by name in either language.
pub(super) const LANG_WORDS: &[(&str, Language)] = &[
    ("en", Language::En),
    ("id", Language::Id),
    ("english", Language::En),
    ("inggris", Language::En),
    ("indonesia", Language::Id),
    ("indonesian", Language::Id),
];

/// Status words, English and Indonesian. Reopening is not a status of its
/// own (the ticket goes back to work), so the "open" words give `#reopen`.
pub(super) const STATUS_WORDS: &[(&str, Command)] = &[
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

pub(super) const LEVEL_WORDS: &[(&str, Level)] = &[
    ("high", Level::High),
    ("medium", Level::Medium),
    ("low", Level::Low),
    ("tinggi", Level::High),
    ("sedang", Level::Medium),
    ("rendah", Level::Low),
];

pub(super) const TYPE_WORDS: &[(&str, TicketType)] = &[
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

pub(super) const ME_WORDS: &[&str] = &["me", "saya", "aku"];

pub(super) fn build(spec: &Spec, value: Option<&str>) -> Result<Command, CommandError> {
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
        "lang" => lookup(LANG_WORDS, &lower)
            .map(|l| Command::Lang(*l))
            .ok_or_else(|| {
                bad(
                    "en or id (the languages of the desk's mail)",
                    suggest(&lower, LANG_WORDS.iter().map(|(w, _)| *w)).map(String::from),
                )
            }),
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

pub(super) fn flag(name: &str) -> Command {
    match name {
        "internal" => Command::Internal,
        "pending" => Command::Pending,
        "resolve" => Command::Resolve,
        "close" => Command::Close,
        "reopen" => Command::Reopen,
        "help" => Command::Help,
        "show" => Command::Show,
        _ => unreachable!("not a flag: {name}"),
    }
}

pub(super) fn lookup<'t, T>(table: &'t [(&str, T)], word: &str) -> Option<&'t T> {
    table.iter().find(|(w, _)| *w == word).map(|(_, t)| t)
}

/// Category and group keys: what configuration files use as keys.
pub(super) fn is_key(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
}

/// Staff handles; an address is let through too, since the directory knows
/// staff by address as well.
pub(super) fn is_handle(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_' | '@' | '+')
        })
}
