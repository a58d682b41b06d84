//! Builds the bytes of an outgoing message (MIME, headers) with lettre.
//!
//! Every message posko sends is built here, so the loop-prevention and
//! threading headers are set in one place:
//! - `Message-ID` is made by the caller and stored before sending, so a
//!   retry sends the very same message;
//! - `In-Reply-To` / `References` thread it under the requester's mail in
//!   Outlook and Gmail;
//! - `Auto-Submitted` (RFC 3834) and `X-Auto-Response-Suppress` (Exchange)
//!   tell other robots not to answer automatic mail;
//! - `Reply-To` is the desk, so answers come back to the mailbox.
//!
//! Names, subjects and Message-IDs that came from other people's mail are
//! cleaned on the way into a header ([`clean`]): no control character or
//! line separator reaches a header, so nobody can add a header of their own
//! and lettre never meets text it cannot write. Bodies are encoded here in
//! one pass ([`body`]) rather than by lettre, whose line-ending conversion
//! costs the square of the body's size. What still cannot be built (an
//! address lettre refuses, a panic in a library) is an error for the
//! caller to record, never a crash.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use lettre::Message;
use lettre::address::Envelope;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use rand::Rng;

use crate::domain::{EmailAddress, TicketId};
use crate::isolate;

pub use super::{body, clean};

/// What an outgoing message says and to whom.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub from_name: String,
    pub from: EmailAddress,
    pub reply_to: EmailAddress,
    pub to: Vec<(Option<String>, EmailAddress)>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// Without angle brackets.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// `auto-replied` for answers to a message, `auto-generated` for
    /// notices; `None` for mail a person wrote.
    pub auto_submitted: Option<&'static str>,
    pub ticket_id: Option<TicketId>,
    /// Unix seconds for the Date header.
    pub date: i64,
}

/// A fresh Message-ID for mail about `ticket` (without angle brackets).
///
/// The prefix makes our own mail recognisable when it comes back (in a
/// reply's References or inside a bounce).
pub fn new_message_id(ticket: Option<TicketId>, kind: &str, domain: &str) -> String {
    let rand: u64 = rand::rng().random();
    match ticket {
        Some(t) => format!("posko.{t}.{kind}.{rand:016x}@{domain}"),
        None => format!("posko.{kind}.{rand:016x}@{domain}"),
    }
}

pub(crate) fn header(name: &str, value: impl Into<String>) -> Result<HeaderValue> {
    let name = HeaderName::new_from_ascii(name.to_string())
        .map_err(|e| anyhow::anyhow!("bad header name {name}: {e}"))?;
    Ok(HeaderValue::new(name, value.into()))
}

pub(crate) fn mailbox(name: Option<&str>, addr: &EmailAddress) -> Result<Mailbox> {
    let address = addr
        .as_str()
        .parse()
        .with_context(|| format!("{addr} is not an address lettre accepts"))?;
    Ok(Mailbox::new(clean::name(name), address))
}

/// A body part of `content_type`, encoded by [`body::encode`].
pub(crate) fn part(content_type: ContentType, text: &str) -> SinglePart {
    let (bytes, encoding) = body::encode(text);
    SinglePart::builder()
        .header(content_type)
        .body(Body::dangerous_pre_encoded(bytes, encoding))
}

/// The finished message, ready for SMTP or a file. An error (a panic in
/// the MIME builder included) says why it cannot be built.
pub fn build(o: &Outgoing) -> Result<Vec<u8>> {
    if isolate::fault_armed(isolate::FAULT_COMPOSE_ENV, &o.subject) {
        anyhow::bail!(
            "fault injection: {} matched the subject",
            isolate::FAULT_COMPOSE_ENV
        );
    }
    match isolate::guarded_sync(|| build_message(o)) {
        Ok(r) => r,
        Err(panic) => Err(anyhow::anyhow!(
            "the MIME builder failed on this message: {panic}"
        )),
    }
}

