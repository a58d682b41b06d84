//! Splits a reply into the new text and the quoted / signature part.
//!
//! When someone answers a helpdesk mail, their client appends things below (or
//! around) what they typed: a quote header ("On … wrote:", "Pada … menulis:"),
//! the quoted earlier mail, an Outlook header block ("From:/Sent:/To:",
//! "Dari:/Dikirim:/Kepada:"), a "-- " signature, a "Sent from my iPhone" line.
//! Only the new text becomes the ticket comment; the rest is set aside in
//! [`Trimmed::elided`] so nothing is lost.
//!
//! The work is pure and line based: the text is cut into lines, quote headers
//! that clients wrapped over several lines are re-joined, every line gets a
//! [`Kind`], and a few ordered rules decide which lines to keep. Every regex is
//! from the `regex` crate (linear time, so hostile input cannot stall intake)
//! and is compiled once. `tests/reply_trim_corpus.rs` checks the rules against
//! the Discourse reply-trimmer corpus.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

/// A reply cut in two: what the sender wrote now, and what was set aside.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trimmed {
    /// The new text.
    pub reply: String,
    /// The quoted text, quote header, signature, and such (kept, not shown).
    pub elided: String,
}

/// Splits `text` (plain text, any line endings).
pub fn trim(text: &str) -> Trimmed {
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let raw: Vec<&str> = normalized.split('\n').collect();
    let lines = join_wrapped_headers(&raw);
    let kinds = classify(&lines);
    let keep = decide(&kinds);
    assemble(&lines, &kinds, &keep)
}

/// One logical line of the mail.
#[derive(Debug)]
struct Line {
    /// The text as sent. For a re-joined header this is the original lines
    /// joined by `\n`, so whatever we keep is always text from the input.
    raw: String,
    /// The one-line form used for matching and for the elided part.
    text: String,
}

/// What a line is, as far as trimming cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Empty,
    /// Anything the sender may have written.
    Text,
    /// A quoted line (`>`, `|`, `Name>`).
    Quote,
    /// A quoted line that is itself a quote header ("> On … wrote:"): the quote
    /// is an earlier mail, not something the sender chose to cite.
    QuotedHeader,
    /// "On … wrote:" and its translations.
    QuoteHeader,
    /// "-----Original Message-----", "Begin forwarded message:", …
    Marker,
    /// A line of an Outlook-style header block ("From:", "Dikirim:", …).
    Field,
    /// "-- ", "____", "***": what follows is signature or footer.
    Delimiter,
    /// "Sent from my iPhone" and its many cousins.
    MobileSig,
}

impl Kind {
    fn is_quote(self) -> bool {
        matches!(self, Kind::Quote | Kind::QuotedHeader)
    }

    /// A line that opens an earlier mail embedded in this one.
    fn opens_embedded_mail(self) -> bool {
        matches!(self, Kind::QuoteHeader | Kind::Marker | Kind::Field)
    }

    /// A line the sender wrote or chose to cite.
    fn is_content(self) -> bool {
        self == Kind::Text || self.is_quote()
    }
}

/// Headers longer than this are paragraphs that happen to match, not headers.
const MAX_HEADER_CHARS: usize = 300;

/// Gmail and others wrap a long quote header over up to five lines (a blank
/// line and a lone `<` included, see `embedded_email_12` in the corpus).
const MAX_HEADER_WRAP: usize = 4;

/// A quote block followed by at least this many lines of text is an inline
/// answer; a shorter tail is a footer or the rest of the quoted mail.
const MIN_INLINE_ANSWER_LINES: usize = 7;

/// Mobile signatures are short; a long line starting "Sent from" is a sentence.
const MAX_SIGNATURE_CHARS: usize = 100;

