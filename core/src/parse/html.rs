//! HTML → readable text, in time and memory proportional to the HTML.
//!
//! Ordinary mail goes through html2text, which keeps lists, links and
//! tables readable. html2text builds the whole document tree first and costs
//! about 220 bytes of memory per byte of HTML, and its time grows faster
//! than the nesting depth (100,000 nested `<div>`s, 1.1 MB, took 25 s). So a
//! cheap first scan measures the HTML's size and nesting depth, and HTML
//! above [`RICH_MAX_BYTES`] or [`RICH_MAX_DEPTH`] is converted instead by a
//! streaming converter ([`streaming_text`]): one pass over the bytes that
//! never builds a tree, keeps the text, breaks lines at block elements,
//! prefixes quoted blocks with `> `, drops scripts and styles and decodes
//! character references (with the HTML standard's table of names, from
//! html5ever). It looks at the deadline every [`SLICE`] bytes, so a message
//! that has used up its time stops here. No I/O.

use std::time::Instant;

use html5ever::data::NAMED_ENTITIES;

/// HTML larger than this is converted by the streaming converter: html2text
/// would need about 220 times its size in memory.
pub const RICH_MAX_BYTES: usize = 256 * 1024;

/// HTML nested deeper than this is converted by the streaming converter.
pub const RICH_MAX_DEPTH: usize = 100;

/// The width html2text wraps at: reads well in a terminal and in mail.
const WIDTH: usize = 100;

/// How much HTML the streaming converter reads between two looks at the
/// deadline.
const SLICE: usize = 64 * 1024;

/// The conversion ran past the message's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfTime;

/// `html` as text: html2text for ordinary HTML, the streaming converter for
/// large or deeply nested HTML. Stops at `deadline`.
pub fn to_text(html: &str, deadline: Option<Instant>) -> Result<String, OutOfTime> {
    if html.len() <= RICH_MAX_BYTES && nesting_depth(html) <= RICH_MAX_DEPTH {
        let text =
            html2text::from_read(html.as_bytes(), WIDTH).unwrap_or_else(|_| html.to_string());
        return Ok(text.trim_end().to_string());
    }
    streaming_text(html, deadline)
}

/// Elements that never have content, so never open a level of nesting.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr",
];

fn is_void(name: &[u8]) -> bool {
    name.len() <= 6 && VOID.iter().any(|v| v.as_bytes().eq_ignore_ascii_case(name))
}

/// An upper estimate of how deep elements nest: start tags of non-void
/// elements open a level, end tags close one. Elements whose end tag may be
/// left out (`<p>`, `<li>`) make it overestimate, which costs nothing but a
/// plainer conversion.
pub fn nesting_depth(html: &str) -> usize {
    let b = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
        i += off + 1;
        match b.get(i) {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(c) if c.is_ascii_alphabetic() => {
                let name_end = b[i..]
                    .iter()
                    .position(|c| !c.is_ascii_alphanumeric())
                    .map_or(b.len(), |p| i + p);
                let name = &b[i..name_end];
                let Some(close) = b[name_end..].iter().position(|&c| c == b'>') else {
                    break;
                };
                let close = name_end + close;
                let self_closing = close > 0 && b[close - 1] == b'/';
                if !self_closing && !is_void(name) {
                    depth += 1;
                    max = max.max(depth);
                }
                i = close + 1;
            }
            _ => {}
        }
    }
    max
}

/// The streaming conversion: see the module documentation.
pub fn streaming_text(html: &str, deadline: Option<Instant>) -> Result<String, OutOfTime> {
    let b = html.as_bytes();
    let mut w = Writer::with_capacity(html.len() / 2);
    let mut next_look = SLICE;
    let mut i = 0;
    while i < b.len() {
        if i >= next_look {
            if deadline.is_some_and(|d| Instant::now() > d) {
                return Err(OutOfTime);
            }
            next_look = i + SLICE;
        }
        // Text up to the next markup or character reference.
        let end = memchr::memchr2(b'<', b'&', &b[i..]).map_or(b.len(), |p| i + p);
        if end > i {
            w.text(&html[i..end]);
            i = end;
            continue;
        }
        if b[i] == b'&' {
            let (decoded, len) = char_ref(&html[i..]);
            w.text(&decoded);
            i += len;
            continue;
        }
        i = markup(html, i, &mut w);
    }
    let mut text = w.out;
    text.truncate(text.trim_end().len());
    Ok(text)
}

