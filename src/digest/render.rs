//! The digest's templates: `templates/{id,en}/digest.{txt,html}.hbs`, built
//! into the binary and overridable from `desk.templates` like the others.
//!
//! The text template lays out tables with two helpers: `{{col value W}}`
//! (left-aligned in W characters, cut with "…" when longer) and
//! `{{num value W}}` (right-aligned). The HTML registry escapes every value.

use std::path::Path;

use anyhow::{Context as _, Result};
use handlebars::{Handlebars, handlebars_helper};

use super::sections::Context;
use crate::config::Language;
use crate::mail::templates::Rendered;

const BUILTIN: &[(&str, &str)] = &[
    (
        "id/digest.txt.hbs",
        include_str!("../../templates/id/digest.txt.hbs"),
    ),
    (
        "id/digest.html.hbs",
        include_str!("../../templates/id/digest.html.hbs"),
    ),
    (
        "en/digest.txt.hbs",
        include_str!("../../templates/en/digest.txt.hbs"),
    ),
    (
        "en/digest.html.hbs",
        include_str!("../../templates/en/digest.html.hbs"),
    ),
];

/// A template value as the text shows it.
fn shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `s` in exactly `w` characters: cut with "…", or padded on `left` or right.
fn fit(s: &str, w: usize, left: bool) -> String {
    let n = s.chars().count();
    if n > w {
        let cut: String = s.chars().take(w.saturating_sub(1)).collect();
        return format!("{cut}…");
    }
    if left {
        format!("{s}{}", " ".repeat(w - n))
    } else {
        format!("{}{s}", " ".repeat(w - n))
    }
}

handlebars_helper!(col: |v: Json, w: u64| fit(&shown(v), w as usize, true));
handlebars_helper!(num: |v: Json, w: u64| fit(&shown(v), w as usize, false));

/// The compiled digest templates.
pub struct Templates {
    text: Handlebars<'static>,
    html: Handlebars<'static>,
}

impl Templates {
    /// The built-in templates, each replaced by the file of the same name
    /// under `overrides` when there is one.
    pub fn load(overrides: Option<&Path>) -> Result<Templates> {
        let mut text = Handlebars::new();
        text.register_escape_fn(handlebars::no_escape);
        let mut html = Handlebars::new();
        for h in [&mut text, &mut html] {
            h.set_strict_mode(true);
            h.register_helper("col", Box::new(col));
            h.register_helper("num", Box::new(num));
        }
        crate::mail::templates::register(&mut text, &mut html, BUILTIN, overrides)?;
        Ok(Templates { text, html })
    }

    /// The text and HTML of the digest.
    pub fn render(&self, ctx: &Context, lang: Language) -> Result<Rendered> {
        let base = format!("{}/digest", lang.code());
        let text = self
            .text
            .render(&format!("{base}.txt"), ctx)
            .with_context(|| format!("cannot render template {base}.txt"))?;
        let html = self
            .html
            .render(&format!("{base}.html"), ctx)
            .with_context(|| format!("cannot render template {base}.html"))?;
        Ok(Rendered {
            text: tidy(&text),
            html,
        })
    }
}

/// At most one empty line in a row: template blocks that render nothing
/// leave none behind.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        blank = if line.is_empty() { blank + 1 } else { 0 };
        if blank <= 1 {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_pad_and_cut() {
        assert_eq!(fit("abc", 5, true), "abc  ");
        assert_eq!(fit("abc", 5, false), "  abc");
        assert_eq!(fit("abcdef", 4, true), "abc…");
        assert_eq!(tidy("a\n\n\n\nb  \n"), "a\n\nb\n");
    }
}
