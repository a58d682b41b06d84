//! Header values mail-parser could not decode, decoded again.
//!
//! mail-parser reads raw header bytes as UTF-8 and an RFC 2047 encoded word
//! in the charset its label names; whatever fails comes out as U+FFFD, which
//! is how a GBK subject or a Shift_JIS name labelled ISO-2022-JP turns into
//! `������`. For those header fields only, this module goes back to the raw
//! bytes, decodes them with the charset [`charset::guess`] finds, rewrites
//! mislabelled encoded words as UTF-8 ones, and has mail-parser parse the
//! repaired value again: addresses, quoting and folding are then read exactly
//! as in any other field. No I/O; headers that decoded cleanly are untouched.

use std::sync::LazyLock;

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use regex::Regex;

use super::charset;

/// Decodes again, in place, every header field of `msg` (and of messages
/// attached to it) that mail-parser left with U+FFFD in it.
pub fn repair(msg: &mut Message<'_>) {
    if msg.parts.is_empty() {
        return;
    }
    let declared = declared_charsets(msg);
    let broken: Vec<usize> = msg.parts[0]
        .headers
        .iter()
        .enumerate()
        .filter(|(_, h)| has_replacement(&h.value))
        .map(|(i, _)| i)
        .collect();
    if !broken.is_empty() {
        let raw_of = |i: usize| -> &[u8] {
            let h = &msg.parts[0].headers[i];
            msg.raw_message
                .get(h.offset_start as usize..h.offset_end as usize)
                .unwrap_or_default()
        };
        // One message is normally written in one charset: guessing over all
        // its 8-bit fields at once sees more text than a three-character
        // name alone, and the winner is then tried first on each field.
        let sample: Vec<u8> = broken
            .iter()
            .map(|&i| raw_of(i))
            .filter(|raw| std::str::from_utf8(raw).is_err())
            .collect::<Vec<_>>()
            .join(&b'\n');
        let mut hints: Vec<&str> = Vec::new();
        let message_charset = (!sample.is_empty())
            .then(|| charset::guess(&sample, &declared_refs(&declared)))
            .flatten()
            .map(|g| g.charset);
        if let Some(c) = &message_charset {
            hints.push(c);
        }
        hints.extend(declared_refs(&declared));
        let fixed: Vec<(usize, HeaderValue<'static>)> = broken
            .iter()
            .filter_map(|&i| {
                let name = msg.parts[0].headers[i].name.as_str().to_string();
                repair_value(&name, raw_of(i), &hints).map(|v| (i, v))
            })
            .collect();
        for (i, value) in fixed {
            msg.parts[0].headers[i].value = value;
        }
    }
    for part in &mut msg.parts {
        if let PartType::Message(nested) = &mut part.body {
            repair(nested);
        }
    }
}

/// The charsets `msg` declares for its text: the top-level Content-Type's,
/// then the first text part's. Senders that put raw 8-bit bytes in headers
/// usually write them in the charset their client uses for the body.
fn declared_charsets(msg: &Message<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let charset_of = |ct: Option<&mail_parser::ContentType<'_>>| {
        ct.and_then(|ct| ct.attribute("charset"))
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
    };
    if let Some(c) = charset_of(msg.root_part().content_type()) {
        out.push(c);
    }
    let first_text = msg.parts.iter().skip(1).find_map(|p| {
        p.content_type()
            .filter(|ct| ct.ctype().eq_ignore_ascii_case("text"))
            .and_then(|ct| charset_of(Some(ct)))
    });
    if let Some(c) = first_text
        && !out.contains(&c)
    {
        out.push(c);
    }
    out
}

fn declared_refs(declared: &[String]) -> Vec<&str> {
    declared.iter().map(String::as_str).collect()
}

/// Whether mail-parser marked some text of `v` as undecodable.
fn has_replacement(v: &HeaderValue<'_>) -> bool {
    const R: char = '\u{FFFD}';
    match v {
        HeaderValue::Text(t) => t.contains(R),
        HeaderValue::TextList(l) => l.iter().any(|t| t.contains(R)),
        HeaderValue::Address(a) => a.iter().any(|x| {
            x.name().is_some_and(|n| n.contains(R)) || x.address().is_some_and(|n| n.contains(R))
        }),
        _ => false,
    }
}

/// The field `name` with raw value `raw`, decoded with `hints` (charset
/// labels, most trusted first) and parsed again; `None` when nothing better
/// than what mail-parser made of it comes out.
fn repair_value(name: &str, raw: &[u8], hints: &[&str]) -> Option<HeaderValue<'static>> {
    let text = charset::guess(raw, hints)?.text;
    let text = rewrite_encoded_words(&text, hints);
    if text.as_bytes() == raw {
        return None;
    }
    let mut field = format!("{name}:{}", text.trim_end_matches(['\r', '\n']));
    field.push_str("\r\n\r\n");
    let parsed = MessageParser::default().parse(field.as_bytes())?;
    let header = parsed
        .parts
        .into_iter()
        .next()?
        .headers
        .into_iter()
        .next()?;
    let value = header.into_owned().value;
    (!matches!(value, HeaderValue::Empty)).then_some(value)
}

/// `=?charset?B|Q?payload?=`, as RFC 2047 writes an encoded word.
static ENCODED_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=").expect("valid regex"));