/// "On … wrote:" in the languages our users' clients speak, as patterns that
/// start where the header starts: an opener word ("On", "Pada", "Le", …) or a
/// date. Matched against a line without its quote markers and surrounding
/// dashes.
static QUOTE_HEADER: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        // English: Gmail, Apple Mail ("On 23 Nov 2026, at 10:15, …"), old Eudora ("At …").
        r"(?i)^(on|at)\s.*\d.*\swrote\s*:?$",
        // Indonesian Gmail / Apple Mail: "Pada Sen, 23 Nov 2026 pukul 10.15, … menulis:".
        r"(?i)^pada\s.*\d.*\smenulis\s*:$",
        r"(?i)^le\s.*\d.*\sa\s+écrit\s*:$",
        r"(?i)^am\s.*\d.*\sschrieb\s.*:$",
        r"(?i)^op\s.*\d.*\s(schreef|geschreven)(\s.*)?:$",
        r"(?i)^il\s.*\d.*\sha\s+scritto\s*:$",
        r"(?i)^el\s.*\d.*\sescribió\s*:$",
        r"(?i)^em\s.*\d.*\sescreveu\s*:$",
        r"(?i)^den\s.*\d.*\sskrev\s.*:$",
        r"^(在|於|于).*(写道|寫道)\s*[:：]$",
        // Gmail's numeric form: "2016-03-03 17:21 GMT+01:00 Some One".
        r"(?i)^\d{4}[-/]\d{1,2}[-/]\d{1,2}\s+\d{1,2}:\d{2}\s+GMT[+-]\d{1,2}:?\d{2}(\s.*)?$",
        // … and "2013/7/20 Some One <a@b>".
        r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}\s.*<[^<>\s]+@[^<>\s]+>:?$",
    ])
    .expect("quote header patterns compile")
});

/// Quote headers recognised by their ending only ("… <a@b> wrote:", "…
/// napisał(a):"). They say nothing of where the header starts, so a wrapped
/// header is re-joined by these only when no [`QUOTE_HEADER`] pattern fits.
static LOOSE_QUOTE_HEADER: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        // "Name <addr> wrote:" with no date, in several languages.
        r"(?i)^[^<>\s][^<>]*<[^<>\s]+@[^<>\s]+>\s*(wrote|menulis|schrieb|a\s+écrit|escribió|escreveu|ha\s+scritto|skrev|napisał(\(a\))?)\s*:$",
        r"(?i)^.*\sschrieb\s+am\s.*\d.*:$",
        r"(?i)^.*\d.*\snapisał(\(a\))?\s*:$",
        r"(?i)^.*\d.*\s(написал|написала|пише|писав|писала)\s*:$",
    ])
    .expect("loose quote header patterns compile")
});

/// Lines that announce an embedded original or forwarded mail.
static MARKER: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        r"(?i)^[\s*_]*-{2,}\s*(original message|forwarded message|ursprüngliche nachricht|weitergeleitete nachricht|mensaje original|mensaje reenviado|message d'origine|message transféré|messaggio originale|messaggio inoltrato|oorspronkelijk bericht|doorgestuurd bericht|mensagem original|mensagem encaminhada|originalmeddelande|vidarebefordrat meddelande|opprinnelig melding|videresendt melding|pesan asli|pesan terusan|pesan yang diteruskan)\s*-{2,}[\s*_]*$",
        r"(?i)^(begin forwarded message|anfang der weitergeleiteten nachricht|début du message réexpédié|awal pesan yang diteruskan)\s*:$",
    ])
    .expect("marker patterns compile")
});

/// "-- ", "______", "****", and the lone U+1427 Gmail leaves behind.
static DELIMITER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[-_=*~#+]{2,}|ᐧ)$").expect("delimiter pattern compiles"));

/// "Sent from my iPhone" in the languages and clients we see. Matched against
/// a trimmed line without surrounding `(`, `<`, `)`, `>`.
static MOBILE_SIGNATURE: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        r"(?i)^sent\s+(from|with|via|using|by)\s.+$",
        r"(?i)^(get|download|dapatkan|unduh)\s+\[?outlook\s+(for|untuk)\s+(ios|android)",
        r"(?i)^from\s+my\s+(iphone|ipad|ipod|android|mobile|phone|smartphone|samsung|galaxy|blackberry|cell)\b",
        r"(?i)^\S+\s+from\s+(my\s+)?(mobile|phone)(\s+device)?\.?$",
        r"(?i)^envoyé\s+(depuis|de|avec)\s.+$",
        r"(?i)^von\s+meinem\s.+\sgesendet\.?$",
        r"(?i)^gesendet\s+(von|mit)\s.+$",
        r"(?i)^diese\s+nachricht\s+wurde\s+(von|mit)\s.+\sgesendet\.?$",
        r"(?i)^(verzonden|verstuurd)\s+(met|vanaf|van|via)\s.+$",
        r"(?i)^(sendt|skickat)\s+(fra|från|frå)\s.+$",
        r"(?i)^(enviado|inviato)\s+(desde|do|da|dal|con|de)\s.+$",
        // Indonesian "dikirim dari …" is also plain speech ("dikirim dari gudang"),
        // so it counts only when it names a device or mail app.
        r"(?i)^dikirim\s+(dari|dengan|melalui|via|menggunakan)\s.*\b(iphone|ipad|android|yahoo|samsung|galaxy|ponsel|perangkat|seluler|outlook|gmail|mail|hp|smartphone|blackberry|xiaomi|redmi|oppo|vivo|huawei|realme|tablet)\b",
        r"^(從我的|从我的|发自我的|發自我的|寄自我的).+$",
    ])
    .expect("signature patterns compile")
});

