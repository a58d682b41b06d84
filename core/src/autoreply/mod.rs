//! Detects mail sent by machines (bounces, auto-replies, lists); see RFC 3834.
//!
//! A helpdesk that answers a robot can loop forever with it. Whatever this
//! module flags still becomes a ticket or a comment (nothing is lost), but
//! never gets an automatic answer.
//!
//! The rules run from the most to the least certain evidence: the MIME
//! structure of a report (RFC 3462/3464/8098, ARF RFC 5965) cannot be typed by
//! accident; explicit headers (`Auto-Submitted`, `X-Failed-Recipients`, list
//! headers, `Precedence`) are set by software; the sender's address comes
//! next; subject and body wording comes last and, where a person could write
//! the same words, only counts together with other evidence. The first rule
//! that fires decides the kind, so a bounce that also carries
//! `Auto-Submitted` is still a bounce.
//!
//! Everything here is a pure function of the parsed message.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

mod embedded;
mod read;
mod signs;
mod wording;

pub use embedded::{embedded_message_ids, embedded_message_ids_given};
use read::*;
use signs::*;
use wording::*;

/// What kind of machine sent the mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoKind {
    /// A delivery status notification or non-delivery report.
    Bounce,
    /// An out-of-office or other automatic answer.
    AutoReply,
    /// An abuse / feedback-loop report (ARF).
    Feedback,
    /// A mailing-list message.
    List,
    /// Bulk or junk mail, or a sender that asked for no automatic answers.
    Bulk,
}

impl AutoKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoKind::Bounce => "bounce",
            AutoKind::AutoReply => "auto_reply",
            AutoKind::Feedback => "feedback",
            AutoKind::List => "list",
            AutoKind::Bulk => "bulk",
        }
    }
}

/// The kind, and the evidence (a header or pattern) for the event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoVerdict {
    pub kind: AutoKind,
    pub reason: String,
}

fn verdict(kind: AutoKind, reason: impl Into<String>) -> Option<AutoVerdict> {
    Some(AutoVerdict {
        kind,
        reason: reason.into(),
    })
}

/// `Some` when a machine sent `msg`.
pub fn classify(msg: &Message<'_>) -> Option<AutoVerdict> {
    let facts = Facts::gather(msg);
    report_structure(msg)
        .or_else(|| feedback_signs(msg, &facts))
        .or_else(|| ndr_headers(msg))
        .or_else(|| ses_notification(&facts))
        .or_else(|| daemon_bounce(&facts))
        .or_else(|| ndr_wording(&facts))
        .or_else(|| auto_headers(msg, &facts))
        .or_else(|| list_headers(msg))
        .or_else(|| precedence(msg, &facts))
        .or_else(|| auto_reply_subject(&facts))
        .or_else(|| daemon_sender(&facts))
        .or_else(|| noreply_sender(&facts))
}

/// What several rules look at, computed once.
struct Facts {
    /// Lower-cased subject with leading reply prefixes removed.
    subject: String,
    /// Lower-cased, trimmed subject as sent.
    whole_subject: String,
    /// Lower-cased start of the readable body (text parts of this message
    /// only, never of a message attached to it).
    body: String,
    /// The null reverse-path RFC 5321 reserves for notifications so that
    /// they are never answered (`Return-Path: <>`, or an empty `From`); the
    /// value names the header for `reason`.
    null_sender: Option<&'static str>,
    /// From / Sender / Return-Path local part of a mail system account.
    daemon: Option<String>,
    /// From / Sender local part like `noreply`.
    noreply: Option<String>,
    /// The NDR subject phrase, if the subject starts with one.
    ndr_subject: Option<&'static str>,
    /// A phrase only delivery software writes, if the body has one.
    ndr_body: Option<&'static str>,
    /// The message carries an original message or its headers: what a
    /// bounce quotes. A person forwarding as attachment does too, but then
    /// the subject starts with `Fw:`, which no NDR rule accepts.
    carries_original: bool,
}

/// How much of the body the wording rules read: notifications say what they
/// are near the top, and reading megabytes of attachments-as-text is waste.
const BODY_SCAN: usize = 6000;

impl Facts {
    fn gather(msg: &Message<'_>) -> Facts {
        let whole_subject = msg.subject().unwrap_or_default().trim().to_lowercase();
        let subject = strip_reply_prefixes(&whole_subject);
        let body = body_start(msg).to_lowercase();
        let authors: Vec<&mail_parser::Addr<'_>> = [msg.from(), msg.sender()]
            .into_iter()
            .flatten()
            .flat_map(|a| a.iter())
            .collect();
        let null_return_path = msg.header_raw("Return-Path").is_some_and(|rp| {
            rp.trim()
                .trim_matches(|c| c == '<' || c == '>')
                .trim()
                .is_empty()
        });
        // `From: MAILER-DAEMON <>` (DragonFly, some spam) is the null sender
        // written into the header instead of the envelope. Only when no
        // author has an address: one broken mailbox in a list is a typo.
        let null_from = !authors.is_empty()
            && authors
                .iter()
                .all(|a| a.address().is_none_or(|ad| ad.trim().is_empty()));
        let null_sender = if null_return_path {
            Some("Return-Path: <>")
        } else if null_from {
            Some("From: <>")
        } else {
            None
        };
        let senders = sender_addresses(msg);
        let daemon = senders
            .iter()
            .find(|a| is_daemon_local(local_part(a)))
            .cloned()
            .or_else(|| {
                // The display name alone when the address is missing or odd.
                authors
                    .iter()
                    .filter_map(|a| a.name())
                    .find(|n| is_daemon_name(n))
                    .map(|n| n.trim().to_string())
            });
        let noreply = senders
            .iter()
            .find(|a| is_noreply_local(local_part(a)))
            .cloned();
        let ndr_subject = NDR_SUBJECTS_LOWER
            .iter()
            .find(|(lower, _)| subject.starts_with(lower.as_str()))
            .map(|(_, p)| *p);
        let ndr_body = first_phrase(&NDR_BODY_SET, NDR_BODY, &body);
        let carries_original = msg.parts.iter().any(|p| {
            matches!(p.body, PartType::Message(_))
                || content_type_is(p, "text", "rfc822-headers")
                || content_type_is(p, "message", "rfc822-headers")
        });
        Facts {
            subject,
            whole_subject,
            body,
            null_sender,
            daemon,
            noreply,
            ndr_subject,
            ndr_body,
            carries_original,
        }
    }

    /// Whether the message reads like a delivery report.
    fn looks_like_dsn(&self) -> bool {
        self.ndr_subject.is_some() || self.ndr_body.is_some()
    }

    /// Whether a mail system's own account is writing about a failure. Coming
    /// from such an account, much vaguer wording is enough than from anyone.
    fn daemon_reports_failure(&self) -> bool {
        self.looks_like_dsn()
            || self.carries_original
            || DAEMON_SUBJECT_HINTS
                .iter()
                .any(|h| self.whole_subject.contains(h))
            || DAEMON_BODY_HINTS.iter().any(|h| self.body.contains(h))
    }
}

#[cfg(test)]
mod tests;
