//! Recognisers for single lines a mail client writes around a quote: quote
//! headers ("On … wrote:", "23.11.2026, 10:15, X <x@y>:"), original and
//! forward markers, Outlook header fields, signature rules and mobile
//! signatures.
//!
//! Structure first, language second: a quote header is found by its shape
//! (a date, a name or an address, a trailing colon) and the verb tables of
//! `phrases.rs` only decide how sure we are. Everything here looks at one
//! line (a wrapped header already re-joined by `lines.rs`); what a line
//! means in its context is decided in `classify.rs`. The regexes are built
//! once from the tables, all from the `regex` crate, so matching is linear
//! in the line whatever the input.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use super::phrases;

/// Headers longer than this are paragraphs that happen to match.
pub(super) const MAX_HEADER_CHARS: usize = 300;

/// A header with neither a date nor an address ("Budi wrote:") is short.
const MAX_WEAK_HEADER_CHARS: usize = 80;

/// The longest marker phrase standing alone without dashes ("Original
/// Message", as BlackBerry writes it).
const MAX_BARE_MARKER_CHARS: usize = 40;

/// Mobile signatures are short; a long line starting "Sent from" is a sentence.
const MAX_SIGNATURE_CHARS: usize = 100;

/// How sure a recogniser is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Strength {
    /// On its own: a date and an address or a known verb.
    Strong,
    /// Only with confirmation from the lines around it (a quote under it).
    Weak,
}

/// Which part of an Outlook-style header block a field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FieldRole {
    From,
    Date,
    Other,
}

/// `a|b|c` of the escaped words, longest first.
fn alternation(words: &[&str]) -> String {
    let mut words: Vec<&str> = words.to_vec();
    words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    words
        .iter()
        .map(|w| regex::escape(w).replace(' ', r"\s+"))
        .collect::<Vec<_>>()
        .join("|")
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("reply_trim pattern {pattern:?}: {e}"))
}

/// Header forms known by their opening, kept from the first trimmer: they
/// are what the Discourse corpus holds.
static OPENED_HEADER: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        // English and Indonesian, with or without the colon.
        r"(?i)^(on|at|pada)\s.*\d.*\s(wrote|menulis)\s*:?$",
        r"^(在|於|于).*(写道|寫道)\s*[:：]$",
        // Gmail's numeric forms: "2016-03-03 17:21 GMT+01:00 Some One" and
        // "2013/7/20 Some One <a@b>".
        r"(?i)^\d{4}[-/]\d{1,2}[-/]\d{1,2}\s+\d{1,2}:\d{2}\s+GMT[+-]\d{1,2}:?\d{2}(\s.*)?$",
        r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}\s.*<[^<>\s]+@[^<>\s]+>:?$",
    ])
    .expect("opened header patterns compile")
});

/// "… menulis:", "… a écrit :", "… napisał(a):".
static VERB_AT_END: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r#"(?i)(?:^|[\s,.;)>\]"'”»])(?:{})\s*[:：]$"#,
        alternation(phrases::VERBS_AT_END)
    ))
});

/// "… 10:15写道：", "…님이 작성:".
static VERB_CJK: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?:{})\s*[:：]$",
        alternation(phrases::VERBS_CJK)
    ))
});

/// "Am … um 10:15 schrieb Posko IT <…>:".
static VERB_BEFORE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?i)(?:^|\s)(?:{})\s+\S.*[:：]$",
        alternation(phrases::VERBS_BEFORE_NAME)
    ))
});

/// An address right before the closing colon: "… Posko IT <it@corp.test>:",
/// "… (<it@corp.test>):", "… it@corp.test:". With a date before it, this
/// is the verbless header of Russian Gmail, Yandex, mail.ru and Japanese
/// Gmail.
static ADDRESS_AT_END: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"(?:<[^<>\s]+@[^<>\s]+>|\(<?[^()<>\s]+@[^()<>\s]+>?\)|[^\s<>()"]+@[^\s<>()"]+\.[^\s<>():：]+)["']?\s*[:：]$"#,
    )
});

