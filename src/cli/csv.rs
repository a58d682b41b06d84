//! CSV as RFC 4180 writes it, for the report and the survey export: a
//! field with a comma, a quote or a line break is quoted, quotes doubled.
//!
//! Free text people typed (a survey comment) also goes through
//! [`untrusted`]: a spreadsheet runs a cell that starts with `=`, `+`, `-`
//! or `@` (or a tab or carriage return before one) as a formula, so such
//! text is prefixed with `'`, which shows it as typed.

/// One field, quoted when it must be.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One field of text from outside, made inert for spreadsheets first.
pub fn untrusted(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        field(&format!("'{s}"))
    } else {
        field(s)
    }
}

/// A line of fields already made with [`field`] or [`untrusted`].
pub fn line(cells: impl IntoIterator<Item = String>) -> String {
    let mut out = cells.into_iter().collect::<Vec<_>>().join(",");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_must_be_and_defuses_formulas() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(untrusted("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(untrusted("+1"), "'+1");
        assert_eq!(untrusted("-2"), "'-2");
        assert_eq!(untrusted("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(untrusted("ok - fine"), "ok - fine");
        assert_eq!(line(["a".into(), field("b,c")]), "a,\"b,c\"\n");
    }
}