/// Reads the markup at `html[i]` (a `<`), tells `w`, and returns where the
/// text goes on.
fn markup(html: &str, i: usize, w: &mut Writer) -> usize {
    let b = html.as_bytes();
    let rest = &b[i..];
    if matches!(rest.get(1), Some(b'!' | b'?')) {
        if rest.starts_with(b"<!--") {
            return find(b, i + 4, b"-->").map_or(b.len(), |p| p + 3);
        }
        if rest.starts_with(b"<![CDATA[") {
            let end = find(b, i + 9, b"]]>").unwrap_or(b.len());
            w.text(&html[i + 9..end]);
            return (end + 3).min(b.len());
        }
        // A declaration or processing instruction: nothing to show.
        return find(b, i + 2, b">").map_or(b.len(), |p| p + 1);
    }
    let closing = rest.get(1) == Some(&b'/');
    let name_start = i + 1 + closing as usize;
    if !b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
        // A `<` that opens no tag is text.
        w.text("<");
        return i + 1;
    }
    let name_end = b[name_start..]
        .iter()
        .position(|c| !c.is_ascii_alphanumeric())
        .map_or(b.len(), |p| name_start + p);
    // Known names are short: longer ones are read as an unknown element.
    let mut lower = [0u8; 12];
    let raw_name = &b[name_start..name_end];
    let name = if raw_name.len() <= lower.len() {
        lower[..raw_name.len()].copy_from_slice(raw_name);
        lower[..raw_name.len()].make_ascii_lowercase();
        std::str::from_utf8(&lower[..raw_name.len()]).unwrap_or("")
    } else {
        ""
    };
    let (attrs_end, self_closing, href) = attributes(html, name_end, name == "a" && !closing);
    let after = (attrs_end + 1).min(b.len());
    if closing {
        w.element(name, false, false, None);
        return after;
    }
    if w.element(name, true, self_closing, href) {
        // Raw text (a script, a style): skip to its end tag, which is then
        // read as any other.
        let mut at = after;
        while let Some(p) = find(b, at, b"</") {
            let n = &b[p + 2..];
            if n.len() >= name.len()
                && n[..name.len()].eq_ignore_ascii_case(name.as_bytes())
                && !n.get(name.len()).is_some_and(u8::is_ascii_alphanumeric)
            {
                return p;
            }
            at = p + 2;
        }
        return b.len();
    }
    after
}

/// Reads a tag's attributes from `from` to its `>`: where the `>` is (or
/// the end of the input), whether the tag closes itself (`/>`), and the
/// `href` when `want_href`.
fn attributes(html: &str, from: usize, want_href: bool) -> (usize, bool, Option<String>) {
    let b = html.as_bytes();
    let mut i = from;
    let mut href = None;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        match b.get(i) {
            None => return (b.len(), false, href),
            Some(b'>') => return (i, i > from && b[i - 1] == b'/', href),
            _ => {}
        }
        let name_start = i;
        while i < b.len() && !matches!(b[i], b'=' | b'>' | b'/') && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        let name_end = i;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let (value_start, value_end) = match b.get(i) {
            Some(&q) if q == b'"' || q == b'\'' => {
                let end = b[i + 1..]
                    .iter()
                    .position(|&c| c == q)
                    .map_or(b.len(), |p| i + 1 + p);
                let v = (i + 1, end);
                i = (end + 1).min(b.len());
                v
            }
            _ => {
                let start = i;
                while i < b.len() && b[i] != b'>' && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                (start, i)
            }
        };
        if want_href && html[name_start..name_end].eq_ignore_ascii_case("href") {
            href = Some(decode_refs(&html[value_start..value_end]));
        }
    }
}

/// The first `needle` in `b` at or after `from`.
fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(b.get(from..)?, needle).map(|p| from + p)
}

/// `s` with its character references decoded.
fn decode_refs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(p) = s[i..].find('&') {
        out.push_str(&s[i..i + p]);
        let (decoded, len) = char_ref(&s[i + p..]);
        out.push_str(&decoded);
        i += p + len;
    }
    out.push_str(&s[i..]);
    out
}

/// The character reference at the start of `s` (which starts with `&`):
/// its text, and how many bytes it took. Not a reference: `&` itself.
fn char_ref(s: &str) -> (String, usize) {
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let hex = matches!(b.get(2), Some(b'x' | b'X'));
        let start = if hex { 3 } else { 2 };
        let digits = b[start.min(b.len())..]
            .iter()
            .take_while(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count();
        if digits == 0 {
            return ("&".into(), 1);
        }
        let end = start + digits;
        let n = u32::from_str_radix(&s[start..end.min(start + 8)], if hex { 16 } else { 10 })
            .unwrap_or(0xFFFD);
        let c = match n {
            0 => '\u{FFFD}',
            _ => char::from_u32(n).unwrap_or('\u{FFFD}'),
        };
        let len = end + (b.get(end) == Some(&b';')) as usize;
        return (c.to_string(), len);
    }
    let name_len = b[1..]
        .iter()
        .take(40)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    let with_semicolon = b.get(1 + name_len) == Some(&b';');
    let key = &s[1..1 + name_len + with_semicolon as usize];
    match NAMED_ENTITIES.get(key) {
        Some(&(c1, c2)) if c1 != 0 => {
            let mut out = String::new();
            out.extend(char::from_u32(c1));
            out.extend(char::from_u32(c2).filter(|_| c2 != 0));
            (out, 1 + key.len())
        }
        _ => ("&".into(), 1),
    }
}

