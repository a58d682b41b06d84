//! The reply reader: splits a reply into the new text and what was set aside.
//!
//! When someone answers a helpdesk mail, their client adds things below (or
//! around) what they typed: a quote header ("On … wrote:", "Pada …
//! menulis:"), the quoted earlier mail, an Outlook header block
//! ("From:/Sent:/To:", "Dari:/Dikirim:/Kepada:"), a "-- " signature, a "Sent
//! from my iPhone" line. Only the new text becomes the ticket comment; the
//! rest is set aside in [`Trimmed::elided`], and the raw message is kept, so
//! nothing is lost.
//!
//! The one rule above all: never lose new text. When unsure, keep: a quote
//! left in the comment costs a few seconds of reading; new text moved into
//! the elided part is information nobody sees.
//!
//! Structure first, language second:
//! - `html.rs`: when the mail has HTML, the quote containers clients mark
//!   (`gmail_quote`, `divRplyFwdMsg`, `blockquote type=cite`, …) say where
//!   the quote starts;
//! - `lines.rs`, `classify.rs`, `decide.rs`: the text rules, line based: `>`
//!   prefixes, the shape of a quote header (a date, a name or an address, a
//!   trailing colon) in any language and even wrapped over lines, Outlook
//!   header blocks, signatures, with the word tables of `phrases.rs`
//!   (recognisers in `headers.rs`);
//! - `known.rs`: the text of our own earlier mail, which posko knows byte
//!   for byte, found again even when re-wrapped without `>`.
//!
//! A forward (its subject says so: "Fwd:", "FW:", "TRS:" …) is kept whole:
//! what was forwarded is the point of the mail.
//!
//! Pure: no I/O. Every regex is from the `regex` crate (linear time) and
//! compiled once; the text looked at is capped ([`MAX_TEXT_BYTES`]), so a
//! hostile message costs bounded time. `tests/reply_reader.rs` holds our
//! golden replies, `tests/reply_trim_corpus.rs` the Discourse corpus.

mod classify;
mod decide;
mod headers;
mod html;
mod known;
mod lines;
mod phrases;

use classify::{Kind, classify, elided_form};
use known::Known;
use lines::Line;

/// A reply cut in two: what the sender wrote now, and what was set aside.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trimmed {
    /// The new text.
    pub reply: String,
    /// The quoted text, quote header, signature, and such (kept, not shown).
    pub elided: String,
}

/// What the reader is given about one reply.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reply<'a> {
    /// The readable text: the text/plain part, or the HTML made text
    /// (`InboundMessage::body_text`).
    pub text: &'a str,
    /// The HTML part, when there is one (`InboundMessage::body_html`).
    pub html: Option<&'a str>,
    /// The subject: a forward is kept whole.
    pub subject: &'a str,
    /// The text of the mail posko sent on the ticket (the text part of
    /// each, and its HTML made text), so that a quote of ours is
    /// recognised even without markers. Empty when not known.
    pub sent: &'a [&'a str],
}

/// Only this much of a text is read; the rest follows the last line read
/// (kept when that was kept, set aside when it was set aside). A reply
/// longer than this is a log or a paste, whose end is where it ends.
const MAX_TEXT_BYTES: usize = 256 * 1024;

/// The new text of the HTML is made text only up to this size.
const MAX_HTML_NEW_BYTES: usize = 512 * 1024;

/// Reads a reply: the new text, and the rest set aside.
pub fn read(reply: &Reply<'_>) -> Trimmed {
    if headers::is_forward_subject(reply.subject) {
        return Trimmed {
            reply: normalize(reply.text).trim().to_string(),
            elided: String::new(),
        };
    }
    let known = Known::new(reply.sent);
    let (from_text, held) = read_text(reply.text, known.as_ref(), false);
    if held {
        // The sender's words are inside the quote: keep what the text kept.
        return from_text;
    }
    match reply.html.and_then(|h| read_html(h, known.as_ref())) {
        Some(from_html) => prefer_text_layout(reply.text, from_text, from_html),
        None => from_text,
    }
}

/// Reads a plain-text reply with no HTML, subject or history: the text rules
/// alone. A forwarded mail under a note is set aside here, as in the
/// Discourse corpus; [`read`] keeps it when the subject says forward.
pub fn trim(text: &str) -> Trimmed {
    read_text(text, None, false).0
}

fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// The text rules. `structural`: the HTML already cut the quote away. Also
/// says whether the rules kept a quote on purpose (see [`decide::Decision`]).
fn read_text(text: &str, known: Option<&Known>, structural: bool) -> (Trimmed, bool) {
    let normalized = normalize(text);
    let head_end = match normalized.floor_char_boundary(MAX_TEXT_BYTES) {
        end if end == normalized.len() => end,
        end => normalized[..end].rfind('\n').map_or(end, |nl| nl + 1),
    };
    let (head, tail) = normalized.split_at(head_end);
    let lines = lines::split(head);
    let ours = known.map_or_else(|| vec![false; lines.len()], |k| k.mark(&lines));
    let kinds = classify(&lines, &ours, structural);
    let decide::Decision { keep, held } = decide::decide(&lines, &kinds);
    let mut out = assemble(&lines, &kinds, &keep);
    if !tail.trim().is_empty() {
        let last = (0..lines.len()).rev().find(|&i| kinds[i] != Kind::Empty);
        let part = if last.is_none_or(|i| keep[i]) {
            &mut out.reply
        } else {
            &mut out.elided
        };
        part.push('\n');
        part.push_str(tail.trim_end());
    }
    (out, held)
}

