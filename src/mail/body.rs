//! The bodies of outgoing mail, encoded here in one pass.
//!
//! lettre makes a text body's line endings CRLF by inserting a `\r` before
//! each line feed, one `String::insert` at a time: every insert moves the
//! rest of the body, so the cost grows with the square of its size (a 40 MB
//! body took minutes). So posko normalises the line endings itself, chooses
//! the transfer encoding (7bit for short ASCII lines, else
//! quoted-printable) and encodes, in time linear in the body, and hands
//! lettre the finished bytes. No I/O.

use lettre::message::header::ContentTransferEncoding;

/// Lines longer than this are never sent as they are (RFC 5322 §2.1.1).
const MAX_LINE: usize = 998;

/// At most this many characters before a quoted-printable soft break (the
/// `=` makes 76, RFC 2045 §6.7 rule 5).
const QP_WIDTH: usize = 75;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// `text` with CRLF line endings, encoded for a MIME body, and its encoding.
pub fn encode(text: &str) -> (Vec<u8>, ContentTransferEncoding) {
    let bytes = text.as_bytes();
    if fits_7bit(bytes) {
        let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32 + 2);
        join_lines(bytes, &mut out, |line, out| out.extend_from_slice(line));
        (out, ContentTransferEncoding::SevenBit)
    } else {
        let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 4 + 16);
        join_lines(bytes, &mut out, quoted_printable_line);
        (out, ContentTransferEncoding::QuotedPrintable)
    }
}

/// ASCII without NUL or stray control characters, in lines of at most
/// [`MAX_LINE`] bytes: sendable as it is.
fn fits_7bit(bytes: &[u8]) -> bool {
    // Every byte is checked without a branch, a block at a time (the
    // compiler makes that a few vector instructions per block), and the
    // line breaks are found with `memchr`: a byte-at-a-time loop cost
    // several instructions per byte of every mail.
    let allowed =
        |b: u8| (b == b'\t') | (b == b'\r') | (b == b'\n') | (b.wrapping_sub(0x20) < 0x5f);
    let clean = bytes
        .chunks(64)
        .all(|block| block.iter().fold(true, |ok, &b| ok & allowed(b)));
    if !clean {
        return false;
    }
    let mut start = 0;
    for pos in memchr::memchr2_iter(b'\r', b'\n', bytes) {
        if pos - start > MAX_LINE {
            return false;
        }
        start = pos + 1;
    }
    bytes.len() - start <= MAX_LINE
}

/// Calls `line` for each line of `bytes` (split at CRLF, LF or a lone CR),
/// writing CRLF between them.
fn join_lines(bytes: &[u8], out: &mut Vec<u8>, mut line: impl FnMut(&[u8], &mut Vec<u8>)) {
    let mut start = 0;
    for pos in memchr::memchr2_iter(b'\r', b'\n', bytes) {
        // The LF of a CRLF, already taken with its CR.
        if pos < start {
            continue;
        }
        line(&bytes[start..pos], out);
        out.extend_from_slice(b"\r\n");
        start = if bytes[pos] == b'\r' && bytes.get(pos + 1) == Some(&b'\n') {
            pos + 2
        } else {
            pos + 1
        };
    }
    line(&bytes[start..], out);
}