/// An Outlook-style header field: "From: …", "*Sent:* …", "Dikirim: …".
static FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\*{0,2}(from|von|de|da|från|fra|van|dari|od|от|sent|date|gesendet|datum|enviado|fecha|data|inviato|skickat|sendt|verzonden|envoyé|dikirim|tanggal|wysłano|отправлено|дата|to|cc|bcc|subject|reply-to|an|betreff|para|asunto|a|oggetto|risposta|till|ämne|kopia|til|emne|à|objet|aan|onderwerp|kepada|perihal|subjek|tembusan|balas\s+ke|do|temat|кому|тема)\s*:\*{0,2}(\s.*)?$",
    )
    .expect("field pattern compiles")
});

/// Field names that say who sent the embedded mail …
const FROM_FIELDS: &[&str] = &[
    "from", "von", "de", "da", "från", "fra", "van", "dari", "od", "от",
];

/// … and when: Outlook's block always has both.
const DATE_FIELDS: &[&str] = &[
    "sent",
    "date",
    "gesendet",
    "datum",
    "enviado",
    "fecha",
    "data",
    "inviato",
    "skickat",
    "sendt",
    "verzonden",
    "envoyé",
    "dikirim",
    "tanggal",
    "wysłano",
    "отправлено",
    "дата",
];

/// A quote marker other than `>`: "Name> " (Usenet initials) or "| ".
static ODD_QUOTE_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z]{1,10}>(\s|$)").expect("quote prefix pattern compiles"));

