//! The digest as a mail: multipart/alternative of the text and of a
//! multipart/related holding the HTML and its PNG charts, which the HTML
//! references by Content-ID (`cid:`), so Outlook and Gmail show them inline
//! without fetching anything. It is automatic mail: `Auto-Submitted:
//! auto-generated`, and Exchange's `X-Auto-Response-Suppress`, so no
//! out-of-office reply comes back to the desk.

use std::time::{Duration, UNIX_EPOCH};

use anyhow::{Context, Result};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart};

use super::chart::Chart;
use super::make::Digest;
use crate::domain::EmailAddress;
use crate::mail::compose::{clean, header, mailbox, part};

/// The Content-ID of a chart of the digest dated `date` (without angle
/// brackets): unique per chart and day, in the desk's domain.
pub fn content_id(chart: &Chart, date: &str, domain: &str) -> String {
    format!("digest.{date}.{}@{domain}", chart.name)
}

/// Who sends the digest and to whom.
pub struct Envelope<'a> {
    pub from_name: &'a str,
    pub from: &'a EmailAddress,
    pub to: &'a EmailAddress,
    /// Without angle brackets.
    pub message_id: &'a str,
    /// Unix seconds.
    pub date: i64,
    /// The digest's date, `YYYY-MM-DD`, for the Content-IDs.
    pub digest_date: &'a str,
}

/// The bytes of the digest mail.
pub fn compose(d: &Digest, e: &Envelope<'_>) -> Result<Vec<u8>> {
    let domain = e.from.domain();
    let mut related = MultiPart::related().singlepart(part(ContentType::TEXT_HTML, &d.html));
    let png = ContentType::parse("image/png").context("image/png")?;
    for c in &d.charts {
        related = related.singlepart(
            Attachment::new_inline_with_name(
                content_id(c, e.digest_date, domain),
                format!("{}.png", c.name),
            )
            .body(c.png.clone(), png.clone()),
        );
    }
    let body = MultiPart::alternative()
        .singlepart(part(ContentType::TEXT_PLAIN, &d.text))
        .multipart(related);
    let msg = Message::builder()
        .from(mailbox(Some(e.from_name), e.from)?)
        .reply_to(mailbox(Some(e.from_name), e.from)?)
        .to(mailbox(None, e.to)?)
        .subject(clean::subject(&d.subject))
        .message_id(Some(format!("<{}>", e.message_id)))
        .date(UNIX_EPOCH + Duration::from_secs(e.date.max(0) as u64))
        .user_agent(concat!("posko/", env!("CARGO_PKG_VERSION")).to_string())
        .raw_header(header("Auto-Submitted", "auto-generated")?)
        .raw_header(header("X-Auto-Response-Suppress", "All")?)
        .multipart(body)
        .context("cannot build the digest mail")?;
    Ok(msg.formatted())
}