/// Words a header may start with, so a wrapped one is re-joined from its
/// first line: "On", "Pada", "Le", "Am", "Op", "Il giorno", "El", "Em",
/// "Den", "Dne", "W dniu", "Dnia", "В", "Vào", "Il", and a weekday or a
/// date (any digit).
static OPENER: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(?:on|at|pada|le|am|op|il|el|em|den|dne|w\s+dniu|dnia|в|vào|în|på|\d|(?:sen|sel|rab|kam|jum|sab|min|mon|tue|wed|thu|fri|sat|sun|lun|mar|mer|jeu|ven|sam|dim|mo|di|mi|do|fr|sa|so|ma|pon|wt|śr|czw|pt|пн|вт|ср|чт|пт|сб|вс|понедельник|вторник|среда|четверг|пятница|суббота|воскресенье)[\s.,])",
    )
});

static TIME_COLON: LazyLock<Regex> = LazyLock::new(|| regex(r"\d{1,2}:\d{2}"));

/// "10.15" as Indonesian and Danish clients write the time, but not the
/// "23.11" of "23.11.2026".
static TIME_DOT: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?:^|[^\d.])\d{1,2}\.\d{2}(?:$|[^\d.]|\.(?:$|\D))"));

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?:^|\D)(?:19|20)\d{2}(?:\D|$)|\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d+\s*[年月日]")
});

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| regex(r"[^\s<>()@:]+@[^\s<>()@]+\.[^\s<>()@]+"));

/// Whether `line` holds a clock time.
pub(super) fn has_time(line: &str) -> bool {
    TIME_COLON.is_match(line) || TIME_DOT.is_match(line)
}

/// Whether `line` holds a date: a year, "23.11.2026", "2026年11月23日".
pub(super) fn has_date(line: &str) -> bool {
    DATE.is_match(line)
}

fn has_date_or_time(line: &str) -> bool {
    has_time(line) || has_date(line)
}

/// Whether `line` holds something shaped like a mail address.
pub(super) fn has_address(line: &str) -> bool {
    line.contains('@') && ADDRESS.is_match(line)
}

/// `line` as a header would be matched: without surrounding dashes, stars
/// and whitespace, and with the spaces a re-joined wrap left inside `<…>`
/// removed.
fn bare(line: &str) -> Cow<'_, str> {
    let t = line.trim().trim_matches(|c| c == '-' || c == '*').trim();
    if t.contains("< ") || t.contains(" >") {
        Cow::Owned(t.replace("< ", "<").replace(" >", ">"))
    } else {
        Cow::Borrowed(t)
    }
}

/// Whether (unquoted) `line` is a quote header, and how sure that is.
pub(super) fn quote_header(line: &str) -> Option<Strength> {
    let t = bare(line);
    // Most lines are text: without a colon at the end, only the opened
    // forms ("On … wrote", "2016-03-03 17:21 GMT+01:00 …") can match.
    let opened = t.starts_with(|c: char| c.is_ascii_digit() || "OoAaPp在於于".contains(c));
    if !opened && !t.ends_with([':', '：']) {
        return None;
    }
    let chars = t.chars().count();
    if chars == 0 || chars > MAX_HEADER_CHARS {
        return None;
    }
    if opened && OPENED_HEADER.is_match(&t) {
        return Some(Strength::Strong);
    }
    if !t.ends_with([':', '：']) {
        return None;
    }
    let dated = has_date_or_time(&t);
    let addressed = has_address(&t);
    let sure = |strong: bool| {
        if strong {
            Some(Strength::Strong)
        } else if chars <= MAX_WEAK_HEADER_CHARS {
            Some(Strength::Weak)
        } else {
            None
        }
    };
    if VERB_AT_END.is_match(&t) || VERB_CJK.is_match(&t) {
        return sure(dated || addressed);
    }
    if VERB_BEFORE_NAME.is_match(&t) {
        return sure(dated);
    }
    if ADDRESS_AT_END.is_match(&t) && dated {
        return Some(Strength::Strong);
    }
    // "23.11.2026 10:15, Posko IT:": a date, a time and a name.
    if t.starts_with(|c: char| c.is_ascii_digit()) && has_time(&t) {
        return sure(false);
    }
    None
}

