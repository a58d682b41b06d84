//! Where the quote starts in a reply's HTML.
//!
//! Most clients mark the quoted mail in their HTML, which is a better signal
//! than any text made from it: Gmail's `gmail_quote`, Outlook's
//! `divRplyFwdMsg` and its border-top separator, Thunderbird's
//! `moz-cite-prefix`, Apple Mail's `<blockquote type="cite">`, Yahoo's
//! `yahoo_quoted`, Zimbra's `zwchr` rule, Roundcube's `reply-intro`, a plain
//! `<blockquote>` (mail.ru, Yandex).
//!
//! Two kinds of marks. A *separator* (Outlook, Zimbra, Hotmail) starts the
//! quoted mail and everything after it belongs to it. An *enclosing*
//! element (a blockquote, Gmail's div) holds the quote, so text after it is
//! the sender's again: answers written under or between quotes. The quote
//! starts at the first mark after the sender's last visible text; a mail
//! with text after every mark has no HTML cut and is read from its text.
//! Gmail's `gmail_quote` div is no mark (answers typed inline stand inside
//! it); its `gmail_attr` line and its blockquote are.
//!
//! One linear pass over the tags, no DOM: malformed HTML costs nothing, and
//! HTML beyond [`MAX_HTML_BYTES`] is not looked at. The part before the cut
//! is made text by html2text, whose cost grows with the square of the
//! nesting depth (100,000 nested `<div>` take minutes): a cut above
//! [`MAX_DEPTH`] levels is not offered, and the text rules read the mail.

/// Larger HTML is left to the text rules.
const MAX_HTML_BYTES: usize = 2 * 1024 * 1024;

/// A tag longer than this (attributes included) is read as text. Every
/// byte is looked at a bounded number of times: a `<` that starts no tag
/// within this reach makes the scan skip the bytes it read.
const MAX_TAG_BYTES: usize = 64 * 1024;

/// Real mail nests a few dozen elements deep; Outlook about 15.
const MAX_DEPTH: usize = 256;

/// Elements that never have content or an end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// What a start tag is to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// The quoted mail starts here and runs to the end.
    Separator,
    /// The quote is this element.
    Enclosing,
}

/// Byte offset in `html` where the quoted mail starts, if the HTML says.
pub(super) fn quote_start(html: &str) -> Option<usize> {
    if html.len() > MAX_HTML_BYTES {
        return None;
    }
    let b = html.as_bytes();
    let mut pos = 0;
    // End of the last text of the sender (outside every mark).
    let mut last_text = 0;
    // Starts of the marks met outside any other mark, with the deepest
    // nesting seen before each.
    let mut marks: Vec<(usize, usize)> = Vec::new();
    let (mut depth, mut deepest) = (0usize, 0usize);
    // Inside an enclosing mark: its tag name and nesting depth.
    let mut inside: Option<(&str, usize)> = None;
    while pos < b.len() {
        let Some(lt) = html[pos..].find('<').map(|i| pos + i) else {
            if inside.is_none() && visible(&html[pos..]) {
                last_text = b.len();
            }
            break;
        };
        if inside.is_none() && visible(&html[pos..lt]) {
            last_text = lt;
        }
        let tag = match Tag::read(html, lt) {
            Ok(tag) => tag,
            Err(read) => {
                // A `<` that starts no tag is text, and so is what was read.
                pos = html.ceil_char_boundary(lt + 1 + read);
                if inside.is_none() {
                    last_text = pos;
                }
                continue;
            }
        };
        pos = tag.end;
        if tag.opening && is_raw_text(tag.name) {
            pos = skip_element(html, pos, tag.name);
            continue;
        }
        if !tag.name.is_empty()
            && !tag.self_closing
            && !VOID.iter().any(|v| tag.name.eq_ignore_ascii_case(v))
        {
            if tag.opening {
                depth += 1;
                deepest = deepest.max(depth);
            } else {
                depth = depth.saturating_sub(1);
            }
        }
        match &mut inside {
            Some((name, depth)) if tag.name.eq_ignore_ascii_case(name) && !tag.self_closing => {
                if tag.opening {
                    *depth += 1;
                } else {
                    *depth -= 1;
                    if *depth == 0 {
                        inside = None;
                    }
                }
            }
            Some(_) => {}
            None if tag.opening => match mark(&tag) {
                Some(Mark::Separator) => {
                    marks.push((lt, deepest));
                    break;
                }
                Some(Mark::Enclosing) => {
                    marks.push((lt, deepest));
                    if !tag.self_closing {
                        inside = Some((tag.name, 1));
                    }
                }
                None => {}
            },
            None => {}
        }
    }
    marks
        .into_iter()
        .find(|&(m, _)| m >= last_text)
        .filter(|&(_, deep)| deep <= MAX_DEPTH)
        .map(|(m, _)| m)
}

