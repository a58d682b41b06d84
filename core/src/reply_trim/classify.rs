//! Gives every line of a reply its [`Kind`]: first by itself (`headers.rs`),
//! then in context. A lone "Perihal: …" is the sender's words, a block of
//! fields naming a sender and a date is an embedded mail; "Budi wrote:" is a
//! header only above a quote; a rule of dashes opens a signature only when a
//! signature or a quoted mail follows, never in the middle of the text.

use super::headers::{self, FieldRole, Strength};
use super::lines::{Line, unquote};

/// What a line is, as far as trimming cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Empty,
    /// Anything the sender may have written.
    Text,
    /// A quoted line (`>`, `|`, `Name>`).
    Quote,
    /// A quoted line that is itself a quote header ("> On … wrote:"): the quote
    /// is an earlier mail, not something the sender chose to cite.
    QuotedHeader,
    /// "On … wrote:" and its translations and shapes.
    QuoteHeader,
    /// "-----Original Message-----", "Begin forwarded message:", …
    Marker,
    /// A line of an Outlook-style header block ("From:", "Dikirim:", …).
    Field,
    /// "-- ", or a rule followed by a signature or a quoted mail.
    Delimiter,
    /// "Sent from my iPhone" and its many cousins.
    MobileSig,
    /// Text of a mail we sent, quoted without markers.
    Known,
    /// html2text's "[1]: https://…" under the text.
    Footnote,
}

impl Kind {
    pub(super) fn is_quote(self) -> bool {
        matches!(self, Kind::Quote | Kind::QuotedHeader | Kind::Known)
    }

    /// A line that opens an earlier mail embedded in this one.
    pub(super) fn opens_embedded_mail(self) -> bool {
        matches!(self, Kind::QuoteHeader | Kind::Marker | Kind::Field)
    }

    /// A line the sender wrote or chose to cite.
    pub(super) fn is_content(self) -> bool {
        self == Kind::Text || self.is_quote()
    }
}

/// A line before its context is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Draft {
    Final(Kind),
    /// A header without a date or address: needs a quote under it.
    WeakHeader,
    /// `-----`, `_____`: a delimiter or part of the text.
    Rule,
    /// "Sent via …": a signature unless the sender's text follows.
    WeakSig,
}

/// A signature under a rule is at most this many lines long.
const MAX_RULED_SIGNATURE_LINES: usize = 8;

/// Every line's kind. `ours` marks lines of our own earlier mail (see
/// `known.rs`); `structural` says the HTML already cut the quote away, so a
/// header or rule left at the very end belongs to it.
pub(super) fn classify(lines: &[Line], ours: &[bool], structural: bool) -> Vec<Kind> {
    let mut drafts = Vec::with_capacity(lines.len());
    let mut in_code = false;
    for (i, line) in lines.iter().enumerate() {
        let t = line.text.trim();
        // Inside a fenced code block, `#` and `---` are code, not delimiters.
        let is_fence = t.starts_with("```");
        let draft = if t.is_empty() {
            Draft::Final(Kind::Empty)
        } else if in_code || is_fence {
            Draft::Final(Kind::Text)
        } else {
            let draft = classify_line(t);
            if draft == Draft::Final(Kind::Text) && ours.get(i) == Some(&true) {
                Draft::Final(Kind::Known)
            } else {
                draft
            }
        };
        if is_fence {
            in_code = !in_code;
        }
        drafts.push(draft);
    }
    confirm_field_blocks(lines, &mut drafts);
    let mut kinds = settle(lines, &drafts, structural);
    if structural {
        drop_dangling_header(lines, &mut kinds);
    }
    kinds
}