/// Whether a re-joined header starts where a header starts, so the longer
/// wrap that begins with "Pada …" wins over a shorter one that only ends
/// like a header.
pub(super) fn opens_like_header(line: &str) -> bool {
    OPENER.is_match(&bare(line))
}

/// The phrases of [`phrases::ORIGINAL_MARKERS`] and
/// [`phrases::FORWARD_MARKERS`], for exact lookup.
static MARKER_PHRASES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    phrases::ORIGINAL_MARKERS
        .iter()
        .chain(phrases::FORWARD_MARKERS)
        .copied()
        .collect()
});

static INTRO_PHRASES: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| phrases::FORWARD_INTROS.iter().copied().collect());

/// Whether `line` (trimmed) announces an embedded original or forwarded mail:
/// "-----Pesan Asli-----", "---------- Forwarded message ---------",
/// "Begin forwarded message:", BlackBerry's bare "Original Message",
/// Lotus' "----- Forwarded by Budi/CORP on … -----".
pub(super) fn is_marker(line: &str) -> bool {
    let framed = line.starts_with(['-', '_', '=', '*']);
    // A marker is framed, ends with a colon, or is a short phrase alone.
    let colon = line.ends_with([':', '：']);
    let n = line.chars().count();
    if n > MAX_HEADER_CHARS || !(framed || colon || n <= MAX_BARE_MARKER_CHARS) {
        return false;
    }
    let core = line
        .trim_matches(|c: char| c.is_whitespace() || "-_=*".contains(c))
        .to_lowercase();
    let core = core.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(intro) = core.strip_suffix(':').or_else(|| core.strip_suffix('：')) {
        return INTRO_PHRASES.contains(intro.trim_end());
    }
    MARKER_PHRASES.contains(core.as_str()) || (framed && core.starts_with("forwarded by "))
}

/// "From: …", "*Sent:* …", "Dikirim: …", "De : …", "件名：…".
static FIELD: LazyLock<Regex> = LazyLock::new(|| {
    let names = alternation(
        &[
            phrases::FROM_FIELDS,
            phrases::DATE_FIELDS,
            phrases::OTHER_FIELDS,
        ]
        .concat(),
    );
    regex(&format!(
        r"(?i)^\*{{0,2}}({names})\s*(?::\*{{0,2}}(?:\s(?P<v1>.*))?|：(?P<v2>.*))$"
    ))
});

static FROM_NAMES: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| phrases::FROM_FIELDS.iter().copied().collect());
static DATE_NAMES: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| phrases::DATE_FIELDS.iter().copied().collect());

/// Whether `line` reads as an Outlook header line ("Dari: …").
pub(super) fn is_field(line: &str) -> bool {
    FIELD.is_match(line)
}

/// The role and value of an Outlook header line, or `None`.
pub(super) fn field(line: &str) -> Option<(FieldRole, &str)> {
    let caps = FIELD.captures(line)?;
    let name = caps.get(1)?.as_str().to_lowercase();
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let value = caps
        .name("v1")
        .or_else(|| caps.name("v2"))
        .map_or("", |m| m.as_str().trim());
    let role = if FROM_NAMES.contains(name.as_str()) {
        FieldRole::From
    } else if DATE_NAMES.contains(name.as_str()) {
        FieldRole::Date
    } else {
        FieldRole::Other
    };
    Some((role, value))
}

/// "-- " (RFC 3676), a bare "--", and the lone U+1427 Gmail leaves.
pub(super) fn is_signature_delimiter(trimmed: &str) -> bool {
    matches!(trimmed, "--" | "ᐧ")
}

