//! Which lines make the reply, given every line's [`Kind`]. A few ordered
//! rules, each working on what the previous ones kept; each says below why
//! it may drop what it drops. The guiding rule: when unsure, keep.

use std::collections::HashSet;

use super::classify::Kind;
use super::headers;
use super::lines::{Line, unquote};

/// A quote block followed by at least this many lines of text is an inline
/// answer; a shorter tail is a footer or the rest of the quoted mail.
const MIN_INLINE_ANSWER_LINES: usize = 7;

/// Quoted lines kept above an inline answer, at most.
const CONTEXT_LINES: usize = 8;

/// Our own mail quoted without markers counts as answered inline when at
/// least this many of its lines were recognised around the sender's.
const MIN_KNOWN_AROUND_ANSWERS: usize = 3;

/// What the rules decided.
pub(super) struct Decision {
    /// Per line: part of the reply.
    pub keep: Vec<bool>,
    /// An embedded mail was found but kept on purpose, because the sender's
    /// words are inside it (announced inline answers, answers between lines
    /// of our own mail). Nothing else may cut it then.
    pub held: bool,
}

/// The lines to keep.
pub(super) fn decide(lines: &[Line], kinds: &[Kind]) -> Decision {
    let mut keep = vec![true; kinds.len()];
    let ours = Ours::new(kinds);
    cut_at_signature(kinds, &mut keep);
    if drop_leading_quoted_mail(kinds, &ours, &mut keep) == Flow::Held {
        return Decision { keep, held: true };
    }
    let held = cut_at_embedded_mail(lines, kinds, &ours, &mut keep);
    drop_trailing_quote(kinds, &mut keep);
    shorten_context(lines, kinds, &mut keep);
    keep_referenced_footnotes(lines, kinds, &mut keep);
    Decision { keep, held }
}

/// Whether the rules after a step may still cut.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Go,
    Held,
}

/// Indices of kept lines from `from` on, in order.
fn kept_from(keep: &[bool], from: usize) -> impl DoubleEndedIterator<Item = usize> + '_ {
    (from..keep.len()).filter(|&i| keep[i])
}

/// Index of the first kept line the sender wrote or cited.
fn first_content(kinds: &[Kind], keep: &[bool]) -> Option<usize> {
    kept_from(keep, 0).find(|&i| kinds[i].is_content())
}

/// Everything from the first signature delimiter or mobile signature after the
/// sender's text is signature, footer, or quoted mail. One that comes before
/// any text is dropped alone.
fn cut_at_signature(kinds: &[Kind], keep: &mut [bool]) {
    let is_sig = |k: Kind| matches!(k, Kind::Delimiter | Kind::MobileSig);
    if let Some(content) = first_content(kinds, keep)
        && let Some(i) = (content + 1..kinds.len()).find(|&i| is_sig(kinds[i]))
    {
        keep[i..].fill(false);
    }
    for (i, kind) in kinds.iter().enumerate() {
        if is_sig(*kind) {
            keep[i] = false;
        }
    }
}

/// A mail that opens with a quote header, a forward marker or a header block
/// (a forward with no comment, or a bottom-posted reply) starts with the
/// earlier mail: drop the header and the quote right under it. Unquoted text
/// under a forward header is the forwarded mail, which is what the sender
/// wants us to read, so it stays.
fn drop_leading_quoted_mail(kinds: &[Kind], ours: &Ours, keep: &mut [bool]) -> Flow {
    let mut cursor = 0;
    loop {
        let next = kept_from(keep, cursor).find(|&i| kinds[i] != Kind::Empty);
        let Some(first) = next else {
            return Flow::Go;
        };
        match kinds[first] {
            // A header over a quote answered inline: only the header goes.
            Kind::QuoteHeader if interleaved(kinds, keep, first) => {
                keep[first] = false;
                cursor = first + 1;
                continue;
            }
            Kind::QuoteHeader => keep[first] = false,
            // Answers typed into our quoted mail: all of it stays.
            Kind::Marker | Kind::Field if ours.answers_between(first) => {
                return Flow::Held;
            }
            Kind::Marker | Kind::Field => {
                // The marker and the field block right under it.
                keep[first] = false;
                let fields: Vec<usize> = kept_from(keep, first)
                    .skip_while(|&i| kinds[i] == Kind::Empty)
                    .take_while(|&i| kinds[i] == Kind::Field)
                    .collect();
                for i in fields {
                    keep[i] = false;
                }
            }
            Kind::QuotedHeader => {}
            _ => return Flow::Go,
        }
        drop_quote_block(kinds, keep, first);
        cursor = first + 1;
    }
}