fn classify_line(t: &str) -> Draft {
    if is_quote_line(t) {
        return Draft::Final(match headers::quote_header(unquote(t)) {
            Some(_) => Kind::QuotedHeader,
            None => Kind::Quote,
        });
    }
    if headers::is_marker(t) {
        return Draft::Final(Kind::Marker);
    }
    match headers::quote_header(t) {
        Some(Strength::Strong) => return Draft::Final(Kind::QuoteHeader),
        Some(Strength::Weak) => return Draft::WeakHeader,
        None => {}
    }
    if headers::is_signature_delimiter(t) {
        return Draft::Final(Kind::Delimiter);
    }
    if headers::is_rule(t) {
        return Draft::Rule;
    }
    match headers::mobile_signature(t) {
        Some(Strength::Strong) => return Draft::Final(Kind::MobileSig),
        Some(Strength::Weak) => return Draft::WeakSig,
        None => {}
    }
    if headers::is_field(t) {
        return Draft::Final(Kind::Field);
    }
    if headers::footnote(t).is_some() {
        return Draft::Final(Kind::Footnote);
    }
    Draft::Final(Kind::Text)
}

/// A quote marker other than `>`: "Name> " (Usenet initials) or "| ".
fn odd_quote_prefix(t: &str) -> bool {
    let letters = t.bytes().take_while(u8::is_ascii_alphabetic).count();
    (1..=10).contains(&letters)
        && t[letters..].starts_with('>')
        && t[letters + 1..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace)
}

fn is_quote_line(trimmed: &str) -> bool {
    trimmed.starts_with('>')
        || odd_quote_prefix(trimmed)
        // "| quoted", but not a table row "| a | b |".
        || trimmed.starts_with('|') && !trimmed[1..].contains('|')
}

/// Set-aside quotes get the one standard `>` marker, whatever the client used.
pub(super) fn elided_form(text: &str, kind: Kind) -> String {
    if !matches!(kind, Kind::Quote | Kind::QuotedHeader) {
        return text.to_string();
    }
    let start = text.len() - text.trim_start().len();
    let (indent, t) = text.split_at(start);
    if let Some(rest) = t.strip_prefix('|') {
        format!("{indent}>{rest}")
    } else if let (true, Some(gt)) = (odd_quote_prefix(t), t.find('>')) {
        format!("{indent}{}", &t[gt..])
    } else {
        text.to_string()
    }
}

