//! Message-IDs of the original message inside a bounce or report, so the
//! bounce threads to the ticket whose mail it reports on.

use super::*;

/// Message-IDs of the original message inside a bounce or report.
///
/// Only reports qualify: a person forwarding a mail as an attachment is
/// writing about it, not reporting its delivery, and must not be threaded
/// into the attached mail's ticket.
pub fn embedded_message_ids(msg: &Message<'_>) -> Vec<String> {
    embedded_message_ids_given(msg, classify(msg).as_ref())
}

/// [`embedded_message_ids`] for a caller that already ran [`classify`] on
/// `msg` and passes its verdict, so the rules are not run twice per message
/// (they read the body; [`crate::parse::parse`] needs both results).
pub fn embedded_message_ids_given(msg: &Message<'_>, verdict: Option<&AutoVerdict>) -> Vec<String> {
    let is_report = report_structure(msg).is_some()
        || verdict.is_some_and(|v| matches!(v.kind, AutoKind::Bounce | AutoKind::Feedback));
    if !is_report {
        return Vec::new();
    }
    let own = msg.message_id().map(clean_id);
    let mut ids = Ids::default();

    for part in &msg.parts {
        match &part.body {
            PartType::Message(inner) => ids.add_message(inner),
            PartType::Text(t)
                if content_type_is(part, "text", "rfc822-headers")
                    || content_type_is(part, "message", "rfc822-headers")
                    || content_type_is(part, "message", "rfc822") =>
            {
                // Headers only, or an original too broken to parse as a
                // message: parse the text on its own.
                if let Some(inner) = MessageParser::default().parse(t.as_bytes()) {
                    ids.add_message(&inner);
                }
            }
            PartType::Text(t) | PartType::Html(t)
                if content_type_is(part, "message", "disposition-notification") =>
            {
                ids.add_lines(t, &["original-message-id:"]);
            }
            PartType::Binary(b) | PartType::InlineBinary(b)
                if content_type_is(part, "message", "disposition-notification")
                    || content_type_is(part, "text", "rfc822-headers") =>
            {
                let t = String::from_utf8_lossy(b);
                ids.add_lines(&t, &["original-message-id:", "message-id:"]);
                ids.add_lines(&t, &["in-reply-to:", "references:"]);
            }
            _ => {}
        }
    }
    if ids.list.is_empty() {
        // Vendor NDRs quote the original's headers in their text.
        for part in msg.text_bodies().chain(msg.attachments()) {
            if let PartType::Text(t) = &part.body {
                ids.add_lines(t, &["message-id:", "original-message-id:"]);
                if !ids.list.is_empty() {
                    ids.add_lines(t, &["in-reply-to:", "references:"]);
                    break;
                }
            }
        }
    }
    ids.list.retain(|id| Some(id) != own.as_ref());
    ids.list
}

#[derive(Default)]
pub(super) struct Ids {
    list: Vec<String>,
}

impl Ids {
    fn push(&mut self, id: &str) {
        let id = clean_id(id);
        if !id.is_empty() && id.contains('@') && !self.list.contains(&id) {
            self.list.push(id);
        }
    }

    fn add_message(&mut self, m: &Message<'_>) {
        if let Some(id) = m.message_id() {
            self.push(id);
        }
        for v in [m.in_reply_to(), m.references()] {
            match v {
                mail_parser::HeaderValue::Text(t) => self.push(t),
                // Nearest ancestor first, as with In-Reply-To.
                mail_parser::HeaderValue::TextList(l) => l.iter().rev().for_each(|t| self.push(t)),
                _ => {}
            }
        }
    }

    /// `Name: <id> <id>` lines (and their folded continuations) in quoted
    /// header text. Only the first matching field for each name is taken: a
    /// report quotes one original.
    fn add_lines(&mut self, text: &str, names: &[&str]) {
        let mut seen: Vec<&str> = Vec::new();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            let trimmed = line.trim_start();
            let lower = trimmed.to_ascii_lowercase();
            let Some(name) = names.iter().find(|n| lower.starts_with(**n)) else {
                continue;
            };
            if seen.contains(name) {
                continue;
            }
            seen.push(name);
            let mut value = trimmed[name.len()..].to_string();
            while let Some(next) = lines.peek() {
                if next.starts_with([' ', '\t']) && !next.trim().is_empty() {
                    value.push(' ');
                    value.push_str(next.trim());
                    lines.next();
                } else {
                    break;
                }
            }
            let bracketed: Vec<&str> = value
                .split('<')
                .skip(1)
                .filter_map(|s| s.split_once('>').map(|(id, _)| id))
                .collect();
            if bracketed.is_empty() {
                // Some NDRs print the id without brackets.
                if let Some(tok) = value.split_whitespace().next() {
                    self.push(tok);
                }
            } else if name.starts_with("references") {
                bracketed.iter().rev().for_each(|id| self.push(id));
            } else {
                bracketed.iter().for_each(|id| self.push(id));
            }
        }
    }
}

pub(super) fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}