/// Whether the quote under `header` is answered between its lines: quote,
/// then the sender's text, then quote again.
fn interleaved(kinds: &[Kind], keep: &[bool], header: usize) -> bool {
    matches!(answer_under(kinds, keep, header), Some((lines, true)) if lines > 0)
}

/// What stands under a quote header when a quote comes first: how many
/// lines of the sender's text follow that quote, and whether more quote
/// follows them. `None` when no quote is right under the header.
fn answer_under(kinds: &[Kind], keep: &[bool], header: usize) -> Option<(usize, bool)> {
    let mut rest = kept_from(keep, header + 1)
        .map(|i| kinds[i])
        .filter(|&k| k != Kind::Empty)
        .peekable();
    if !rest.peek().is_some_and(|k| k.is_quote()) {
        return None;
    }
    let mut text_lines = 0;
    for kind in rest.skip_while(|k| k.is_quote()) {
        match kind {
            Kind::Text => text_lines += 1,
            k if k.is_quote() => return Some((text_lines, true)),
            _ => break,
        }
    }
    Some((text_lines, false))
}

/// Drops the quote block that starts at line `from` (blank lines before it
/// included), up to its last quoted line.
fn drop_quote_block(kinds: &[Kind], keep: &mut [bool], from: usize) {
    let block: Vec<usize> = kept_from(keep, from)
        .take_while(|&i| kinds[i].is_quote() || kinds[i] == Kind::Empty)
        .collect();
    let last_quote = block.iter().rposition(|&i| kinds[i].is_quote());
    for &i in &block[..last_quote.map_or(0, |p| p + 1)] {
        keep[i] = false;
    }
}

/// Top-posting: the first embedded mail after the sender's text ends the
/// reply, together with the blank lines before it. Exceptions, where the
/// sender's words are inside the quote: a quote header whose quote is
/// answered inline (only the header goes); a sender who says the answers
/// are below ("jawaban saya di bawah", "see inline"); our own mail quoted
/// with the sender's lines between its lines.
fn cut_at_embedded_mail(lines: &[Line], kinds: &[Kind], ours: &Ours, keep: &mut [bool]) -> bool {
    // Dropping inline headers never changes where the content starts.
    let Some(content) = first_content(kinds, keep) else {
        return false;
    };
    for i in content + 1..kinds.len() {
        if !keep[i] || !kinds[i].opens_embedded_mail() {
            continue;
        }
        if kinds[i] == Kind::QuoteHeader && answers_inline(kinds, keep, i) {
            keep[i] = false;
            continue;
        }
        let announced = (content..i)
            .filter(|&j| keep[j] && kinds[j] == Kind::Text)
            .any(|j| headers::announces_inline_answers(&lines[j].text));
        if announced || ours.answers_between(i) {
            return true;
        }
        let start = (0..i)
            .rev()
            .find(|&j| keep[j] && kinds[j] != Kind::Empty)
            .map_or(0, |j| j + 1);
        keep[start..].fill(false);
        return false;
    }
    false
}

/// Whether the quote under the header at `header` is answered inline: the
/// sender's text follows the quote and is itself followed by more quote, or
/// is too long to be a footer.
fn answers_inline(kinds: &[Kind], keep: &[bool], header: usize) -> bool {
    match answer_under(kinds, keep, header) {
        Some((lines, more_quote)) => more_quote && lines > 0 || lines >= MIN_INLINE_ANSWER_LINES,
        None => false,
    }
}

