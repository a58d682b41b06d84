//! A page rendered once, with marks where a request's values go: the
//! survey page a GET shows is the same for every token but for the
//! ticket's number, its subject and the token in the links, so it is
//! rendered through the templates when the configuration loads
//! ([`super::Site`]) and a request only copies the pieces and its three
//! values in (a template render per request was most of a GET's cost
//! after the database).
//!
//! The marks are characters of Unicode's private use area, which the
//! templates' HTML escaping leaves as they are and no configured text is
//! expected to hold; [`super::Site`] checks a filled frame against a real
//! render and does without the frame when they differ.

use std::fmt::Write as _;

/// Where the ticket's number goes.
pub const ID_MARK: &str = "\u{E000}";
/// Where the ticket's subject goes (escaped).
pub const SUBJECT_MARK: &str = "\u{E001}";
/// Where the token goes (a well-formed token needs no escaping).
pub const TOKEN_MARK: &str = "\u{E002}";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Id,
    Subject,
    Token,
}

/// A rendered page cut at its marks.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Each literal piece and the value that follows it.
    parts: Vec<(String, Slot)>,
    tail: String,
    /// The literal bytes, to size the page at once.
    size: usize,
}

impl Frame {
    /// Cuts `rendered` at its marks; `None` when it has none (nothing to
    /// fill: not a page of this kind).
    pub fn cut(rendered: &str) -> Option<Frame> {
        let mut parts = Vec::new();
        let mut rest = rendered;
        loop {
            let next = [
                (ID_MARK, Slot::Id),
                (SUBJECT_MARK, Slot::Subject),
                (TOKEN_MARK, Slot::Token),
            ]
            .into_iter()
            .filter_map(|(m, slot)| rest.find(m).map(|at| (at, m.len(), slot)))
            .min_by_key(|(at, _, _)| *at);
            let Some((at, len, slot)) = next else { break };
            parts.push((rest[..at].to_string(), slot));
            rest = &rest[at + len..];
        }
        if parts.is_empty() {
            return None;
        }
        let size = parts.iter().map(|(p, _)| p.len()).sum::<usize>() + rest.len();
        Some(Frame {
            parts,
            tail: rest.to_string(),
            size,
        })
    }

    /// The page for ticket `id` with `subject`, its links on `token`
    /// (well-formed: letters, digits, `-`, `_`).
    pub fn fill(&self, id: i64, subject: &str, token: &str) -> String {
        let mut out = String::with_capacity(self.size + 2 * subject.len() + 4 * token.len() + 20);
        for (literal, slot) in &self.parts {
            out.push_str(literal);
            match slot {
                Slot::Id => {
                    let _ = write!(out, "{id}");
                }
                Slot::Subject => out.push_str(&handlebars::html_escape(subject)),
                Slot::Token => out.push_str(token),
            }
        }
        out.push_str(&self.tail);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_fills_its_marks_and_escapes_the_subject() {
        let page = format!("<p>#{ID_MARK}: {SUBJECT_MARK}</p><a href=\"/s/{TOKEN_MARK}/reopen\">");
        let f = Frame::cut(&page).unwrap();
        assert_eq!(
            f.fill(42, "<b>&\"x\"", "abc_-9"),
            "<p>#42: &lt;b&gt;&amp;&quot;x&quot;</p><a href=\"/s/abc_-9/reopen\">"
        );
        assert!(Frame::cut("<p>no marks</p>").is_none());
    }
}