/// A rule: `______`, `-----`, `=====`, `****`, a drawn `──────`. It may
/// open a signature, or sit inside the text (a table, a Markdown heading):
/// `classify.rs` decides from what follows.
pub(super) fn is_rule(trimmed: &str) -> bool {
    trimmed.chars().count() >= 2
        && trimmed
            .chars()
            .all(|c| "-_=*~#+─━—".contains(c) || c == ' ')
        && trimmed.chars().filter(|c| *c != ' ').count() >= 2
}

/// "Sent from my iPhone" and its cousins, as a regex per form. Matched
/// against a trimmed line without surrounding `(`, `<`, `[`.
static MOBILE_SIGNATURE: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        r"(?i)^(sent|envoyé|enviado|inviato|enviada|sendt|skickat|verzonden|verstuurd|gesendet|dihantar|gửi)\s+(from|with|via|using|by|depuis|de|avec|desde|do|da|dal|con|fra|från|frå|met|vanaf|van|von|mit|dari|từ|par)\s.+$",
        r"(?i)^(get|download|dapatkan|unduh|obtenir|holen\s+sie\s+sich|scarica|descargar)\s+\[?outlook\s+(for|untuk|pour|für|per|para)\s+(ios|android)",
        r"(?i)^(get|dapatkan)\s+outlook\s+(for|untuk)",
        r"(?i)^from\s+my\s+(iphone|ipad|ipod|android|mobile|phone|smartphone|samsung|galaxy|blackberry|cell)\b",
        r"(?i)^\S+\s+from\s+(my\s+)?(mobile|phone)(\s+device)?\.?$",
        r"(?i)^von\s+meinem\s.+\sgesendet\.?$",
        r"(?i)^diese\s+nachricht\s+wurde\s+(von|mit)\s.+\sgesendet\.?$",
        // Indonesian "dikirim dari …" is also plain speech ("dikirim dari
        // gudang"), so it counts only with a device or app name.
        r"(?i)^dikirim\s+(dari|dengan|melalui|via|menggunakan)\s.*\b(iphone|ipad|android|yahoo|samsung|galaxy|ponsel|perangkat|seluler|outlook|gmail|mail|hp|smartphone|blackberry|xiaomi|redmi|oppo|vivo|huawei|realme|tablet)\b",
        r"(?i)^(отправлено|отправлено\s+из|отправлено\s+с)\s.+$",
        r"(?i)^(wysłane|wysłano)\s+(z|ze)\s.+$",
        r"(?i)^\S+(['’]?(dan|den|umdan|imden|ümden))\s+gönderildi\.?$",
        r"^(從我的|从我的|发自我的|發自我的|寄自我的).+$",
        r"^.{1,30}から送信$",
    ])
    .expect("signature patterns compile")
});

/// Words after a comma that still belong to a signature: "Sent from my
/// cell, please excuse any typos."
static APOLOGY: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)(excuse|typo|brevity|maaf|salah\s+ketik|kürze|tippfehler|fautes|erreurs|errores|pardon|scusate)",
    )
});

static DEVICE_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?i)(?:^|[\s(<\[])(?:{})(?:$|[\s.,)>\]'’0-9-])",
        alternation(&[phrases::DEVICES, phrases::POSSESSIVES].concat())
    ))
});

/// Whether `trimmed` is a mobile or app signature, and how sure: strong
/// when it names a device, an app or "my …", weak otherwise ("Sent via
/// courier yesterday" is a sentence unless nothing of the writer follows).
pub(super) fn mobile_signature(trimmed: &str) -> Option<Strength> {
    let bare = trimmed
        .trim_start_matches(['(', '<', '['])
        .trim_end_matches([')', '>', ']'])
        .trim();
    if bare.chars().count() > MAX_SIGNATURE_CHARS || !MOBILE_SIGNATURE.is_match(bare) {
        return None;
    }
    // "Dikirim dari iPhone saya tadi pagi, tapi tidak sampai." is a sentence.
    if let Some((_, after)) = bare.split_once(", ")
        && !APOLOGY.is_match(after)
    {
        return None;
    }
    if DEVICE_WORDS.is_match(bare) || !bare.is_ascii() {
        Some(Strength::Strong)
    } else {
        Some(Strength::Weak)
    }
}

