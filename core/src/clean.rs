//! Text from mail we received, made fit for the headers of mail we send.
//!
//! Names and subjects come from strangers: an encoded word in a display name
//! can carry a line feed (`=?utf-8?q?Mallory=0ABcc:_evil@evil.test?=`), and
//! a header written with it would either let the sender add headers (a Bcc
//! to themselves) or make the MIME builder give up mid-message. Every piece
//! of such text passes through here on its way into a header: control
//! characters (C0 including CR, LF and NUL; DEL; C1) and the Unicode line
//! and paragraph separators become a space, zero-width and bidi formatting
//! characters (which hide or reorder text) are dropped, runs of white space
//! become one, and the length is capped (a header is no place for a
//! megabyte subject). Staff-facing text shows names cleaned the same way
//! ([`crate::display_name::clean`]). No I/O.
//!
//! One more trap: text that *reads* as an RFC 2047 encoded word. A subject
//! that decodes to `=?utf-8?q?a=0ABcc:_x?=` is plain ASCII, so the MIME
//! builder writes it as it is, and the reader's client then decodes it: a
//! line feed again, past every filter above. Cleaning can even make one (a
//! DEL inside an encoded word that the parser left undecoded is dropped,
//! and what is left decodes). So every `=?` in cleaned text becomes `= ?`,
//! which no decoder takes for the start of an encoded word.

/// At most this many characters of a display name go into a header.
pub const MAX_NAME_CHARS: usize = 120;

/// At most this many characters of a subject go into a header.
pub const MAX_SUBJECT_CHARS: usize = 300;

/// Message-IDs longer than this are left out of threading headers.
const MAX_ID_CHARS: usize = 250;

/// Whether `c` may not stand in a header as it is.
fn is_breaking(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// `s` on one line, without control characters or characters that hide
/// or reorder text, at most `max` characters (cut text ends in `…`).
pub fn header_text(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max.saturating_mul(4)));
    let mut count = 0;
    let mut space = false;
    let mut cut = false;
    for c in s.chars() {
        if crate::display_name::is_invisible(c) {
            continue;
        }
        if is_breaking(c) || c.is_whitespace() {
            space = count > 0;
            continue;
        }
        let need = if space { 2 } else { 1 };
        if count + need > max {
            cut = true;
            break;
        }
        if space {
            out.push(' ');
            count += 1;
            space = false;
        }
        out.push(c);
        count += 1;
    }
    if cut {
        // Room for the ellipsis.
        if count >= max {
            out.pop();
        }
        out.truncate(out.trim_end().len());
        out.push('…');
    }
    defuse_encoded_words(out)
}

/// `s` with every `=?` written `= ?`: nothing in it can be decoded as an
/// encoded word by the reader's client (see the module documentation).
fn defuse_encoded_words(s: String) -> String {
    if s.contains("=?") {
        s.replace("=?", "= ?")
    } else {
        s
    }
}

/// A display name for a header, or `None` when nothing of it is left.
pub fn name(s: Option<&str>) -> Option<String> {
    s.map(|n| header_text(n, MAX_NAME_CHARS))
        .filter(|n| !n.is_empty())
}

/// A subject for a header.
pub fn subject(s: &str) -> String {
    header_text(s, MAX_SUBJECT_CHARS)
}

/// A Message-ID (without brackets) fit for `In-Reply-To` / `References`, or
/// `None`: anything but visible ASCII, brackets, or an absurd length, and
/// the id is left out rather than altered (an altered id threads nowhere).
pub fn message_id(id: &str) -> Option<&str> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
    ok.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_separators_become_spaces() {
        assert_eq!(
            header_text("Mallory\nBcc: evil@evil.test", 100),
            "Mallory Bcc: evil@evil.test"
        );
        assert_eq!(header_text("a\r\n\tb\0c\u{7f}d\u{85}e", 100), "a b c d e");
        assert_eq!(header_text("a\u{2028}b\u{2029}c", 100), "a b c");
        assert_eq!(header_text("ad\u{202E}nimda\u{200B}", 100), "adnimda");
        assert_eq!(
            header_text("  \r\n lead and trail \n ", 100),
            "lead and trail"
        );
        for c in (0u32..0x20).chain(0x7f..0xa0).chain([0x2028, 0x2029]) {
            let c = char::from_u32(c).unwrap();
            let out = header_text(&format!("x{c}y"), 100);
            assert!(!out.chars().any(is_breaking), "{c:?} -> {out:?}");
        }
    }

    #[test]
    fn ordinary_text_is_kept() {
        for s in [
            "Alice Wijaya",
            "Ngô Bảo Châu",
            "\"Budi, IT\" <budi@corp.test>",
            "Internet lambat di gedung B 🙁",
        ] {
            assert_eq!(header_text(s, 100), s);
        }
    }

    #[test]
    fn length_is_capped_on_a_character_boundary() {
        let long = "é".repeat(1000);
        let out = header_text(&long, MAX_SUBJECT_CHARS);
        assert_eq!(out.chars().count(), MAX_SUBJECT_CHARS);
        assert!(out.ends_with('…'));
        let words = "ab ".repeat(500);
        let out = header_text(&words, 10);
        assert!(out.chars().count() <= 10, "{out}");
        assert!(out.ends_with('…'));
        assert_eq!(header_text("abc", 3), "abc");
        assert_eq!(header_text("abcd", 3), "ab…");
    }

    #[test]
    fn text_that_reads_as_an_encoded_word_is_defused() {
        assert_eq!(
            header_text("=?utf-8?q?a=0ABcc:_evil@evil.test?=", 100),
            "= ?utf-8?q?a=0ABcc:_evil@evil.test?="
        );
        // A DEL the parser left inside an encoded word: dropping it must
        // not leave a decodable word behind.
        let out = header_text("=?UTF-8?B?DQrooK3p\u{7f}K3lsaTnrqHnkIbogIU=?=", 100);
        assert!(!out.contains("=?"), "{out}");
        assert_eq!(header_text("a=b ?c", 100), "a=b ?c");
    }

    #[test]
    fn names_that_are_only_noise_are_dropped() {
        assert_eq!(name(Some("\r\n\t")), None);
        assert_eq!(name(None), None);
        assert_eq!(name(Some(" Siti ")).as_deref(), Some("Siti"));
    }

    #[test]
    fn message_ids_are_kept_or_left_out_whole() {
        assert_eq!(message_id("abc@mail.corp.test"), Some("abc@mail.corp.test"));
        for bad in ["", "a b@x", "a\r\nBcc: x@y", "<a@b>", "é@x"] {
            assert_eq!(message_id(bad), None, "{bad:?}");
        }
        assert_eq!(message_id(&"a".repeat(300)), None);
    }
}
