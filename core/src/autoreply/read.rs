//! Reading the parts of a message the rules look at: subjects without reply
//! prefixes, the start of the body, header values, sender addresses.

use super::*;

/// Removes `Re:`, `AW:` and similar reply prefixes (not forward prefixes: a
/// forwarded notification is a person's mail).
pub(super) fn strip_reply_prefixes(subject: &str) -> String {
    const PREFIXES: &[&str] = &["re", "aw", "antw", "antwort", "sv", "vs", "odp", "r"];
    let mut s = subject.trim();
    for _ in 0..5 {
        let Some((head, rest)) = s.split_once(':') else {
            break;
        };
        // `Re[2]:` and `Re :` are common too.
        let head = head.trim();
        let head = head.split('[').next().unwrap_or(head).trim();
        if PREFIXES.contains(&head) {
            s = rest.trim_start();
        } else {
            break;
        }
    }
    s.to_string()
}

/// The start of this message's own readable text.
pub(super) fn body_start(msg: &Message<'_>) -> String {
    let mut out = String::new();
    for part in msg.text_bodies() {
        let text = match &part.body {
            PartType::Text(t) => t.as_ref(),
            PartType::Html(h) => h.as_ref(),
            _ => continue,
        };
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(truncate(text, BODY_SCAN));
        if out.len() >= BODY_SCAN {
            break;
        }
    }
    if out.trim().is_empty() {
        // Broken MIME (a boundary parameter on an unfolded line, say) can
        // leave no text part; the raw body still reads the same.
        let root = msg.root_part();
        let raw = msg
            .raw_message
            .get(root.offset_body as usize..root.offset_end as usize)
            .unwrap_or_default();
        out = String::from_utf8_lossy(&raw[..raw.len().min(BODY_SCAN)]).into_owned();
    }
    out.replace("\r\n", "\n")
}

pub(super) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

pub(super) fn header_values<'m>(
    msg: &'m Message<'_>,
    name: &'m str,
) -> impl Iterator<Item = &'m str> + 'm {
    msg.headers_raw()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

pub(super) fn content_type_is(part: &mail_parser::MessagePart<'_>, ty: &str, sub: &str) -> bool {
    part.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case(ty)
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case(sub))
    })
}

/// From, Sender and Return-Path addresses, lower-cased.
pub(super) fn sender_addresses(msg: &Message<'_>) -> Vec<String> {
    let mut out: Vec<String> = [msg.from(), msg.sender()]
        .into_iter()
        .flatten()
        .flat_map(|a| a.iter())
        .filter_map(|a| a.address())
        .map(str::to_ascii_lowercase)
        .collect();
    if let Some(rp) = msg.header_raw("Return-Path") {
        let rp = rp.trim().trim_matches(|c| c == '<' || c == '>').trim();
        if !rp.is_empty() {
            out.push(rp.to_ascii_lowercase());
        }
    }
    out
}

pub(super) fn local_part(addr: &str) -> &str {
    addr.rsplit_once('@').map_or(addr, |(l, _)| l)
}

pub(super) fn is_daemon_local(local: &str) -> bool {
    let l: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    matches!(
        l.as_str(),
        "mailerdaemon" | "maildaemon" | "postmaster" | "mailadmin" | "mailsystem"
    ) || l.starts_with("mailerdaemon")
}

pub(super) fn is_daemon_name(name: &str) -> bool {
    let n = name.trim().trim_matches('"').to_ascii_lowercase();
    matches!(
        n.as_str(),
        "mailer-daemon"
            | "mailer daemon"
            | "mail delivery subsystem"
            | "mail delivery system"
            | "postmaster"
    )
}

pub(super) fn is_noreply_local(local: &str) -> bool {
    let l: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    [
        "noreply",
        "donotreply",
        "dontreply",
        "noreplies",
        "noresponse",
    ]
    .iter()
    .any(|p| l.starts_with(p))
}
