//! Cuts a reply's text into lines, re-joining the quote headers that a
//! client wrapped over several lines ("Pada Sen, 23 Nov 2026 pukul 10.15
//! Posko IT <" / "posko@corp.test> menulis:"), so each is one line for the
//! rules and reads as one line in the elided part.

use super::headers::{Strength, opens_like_header, quote_header};

/// Gmail and others wrap a long quote header over up to five lines (a blank
/// line and a lone `<` included, see `embedded_email_12` in the Discourse
/// corpus).
const MAX_HEADER_WRAP: usize = 4;

/// One logical line of the mail.
#[derive(Debug)]
pub(super) struct Line {
    /// The text as sent. For a re-joined header this is the original lines
    /// joined by `\n`, so whatever we keep is always text from the input.
    pub raw: String,
    /// The one-line form used for matching and for the elided part.
    pub text: String,
}

impl Line {
    fn single(line: &str) -> Line {
        Line {
            raw: line.to_string(),
            text: line.to_string(),
        }
    }
}

/// The lines of `text` (LF endings), wrapped headers re-joined.
///
/// A wrapped header ends on a line ending in `:`. Looking back from there,
/// a span whose first line opens like a header ("Pada …", a date) and holds
/// a digit wins, the shortest first; then the line itself when it is a
/// header; then the shortest span that reads as a strong header. So a
/// sentence just above a header is not swallowed.
pub(super) fn split(text: &str) -> Vec<Line> {
    let raw: Vec<&str> = text.split('\n').collect();
    let mut out: Vec<Line> = Vec::with_capacity(raw.len());
    // First input line not yet part of a joined header.
    let mut floor = 0;
    for (end, line) in raw.iter().enumerate() {
        let alone = ends_with_colon(line)
            .then(|| quote_header(unquote(line)))
            .flatten();
        let alone_opens = alone.is_some() && opens_like_header(unquote(line));
        let spans: Vec<(usize, String)> = if ends_with_colon(line) && !alone_opens {
            (1..=MAX_HEADER_WRAP)
                .take_while(|&k| k <= end - floor)
                .filter_map(|k| Some((k, join_span(&raw[end - k..=end])?)))
                .collect()
        } else {
            Vec::new()
        };
        let strong = |t: &str| quote_header(unquote(t)) == Some(Strength::Strong);
        let opened = |k: usize, t: &str| {
            strong(t)
                && opens_like_header(unquote(t))
                && raw[end - k].chars().any(|c| c.is_ascii_digit())
        };
        let joined = spans.iter().find(|(k, t)| opened(*k, t)).or_else(|| {
            alone
                .is_none()
                .then(|| spans.iter().find(|(_, t)| strong(t)))
                .flatten()
        });
        match joined {
            Some((k, text)) => {
                out.truncate(out.len() - k);
                out.push(Line {
                    raw: raw[end - k..=end].join("\n"),
                    text: text.clone(),
                });
                floor = end + 1;
            }
            None => out.push(Line::single(line)),
        }
    }
    out
}

/// The one-line form of a wrapped header span, or `None` when the span cannot
/// be one header (it starts blank, an inner line ends a sentence with `:`, or
/// it is too long).
fn join_span(span: &[&str]) -> Option<String> {
    let (last, inner) = span.split_last()?;
    let first = inner.first()?;
    if first.trim().is_empty() || inner.iter().any(|l| ends_with_colon(l)) {
        return None;
    }
    let total: usize = span.iter().map(|l| l.len()).sum();
    if total > super::headers::MAX_HEADER_CHARS * 2 {
        return None;
    }
    let mut text = first.trim_end().to_string();
    for part in inner[1..]
        .iter()
        .chain([last])
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
    {
        text.push(' ');
        text.push_str(part);
    }
    Some(text)
}

pub(super) fn ends_with_colon(line: &str) -> bool {
    line.trim_end().ends_with([':', '：'])
}

/// The line without leading quote markers and whitespace.
pub(super) fn unquote(line: &str) -> &str {
    line.trim_start_matches(|c: char| c == '>' || c.is_whitespace())
}