fn build_message(o: &Outgoing) -> Result<Vec<u8>> {
    let from = mailbox(Some(&o.from_name), &o.from)?;
    let rcpts =
        o.to.iter()
            .map(|(name, addr)| mailbox(name.as_deref(), addr))
            .collect::<Result<Vec<Mailbox>>>()?;
    // The envelope from the addresses at hand: left to lettre, it parses
    // them back out of the headers just written (3% of a pass's work).
    // Only the bytes are used; the outbox keeps its own envelope.
    let envelope = Envelope::new(
        Some(from.email.clone()),
        rcpts.iter().map(|m| m.email.clone()).collect(),
    )
    .context("cannot build the outgoing message")?;
    let mut b = Message::builder()
        .envelope(envelope)
        .from(from)
        .reply_to(mailbox(Some(&o.from_name), &o.reply_to)?)
        .subject(clean::subject(&o.subject))
        .message_id(Some(format!("<{}>", o.message_id)))
        .date(UNIX_EPOCH + Duration::from_secs(o.date.max(0) as u64))
        .user_agent(concat!("posko/", env!("CARGO_PKG_VERSION")).to_string());
    for m in rcpts {
        b = b.to(m);
    }
    if let Some(parent) = o.in_reply_to.as_deref().and_then(clean::message_id) {
        b = b.in_reply_to(format!("<{parent}>"));
    }
    let refs = o
        .references
        .iter()
        .filter_map(|r| clean::message_id(r))
        .map(|r| format!("<{r}>"))
        .collect::<Vec<_>>()
        .join(" ");
    if !refs.is_empty() {
        b = b.references(refs);
    }
    if let Some(kind) = o.auto_submitted {
        b = b
            .raw_header(header("Auto-Submitted", kind)?)
            // Exchange and Outlook honour this instead of RFC 3834.
            .raw_header(header("X-Auto-Response-Suppress", "All")?);
    }
    if let Some(t) = o.ticket_id {
        b = b.raw_header(header("X-Posko-Ticket", t.to_string())?);
    }
    let text = part(ContentType::TEXT_PLAIN, &o.text);
    let msg = match &o.html {
        Some(html) => b.multipart(
            MultiPart::alternative()
                .singlepart(text)
                .singlepart(part(ContentType::TEXT_HTML, html)),
        ),
        None => b.singlepart(text),
    }
    .context("cannot build the outgoing message")?;
    Ok(msg.formatted())
}

