//! Raw message bytes → [`InboundMessage`]: everything later steps need, owned.
//!
//! No I/O here. mail-parser (with `full_encoding`, so GB2312, ISO-2022-JP,
//! UTF-7 and friends decode) does the MIME work; this module decides what a
//! helpdesk keeps: who sent it, what it answers, the readable text, the HTML,
//! and the attachments' names, types, sizes and checksums. The raw bytes are
//! kept by the caller, so a message can always be parsed again. Header text
//! mail-parser cannot decode (raw 8-bit bytes in a legacy charset, encoded
//! words under the wrong label) is decoded again by `repair`, with the
//! charset `charset` guesses.

use chrono::{DateTime, TimeZone, Utc};
use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use crate::autoreply::{self, AutoVerdict};
use crate::budget::{self, Meter};
use crate::domain::EmailAddress;

mod charset;
pub mod html;
mod repair;

/// A name and an address, as in `"Alice" <alice@corp.test>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: EmailAddress,
}

impl Mailbox {
    /// `Name <addr>` or the bare address.
    pub fn display(&self) -> String {
        match &self.name {
            Some(n) if !n.is_empty() => format!("{n} <{}>", self.address),
            _ => self.address.to_string(),
        }
    }
}

/// One attachment's facts; its bytes stay in the raw message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    /// Hex SHA-256 of the decoded content.
    pub sha256: String,
    /// Set for inline parts referenced from the HTML (`cid:`).
    pub content_id: Option<String>,
}

/// Everything the desk needs from one inbound message.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    /// Without angle brackets. Made up (and flagged) when the mail has none.
    pub message_id: String,
    pub message_id_generated: bool,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from: Option<Mailbox>,
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// RFC 2047-decoded; empty when absent.
    pub subject: String,
    pub date: Option<DateTime<Utc>>,
    /// The readable text: the text/plain body, or the HTML turned into text.
    pub body_text: String,
    /// The HTML body, unless it is larger than [`MAX_KEPT_HTML`].
    pub body_html: Option<String>,
    pub attachments: Vec<Attachment>,
    /// The sender as written, when it is not an address we can answer
    /// (`"power quadrant system@example.com"`): the ticket still records it.
    pub sender_text: Option<String>,
    /// Set when a machine sent this (bounce, auto-reply, list, …).
    pub auto: Option<AutoVerdict>,
    /// Message-IDs of a message quoted inside a bounce or report, so a bounce
    /// of our own mail finds its ticket.
    pub embedded_ids: Vec<String>,
    /// Same bytes (after trace headers) → same key; see [`dedupe_key`].
    pub dedupe_key: String,
    /// All header names and decoded values, in order, for rules.
    pub headers: Vec<(String, String)>,
}

impl InboundMessage {
    /// The address answers go to: Reply-To when present, else From.
    pub fn reply_address(&self) -> Option<&EmailAddress> {
        self.reply_to
            .as_ref()
            .or(self.from.as_ref())
            .map(|m| &m.address)
    }

    /// The first header named `name` (case-insensitive), decoded.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The Outlook conversation this message belongs to (its
    /// `Thread-Index`), if it names one.
    pub fn conversation(&self) -> Option<crate::thread_index::Conversation> {
        self.header("Thread-Index")
            .and_then(crate::thread_index::conversation)
    }

    /// Every Message-ID this message points at, nearest first.
    pub fn referenced_ids(&self) -> impl Iterator<Item = &str> {
        self.in_reply_to
            .iter()
            .chain(self.references.iter().rev())
            .chain(self.embedded_ids.iter())
            .map(String::as_str)
    }
}

/// Why a message could not be taken as a ticket; it goes to quarantine.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("the message is empty")]
    Empty,
    #[error("no header could be parsed: this is not an RFC 5322 message")]
    NotAMessage,
    #[error("no sender: neither From, Sender, Reply-To nor Return-Path holds an address")]
    NoSender,
    /// Past the message's budget of time or memory ([`crate::budget`]).
    #[error("{0}")]
    TooExpensive(String),
}

impl From<budget::TooExpensive> for ParseError {
    fn from(e: budget::TooExpensive) -> ParseError {
        ParseError::TooExpensive(e.0)
    }
}