/// Where our own mail's lines are, to answer [`Ours::answers_between`]
/// in constant time however many embedded mails a reply holds.
struct Ours {
    /// Indices of [`Kind::Known`] lines, in order.
    at: Vec<usize>,
    /// `texts[i]`: how many [`Kind::Text`] lines come before line `i`.
    texts: Vec<usize>,
}

impl Ours {
    fn new(kinds: &[Kind]) -> Ours {
        let at = (0..kinds.len())
            .filter(|&i| kinds[i] == Kind::Known)
            .collect();
        let mut texts = Vec::with_capacity(kinds.len() + 1);
        let mut n = 0;
        for k in kinds {
            texts.push(n);
            n += usize::from(*k == Kind::Text);
        }
        texts.push(n);
        Ours { at, texts }
    }

    /// Whether, under the embedded mail opened at `from`, lines of the
    /// sender stand between recognised lines of our own mail: answers typed
    /// into the quote, as Outlook users do ("see my answers in red").
    fn answers_between(&self, from: usize) -> bool {
        let after = &self.at[self.at.partition_point(|&i| i < from)..];
        match (after.first(), after.last()) {
            (Some(&first), Some(&last)) => {
                after.len() >= MIN_KNOWN_AROUND_ANSWERS && self.texts[last] > self.texts[first]
            }
            _ => false,
        }
    }
}

/// A quote at the very end, below the sender's text, is the earlier mail (the
/// desk's own acknowledgment, typically). Without any text of the sender, a
/// bare quote is kept: it is all they sent.
fn drop_trailing_quote(kinds: &[Kind], keep: &mut [bool]) {
    if !kept_from(keep, 0).any(|i| kinds[i] == Kind::Text) {
        return;
    }
    let tail: Vec<usize> = kept_from(keep, 0)
        .rev()
        .take_while(|&i| kinds[i].is_quote() || matches!(kinds[i], Kind::Empty | Kind::Footnote))
        .collect();
    if tail.iter().any(|&i| kinds[i].is_quote()) {
        for i in tail {
            if kinds[i] != Kind::Footnote {
                keep[i] = false;
            }
        }
    }
}

/// Above each answer written into a quoted mail (under a quote header that
/// was set aside), only the last [`CONTEXT_LINES`] quoted lines stay: the
/// question being answered, not the whole earlier mail. A citation the
/// sender chose (no header) stays whole.
fn shorten_context(lines: &[Line], kinds: &[Kind], keep: &mut [bool]) {
    let Some(header) = (0..kinds.len()).find(|&i| !keep[i] && kinds[i] == Kind::QuoteHeader) else {
        return;
    };
    // The kept quoted lines with words since the last text line.
    let mut block: Vec<usize> = Vec::new();
    for i in header..kinds.len() {
        if !keep[i] {
            continue;
        }
        match kinds[i] {
            Kind::Quote | Kind::QuotedHeader => {
                if !unquote(&lines[i].text).is_empty() {
                    block.push(i);
                }
            }
            Kind::Empty => {}
            Kind::Text => {
                if block.len() > CONTEXT_LINES {
                    let from = block[block.len() - CONTEXT_LINES];
                    keep[block[0]..from].fill(false);
                }
                block.clear();
            }
            _ => block.clear(),
        }
    }
}

/// A link footnote stays when a kept line points at it ("[text][3]"),
/// wherever the rules above put it.
fn keep_referenced_footnotes(lines: &[Line], kinds: &[Kind], keep: &mut [bool]) {
    if !kinds.contains(&Kind::Footnote) {
        return;
    }
    let cited: HashSet<&str> = (0..kinds.len())
        .filter(|&j| keep[j] && kinds[j] != Kind::Footnote)
        .flat_map(|j| headers::footnote_refs(&lines[j].text))
        .collect();
    for i in 0..kinds.len() {
        if kinds[i] == Kind::Footnote {
            keep[i] = headers::footnote(lines[i].text.trim()).is_some_and(|n| cited.contains(n));
        }
    }
}