/// One level deeper at a start tag, one up at an end tag.
fn nest(depth: &mut usize, start: bool) {
    *depth = if start {
        *depth + 1
    } else {
        depth.saturating_sub(1)
    };
}

/// What the streaming converter has written, and where it stands.
struct Writer {
    out: String,
    /// Inside `<script>`, `<style>`, `<title>`…: text is not shown.
    hidden: bool,
    /// Depth of `<pre>`: white space is kept as written.
    pre: usize,
    /// Depth of `<blockquote>`: lines start with that many `> `.
    quote: usize,
    /// Line breaks owed before the next text (1, or 2 for a new paragraph).
    breaks: usize,
    /// A space owed before the next text.
    space: bool,
    /// The open link's target, shown after its text.
    href: Option<String>,
}

impl Writer {
    fn with_capacity(n: usize) -> Writer {
        Writer {
            out: String::with_capacity(n),
            hidden: false,
            pre: 0,
            quote: 0,
            breaks: 0,
            space: false,
            href: None,
        }
    }

    fn at_line_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with('\n')
    }

    /// Writes what is owed (line breaks, quote marks, a space) before text.
    fn settle(&mut self) {
        if self.breaks > 0 && !self.out.is_empty() {
            let have = self.out.len() - self.out.trim_end_matches('\n').len();
            for _ in have.min(self.breaks)..self.breaks {
                self.out.push('\n');
            }
            self.space = false;
        }
        self.breaks = 0;
        if self.at_line_start() {
            for _ in 0..self.quote {
                self.out.push_str("> ");
            }
            self.space = false;
        }
        if self.space {
            self.out.push(' ');
            self.space = false;
        }
    }

    fn text(&mut self, t: &str) {
        if self.hidden {
            return;
        }
        if self.pre > 0 {
            for (i, line) in t.split('\n').enumerate() {
                if i > 0 {
                    self.out.push('\n');
                }
                if !line.is_empty() {
                    self.settle();
                    self.out.push_str(line.trim_end_matches('\r'));
                }
            }
            return;
        }
        // Words apart by ASCII white space (a byte that never occurs inside
        // a multi-byte character, so every cut is on a character).
        let b = t.as_bytes();
        let mut i = 0;
        let mut settled = false;
        while i < b.len() {
            if b[i].is_ascii_whitespace() {
                self.space = true;
                i += 1;
                continue;
            }
            let end = b[i..]
                .iter()
                .position(u8::is_ascii_whitespace)
                .map_or(b.len(), |p| i + p);
            let word = &t[i..end];
            if !settled {
                self.settle();
                settled = true;
            } else if self.space {
                self.out.push(' ');
                self.space = false;
            }
            if word.contains('\u{a0}') {
                self.out
                    .extend(word.chars().map(|c| if c == '\u{a0}' { ' ' } else { c }));
            } else {
                self.out.push_str(word);
            }
            i = end;
        }
    }

    fn line_break(&mut self, n: usize) {
        self.breaks = self.breaks.max(n);
        self.space = false;
    }

    /// A start or end tag of element `name` (lower case). True when raw
    /// text follows that is not shown (a script, a style).
    fn element(
        &mut self,
        name: &str,
        start: bool,
        self_closing: bool,
        href: Option<String>,
    ) -> bool {
        match name {
            "script" | "style" | "title" | "textarea" | "template" | "noscript" => {
                self.hidden = start && !self_closing;
                return self.hidden;
            }
            "br" if !self.hidden => {
                self.settle();
                self.out.push('\n');
            }
            "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table" | "ul" | "ol" | "dl" | "hr" => {
                self.line_break(2)
            }
            "blockquote" => {
                self.line_break(2);
                nest(&mut self.quote, start);
            }
            "pre" => {
                self.line_break(2);
                nest(&mut self.pre, start);
            }
            "li" => {
                self.line_break(1);
                if start {
                    self.settle();
                    self.out.push_str("* ");
                }
            }
            "div" | "tr" | "dt" | "dd" | "section" | "article" | "header" | "footer" | "nav"
            | "aside" | "main" | "address" | "center" | "figure" | "figcaption" | "form"
            | "fieldset" | "caption" | "details" | "summary" | "body" | "html" => {
                self.line_break(1)
            }
            "td" | "th" => self.space = true,
            "a" => {
                if start {
                    self.href = href.filter(|h| h.starts_with("http") || h.starts_with("mailto:"));
                } else if let Some(href) = self.href.take() {
                    let shown = href.trim_start_matches("mailto:");
                    if !self.hidden && !self.out.ends_with(shown) {
                        self.settle();
                        self.out.push_str(" <");
                        self.out.push_str(shown);
                        self.out.push('>');
                    }
                }
            }
            _ => {}
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_measured_cheaply() {
        assert_eq!(nesting_depth("<p>a<br>b<img src=x/></p>"), 1);
        assert_eq!(nesting_depth("<div><div><span>x</span></div></div>"), 3);
        assert_eq!(nesting_depth("a < b and 3<4"), 0);
        assert_eq!(nesting_depth(&"<div>".repeat(1000)), 1000);
    }

    #[test]
    fn streaming_keeps_text_and_structure() {
        let html = "<html><head><title>T</title><style>p{color:red}</style>\
            <script>if (a < b) { alert('x') }</script></head><body>\
            <p>Printer   <b>rusak</b>&nbsp;di lantai&#160;2 &amp; 3</p>\
            <ul><li>satu</li><li>dua</li></ul>\
            <div>baris<br>baru</div>\
            <p>Lihat <a href=\"https://status.corp.test/x\">status</a>.</p>\
            <blockquote><p>kutipan</p><p>lagi</p></blockquote>\
            <pre>  kode\n    menjorok</pre>\
            <table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>\
            </body></html>";
        let text = streaming_text(html, None).unwrap();
        assert_eq!(
            text,
            "Printer rusak di lantai 2 & 3\n\n* satu\n* dua\n\nbaris\nbaru\n\n\
             Lihat status <https://status.corp.test/x>.\n\n> kutipan\n\n> lagi\n\n\
             \x20 kode\n    menjorok\n\na b\nc d"
        );
    }

    #[test]
    fn ordinary_html_still_goes_through_html2text() {
        let html = "<p>Printer <b>rusak</b></p><ul><li>lantai 2</li></ul>";
        let text = to_text(html, None).unwrap();
        assert_eq!(
            text,
            html2text::from_read(html.as_bytes(), WIDTH)
                .unwrap()
                .trim_end()
        );
    }

    #[test]
    fn deep_and_large_html_is_streamed() {
        let deep = format!("{}x{}", "<div>".repeat(100_000), "</div>".repeat(100_000));
        assert_eq!(to_text(&deep, None).unwrap(), "x");
        let large = "<p>kata kata kata</p>".repeat(RICH_MAX_BYTES / 10);
        let text = to_text(&large, None).unwrap();
        assert!(
            text.starts_with("kata kata kata\n\nkata"),
            "{}",
            &text[..40]
        );
        assert!(text.len() < large.len());
    }

    #[test]
    fn the_deadline_stops_the_streaming_converter() {
        let large = "<p>kata</p>".repeat(100_000);
        let past = Instant::now() - std::time::Duration::from_secs(1);
        assert_eq!(streaming_text(&large, Some(past)), Err(OutOfTime));
    }

    #[test]
    fn broken_html_does_not_upset_it() {
        for html in [
            "<",
            "<div",
            "<<<>>>",
            "</p></div></blockquote>x",
            "<script>never closed",
            "<a href='http://x'>unclosed",
            "&#xD800;&#0;&bogus;",
            "<pre>",
        ] {
            let _ = streaming_text(html, None).unwrap();
        }
    }

    #[test]
    fn comments_declarations_and_references() {
        let html = "<!DOCTYPE html><!-- <p>hidden</p> --><p>a&lt;b &gt; c &AMP; d&#x41;&#66;&eacute;&nbsp;e &bogus; f&</p>\
                    <![CDATA[x<y]]><p>AT&amp;T&copy</p>";
        assert_eq!(
            streaming_text(html, None).unwrap(),
            "a<b > c & dABé e &bogus; f&\n\nx<y\n\nAT&T©"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_input_converts_without_panic(s in "(\\PC|[<>&;#/!?\\-\"'= a-zA-Z0-9\\[\\]])*") {
            let _ = streaming_text(&s, None).unwrap();
            let _ = nesting_depth(&s);
            let _ = to_text(&s, None).unwrap();
        }
    }
}