/// Parses `raw`. `domain` is used for a Message-ID when the mail has none.
pub fn parse(raw: &[u8], domain: &str) -> Result<InboundMessage, ParseError> {
    parse_metered(raw, domain, &Meter::unlimited())
}

/// [`parse`] within a message's budget: its time is checked between the
/// stages (and by the HTML converter), and the memory a stage needs is
/// estimated before it (see [`crate::budget`]).
pub fn parse_metered(
    raw: &[u8],
    domain: &str,
    meter: &Meter,
) -> Result<InboundMessage, ParseError> {
    let raw = strip_mbox_line(raw);
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    meter.check_memory(
        "decoding the message",
        raw.len() as u64 * budget::DECODE_FACTOR,
    )?;
    let mut msg = MessageParser::default()
        .parse(raw)
        .ok_or(ParseError::NotAMessage)?;
    meter.check_time("decoding the message")?;
    if msg.headers().is_empty() {
        return Err(ParseError::NotAMessage);
    }
    // Raw 8-bit or mislabelled header text, which mail-parser leaves as
    // U+FFFD, decoded in the charset it is most likely in.
    repair::repair(&mut msg);

    let from = first_mailbox(msg.from())
        .or_else(|| first_mailbox(msg.sender()))
        .or_else(|| first_mailbox(msg.reply_to()))
        .or_else(|| {
            msg.return_address()
                .and_then(EmailAddress::parse)
                .map(|address| Mailbox {
                    name: None,
                    address,
                })
        });
    let auto = autoreply::classify(&msg);
    let sender_text = match &from {
        Some(_) => None,
        None => msg
            .from()
            .or(msg.sender())
            .and_then(|a| a.first())
            .and_then(|a| a.address().or(a.name()))
            .map(|s| no_nul(s.trim().to_string()))
            .filter(|s| !s.is_empty()),
    };
    // A mail with no sender at all can still be a bounce (null sender); only
    // ordinary mail needs someone to record as the requester.
    if from.is_none() && sender_text.is_none() && auto.is_none() {
        return Err(ParseError::NoSender);
    }

    let dedupe_key = dedupe_key(&msg, raw);
    let (message_id, message_id_generated) = match msg.message_id().map(clean_id) {
        Some(id) if !id.is_empty() => (id, false),
        _ => (
            format!("posko.generated.{}@{}", &dedupe_key[..32], domain),
            true,
        ),
    };
    let (body_text, body_html) = bodies(&msg, meter)?;
    let (body_text, body_html) = (no_nul(body_text), body_html.map(no_nul));
    meter.check_time("converting the text")?;
    meter.check_memory(
        "storing the message",
        (raw.len() + body_text.len() + body_html.as_ref().map_or(0, String::len)) as u64
            * budget::STORE_FACTOR,
    )?;
    Ok(InboundMessage {
        message_id,
        message_id_generated,
        in_reply_to: id_list(msg.in_reply_to()),
        references: id_list(msg.references()),
        reply_to: first_mailbox(msg.reply_to()),
        to: mailboxes(msg.to()),
        cc: mailboxes(msg.cc()),
        from,
        sender_text,
        subject: no_nul(msg.subject().unwrap_or_default().to_string()),
        date: msg
            .date()
            .and_then(|d| Utc.timestamp_opt(d.to_timestamp(), 0).single()),
        body_text,
        body_html,
        attachments: attachments(&msg),
        // The verdict computed above: classifying again would read the body twice.
        embedded_ids: autoreply::embedded_message_ids_given(&msg, auto.as_ref()),
        auto,
        dedupe_key,
        headers: msg
            .headers()
            .iter()
            .map(|h| (h.name().to_string(), no_nul(header_text(h.value()))))
            .collect(),
    })
}

/// A few mailbox files start with an mbox `From sender date` line: skip it.
fn strip_mbox_line(raw: &[u8]) -> &[u8] {
    if raw.starts_with(b"From ")
        && let Some(nl) = raw.iter().position(|&b| b == b'\n')
    {
        return &raw[nl + 1..];
    }
    raw
}

