//! Which legacy charset a run of header bytes is in, when it is not UTF-8.
//!
//! RFC 5322 headers are ASCII, yet some clients (old Outlook Express and
//! Foxmail in China, Japanese webmail, European clients in Latin-1) write the
//! subject or a display name as raw 8-bit bytes in their local charset, or put
//! such bytes in an RFC 2047 encoded word under the wrong label. Nothing in
//! the header says which charset the bytes are in, so this module guesses:
//! every candidate (what the message declares first, then the charsets such
//! mail is commonly written in) decodes the bytes strictly, and the decoding
//! that reads most like text wins. Pure functions, no I/O; the decoders are
//! mail-parser's own, so labels mean what they mean for message bodies.

use mail_parser::decoders::charsets::map::charset_decoder;

/// Tried after the message's own charsets, in this order; ties go to the
/// earlier one. Shift_JIS comes before GB18030: Japanese kana and kanji
/// decode without error as rare GBK ideographs, but GB2312 text read as
/// Shift_JIS falls apart into half-width katakana and user-defined codes, so
/// the scoring tells GBK text from Shift_JIS and not the other way round.
/// Windows-1252 (a superset of ISO-8859-1 as mail clients use it) is last:
/// it decodes nearly anything, so it must earn its place by the score.
const COMMON: &[&str] = &["shift_jis", "gb18030", "euc-kr", "big5", "windows-1252"];

/// Decodes `bytes` as `label`, or `None` when the label is unknown or some
/// byte sequence is invalid in that charset. mail-parser's decoders replace
/// invalid sequences with U+FFFD, which is how an error shows here.
pub fn decode_strict(label: &str, bytes: &[u8]) -> Option<String> {
    if is_utf8_label(label) {
        return std::str::from_utf8(bytes).ok().map(str::to_string);
    }
    let text = charset_decoder(label.trim().as_bytes())?(bytes);
    (!text.contains('\u{FFFD}')).then_some(text)
}

/// The most plausible reading of `bytes`: UTF-8 when they are valid UTF-8,
/// else the best-scoring candidate among `declared` (charset labels the
/// message itself uses, most trusted first) and [`COMMON`]. `None` when no
/// candidate decodes them cleanly.
pub fn guess(bytes: &[u8], declared: &[&str]) -> Option<Guess> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Some(Guess {
            text: text.to_string(),
            charset: "utf-8".into(),
        });
    }
    let mut best: Option<(f64, Guess)> = None;
    for label in candidates(declared) {
        let Some(text) = decode_strict(&label, bytes) else {
            continue;
        };
        let Some(score) = plausibility(&text) else {
            continue;
        };
        // Strictly greater: on a tie the earlier (more trusted) label stays.
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((
                score,
                Guess {
                    text,
                    charset: label,
                },
            ));
        }
    }
    best.map(|(_, g)| g)
}

/// A decoding [`guess`] settled on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guess {
    pub text: String,
    /// The label that decoded it, usable with [`decode_strict`].
    pub charset: String,
}

fn is_utf8_label(label: &str) -> bool {
    let l = label.trim().to_ascii_lowercase().replace('_', "-");
    matches!(l.as_str(), "utf-8" | "utf8" | "unicode-1-1-utf-8")
}

/// `declared` turned into charsets that can hold 8-bit bytes, then
/// [`COMMON`], without repeats.
fn candidates(declared: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |l: &str| {
        if !out.iter().any(|o| o == l) {
            out.push(l.to_string());
        }
    };
    for label in declared {
        for l in eight_bit_family(label) {
            push(&l);
        }
    }
    for l in COMMON {
        push(l);
    }
    out
}

/// The charsets a sender declaring `label` writes 8-bit header bytes in.
///
/// A 7-bit declaration says nothing about 8-bit bytes, except where a
/// language has a customary 8-bit twin: mail declared ISO-2022-JP carries raw
/// Shift_JIS (or EUC-JP) in its headers, as Japanese clients write it.
/// ASCII, UTF-7 and UTF-16 are no hint at all, and UTF-8 was tried first.
fn eight_bit_family(label: &str) -> Vec<String> {
    let l = label.trim().to_ascii_lowercase().replace('_', "-");
    if l.contains("2022-jp") {
        return vec!["shift_jis".into(), "euc-jp".into()];
    }
    if l.contains("2022-kr") {
        return vec!["euc-kr".into()];
    }
    if l.contains("2022-cn") || l == "hz-gb-2312" {
        return vec!["gb18030".into()];
    }
    let no_hint = is_utf8_label(&l)
        || l.starts_with("utf-7")
        || l.starts_with("utf-16")
        || l.starts_with("utf-32")
        || l.contains("ucs-2")
        || matches!(
            l.as_str(),
            "us-ascii" | "ascii" | "ansi-x3.4-1968" | "iso-646-us" | "646"
        );
    if no_hint || charset_decoder(l.as_bytes()).is_none() {
        return Vec::new();
    }
    vec![l]
}