/// One line, quoted-printable (RFC 2045 §6.7): printable ASCII but `=` as
/// it is, everything else as `=XX`, a space or tab at the end of the line
/// encoded, and soft breaks keeping encoded lines within 76 characters.
fn quoted_printable_line(line: &[u8], out: &mut Vec<u8>) {
    let mut col = 0;
    for (i, &b) in line.iter().enumerate() {
        let last = i + 1 == line.len();
        let literal = match b {
            b' ' | b'\t' => !last,
            b'=' => false,
            0x21..=0x7e => true,
            _ => false,
        };
        let width = if literal { 1 } else { 3 };
        if col + width > QP_WIDTH {
            out.extend_from_slice(b"=\r\n");
            col = 0;
        }
        if literal {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'=', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
        }
        col += width;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes quoted-printable the way a mail client does, for the tests.
    fn qp_decode(enc: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < enc.len() {
            if enc[i] == b'=' {
                if enc[i + 1..].starts_with(b"\r\n") {
                    i += 3;
                    continue;
                }
                let hex = std::str::from_utf8(&enc[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(enc[i]);
                i += 1;
            }
        }
        out
    }

    #[test]
    fn ascii_is_sent_as_it_is_with_crlf() {
        let (out, cte) = encode("Halo,\nsatu\r\ndua\rtiga\n");
        assert_eq!(cte, ContentTransferEncoding::SevenBit);
        assert_eq!(out, b"Halo,\r\nsatu\r\ndua\r\ntiga\r\n");
        let (out, _) = encode("");
        assert!(out.is_empty());
    }

    #[test]
    fn other_text_is_quoted_printable_and_reads_back() {
        for text in [
            "Terima kasih — ticket #17 ✓\nbaris dua = tiga \n",
            &format!("{}\n", "x".repeat(2000)),
            &"é".repeat(500),
            "tab at end\t\nspace at end \né",
            "nul\0and\u{1}ctl",
        ] {
            let (out, cte) = encode(text);
            assert_eq!(cte, ContentTransferEncoding::QuotedPrintable, "{text:?}");
            for line in out.split(|&b| b == b'\n') {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                assert!(line.len() <= 76, "{}", String::from_utf8_lossy(line));
                assert!(!line.ends_with(b" ") && !line.ends_with(b"\t"));
                assert!(line.iter().all(|b| b.is_ascii() && *b != 0));
            }
            let expected = text.replace("\r\n", "\n").replace('\n', "\r\n");
            assert_eq!(String::from_utf8(qp_decode(&out)).unwrap(), expected);
        }
    }

    /// The encoding as it was written first, a byte at a time: the fast
    /// paths above must give the very same bytes.
    fn encode_bytewise(text: &str) -> (Vec<u8>, ContentTransferEncoding) {
        let bytes = text.as_bytes();
        let mut run = 0;
        let mut seven = true;
        for &b in bytes {
            match b {
                b'\r' | b'\n' => run = 0,
                b'\t' | 0x20..=0x7e => {
                    run += 1;
                    seven &= run <= MAX_LINE;
                }
                _ => seven = false,
            }
        }
        let mut out = Vec::new();
        let mut lines = Vec::new();
        let (mut start, mut i) = (0, 0);
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => {
                    lines.push(&bytes[start..i]);
                    i += 1;
                    start = i;
                }
                b'\r' => {
                    lines.push(&bytes[start..i]);
                    i += if bytes.get(i + 1) == Some(&b'\n') {
                        2
                    } else {
                        1
                    };
                    start = i;
                }
                _ => i += 1,
            }
        }
        lines.push(&bytes[start..]);
        for (n, line) in lines.iter().enumerate() {
            if n > 0 {
                out.extend_from_slice(b"\r\n");
            }
            if seven {
                out.extend_from_slice(line);
            } else {
                quoted_printable_line(line, &mut out);
            }
        }
        let cte = if seven {
            ContentTransferEncoding::SevenBit
        } else {
            ContentTransferEncoding::QuotedPrintable
        };
        (out, cte)
    }

    #[test]
    fn fast_paths_encode_as_byte_by_byte() {
        let long = |n: usize| "a".repeat(n);
        let mut cases: Vec<String> = vec![
            String::new(),
            "\r".into(),
            "\n".into(),
            "\r\n".into(),
            "\n\r".into(),
            "\r\r\n\n".into(),
            "a\rb\r\nc\nd\r".into(),
            "tab\there\x7f".into(),
            "\x1f".into(),
            "é\r\n".into(),
            format!("{}\n", long(MAX_LINE)),
            format!("{}\n", long(MAX_LINE + 1)),
            format!("x\r\n{}", long(MAX_LINE)),
            format!("x\r{}", long(MAX_LINE + 1)),
            format!("{}\r\n{}", long(MAX_LINE), long(MAX_LINE)),
            format!("{}é", long(130)),
        ];
        // Every byte value in every position of a block.
        for b in 0u8..=0x7f {
            let mut t = long(70);
            t.insert(b as usize % 70, b as char);
            cases.push(t);
        }
        for text in &cases {
            assert_eq!(encode(text), encode_bytewise(text), "{text:?}");
        }
    }
}