/// Phone numbers, links and addresses: what a signature holds.
static SIGNATURE_SHAPE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)(?:\+|\(0|\b0)\d[\d\s().-]{6,}\d|\b(?:tel|telp|phone|mobile|mob|hp|fax|ext|wa)\b\.?\s*[:.]?\s*\+?\d|https?://|\bwww\.|[^\s@]+@[^\s@]+\.\w+",
    )
});

static SIGNATURE_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?i)(?:^|[^\p{{L}}])(?:{})(?:$|[^\p{{L}}])",
        alternation(phrases::SIGNATURE_WORDS)
    ))
});

/// Whether `line` looks like part of a signature.
pub(super) fn has_signature_clue(line: &str) -> bool {
    SIGNATURE_SHAPE.is_match(line) || SIGNATURE_WORDS.is_match(line)
}

/// html2text's link footnote: "[1]: https://…".
static FOOTNOTE: LazyLock<Regex> = LazyLock::new(|| regex(r"^\[(\d{1,4})\]:\s*\S+$"));

/// The number of a link footnote line, or `None`.
pub(super) fn footnote(trimmed: &str) -> Option<&str> {
    if !trimmed.starts_with('[') {
        return None;
    }
    FOOTNOTE
        .captures(trimmed)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
}

static FOOTNOTE_REF: LazyLock<Regex> = LazyLock::new(|| regex(r"\]\[(\d{1,4})\]"));

/// The footnote numbers a line points at ("[text][3]" → "3").
pub(super) fn footnote_refs(line: &str) -> impl Iterator<Item = &str> {
    FOOTNOTE_REF
        .captures_iter(line)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str())
}

/// `line` without html2text's footnote pointers ("[text][3]" → "[text]").
pub(super) fn without_footnote_refs(line: &str) -> std::borrow::Cow<'_, str> {
    FOOTNOTE_REF.replace_all(line, "]")
}

static INLINE_ANSWER_NOTE: LazyLock<Regex> = LazyLock::new(|| {
    let forms: Vec<String> = phrases::INLINE_ANSWER_NOTES
        .iter()
        .map(|f| format!("(?:{f})"))
        .collect();
    regex(&format!(r"(?i)(?:^|\W)(?:{})", forms.join("|")))
});

/// Whether the sender says their answers are inside the quote.
pub(super) fn announces_inline_answers(line: &str) -> bool {
    INLINE_ANSWER_NOTE.is_match(line)
}

static FORWARD_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?i)^(?:\s*\[[^\]]{{0,80}}\])*\s*(?:{})\s*(?:\[\d+\])?\s*[:：]",
        alternation(phrases::FORWARD_PREFIXES)
    ))
});