/// How much `text` reads like text rather than mojibake, from -2 (noise) to
/// 1 (every non-ASCII character sits where real text would put it); `None`
/// when it holds characters no header text has: controls, or private-use
/// code points, which is what unassigned legacy codes decode to.
///
/// The judgement is local, character by character, because headers are too
/// short for frequency statistics:
/// - a CJK character is plausible next to another CJK character (words and
///   names run to two or more), and implausible wedged between ASCII letters,
///   which is what a Latin-1 `für` read as a double-byte charset gives;
/// - a Latin, Greek or Cyrillic letter is plausible next to another letter,
///   and implausible as an uppercase letter right after a lowercase one
///   (`ÕûÌåÌá`, GBK read as Latin-1);
/// - half-width katakana and most Latin-1 symbols (`¤ ³ ¼ ×`) are what
///   double-byte text looks like in a single-byte charset, so they count
///   against; common punctuation is neutral.
fn plausibility(text: &str) -> Option<f64> {
    let chars: Vec<char> = text.chars().collect();
    let (mut good, mut bad, mut total) = (0usize, 0usize, 0usize);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii() {
            if c.is_ascii_control() && !matches!(c, '\t' | '\r' | '\n') {
                return None;
            }
            continue;
        }
        if c.is_control() || ('\u{E000}'..='\u{F8FF}').contains(&c) {
            return None;
        }
        total += 1;
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        match class(c) {
            Class::Cjk => {
                let near_cjk = |x: Option<char>| x.is_some_and(|x| class(x) == Class::Cjk);
                let ascii_word = |x: Option<char>| x.is_some_and(|x| x.is_ascii_alphanumeric());
                if near_cjk(prev) || near_cjk(next) {
                    good += 1;
                } else if ascii_word(prev) && ascii_word(next) {
                    bad += 1;
                }
            }
            Class::Letter => {
                let letter = |x: Option<char>| {
                    x.is_some_and(|x| x.is_alphabetic() && class(x) != Class::Cjk)
                };
                if c.is_uppercase() && prev.is_some_and(char::is_lowercase) {
                    bad += 1;
                } else if letter(prev) || letter(next) {
                    good += 1;
                }
            }
            Class::Punctuation => {}
            Class::Noise => bad += 1,
        }
    }
    if total == 0 {
        return Some(1.0);
    }
    Some((good as f64 - 2.0 * bad as f64) / total as f64)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Han, kana, Hangul and the full-width punctuation that goes with them.
    Cjk,
    /// An alphabetic character of a cased script.
    Letter,
    /// Non-ASCII punctuation ordinary text uses.
    Punctuation,
    /// Anything else: symbols, half-width katakana.
    Noise,
}