/// The key that makes re-delivery idempotent.
///
/// Re-delivery of one message (an MTA retry, a second IMAP fetch, a copy in
/// two folders) can add or change trace headers, but leaves the Message-ID and
/// the body alone. Two *different* messages sharing a Message-ID (broken
/// generators do this) still differ in body, so both are kept.
pub fn dedupe_key(msg: &Message<'_>, raw: &[u8]) -> String {
    let mut h = Sha256::new();
    match msg.message_id() {
        Some(id) => h.update(clean_id(id).as_bytes()),
        None => {
            // No Message-ID: the sender, date and subject stand in for it.
            for name in ["From", "Date", "Subject"] {
                h.update(msg.header_raw(name).unwrap_or_default().trim().as_bytes());
                h.update(b"\0");
            }
        }
    }
    h.update(b"\0");
    let body_start = (msg.root_part().raw_body_offset() as usize).min(raw.len());
    h.update(&raw[body_start..]);
    hex::encode(h.finalize())
}

/// Removes NUL characters. Broken mailers put them in text, and
/// PostgreSQL refuses them in TEXT columns; they never carry meaning.
fn no_nul(s: String) -> String {
    if s.contains('\0') {
        s.replace('\0', "")
    } else {
        s
    }
}

fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

fn id_list(v: &HeaderValue<'_>) -> Vec<String> {
    let ids: Vec<String> = match v {
        HeaderValue::Text(t) => vec![clean_id(t)],
        HeaderValue::TextList(l) => l.iter().map(|t| clean_id(t)).collect(),
        _ => Vec::new(),
    };
    ids.into_iter().filter(|s| !s.is_empty()).collect()
}

fn first_mailbox(a: Option<&Address<'_>>) -> Option<Mailbox> {
    a.and_then(|a| mailboxes(Some(a)).into_iter().next())
}

fn mailboxes(a: Option<&Address<'_>>) -> Vec<Mailbox> {
    let Some(a) = a else { return Vec::new() };
    a.iter()
        .filter_map(|addr| {
            let address = EmailAddress::parse(addr.address()?)?;
            let name = addr
                .name()
                .map(|n| n.trim().trim_matches('"').trim().to_string())
                .filter(|n| !n.is_empty());
            Some(Mailbox {
                name: name.map(no_nul),
                address,
            })
        })
        .collect()
}