/// Whether a subject says the mail is a forward ("Fwd: …", "TRS: …",
/// "[Helpdesk #17] FW: …"). A reply to a forward ("Re: Fwd: …") is not.
pub(super) fn is_forward_subject(subject: &str) -> bool {
    FORWARD_SUBJECT.is_match(subject)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_headers_are_known_by_shape_in_any_language() {
        for line in [
            "Pada Sen, 23 Nov 2026 pukul 10.15 Posko IT <helpdesk@corp.test> menulis:",
            "On Mon, Nov 23, 2026 at 10:15 AM Posko IT <helpdesk@corp.test> wrote:",
            "Le lun. 23 nov. 2026 à 10:15, Posko IT <helpdesk@corp.test> a écrit :",
            "Am Mo., 23. Nov. 2026 um 10:15 Uhr schrieb Posko IT <helpdesk@corp.test>:",
            "Den man. 23. nov. 2026 kl. 10.15 skrev Posko IT <helpdesk@corp.test>:",
            "El lun, 23 nov 2026 a las 10:15, Posko IT (<helpdesk@corp.test>) escribió:",
            // No verb at all: Russian Gmail, Yandex, mail.ru, Japanese Gmail.
            "пн, 23 нояб. 2026 г. в 10:15, Posko IT <helpdesk@corp.test>:",
            "23.11.2026, 10:15, \"Posko IT\" <helpdesk@corp.test>:",
            "Понедельник, 23 ноября 2026, 10:15 +07:00 от Posko IT <helpdesk@corp.test>:",
            "2026年11月23日(月) 10:15 Posko IT <helpdesk@corp.test>:",
            "Posko IT <helpdesk@corp.test> 于2026年11月23日周一 10:15写道：",
            "Posko IT <helpdesk@corp.test> wrote on 23/11/2026 10:15:41:",
            "W dniu 23.11.2026 o 10:15, Posko IT pisze:",
            // Re-joined from a wrap inside the address.
            "23.11.2026, 10:15, Posko IT <helpdesk@corp.test >:",
        ] {
            assert_eq!(quote_header(line), Some(Strength::Strong), "{line}");
        }
        assert_eq!(quote_header("Budi Santoso wrote:"), Some(Strength::Weak));
        assert_eq!(
            quote_header("Pak Bambang kemarin menulis:"),
            Some(Strength::Weak)
        );
        for line in [
            "Mohon dicek sebelum jam 10:00:",
            "Berikut datanya:",
            "I wrote to the vendor on Monday and they replied within an hour, which was good, the details are below in \
             the log that I pasted, hopefully it helps to narrow the problem down further than before:",
        ] {
            assert_eq!(quote_header(line), None, "{line}");
        }
    }

    #[test]
    fn outlook_fields_say_their_role() {
        assert_eq!(field("Dari: Posko IT").map(|f| f.0), Some(FieldRole::From));
        assert_eq!(
            field("Envoyé : lundi 23 novembre 2026 10:15").map(|f| f.0),
            Some(FieldRole::Date)
        );
        assert_eq!(
            field("*Sent:* 2016-01-27"),
            Some((FieldRole::Date, "2016-01-27"))
        );
        assert_eq!(
            field("件名：[Helpdesk #1] 印刷").map(|f| f.0),
            Some(FieldRole::Other)
        );
        assert_eq!(field("Lantai: 3"), None);
    }

    #[test]
    fn markers_original_and_forwarded() {
        for line in [
            "-----Pesan Asli-----",
            "-------- Oprindelig besked --------",
            "---------- Pesan yang diteruskan ---------",
            "Begin forwarded message:",
            "Début du message réexpédié :",
            "----- Forwarded by Budi Santoso/CORP on 23/11/2026 10:15 -----",
            "Original Message",
        ] {
            assert!(is_marker(line), "{line}");
        }
        assert!(!is_marker("the original message was lost"));
        assert!(!is_marker("forwarded by Budi"));
    }

    #[test]
    fn mobile_signatures_and_sentences() {
        assert_eq!(
            mobile_signature("Dikirim dari iPhone saya"),
            Some(Strength::Strong)
        );
        assert_eq!(
            mobile_signature("Get Outlook for Android<https://aka.ms/AAb9ysg>"),
            Some(Strength::Strong)
        );
        assert_eq!(
            mobile_signature("Von meinem iPhone gesendet"),
            Some(Strength::Strong)
        );
        assert_eq!(
            mobile_signature("Sent from my cell, please excuse any typos."),
            Some(Strength::Strong)
        );
        assert_eq!(
            mobile_signature("Sent via courier yesterday."),
            Some(Strength::Weak)
        );
        assert_eq!(
            mobile_signature("Dikirim dari iPhone saya tadi pagi, tapi tidak sampai."),
            None
        );
        assert_eq!(mobile_signature("Dikirim dari gudang kemarin"), None);
    }

    #[test]
    fn forward_subjects() {
        for s in [
            "Fwd: x",
            "FW: x",
            "TRS: x",
            "TR : x",
            "WG: x",
            "[Helpdesk #3] Fwd: x",
            "RV: x",
        ] {
            assert!(is_forward_subject(s), "{s}");
        }
        for s in ["Re: Fwd: x", "Forward planning", "Fwd x", "Balas: x", ""] {
            assert!(!is_forward_subject(s), "{s}");
        }
    }
}