/// Seconds since the epoch, from the wall clock (the daemon's default `now`).
pub fn wall_clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledgment_has_threading_and_loop_headers() {
        let o = Outgoing {
            from_name: "IT Helpdesk".into(),
            from: EmailAddress::parse("helpdesk@corp.test").unwrap(),
            reply_to: EmailAddress::parse("helpdesk@corp.test").unwrap(),
            to: vec![(
                Some("Alice Wijaya".into()),
                EmailAddress::parse("alice@corp.test").unwrap(),
            )],
            subject: "[Helpdesk #17] Internet lambat di gedung B".into(),
            text: "Terima kasih".into(),
            html: Some("<p>Terima kasih</p>".into()),
            message_id: "posko.17.ack.1@corp.test".into(),
            in_reply_to: Some("abc@mail.corp.test".into()),
            references: vec!["abc@mail.corp.test".into()],
            auto_submitted: Some("auto-replied"),
            ticket_id: Some(17),
            date: 1_795_000_000,
        };
        let raw = String::from_utf8(build(&o).unwrap()).unwrap();
        for needle in [
            "Message-ID: <posko.17.ack.1@corp.test>",
            "In-Reply-To: <abc@mail.corp.test>",
            "References: <abc@mail.corp.test>",
            "Auto-Submitted: auto-replied",
            "X-Auto-Response-Suppress: All",
            "Reply-To: \"IT Helpdesk\" <helpdesk@corp.test>",
            "multipart/alternative",
        ] {
            assert!(raw.contains(needle), "missing {needle:?} in\n{raw}");
        }
        let parsed = crate::parse::parse(raw.as_bytes(), "corp.test").unwrap();
        assert_eq!(parsed.subject, o.subject);
        assert!(parsed.auto.is_some(), "our own ack must look automatic");
    }

    fn ack_to(name: &str, subject: &str) -> Outgoing {
        Outgoing {
            from_name: "IT Helpdesk".into(),
            from: EmailAddress::parse("helpdesk@corp.test").unwrap(),
            reply_to: EmailAddress::parse("helpdesk@corp.test").unwrap(),
            to: vec![(
                Some(name.to_string()),
                EmailAddress::parse("m@outside.test").unwrap(),
            )],
            subject: subject.to_string(),
            text: "Terima kasih".into(),
            html: Some("<p>Terima kasih</p>".into()),
            message_id: "posko.1.ack.1@corp.test".into(),
            in_reply_to: Some("x\r\nBcc: evil@evil.test".into()),
            references: vec!["ok@outside.test".into(), "bad id@x".into()],
            auto_submitted: Some("auto-replied"),
            ticket_id: Some(1),
            date: 1_795_000_000,
        }
    }

    /// The header block of `raw`, unfolded, as (name, value) pairs.
    fn headers(raw: &[u8]) -> Vec<(String, String)> {
        let text = String::from_utf8_lossy(raw);
        let head = text.split("\r\n\r\n").next().unwrap_or("");
        let mut out: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with(' ') || line.starts_with('\t') {
                out.last_mut().unwrap().1.push_str(line);
            } else {
                let (n, v) = line.split_once(':').expect("header line");
                out.push((n.to_ascii_lowercase(), v.to_string()));
            }
        }
        out
    }

    #[test]
    fn a_line_feed_in_a_name_or_subject_adds_no_header() {
        // Finding 1 of issue 9: mail-parser decodes the encoded word to
        // "Mallory\nBcc: evil@evil.test"; lettre panicked on it.
        for evil in [
            "Mallory\nBcc: evil@evil.test",
            "Mallory\r\nBcc: evil@evil.test",
            "Mallory\rCc: evil@evil.test",
            "Mallory\u{2028}Bcc: evil@evil.test",
            "Mallory\0\u{85}\u{1b}[31m",
        ] {
            let raw = build(&ack_to(evil, &format!("Re: {evil}"))).unwrap();
            let h = headers(&raw);
            let names: Vec<&str> = h.iter().map(|(n, _)| n.as_str()).collect();
            assert!(
                !names.contains(&"bcc") && !names.contains(&"cc"),
                "{names:?}"
            );
            assert_eq!(names.iter().filter(|n| **n == "to").count(), 1);
            let parsed = crate::parse::parse(&raw, "corp.test").unwrap();
            assert_eq!(parsed.to.len(), 1, "{:?}", parsed.to);
            assert_eq!(parsed.to[0].address.as_str(), "m@outside.test");
            assert!(!parsed.subject.contains('\n'));
            assert!(parsed.in_reply_to.is_empty(), "a broken id is left out");
            assert_eq!(parsed.references, vec!["ok@outside.test"]);
        }
    }

    #[test]
    fn long_bodies_are_encoded_and_read_back() {
        let mut o = ack_to("Alice", "Printer");
        o.text = format!("{}\n", "baris teks biasa ".repeat(4)).repeat(2000) + "é ✓";
        o.html = Some(format!("<p>{}</p>", "x".repeat(5000)));
        let raw = build(&o).unwrap();
        assert!(raw.split(|&b| b == b'\n').all(|l| l.len() <= 999));
        let parsed = crate::parse::parse(&raw, "corp.test").unwrap();
        assert_eq!(parsed.body_text.trim_end(), o.text.trim_end());
        assert!(parsed.body_html.unwrap().contains(&"x".repeat(5000)));
    }

    #[test]
    fn an_address_lettre_refuses_is_an_error_not_a_panic() {
        let mut o = ack_to("Alice", "Printer");
        o.to = vec![(None, EmailAddress::parse("a..b@corp.test").unwrap())];
        let e = build(&o).unwrap_err();
        assert!(format!("{e:#}").contains("a..b@corp.test"), "{e:#}");
    }

    proptest::proptest! {
        #[test]
        fn any_name_and_subject_make_a_message_with_one_recipient(
            name in "\\PC*|[\\x00-\\x{a0}\\x{2028}\\x{2029}a-z:<>@,;\"\\\\ ]{0,80}",
            subject in "\\PC*|[\\x00-\\x{a0}\\x{2028}\\x{2029}a-z:<>@,;\"\\\\ ]{0,80}",
        ) {
            let raw = build(&ack_to(&name, &subject)).unwrap();
            let h = headers(&raw);
            proptest::prop_assert_eq!(h.iter().filter(|(n, _)| n == "to").count(), 1);
            proptest::prop_assert!(!h.iter().any(|(n, _)| n == "bcc" || n == "cc"));
            let parsed = crate::parse::parse(&raw, "corp.test").unwrap();
            proptest::prop_assert_eq!(parsed.to.len(), 1);
            proptest::prop_assert_eq!(parsed.subject, clean::subject(&subject));
        }
    }
}