/// The reply as the HTML's quote containers cut it, read by the text rules,
/// or `None` when the HTML marks no quote at its end.
fn read_html<'a>(html: &'a str, known: Option<&Known>) -> Option<HtmlReading<'a>> {
    let cut = html::quote_start(html)?;
    let new_part = &html[..cut];
    if new_part.len() > MAX_HTML_NEW_BYTES {
        return None;
    }
    let (trimmed, _) = read_text(&crate::parse::html_to_text(new_part), known, true);
    Some(HtmlReading {
        trimmed,
        quote: &html[cut..],
    })
}

/// What the HTML says the reply is.
struct HtmlReading<'a> {
    trimmed: Trimmed,
    /// The HTML from the quote container on.
    quote: &'a str,
}

/// The HTML knows where the quote starts, the text part reads better (no
/// html2text layout, links as the client wrote them). So: the text rules'
/// answer when it holds the same words as the HTML's; else the lines of the
/// text part that hold the HTML's words; else the HTML's own text.
fn prefer_text_layout(text: &str, from_text: Trimmed, from_html: HtmlReading<'_>) -> Trimmed {
    let html_words = words_without_footnotes(&from_html.trimmed.reply);
    if html_words.is_empty() || words_without_footnotes(&from_text.reply) == html_words {
        return from_text;
    }
    if let Some(found) = lines_holding(text, &html_words) {
        return found;
    }
    let mut elided = from_html.trimmed.elided;
    let quote = crate::parse::html_to_text(
        &from_html.quote[..from_html.quote.floor_char_boundary(MAX_HTML_NEW_BYTES)],
    );
    if !elided.is_empty() && !quote.trim().is_empty() {
        elided.push_str("\n\n");
    }
    elided.push_str(quote.trim());
    Trimmed {
        reply: from_html.trimmed.reply,
        elided,
    }
}

/// The words of `text`, leaving out html2text's link footnotes and the
/// numbers that point at them.
fn words_without_footnotes(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| headers::footnote(l.trim()).is_none())
        .flat_map(|l| known::words(&headers::without_footnote_refs(l)).collect::<Vec<_>>())
        .collect()
}

/// When the text part words a link or an image differently from the HTML
/// ("Formulir<https://…>" against "[Formulir][1]"), the reply is found by
/// its first and last few words.
const EDGE_WORDS: usize = 6;

/// The whole lines of `text` that hold `words` (in a row, or at least their
/// first and last [`EDGE_WORDS`] within a span not much longer), as the
/// reply, the other lines set aside; `None` when they are not there.
fn lines_holding(text: &str, words: &[String]) -> Option<Trimmed> {
    let normalized = normalize(text);
    let all: Vec<&str> = normalized.lines().collect();
    let mut flat = Vec::new();
    let mut line_of = Vec::new();
    for (i, line) in all.iter().enumerate() {
        for w in known::words(line) {
            flat.push(w);
            line_of.push(i);
        }
    }
    let (start, end) = match find_run(&flat, words) {
        Some(start) => (start, start + words.len() - 1),
        None => {
            let edge = EDGE_WORDS.min(words.len());
            let start = find_run(&flat, &words[..edge])?;
            let tail = find_run(&flat[start..], &words[words.len() - edge..])?;
            let end = start + tail + edge - 1;
            // Far apart, the last words were found in the quote.
            (end - start < words.len() * 3 / 2 + 20).then_some((start, end))?
        }
    };
    let (first, last) = (line_of[start], line_of[end]);
    let reply = all[first..=last].join("\n").trim().to_string();
    let elided: Vec<&str> = all[..first]
        .iter()
        .chain(&all[last + 1..])
        .copied()
        .collect();
    Some(Trimmed {
        reply,
        elided: elided.join("\n").trim().to_string(),
    })
}

/// Where `needle` first occurs in `hay` (Knuth–Morris–Pratt: linear).
fn find_run(hay: &[String], needle: &[String]) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    let mut fail = vec![0usize; needle.len()];
    let mut k = 0;
    for i in 1..needle.len() {
        while k > 0 && needle[i] != needle[k] {
            k = fail[k - 1];
        }
        if needle[i] == needle[k] {
            k += 1;
        }
        fail[i] = k;
    }
    let mut k = 0;
    for (i, w) in hay.iter().enumerate() {
        while k > 0 && *w != needle[k] {
            k = fail[k - 1];
        }
        if *w == needle[k] {
            k += 1;
        }
        if k == needle.len() {
            return Some(i + 1 - k);
        }
    }
    None
}

fn assemble(lines: &[Line], kinds: &[Kind], keep: &[bool]) -> Trimmed {
    let mut reply = Vec::new();
    let mut elided = Vec::new();
    for ((line, kind), keep) in lines.iter().zip(kinds).zip(keep) {
        if *keep {
            reply.push(line.raw.as_str());
        } else {
            elided.push(elided_form(&line.text, *kind));
        }
    }
    Trimmed {
        reply: reply.join("\n").trim().to_string(),
        elided: elided.join("\n").trim().to_string(),
    }
}

#[cfg(test)]
mod tests;