fn class(c: char) -> Class {
    match c {
        '\u{3000}'..='\u{303F}' // CJK punctuation
        | '\u{3040}'..='\u{30FF}' // hiragana, katakana
        | '\u{3130}'..='\u{318F}' // Hangul compatibility jamo
        | '\u{3200}'..='\u{33FF}' // enclosed CJK, CJK compatibility
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{AC00}'..='\u{D7AF}' // Hangul syllables
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
        | '\u{FF01}'..='\u{FF60}' // full-width forms
        | '\u{FFE0}'..='\u{FFE6}'
        | '\u{20000}'..='\u{3FFFF}' => Class::Cjk, // CJK extensions B and on
        '\u{FF61}'..='\u{FF9F}' => Class::Noise, // half-width katakana
        // Feminine/masculine ordinals and the micro sign are letters to
        // Unicode, but in a header they are mostly Latin-1 noise.
        'ª' | 'º' | 'µ' => Class::Noise,
        '\u{A0}' | '‘' | '’' | '‚' | '“' | '”' | '„' | '–' | '—' | '…' | '€' | '£' | '°'
        | '«' | '»' | '©' | '®' | '§' | '•' | '™' | '¿' | '¡' => Class::Punctuation,
        c if c.is_alphabetic() => Class::Letter,
        _ => Class::Noise,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn best(bytes: &[u8], declared: &[&str]) -> String {
        guess(bytes, declared)
            .expect("some charset decodes it")
            .text
    }

    #[test]
    fn utf8_is_taken_as_is() {
        let g = guess("Grüße".as_bytes(), &["iso-8859-1"]).unwrap();
        assert_eq!(g.text, "Grüße");
        assert_eq!(g.charset, "utf-8");
    }

    #[test]
    fn gbk_subject_wins_over_a_declared_latin1() {
        // mail046 of the Zammad corpus: GBK bytes in a message whose only
        // declared charset (the spam report's text part) is ISO-8859-1.
        let subject = b"\xd7\xaa\xb7\xa2\xa3\xba\xd5\xfb\xcc\xe5\xcc\xe1\xc9\xfd\xc6\xf3\xd2\xb5\xb7\xfe\xce\xf1\xcb\xae\xc6\xbd";
        assert_eq!(best(subject, &["iso-8859-1"]), "转发：整体提升企业服务水平");
        assert_eq!(best(b"\xce\xe4\xc0\xbc\xb3\xc9", &[]), "武兰成");
    }

    #[test]
    fn shift_jis_under_an_iso_2022_jp_declaration() {
        // mail093: raw Shift_JIS subject, body declared ISO-2022-JP.
        assert_eq!(best(b"\x83c\x81[\x83\x8b", &["iso-2022-jp"]), "ツール");
        // Without any declaration the kana still read as Shift_JIS.
        assert_eq!(best(b"\x83c\x81[\x83\x8b", &[]), "ツール");
    }

    #[test]
    fn latin1_stays_latin1() {
        assert_eq!(
            best(b"Gr\xfc\xdfe aus M\xfcnchen", &[]),
            "Grüße aus München"
        );
        assert_eq!(best(b"Ger\xe4t defekt", &[]), "Gerät defekt");
        assert_eq!(
            best(b"Personal\xe4nderung", &["iso-8859-1"]),
            "Personaländerung"
        );
        assert_eq!(best(b"caf\xe9", &[]), "café");
        // GB18030 reads `\xfcn` as one ideograph (U+24982) inside the word.
        assert_eq!(
            best(b"k.g\xfcnther@example.com", &[]),
            "k.günther@example.com"
        );
    }

    #[test]
    fn declared_charset_wins_a_tie() {
        // "Привет" in Windows-1251 also decodes as three GBK ideographs;
        // the declaration decides.
        let bytes = b"\xcf\xf0\xe8\xe2\xe5\xf2";
        assert_eq!(best(bytes, &["windows-1251"]), "Привет");
        assert_eq!(best(b"\xc7\xd1\xb1\xb9\xbe\xee", &["euc-kr"]), "한국어");
    }

    #[test]
    fn seven_bit_and_unknown_declarations_are_no_hint() {
        assert!(
            candidates(&["us-ascii", "utf-7", "x-unknown"])
                .iter()
                .eq(COMMON.iter())
        );
        assert_eq!(candidates(&["ISO-2022-JP"])[..2], ["shift_jis", "euc-jp"]);
    }

    #[test]
    fn strict_decoding_refuses_invalid_sequences() {
        assert_eq!(
            decode_strict("shift_jis", b"\x83c\x81[\x83\x8b").unwrap(),
            "ツール"
        );
        // ISO-2022-JP is 7-bit: 8-bit bytes are an error, not text.
        assert!(decode_strict("iso-2022-jp", b"\x83c\x81[").is_none());
        assert!(decode_strict("utf-8", b"\xff").is_none());
        assert!(decode_strict("no-such-charset", b"abc").is_none());
        // A GBK lead byte with nothing after it.
        assert!(decode_strict("gb18030", b"abc\xd7").is_none());
    }

    #[test]
    fn controls_and_private_use_disqualify() {
        assert_eq!(plausibility("a\u{1}b"), None);
        assert_eq!(plausibility("a\u{E000}b"), None);
        assert_eq!(plausibility("plain"), Some(1.0));
    }
}