/// A lone "To: …" or "Perihal: …" line is the sender's own words; only a
/// block of at least three fields naming a sender and a date is an embedded
/// mail. A formal letter's "Kepada: / Perihal: / Tanggal:" heading has no
/// clock time and no address, so the block must have one of those, or stand
/// under a rule or marker. A value may wrap onto a line of its own
/// ("Subject: a long\nsubject").
fn confirm_field_blocks(lines: &[Line], drafts: &mut [Draft]) {
    let is_field = |d: &Draft| *d == Draft::Final(Kind::Field);
    let mut i = 0;
    while i < drafts.len() {
        if !is_field(&drafts[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        let (mut fields, mut from, mut dated, mut evidence) = (0, false, false, false);
        while j < drafts.len() {
            if is_field(&drafts[j]) {
                if let Some((role, value)) = headers::field(lines[j].text.trim()) {
                    fields += 1;
                    from |= role == FieldRole::From;
                    dated |= role == FieldRole::Date;
                    evidence |= role == FieldRole::Date && headers::has_time(value)
                        || role == FieldRole::From && headers::has_address(value);
                }
                j += 1;
            } else if drafts[j] == Draft::Final(Kind::Text)
                && drafts.get(j + 1).is_some_and(is_field)
            {
                j += 1;
            } else {
                break;
            }
        }
        let above = drafts[..i]
            .iter()
            .rev()
            .find(|d| **d != Draft::Final(Kind::Empty));
        let framed = matches!(above, Some(Draft::Rule | Draft::Final(Kind::Marker)));
        let block = fields >= 3 && from && dated && (evidence || framed);
        for d in &mut drafts[i..j] {
            if !block {
                *d = Draft::Final(Kind::Text);
            } else if *d == Draft::Final(Kind::Text) {
                *d = Draft::Final(Kind::Field);
            }
        }
        i = j;
    }
}

/// Resolves the drafts that depend on their neighbours.
fn settle(lines: &[Line], drafts: &[Draft], structural: bool) -> Vec<Kind> {
    let n = drafts.len();
    let kind_at = |i: usize| match drafts[i] {
        Draft::Final(k) => Some(k),
        _ => None,
    };
    let next_nonempty = |i: usize| (i + 1..n).find(|&j| drafts[j] != Draft::Final(Kind::Empty));
    let mut kinds = vec![Kind::Text; n];
    // Walking backwards, whether the sender's text follows (for "Sent via").
    let mut text_follows = false;
    for i in (0..n).rev() {
        let next = next_nonempty(i);
        kinds[i] = match drafts[i] {
            Draft::Final(k) => k,
            Draft::WeakHeader => {
                let quote_below = next
                    .and_then(kind_at)
                    .is_some_and(|k| k.is_quote() || k.opens_embedded_mail());
                if quote_below || structural && next.is_none() {
                    Kind::QuoteHeader
                } else {
                    Kind::Text
                }
            }
            Draft::Rule => {
                if rule_opens_signature(lines, drafts, i, structural) {
                    Kind::Delimiter
                } else {
                    Kind::Text
                }
            }
            Draft::WeakSig if text_follows => Kind::Text,
            Draft::WeakSig => Kind::MobileSig,
        };
        match kinds[i] {
            Kind::Text => text_follows = true,
            Kind::Empty | Kind::MobileSig | Kind::Footnote => {}
            _ => text_follows = false,
        }
    }
    kinds
}

/// A rule opens a signature when a quoted mail follows it, or when it stands
/// apart (a blank line above it) over a short block with a signature's
/// marks (a closing, a title, a phone number, a link) and no other rule. A
/// rule under a line of text is a heading's underline or a table's border.
fn rule_opens_signature(lines: &[Line], drafts: &[Draft], i: usize, structural: bool) -> bool {
    let empty = Draft::Final(Kind::Empty);
    // Enough lines to tell: a signature is short.
    let below: Vec<usize> = (i + 1..drafts.len())
        .filter(|&j| drafts[j] != empty)
        .take(MAX_RULED_SIGNATURE_LINES + 2)
        .collect();
    let Some(&first) = below.first() else {
        return structural;
    };
    let opener = |d: Draft| {
        matches!(
            d,
            Draft::Final(Kind::QuoteHeader | Kind::Marker | Kind::Field | Kind::QuotedHeader)
                | Draft::WeakHeader
        )
    };
    if opener(drafts[first]) {
        return true;
    }
    let apart = i == 0 || drafts[i - 1] == empty;
    if !apart {
        return false;
    }
    let block: Vec<usize> = below
        .iter()
        .copied()
        .take_while(|&j| !opener(drafts[j]))
        .collect();
    block.len() <= MAX_RULED_SIGNATURE_LINES
        && !block.iter().any(|&j| drafts[j] == Draft::Rule)
        && block
            .iter()
            .all(|&j| drafts[j] != Draft::Final(Kind::Quote))
        && block
            .iter()
            .any(|&j| headers::has_signature_clue(&lines[j].text))
}

/// With the quote already cut away (the HTML said where), a header line left
/// at the end ("Pada … menulis:" above Gmail's quote, mail.ru's verbless
/// "…, Posko IT <it@corp.test>:") belongs to the quote even when it would
/// not pass as a header alone: it ends with a colon and holds an address,
/// or a date and a time.
fn drop_dangling_header(lines: &[Line], kinds: &mut [Kind]) {
    let Some(last) = kinds.iter().rposition(|k| *k != Kind::Empty) else {
        return;
    };
    if kinds[last] != Kind::Text {
        return;
    }
    let t = lines[last].text.trim();
    let dated = headers::has_time(t) && headers::has_date(t);
    if super::lines::ends_with_colon(t) && (headers::has_address(t) || dated) {
        kinds[last] = Kind::QuoteHeader;
    }
}