/// Re-joins quote headers that a client wrapped over several lines, so each is
/// one line for the rules below (and reads as one line in the elided part).
///
/// A wrapped header ends on a line ending in `:`. Looking back from there, the
/// shortest span that reads as a whole header wins, so a sentence just above
/// the header is not swallowed; a span that starts like a header ("Pada …")
/// beats a shorter one that only ends like one ("Alice <a@b>" / "menulis:").
fn join_wrapped_headers(raw: &[&str]) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::with_capacity(raw.len());
    // First input line not yet part of a joined header.
    let mut floor = 0;
    for (end, line) in raw.iter().enumerate() {
        let wrapped_end = ends_with_colon(line) && !is_quote_header(unquote(line));
        let spans: Vec<(&[&str], String)> = (1..=MAX_HEADER_WRAP)
            .take_while(|&k| wrapped_end && k <= end - floor)
            .filter_map(|k| {
                let span = &raw[end - k..=end];
                Some((span, join_span(span)?))
            })
            .collect();
        let fits = |set: &RegexSet, text: &str| header_fits(set, unquote(text));
        let joined = (spans.iter().find(|(_, t)| fits(&QUOTE_HEADER, t)))
            .or_else(|| spans.iter().find(|(_, t)| fits(&LOOSE_QUOTE_HEADER, t)))
            .cloned();
        match joined {
            Some((span, text)) => {
                out.truncate(out.len() - (span.len() - 1));
                out.push(Line {
                    raw: span.join("\n"),
                    text,
                });
                floor = end + 1;
            }
            None => out.push(Line {
                raw: (*line).to_string(),
                text: (*line).to_string(),
            }),
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
    if total > MAX_HEADER_CHARS * 2 {
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

fn ends_with_colon(line: &str) -> bool {
    line.trim_end().ends_with([':', '：'])
}

/// The line without leading quote markers and whitespace.
fn unquote(line: &str) -> &str {
    line.trim_start_matches(|c: char| c == '>' || c.is_whitespace())
}

/// Whether `line` (already unquoted) is an "On … wrote:" header.
fn is_quote_header(line: &str) -> bool {
    header_fits(&QUOTE_HEADER, line) || header_fits(&LOOSE_QUOTE_HEADER, line)
}

fn header_fits(set: &RegexSet, line: &str) -> bool {
    let bare = line.trim().trim_matches('-').trim();
    bare.chars().count() <= MAX_HEADER_CHARS && set.is_match(bare)
}

fn is_quote_line(trimmed: &str) -> bool {
    trimmed.starts_with('>')
        || ODD_QUOTE_PREFIX.is_match(trimmed)
        // "| quoted", but not a table row "| a | b |".
        || trimmed.starts_with('|') && !trimmed[1..].contains('|')
}

fn is_mobile_signature(trimmed: &str) -> bool {
    let bare = trimmed
        .trim_start_matches(['(', '<', '['])
        .trim_end_matches([')', '>', ']'])
        .trim();
    bare.chars().count() <= MAX_SIGNATURE_CHARS && MOBILE_SIGNATURE.is_match(bare)
}

/// The field name of an Outlook header line, lower-cased.
fn field_name(trimmed: &str) -> Option<String> {
    let caps = FIELD.captures(trimmed)?;
    let name = caps.get(1)?.as_str().to_lowercase();
    Some(name.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Gives every line its [`Kind`].
fn classify(lines: &[Line]) -> Vec<Kind> {
    let mut kinds = Vec::with_capacity(lines.len());
    let mut in_code = false;
    for line in lines {
        let t = line.text.trim();
        // Inside a fenced code block, `#` and `---` are code, not delimiters.
        let is_fence = t.starts_with("```");
        let kind = if t.is_empty() {
            Kind::Empty
        } else if in_code || is_fence {
            Kind::Text
        } else {
            classify_line(t)
        };
        if is_fence {
            in_code = !in_code;
        }
        kinds.push(kind);
    }
    confirm_field_blocks(lines, &mut kinds);
    confirm_mobile_signatures(&mut kinds);
    kinds
}

fn classify_line(t: &str) -> Kind {
    if is_quote_line(t) {
        if is_quote_header(unquote(t)) {
            Kind::QuotedHeader
        } else {
            Kind::Quote
        }
    } else if MARKER.is_match(t) {
        Kind::Marker
    } else if is_quote_header(t) {
        Kind::QuoteHeader
    } else if DELIMITER.is_match(t) {
        Kind::Delimiter
    } else if is_mobile_signature(t) {
        Kind::MobileSig
    } else if FIELD.is_match(t) {
        Kind::Field
    } else {
        Kind::Text
    }
}

/// A lone "To: …" or "Perihal: …" line is the sender's own words; only a block
/// of at least three fields naming a sender and a date is an embedded mail.
/// A value may wrap onto a line of its own ("Subject: a long\nsubject").
fn confirm_field_blocks(lines: &[Line], kinds: &mut [Kind]) {
    let mut i = 0;
    while i < kinds.len() {
        if kinds[i] != Kind::Field {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut names = Vec::new();
        while j < kinds.len() {
            if kinds[j] == Kind::Field {
                names.extend(field_name(lines[j].text.trim()));
                j += 1;
            } else if kinds[j] == Kind::Text && kinds.get(j + 1) == Some(&Kind::Field) {
                j += 1;
            } else {
                break;
            }
        }
        let has = |set: &[&str]| names.iter().any(|n| set.contains(&n.as_str()));
        let block = names.len() >= 3 && has(FROM_FIELDS) && has(DATE_FIELDS);
        for kind in &mut kinds[i..j] {
            *kind = if block { Kind::Field } else { Kind::Text };
        }
        i = j;
    }
}

/// A mobile signature is the last thing the sender typed: if text of theirs
/// follows it, the line was a sentence ("Sent via courier yesterday"). Text
/// under a "-- " delimiter is signature, not theirs.
fn confirm_mobile_signatures(kinds: &mut [Kind]) {
    // Walking backwards, `next` is the kind of the nearest following line that
    // is neither blank nor another mobile signature.
    let mut next = None;
    for kind in kinds.iter_mut().rev() {
        match *kind {
            Kind::Empty => {}
            Kind::MobileSig if next == Some(Kind::Text) => *kind = Kind::Text,
            Kind::MobileSig => {}
            k => next = Some(k),
        }
        if *kind == Kind::Text {
            next = Some(Kind::Text);
        }
    }
}

/// Which lines make the reply. The rules run in order, each on what the
/// previous ones kept.
fn decide(kinds: &[Kind]) -> Vec<bool> {
    let mut keep = vec![true; kinds.len()];
    cut_at_signature(kinds, &mut keep);
    drop_leading_quoted_mail(kinds, &mut keep);
    cut_at_embedded_mail(kinds, &mut keep);
    drop_trailing_quote(kinds, &mut keep);
    keep
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
fn drop_leading_quoted_mail(kinds: &[Kind], keep: &mut [bool]) {
    let mut cursor = 0;
    loop {
        let next = kept_from(keep, cursor).find(|&i| kinds[i] != Kind::Empty);
        let Some(first) = next else {
            return;
        };
        match kinds[first] {
            Kind::QuoteHeader => keep[first] = false,
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
            _ => return,
        }
        drop_quote_block(kinds, keep, first);
        cursor = first + 1;
    }
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
/// reply, together with the blank lines before it. The exception is a quote
/// header whose quote is answered inline, where only the header goes.
fn cut_at_embedded_mail(kinds: &[Kind], keep: &mut [bool]) {
    // Dropping inline headers never changes where the content starts.
    let Some(content) = first_content(kinds, keep) else {
        return;
    };
    for i in content + 1..kinds.len() {
        if !keep[i] || !kinds[i].opens_embedded_mail() {
            continue;
        }
        if kinds[i] == Kind::QuoteHeader && answers_inline(kinds, keep, i) {
            keep[i] = false;
        } else {
            let start = (0..i)
                .rev()
                .find(|&j| keep[j] && kinds[j] != Kind::Empty)
                .map_or(0, |j| j + 1);
            keep[start..].fill(false);
            return;
        }
    }
}

/// Whether the quote under the header at `header` is answered inline: the
/// sender's text follows the quote and is itself followed by more quote, or
/// is too long to be a footer.
fn answers_inline(kinds: &[Kind], keep: &[bool], header: usize) -> bool {
    let mut rest = kept_from(keep, header + 1)
        .map(|i| kinds[i])
        .filter(|&k| k != Kind::Empty)
        .peekable();
    if !rest.peek().is_some_and(|k| k.is_quote()) {
        return false;
    }
    let mut text_lines = 0;
    for kind in rest.skip_while(|k| k.is_quote()) {
        match kind {
            Kind::Text => text_lines += 1,
            k if k.is_quote() => return text_lines > 0,
            _ => break,
        }
    }
    text_lines >= MIN_INLINE_ANSWER_LINES
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
        .take_while(|&i| kinds[i].is_quote() || kinds[i] == Kind::Empty)
        .collect();
    if tail.iter().any(|&i| kinds[i].is_quote()) {
        for i in tail {
            keep[i] = false;
        }
    }
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

/// Set-aside quotes get the one standard `>` marker, whatever the client used.
fn elided_form(text: &str, kind: Kind) -> String {
    if !kind.is_quote() {
        return text.to_string();
    }
    let start = text.len() - text.trim_start().len();
    let (indent, t) = text.split_at(start);
    if let Some(rest) = t.strip_prefix('|') {
        format!("{indent}>{rest}")
    } else if let (true, Some(gt)) = (ODD_QUOTE_PREFIX.is_match(t), t.find('>')) {
        format!("{indent}{}", &t[gt..])
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reply(text: &str) -> String {
        trim(text).reply
    }

    #[test]
    fn empty_input_gives_empty_parts() {
        assert_eq!(trim(""), Trimmed::default());
        assert_eq!(trim(" \r\n\n\t"), Trimmed::default());
    }

    #[test]
    fn plain_text_is_kept_whole_with_lf_endings() {
        let t = trim("Halo,\r\nlaptop saya mati.\rTolong dicek.\r\n");
        assert_eq!(t.reply, "Halo,\nlaptop saya mati.\nTolong dicek.");
        assert_eq!(t.elided, "");
    }

    #[test]
    fn indonesian_gmail_header_and_quote_are_elided() {
        let t = trim(
            "Baik, printer sudah normal lagi. Terima kasih.\n\n\
             Pada Sen, 23 Nov 2026 pukul 10.15, Alice Wijaya <alice@corp.test> menulis:\n\n\
             > Printer lantai 3 macet.\n> \n> Salam,\n> Alice\n",
        );
        assert_eq!(t.reply, "Baik, printer sudah normal lagi. Terima kasih.");
        assert!(
            t.elided.starts_with("Pada Sen, 23 Nov 2026 pukul 10.15"),
            "{t:?}"
        );
        assert!(t.elided.ends_with("> Alice"), "{t:?}");
    }

    #[test]
    fn indonesian_gmail_header_wrapped_over_lines_is_rejoined() {
        let t = trim(
            "Sudah bisa login.\n\n\
             Pada Sen, 23 Nov 2026 pukul 10.15, Alice Wijaya <\n\
             alice@corp.test> menulis:\n\n\
             > Coba lagi ya.\n",
        );
        assert_eq!(t.reply, "Sudah bisa login.");
        assert_eq!(
            t.elided,
            "Pada Sen, 23 Nov 2026 pukul 10.15, Alice Wijaya < alice@corp.test> menulis:\n\n> Coba lagi ya."
        );

        let three = trim(
            "Oke.\nPada tanggal Sen, 23 Nov 2026 pukul 10.15\nAlice Wijaya <alice@corp.test>\nmenulis:\n> Halo\n",
        );
        assert_eq!(three.reply, "Oke.");
    }

    #[test]
    fn indonesian_outlook_header_block_cuts_the_rest() {
        let t = trim(
            "Sudah saya coba, masih gagal.\n\n\
             Dari: Posko IT <posko@corp.test>\n\
             Dikirim: Senin, 23 November 2026 10.15\n\
             Kepada: Budi Santoso <budi@corp.test>\n\
             Cc: Tim IT <it@corp.test>\n\
             Perihal: [#42] Laptop tidak bisa login\n\n\
             Halo Budi, silakan restart laptop Anda.\n",
        );
        assert_eq!(t.reply, "Sudah saya coba, masih gagal.");
        assert!(t.elided.starts_with("Dari: Posko IT"), "{t:?}");
        assert!(t.elided.ends_with("silakan restart laptop Anda."), "{t:?}");

        let t = trim(
            "Terlampir screenshot-nya.\n\
             ________________________________\n\
             Dari: Alice <alice@corp.test>\n\
             Tanggal: 23 November 2026 10.15\n\
             Kepada: Posko IT <posko@corp.test>\n\
             Subjek: VPN putus\n\nVPN putus terus.\n",
        );
        assert_eq!(t.reply, "Terlampir screenshot-nya.");
    }

    #[test]
    fn indonesian_original_message_marker_cuts_the_rest() {
        let t = trim(
            "Mohon ditindaklanjuti.\n\n-----Pesan Asli-----\n\
             Dari: Alice\nDikirim: Senin, 23 November 2026 10.15\nKepada: Posko IT\n\
             Perihal: Printer\n\nPrinter macet.\n",
        );
        assert_eq!(t.reply, "Mohon ditindaklanjuti.");
        assert!(t.elided.starts_with("-----Pesan Asli-----"), "{t:?}");
    }

    #[test]
    fn indonesian_mobile_signatures_are_elided() {
        for sig in [
            "Dikirim dari iPhone saya",
            "Dikirim dari Yahoo Mail di Android",
            "Dikirim dari ponsel cerdas Samsung Galaxy saya",
        ] {
            let t = trim(&format!("Siap, terima kasih.\n\n{sig}\n"));
            assert_eq!(t.reply, "Siap, terima kasih.", "{sig}");
            assert_eq!(t.elided, sig);
        }
        let t = trim(
            "Oke sudah jalan.\n\nDikirim dari iPhone saya\n\n\
             Pada 23 Nov 2026, pukul 10.15, Posko IT <posko@corp.test> menulis:\n\n> Halo\n",
        );
        assert_eq!(t.reply, "Oke sudah jalan.");
        assert!(t.elided.starts_with("Dikirim dari iPhone saya"), "{t:?}");
    }

    #[test]
    fn sentences_that_look_like_signatures_are_kept() {
        // Plain Indonesian: "sent from the warehouse yesterday, the goods are damaged".
        let text = "Dikirim dari gudang kemarin, barangnya rusak.\nMohon dicek.";
        assert_eq!(reply(text), text);
        // A "Sent from" sentence followed by more of the sender's text.
        let text = "Sent via courier yesterday.\n\nDid it arrive?";
        assert_eq!(reply(text), text);
        // A lone field-like line is the sender's own words.
        let text = "Perihal: printer lantai 3\nTanggal: kemarin\nMasih macet.";
        assert_eq!(reply(text), text);
    }

    #[test]
    fn mobile_signature_above_a_signature_block_is_elided() {
        let t = trim("Thanks\n\nSent from my iPhone\n-- \nBudi Santoso\nFinance");
        assert_eq!(t.reply, "Thanks");
        assert_eq!(t.elided, "Sent from my iPhone\n-- \nBudi Santoso\nFinance");
        let t = trim("Oke\n\nDapatkan Outlook untuk Android<https://aka.ms/AAb9ysg>\n");
        assert_eq!(t.reply, "Oke");
    }

    #[test]
    fn bottom_posted_answer_under_a_quoted_mail_is_kept() {
        let t = trim(
            "> On Mon, 23 Nov 2026 at 10:15, Posko IT <posko@corp.test> wrote:\n> Tiket [#7]\n\nSudah beres.",
        );
        assert_eq!(t.reply, "Sudah beres.");
        assert!(t.elided.starts_with("> On Mon"));
        // A quote and nothing else is kept: it is all the sender sent.
        assert_eq!(reply("> Printer macet lagi."), "> Printer macet lagi.");
    }

    #[test]
    fn gmail_english_header_wrapped_and_quote_are_elided() {
        let t = trim(
            "Works now, thanks!\n\nOn Mon, Nov 23, 2026 at 10:15 AM Alice Wijaya <\n\
             alice@corp.test> wrote:\n\n> Please restart the VPN client.\n>\n",
        );
        assert_eq!(t.reply, "Works now, thanks!");
        assert!(
            t.elided.starts_with(
                "On Mon, Nov 23, 2026 at 10:15 AM Alice Wijaya < alice@corp.test> wrote:"
            ),
            "{t:?}"
        );
    }

    #[test]
    fn apple_mail_english_header_is_elided() {
        let t = trim(
            "Still broken.\n\nSent from my iPhone\n\n\
             On 23 Nov 2026, at 10:15, Alice <a@b.test> wrote:\n\n> Is it fixed?\n",
        );
        assert_eq!(t.reply, "Still broken.");
        assert!(t.elided.starts_with("Sent from my iPhone"), "{t:?}");
        assert!(
            t.elided
                .contains("On 23 Nov 2026, at 10:15, Alice <a@b.test> wrote:")
        );
    }

    #[test]
    fn outlook_english_forms_are_elided() {
        let t = trim(
            "Approved.\n\n-----Original Message-----\nFrom: Alice <a@b.test>\n\
             Sent: Monday, November 23, 2026 10:15 AM\nTo: IT Desk <desk@b.test>\n\
             Subject: New laptop\n\nCan I get a new laptop?\n",
        );
        assert_eq!(t.reply, "Approved.");
        assert!(t.elided.starts_with("-----Original Message-----"));

        let t = trim(
            "Approved.\r\n\r\n________________________________\r\nFrom: Alice <a@b.test>\r\n\
             Sent: Monday, November 23, 2026 10:15 AM\r\nTo: IT Desk\r\nSubject: New laptop\r\n\r\nBody\r\n",
        );
        assert_eq!(t.reply, "Approved.");
        assert!(
            t.elided
                .starts_with("________________________________\nFrom: Alice")
        );
    }

    #[test]
    fn posko_acknowledgment_quote_below_the_reply_is_elided() {
        let ack = "> Halo Budi,\n>\n> Laporan Anda sudah kami terima dengan nomor tiket [#1234].\n\
                   > Balas email ini untuk menambahkan informasi.\n>\n> -- \n> Posko IT\n";
        // Client that quotes without a header.
        let t = trim(&format!("Ini foto layarnya.\n\n{ack}"));
        assert_eq!(t.reply, "Ini foto layarnya.");
        assert!(t.elided.starts_with("> Halo Budi,") && t.elided.ends_with("> Posko IT"));
        // Gmail with its Indonesian header.
        let t = trim(&format!(
            "Ini foto layarnya.\n\nPada Sen, 23 Nov 2026 pukul 10.15 Posko IT <posko@corp.test> menulis:\n\n{ack}"
        ));
        assert_eq!(t.reply, "Ini foto layarnya.");
        assert!(t.elided.starts_with("Pada Sen"));
    }

    #[test]
    fn inline_answers_between_quotes_are_kept() {
        let text = "Answers below.\n\
                    On Mon, Nov 23, 2026 at 10:15 AM Posko IT <posko@corp.test> wrote:\n\
                    > Which floor?\n\nThird floor.\n\n> Which printer?\n\nThe HP one.\n\n> Thanks\n";
        let t = trim(text);
        assert_eq!(
            t.reply,
            "Answers below.\n> Which floor?\n\nThird floor.\n\n> Which printer?\n\nThe HP one."
        );
        assert_eq!(
            t.elided,
            "On Mon, Nov 23, 2026 at 10:15 AM Posko IT <posko@corp.test> wrote:\n\n> Thanks"
        );
    }

    #[test]
    fn forward_without_comment_keeps_the_forwarded_text() {
        let t = trim(
            "---------- Pesan terusan ---------\nDari: Alice <a@b.test>\n\
             Tanggal: Sen, 23 Nov 2026 pukul 10.15\nSubjek: Printer\nKepada: <budi@b.test>\n\n\
             Printer lantai 3 macet.\n",
        );
        assert_eq!(t.reply, "Printer lantai 3 macet.");
        assert!(t.elided.starts_with("---------- Pesan terusan"));
    }

    #[test]
    fn code_blocks_are_not_delimiters() {
        let text = "Log:\n```\n---\n####\n```\nDone.";
        assert_eq!(reply(text), text);
    }

    #[test]
    fn hostile_input_trims_quickly() {
        let mut text = String::from("Hi\n");
        for i in 0..20_000 {
            text.push_str(&format!(
                "On {i} Alice <a@b\n> wrote:\n--\nSent from my phone\nFrom: x\n"
            ));
        }
        let started = std::time::Instant::now();
        let t = trim(&text);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(t.reply, "Hi");
    }

    /// Lines that mail clients write, to build mail-like inputs from.
    fn mail_line() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z ,.]{0,30}",
            "> [a-z ]{0,20}",
            Just(String::new()),
            Just("-- ".to_string()),
            Just("Sent from my iPhone".to_string()),
            Just("Dikirim dari iPhone saya".to_string()),
            Just("On Mon, 23 Nov 2026 at 10:15, Alice <a@b.test> wrote:".to_string()),
            Just("Pada Sen, 23 Nov 2026 pukul 10.15, Alice <".to_string()),
            Just("a@b.test> menulis:".to_string()),
            Just("Dari: Alice".to_string()),
            Just("Dikirim: Senin".to_string()),
            Just("Kepada: Budi".to_string()),
            Just("-----Pesan Asli-----".to_string()),
            Just("```".to_string()),
            Just("| quoted".to_string()),
        ]
    }

    fn check_reply_lines_come_from_input(input: &str) -> Result<(), TestCaseError> {
        let t = trim(input);
        prop_assert_eq!(t.reply.trim(), t.reply.as_str());
        prop_assert_eq!(t.elided.trim(), t.elided.as_str());
        for line in t.reply.lines().filter(|l| !l.trim().is_empty()) {
            prop_assert!(input.contains(line), "reply line {:?} not in input", line);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn arbitrary_strings_never_panic(input in any::<String>()) {
            check_reply_lines_come_from_input(&input)?;
        }

        #[test]
        fn mail_like_inputs_keep_only_input_lines(
            lines in prop::collection::vec(mail_line(), 0..40),
            ending in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        ) {
            check_reply_lines_come_from_input(&lines.join(ending))?;
        }
    }
}