/// One tag as read from the source.
struct Tag<'a> {
    name: &'a str,
    attrs: &'a str,
    opening: bool,
    self_closing: bool,
    /// Just past the `>`.
    end: usize,
}

impl<'a> Tag<'a> {
    /// The tag at `lt` (a `<`), skipping comments and declarations (returned
    /// as a nameless closing tag), or how many bytes after the `<` were
    /// read to find that it starts no tag.
    fn read(html: &'a str, lt: usize) -> Result<Tag<'a>, usize> {
        let rest = &html[lt + 1..];
        if let Some(comment) = rest.strip_prefix("!--") {
            let end = comment.find("-->").map_or(html.len(), |i| lt + 4 + i + 3);
            return Ok(Tag::nothing(end));
        }
        if rest.starts_with(['!', '?']) {
            let end = rest.find('>').map_or(html.len(), |i| lt + 1 + i + 1);
            return Ok(Tag::nothing(end));
        }
        let (opening, body) = match rest.strip_prefix('/') {
            Some(b) => (false, b),
            None => (true, rest),
        };
        let name_len = body
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b':' || *c == b'-')
            .count();
        if name_len == 0 || !body.as_bytes()[0].is_ascii_alphabetic() {
            return Err(0);
        }
        let name = &body[..name_len];
        let after = &body[name_len..];
        let close = tag_end(after).ok_or(name_len + after.len().min(MAX_TAG_BYTES))?;
        let attrs = &after[..close];
        let end = html.len() - after.len() + close + 1;
        Ok(Tag {
            name,
            attrs,
            opening,
            self_closing: attrs.trim_end().ends_with('/'),
            end,
        })
    }

    fn nothing(end: usize) -> Tag<'a> {
        Tag {
            name: "",
            attrs: "",
            opening: false,
            self_closing: true,
            end,
        }
    }

    /// An attribute's value, without quotes.
    fn attr(&self, name: &str) -> Option<&'a str> {
        attributes(self.attrs).find_map(|(n, v)| n.eq_ignore_ascii_case(name).then_some(v))
    }

    fn class_has(&self, class: &str) -> bool {
        self.attr("class").is_some_and(|c| {
            c.split_ascii_whitespace()
                .any(|k| k.eq_ignore_ascii_case(class))
        })
    }
}

/// Offset of the `>` ending a tag's attributes, quotes respected.
fn tag_end(attrs: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in attrs.bytes().enumerate().take(MAX_TAG_BYTES) {
        match (quote, c) {
            (None, b'"' | b'\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// `name="value"` pairs of an attribute list (a bare name has value "").
fn attributes(attrs: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = attrs;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if rest.is_empty() {
            return None;
        }
        let name_end = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        rest = rest[name_end..].trim_start();
        let Some(v) = rest.strip_prefix('=') else {
            return Some((name, ""));
        };
        let v = v.trim_start();
        let (value, next) = match v.as_bytes().first() {
            Some(&q @ (b'"' | b'\'')) => {
                let body = &v[1..];
                let end = body.find(q as char).unwrap_or(body.len());
                (&body[..end], body.get(end + 1..).unwrap_or(""))
            }
            _ => {
                let end = v.find(|c: char| c.is_ascii_whitespace()).unwrap_or(v.len());
                (&v[..end], &v[end..])
            }
        };
        rest = next;
        Some((name, value))
    })
}

/// Elements whose content is not markup.
fn is_raw_text(name: &str) -> bool {
    ["script", "style", "title", "head", "textarea", "xml"]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n))
}

