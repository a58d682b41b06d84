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

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use rand::Rng;

use crate::domain::{EmailAddress, TicketId};

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

fn header(name: &str, value: impl Into<String>) -> Result<HeaderValue> {
    let name = HeaderName::new_from_ascii(name.to_string())
        .map_err(|e| anyhow::anyhow!("bad header name {name}: {e}"))?;
    Ok(HeaderValue::new(name, value.into()))
}

fn mailbox(name: Option<&str>, addr: &EmailAddress) -> Result<Mailbox> {
    let address = addr
        .as_str()
        .parse()
        .with_context(|| format!("{addr} is not an address lettre accepts"))?;
    Ok(Mailbox::new(name.map(str::to_string), address))
}

/// The finished message, ready for SMTP or a file.
pub fn build(o: &Outgoing) -> Result<Vec<u8>> {
    let mut b = Message::builder()
        .from(mailbox(Some(&o.from_name), &o.from)?)
        .reply_to(mailbox(Some(&o.from_name), &o.reply_to)?)
        .subject(o.subject.clone())
        .message_id(Some(format!("<{}>", o.message_id)))
        .date(UNIX_EPOCH + Duration::from_secs(o.date.max(0) as u64))
        .user_agent(concat!("posko/", env!("CARGO_PKG_VERSION")).to_string());
    for (name, addr) in &o.to {
        b = b.to(mailbox(name.as_deref(), addr)?);
    }
    if let Some(parent) = &o.in_reply_to {
        b = b.in_reply_to(format!("<{parent}>"));
    }
    if !o.references.is_empty() {
        let refs = o
            .references
            .iter()
            .map(|r| format!("<{r}>"))
            .collect::<Vec<_>>()
            .join(" ");
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
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(o.text.clone());
    let msg = match &o.html {
        Some(html) => b.multipart(
            MultiPart::alternative().singlepart(text).singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(html.clone()),
            ),
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
}
