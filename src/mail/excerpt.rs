//! The start of a long text, for a notice to staff, and sizes in words.
//! No I/O.

/// At most this much of a message's text goes into a notice to staff; the
/// rest is a line saying how much was left out and where to read it.
pub const EXCERPT_BYTES: usize = 16 * 1024;

/// The start of a long text, for a notice: at most `max` bytes, cut at the
/// end of a line (or of a character, when one line is very long), and what
/// was left out, as the templates' `omitted` (`null` when nothing was).
pub fn excerpt(text: &str, max: usize) -> (&str, serde_json::Value) {
    if text.len() <= max {
        return (text, serde_json::Value::Null);
    }
    let mut end = text.floor_char_boundary(max);
    // Whole lines when the last line break is not too far back.
    if let Some(nl) = text[..end].rfind('\n')
        && nl >= max / 2
    {
        end = nl;
    }
    let rest = &text[end..];
    let lines = rest.bytes().filter(|&b| b == b'\n').count() + 1;
    let omitted = serde_json::json!({
        "bytes": rest.len(),
        "size_human": human_size(rest.len() as u64),
        "lines": lines,
    });
    (text[..end].trim_end(), omitted)
}

/// `1.2 MB`, `640 KB`, `12 B`.
pub fn human_size(bytes: u64) -> String {
    const K: f64 = 1024.0;
    let b = bytes as f64;
    if b >= K * K {
        format!("{:.1} MB", b / (K * K))
    } else if b >= K {
        format!("{:.0} KB", b / K)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_long_text_at_a_line_and_says_how_much_is_left() {
        let short = "satu\ndua";
        assert_eq!(excerpt(short, 100), (short, serde_json::Value::Null));
        let long = "baris teks\n".repeat(10_000);
        let (shown, omitted) = excerpt(&long, 1000);
        assert!(shown.len() <= 1000 && shown.len() > 900, "{}", shown.len());
        assert!(shown.ends_with("baris teks"));
        assert_eq!(
            shown.len() + omitted["bytes"].as_u64().unwrap() as usize,
            long.trim_end().len() + 1
        );
        assert!(omitted["lines"].as_u64().unwrap() > 9000);
        // One long line of multi-byte characters: cut on a character.
        let line = "é".repeat(10_000);
        let (shown, omitted) = excerpt(&line, 1001);
        assert_eq!(shown.len(), 1000);
        assert_eq!(omitted["lines"], 1);
        assert_eq!(omitted["size_human"], "19 KB");
    }
}