/// Offset just past `</name…>`, or the end.
fn skip_element(html: &str, from: usize, name: &str) -> usize {
    let b = html.as_bytes();
    let mut pos = from;
    while let Some(i) = html[pos..].find("</") {
        let at = pos + i + 2;
        let end = at + name.len();
        if end <= b.len() && b[at..end].eq_ignore_ascii_case(name.as_bytes()) {
            return html[end..].find('>').map_or(b.len(), |j| end + j + 1);
        }
        pos = at;
    }
    b.len()
}

/// Whether HTML text (between tags) shows anything.
fn visible(text: &str) -> bool {
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '&' {
            let entity = ["&nbsp;", "&#160;", "&#xa0;", "&#xA0;", "&zwnj;", "&#8203;"]
                .iter()
                .find(|e| rest.starts_with(**e));
            if let Some(e) = entity {
                rest = &rest[e.len()..];
                continue;
            }
            return true;
        }
        if !(c.is_whitespace() || c == '\u{200b}' || c == '\u{feff}') {
            return true;
        }
        rest = &rest[c.len_utf8()..];
    }
    false
}

/// Whether a start tag marks the quote.
fn mark(tag: &Tag<'_>) -> Option<Mark> {
    let name = tag.name.to_ascii_lowercase();
    let id = tag.attr("id").unwrap_or("").to_ascii_lowercase();
    let id = id.strip_prefix("x_").unwrap_or(&id);
    // Outlook (web, new, mobile): the reply header block, or the empty
    // anchor it puts before the rule above it.
    if matches!(
        id,
        "divrplyfwdmsg" | "appendonsend" | "mail-editor-reference-message-container"
    ) || tag.class_has("OutlookMessageHeader")
    {
        return Some(Mark::Separator);
    }
    // Hotmail's and Zimbra's rules above the quoted header.
    if name == "hr" && matches!(id, "stopspelling" | "zwchr") {
        return Some(Mark::Separator);
    }
    if tag
        .attr("data-marker")
        .is_some_and(|m| m == "__DIVIDER__" || m == "__HEADERS__")
    {
        return Some(Mark::Separator);
    }
    // Outlook desktop: `<div style="border:none;border-top:solid #E1E1E1
    // 1.0pt;padding:3.0pt 0cm 0cm 0cm">` around the From/Sent block.
    if name == "div" || name == "p" {
        let style: String = tag
            .attr("style")
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if style.contains("border:none")
            && style.contains("border-top:solid")
            && style.contains("padding:3")
        {
            return Some(Mark::Separator);
        }
    }
    if name == "blockquote" {
        return Some(Mark::Enclosing);
    }
    // Gmail's `gmail_quote` div is not a mark: answers typed inline stand
    // inside it, between its blockquotes; its attribution line is.
    let quote_class = ["gmail_attr", "moz-cite-prefix", "protonmail_quote"]
        .iter()
        .any(|c| tag.class_has(c));
    // Yahoo prefixes its classes and ids ("ydp3f1yahoo_quoted").
    let yahoo =
        tag.attr("class").unwrap_or("").contains("yahoo_quoted") || id.contains("yahoo_quoted");
    if quote_class || yahoo || id == "reply-intro" {
        return Some(Mark::Enclosing);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::quote_start;

    fn cut(html: &str) -> Option<&str> {
        quote_start(html).map(|i| &html[i..])
    }

    #[test]
    fn gmail_quote_starts_at_its_attribution() {
        let html = "<div dir=\"ltr\">Sudah beres.</div><br><div class=\"gmail_quote gmail_quote_container\">\
                    <div dir=\"ltr\" class=\"gmail_attr\">Pada Sen … menulis:<br></div>\
                    <blockquote class=\"gmail_quote\">Halo</blockquote></div>";
        assert!(
            cut(html)
                .unwrap()
                .starts_with("<div dir=\"ltr\" class=\"gmail_attr\">")
        );
    }

    #[test]
    fn answers_inside_gmails_quote_div_leave_only_the_last_quote() {
        let html = "<div class=\"gmail_quote\"><div class=\"gmail_attr\">On … wrote:</div>\
                    <blockquote>Which floor?</blockquote><div>Third.</div>\
                    <blockquote>Thanks</blockquote></div>";
        assert_eq!(cut(html), Some("<blockquote>Thanks</blockquote></div>"));
        let bottom = "<blockquote type=\"cite\">Question</blockquote><p>Answer</p>";
        assert_eq!(cut(bottom), None);
    }

    #[test]
    fn outlook_separators_cut_everything_after() {
        let owa = "<div>Oke</div><div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\">\
                   <b>From:</b> x</div><div>quoted text</div>";
        assert!(cut(owa).unwrap().starts_with("<div id=\"appendonsend\">"));
        let desktop = "<p class=MsoNormal>Oke</p><div style='border:none;border-top:solid #E1E1E1 1.0pt;\
                       padding:3.0pt 0cm 0cm 0cm'><p><b>De&nbsp;:</b> x</p></div><p>quoted</p>";
        assert!(cut(desktop).unwrap().starts_with("<div style='border:none"));
        // A border line in a signature is not Outlook's separator.
        assert_eq!(
            cut("<p>Oke</p><div style=\"border-top:solid 1px\">Budi</div>"),
            None
        );
    }

    #[test]
    fn yahoos_prefixed_class_and_zimbras_rule_are_marks() {
        let y = "<div>Oke</div><div id=\"ydp1yahoo_quoted_77\" class=\"ydp1yahoo_quoted\"><div>On …</div></div>";
        assert!(
            cut(y)
                .unwrap()
                .starts_with("<div id=\"ydp1yahoo_quoted_77\"")
        );
        let z = "<div>Oke</div><hr id=\"zwchr\" data-marker=\"__DIVIDER__\"><div>From: x</div>";
        assert!(cut(z).unwrap().starts_with("<hr id=\"zwchr\""));
    }

    #[test]
    fn markers_in_comments_styles_and_scripts_do_not_count() {
        let html = "<style>.gmail_attr{color:red}</style><!-- <blockquote> --><script>\"<blockquote>\"</script>\
                    <div>Text only</div>";
        assert_eq!(cut(html), None);
        assert_eq!(cut("<div>a < b and <3</div>"), None);
    }

    #[test]
    fn broken_html_is_read_without_a_panic() {
        for html in [
            "<blockquote",
            "<div class=\"gmail_attr",
            "<!-- never closed <blockquote>",
            "<blockquote><blockquote></div>",
            "<div id='divRplyFwdMsg'",
            "</blockquote></blockquote>text",
            "<\u{e9}><bl\u{f6}ckquote>",
        ] {
            let _ = quote_start(html);
        }
        assert_eq!(
            cut("<p>x</p><blockquote>never closed"),
            Some("<blockquote>never closed")
        );
    }

    #[test]
    fn hostile_html_is_read_in_bounded_time() {
        let nested = "<blockquote>".repeat(100_000) + "x";
        let many = "<div class=\"gmail_attr\">a</div>x".repeat(50_000);
        let long_tag = format!(
            "<div title=\"{}\">x</div><blockquote>q</blockquote>",
            "a".repeat(200_000)
        );
        let started = std::time::Instant::now();
        assert!(quote_start(&nested).is_some());
        assert_eq!(quote_start(&many), None);
        let _ = quote_start(&long_tag);
        assert_eq!(quote_start(&"x".repeat(3 * 1024 * 1024)), None);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