/// `text` with each run of encoded words that does not decode in its own
/// charset replaced by one UTF-8 encoded word of what [`charset::guess`]
/// makes of the bytes. Adjacent words of one charset are decoded together:
/// some clients split a multi-byte character across two words.
fn rewrite_encoded_words(text: &str, hints: &[&str]) -> String {
    let words: Vec<Word> = ENCODED_WORD
        .captures_iter(text)
        .filter_map(|c| {
            let whole = c.get(0)?;
            // `charset*language` (RFC 2231): the language is not needed.
            let label = c[1].split('*').next().unwrap_or_default().to_string();
            let payload = c[3].as_bytes();
            let bytes = if c[2].eq_ignore_ascii_case("b") {
                base64_decode(payload)?
            } else {
                let spaced: Vec<u8> = payload
                    .iter()
                    .map(|&b| if b == b'_' { b' ' } else { b })
                    .collect();
                quoted_printable_decode(&spaced)?
            };
            Some(Word {
                start: whole.start(),
                end: whole.end(),
                label,
                bytes,
            })
        })
        .collect();

    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < words.len() {
        // The run: following words of the same charset, with only folding
        // white space between them.
        let mut j = i + 1;
        while j < words.len()
            && words[j].label.eq_ignore_ascii_case(&words[i].label)
            && text[words[j - 1].end..words[j].start]
                .chars()
                .all(char::is_whitespace)
        {
            j += 1;
        }
        let run = &words[i..j];
        i = j;
        if run
            .iter()
            .all(|w| charset::decode_strict(&w.label, &w.bytes).is_some())
        {
            continue;
        }
        let bytes: Vec<u8> = run.iter().flat_map(|w| w.bytes.iter().copied()).collect();
        let label = run[0].label.as_str();
        let decoded = charset::decode_strict(label, &bytes).or_else(|| {
            let mut tried = vec![label];
            tried.extend_from_slice(hints);
            charset::guess(&bytes, &tried).map(|g| g.text)
        });
        if let Some(decoded) = decoded {
            out.push_str(&text[copied..run[0].start]);
            out.push_str(&utf8_word(&decoded));
            copied = run[run.len() - 1].end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

struct Word {
    start: usize,
    end: usize,
    label: String,
    bytes: Vec<u8>,
}

/// `text` as one Q-encoded UTF-8 encoded word. Everything but ASCII letters
/// and digits is escaped, so the word is safe in a phrase, a comment or a
/// quoted string alike.
fn utf8_word(text: &str) -> String {
    let mut w = String::from("=?UTF-8?Q?");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() {
            w.push(b as char);
        } else {
            w.push_str(&format!("={b:02X}"));
        }
    }
    w.push_str("?=");
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &[u8]) -> Message<'_> {
        let mut m = MessageParser::default().parse(raw).unwrap();
        repair(&mut m);
        m
    }

    #[test]
    fn raw_gbk_subject_and_name() {
        let raw = b"From: \"\xce\xe4\xc0\xbc\xb3\xc9\" <a@example.com>\r\n\
Subject: \xd7\xaa\xb7\xa2\xa3\xba\xd5\xfb\xcc\xe5\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\n\r\nbody\r\n";
        let m = parsed(raw);
        assert_eq!(m.subject(), Some("转发：整体"));
        let from = m.from().unwrap().first().unwrap();
        assert_eq!(from.name(), Some("武兰成"));
        assert_eq!(from.address(), Some("a@example.com"));
    }

    #[test]
    fn shift_jis_in_an_iso_2022_jp_encoded_word() {
        // mail093: the word's label says ISO-2022-JP, its bytes are Shift_JIS.
        let raw = b"From: =?ISO-2022-JP?B?g2OBW4OLIEVYQU1QTEU=?= <bar@example.org>\r\n\
Subject: \x83c\x81[\x83\x8b\r\n\r\nbody\r\n";
        let m = parsed(raw);
        assert_eq!(m.subject(), Some("ツール"));
        let from = m.from().unwrap().first().unwrap();
        assert_eq!(from.name(), Some("ツール EXAMPLE"));
        assert_eq!(from.address(), Some("bar@example.org"));
    }

    #[test]
    fn a_character_split_across_two_words() {
        // "ツール" in UTF-8 with the middle character cut in two.
        let raw =
            b"From: a@example.com\r\nSubject: =?UTF-8?B?44OE44M=?= =?UTF-8?B?vOODqw==?=\r\n\r\nx";
        assert_eq!(parsed(raw).subject(), Some("ツール"));
    }

    #[test]
    fn clean_headers_are_left_alone() {
        let raw =
            b"From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.com>\r\nSubject:  two  spaces \r\n\r\nx";
        let untouched = MessageParser::default().parse(raw).unwrap();
        let m = parsed(raw);
        assert_eq!(m.headers(), untouched.headers());
        assert_eq!(m.from().unwrap().first().unwrap().name(), Some("Jürgen"));
    }

    #[test]
    fn rewriting_keeps_good_words_and_text_around() {
        let text = " x =?utf-8?Q?ok?= y =?iso-2022-jp?B?g2OBW4OL?= z";
        assert_eq!(
            rewrite_encoded_words(text, &[]),
            " x =?utf-8?Q?ok?= y =?UTF-8?Q?=E3=83=84=E3=83=BC=E3=83=AB?= z"
        );
        // Not valid base64: left for mail-parser to deal with.
        let bad = "=?utf-8?B?*?=";
        assert_eq!(rewrite_encoded_words(bad, &[]), bad);
    }

    #[test]
    fn nested_messages_are_repaired_too() {
        let raw = b"From: a@example.com\r\nSubject: report\r\n\
Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nsee\r\n\
--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@example.com\r\nSubject: \xd5\xfb\xcc\xe5\r\n\r\ninner\r\n--B--\r\n";
        let m = parsed(raw);
        let inner = m
            .parts
            .iter()
            .find_map(|p| match &p.body {
                PartType::Message(n) => Some(n),
                _ => None,
            })
            .unwrap();
        assert_eq!(inner.subject(), Some("整体"));
    }
}