fn header_text(v: &HeaderValue<'_>) -> String {
    match v {
        HeaderValue::Text(t) => t.to_string(),
        HeaderValue::TextList(l) => l.join(", "),
        HeaderValue::Address(a) => a
            .iter()
            .map(|x| match (x.name(), x.address()) {
                (Some(n), Some(ad)) => format!("{n} <{ad}>"),
                (None, Some(ad)) => ad.to_string(),
                (Some(n), None) => n.to_string(),
                (None, None) => String::new(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        HeaderValue::DateTime(d) => d.to_rfc3339(),
        HeaderValue::ContentType(ct) => match ct.subtype() {
            Some(s) => format!("{}/{}", ct.ctype(), s),
            None => ct.ctype().to_string(),
        },
        HeaderValue::Received(_) | HeaderValue::Empty => String::new(),
    }
}

/// The readable text and the HTML.
///
/// mail-parser lists an HTML part among the text bodies when a message has
/// no text/plain alternative; such a part is rendered as text
/// ([`html::to_text`]: html2text, which keeps lists, links and tables
/// readable, for ordinary HTML; a streaming converter for large or deeply
/// nested HTML), rather than tag-stripped.
fn bodies(msg: &Message<'_>, meter: &Meter) -> Result<(String, Option<String>), ParseError> {
    // The HTML stays in the raw message in any case; a copy beside it is
    // kept for ordinary mail only (not made at all for large HTML).
    let parts: Vec<&str> = msg
        .html_bodies()
        .filter_map(|p| match &p.body {
            PartType::Html(h) => Some(h.as_ref()),
            _ => None,
        })
        .collect();
    let html = (!parts.is_empty()
        && parts.iter().map(|h| h.len() + 1).sum::<usize>() <= MAX_KEPT_HTML)
        .then(|| parts.join("\n"));
    let mut text = String::new();
    for part in msg.text_bodies() {
        let converted;
        let piece: &str = match &part.body {
            PartType::Text(t) => t,
            PartType::Html(h) => {
                converted = html::to_text(h, meter.deadline())
                    .map_err(|_| meter.out_of_time("converting the HTML"))?;
                &converted
            }
            _ => continue,
        };
        if !text.is_empty() && !piece.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(piece);
    }
    Ok((cap_text(normalize_newlines(text)), html))
}

/// Text beyond this is not stored beside the raw message: a 40 MB log
/// pasted into a mail would otherwise be copied into the trimmer, the rules
/// and the database again. The whole text stays in the raw message
/// (`posko tickets show N --raw M`).
pub const MAX_KEPT_TEXT: usize = 4 * 1024 * 1024;

/// `text` cut at [`MAX_KEPT_TEXT`] (on a character boundary), with a line
/// that says how much more the raw message holds.
fn cap_text(mut text: String) -> String {
    if text.len() <= MAX_KEPT_TEXT {
        return text;
    }
    let cut = text.floor_char_boundary(MAX_KEPT_TEXT);
    let rest = text.len() - cut;
    text.truncate(cut);
    text.shrink_to_fit();
    text.push_str(&format!(
        "\n\n[… {rest} more bytes of text are kept in the raw message]\n"
    ));
    text
}

/// HTML larger than this is not kept beside the raw message (which holds
/// it anyway): storing it again would double what a large mail costs.
pub const MAX_KEPT_HTML: usize = 2 * 1024 * 1024;

/// HTML → plain text (see [`html::to_text`]), without a deadline.
pub fn html_to_text(html: &str) -> String {
    html::to_text(html, None).unwrap_or_default()
}

/// Line endings as `\n`, in one pass and in place (a 40 MB body is not
/// copied again).
fn normalize_newlines(s: String) -> String {
    if !s.contains('\r') {
        return s;
    }
    let mut b = s.into_bytes();
    let (mut read, mut write) = (0, 0);
    while read < b.len() {
        if b[read] == b'\r' {
            b[write] = b'\n';
            read += if b.get(read + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
        } else {
            b[write] = b[read];
            read += 1;
        }
        write += 1;
    }
    b.truncate(write);
    // Only ASCII bytes were replaced or dropped: still UTF-8.
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn attachments(msg: &Message<'_>) -> Vec<Attachment> {
    msg.attachments()
        .enumerate()
        .map(|(i, part)| {
            let content_type = part
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(s) => format!("{}/{}", ct.ctype(), s),
                    None => ct.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into())
                .to_ascii_lowercase();
            // A name as the sender's client would show it: the part's own
            // name; for an attached message its subject; for an inline
            // image its Content-ID when that reads as a file name
            // (`image001.png@01D9…`, as Outlook writes them).
            let filename = part
                .attachment_name()
                .map(str::to_string)
                .filter(|n| !n.trim().is_empty())
                .or_else(|| match &part.body {
                    PartType::Message(m) => m
                        .subject()
                        .map(|s| format!("{}.eml", file_safe(s)))
                        .filter(|n| n.len() > 4),
                    _ => None,
                })
                .or_else(|| {
                    let cid = clean_id(part.content_id()?);
                    let local = cid.split('@').next()?.to_string();
                    (local.contains('.') && !local.starts_with('.')).then(|| file_safe(&local))
                })
                .unwrap_or_else(|| default_name(i, &content_type));
            let contents: std::borrow::Cow<'_, [u8]> = match &part.body {
                PartType::Message(m) => m.raw_message().into(),
                _ => part.contents().into(),
            };
            Attachment {
                filename: no_nul(filename),
                content_type,
                size: contents.len() as u64,
                sha256: hex::encode(Sha256::digest(&contents)),
                content_id: part.content_id().map(clean_id),
            }
        })
        .collect()
}

/// `s` without characters that cannot stand in a file name.
fn file_safe(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// A name for an attachment that has none, e.g. `attachment-2.png`.
fn default_name(index: usize, content_type: &str) -> String {
    let ext = match content_type {
        "message/rfc822" => "eml",
        "text/plain" => "txt",
        "text/html" => "html",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "application/pdf" => "pdf",
        _ => "bin",
    };
    format!("attachment-{}.{ext}", index + 1)
}

#[cfg(test)]
mod tests;
