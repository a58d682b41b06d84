//! The requester's pages as HTML: templates under `templates/web/`
//! (Indonesian and English, compiled in), rendered with HTML escaping, and
//! the response headers every page carries.
//!
//! The pages need no script and load nothing from elsewhere: one style
//! sheet from this listener (`/assets/survey.css`). The headers say so to
//! the browser (`Content-Security-Policy`), keep the token in the URL from
//! leaking in a `Referer`, forbid framing, and keep the page out of caches.

use anyhow::{Context, Result};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use handlebars::Handlebars;
use serde::Serialize;

use crate::config::Language;

/// The style sheet, served at [`CSS_PATH`].
pub const CSS: &str = include_str!("../../../templates/web/survey.css");
pub const CSS_PATH: &str = "/assets/survey.css";

/// The policy of every page: nothing but our own style sheet and forms
/// that post back here.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                       frame-ancestors 'none'; base-uri 'none'";

macro_rules! pages {
    ($($lang:literal / $name:literal),* $(,)?) => {
        &[$(($lang, $name, include_str!(concat!("../../../templates/web/", $lang, "/", $name, ".html.hbs")))),*]
    };
}

const PAGES: &[(&str, &str, &str)] = pages![
    "id" / "head",
    "id" / "foot",
    "id" / "survey",
    "id" / "confirm",
    "id" / "reopen",
    "id" / "done",
    "id" / "refusal",
    "en" / "head",
    "en" / "foot",
    "en" / "survey",
    "en" / "confirm",
    "en" / "reopen",
    "en" / "done",
    "en" / "refusal",
];

/// The survey form's questions (the same markup in both languages: the
/// words come from the configuration and the scale).
const QUESTIONS: &str = include_str!("../../../templates/web/questions.html.hbs");

/// The compiled pages.
pub struct Pages {
    hb: Handlebars<'static>,
}

/// A page's ticket line: number and subject, nothing else.
#[derive(Debug, Clone, Serialize)]
pub struct TicketLine {
    pub id: i64,
    pub subject: String,
}

/// One rating choice of a question.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub n: u8,
    pub label: &'static str,
    pub checked: bool,
}

/// One question as the form shows it.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionView {
    pub key: String,
    pub text: String,
    pub options: Vec<Choice>,
}

/// A field the form got wrong.
#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    /// `missing`, `bad`, `twice`, `long`.
    pub kind: &'static str,
    pub question: String,
}

/// Everything a page may show.
#[derive(Debug, Clone, Serialize, Default)]
pub struct PageCtx {
    pub lang: &'static str,
    pub desk: String,
    pub ticket: Option<TicketLine>,
    /// Where the form posts.
    pub action: String,
    /// The form's questions, already HTML ([`Pages::questions`]).
    pub form: String,
    pub comment: String,
    pub max_comment: usize,
    pub error: Option<FieldError>,
    /// `done`: answered, confirmed, reopened; `refusal`: its reason.
    pub kind: &'static str,
    /// Links to the sibling pages.
    pub reopen: String,
    pub survey: String,
}

impl Pages {
    pub fn load() -> Result<Pages> {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(false);
        for (lang, name, source) in PAGES {
            let key = format!("{lang}_{name}");
            if *name == "head" || *name == "foot" {
                hb.register_partial(&key, *source)
            } else {
                hb.register_template_string(&key, *source)
            }
            .with_context(|| format!("web template {lang}/{name}.html.hbs does not compile"))?;
        }
        hb.register_template_string("questions", QUESTIONS)
            .context("web template questions.html.hbs does not compile")?;
        Ok(Pages { hb })
    }

    /// The form's questions as HTML, escaped, to go into a page's `form`.
    pub fn questions(&self, qs: &[QuestionView]) -> Result<String> {
        self.hb
            .render("questions", &qs)
            .context("web template questions.html.hbs does not render")
    }

    /// Page `name` in `lang` as HTML.
    pub fn render(&self, name: &str, lang: Language, ctx: &impl Serialize) -> Result<String> {
        self.hb
            .render(&format!("{}_{name}", lang.code()), ctx)
            .with_context(|| format!("web page {name} does not render"))
    }

    /// Page `name` in `lang`, as a response with `status` and the headers.
    pub fn respond(
        &self,
        status: StatusCode,
        name: &str,
        lang: Language,
        ctx: &PageCtx,
    ) -> Response {
        match self.hb.render(&format!("{}_{name}", lang.code()), ctx) {
            Ok(html) => html_response(status, html),
            Err(e) => {
                tracing::error!(error = %e, page = name, "web page does not render");
                html_response(StatusCode::INTERNAL_SERVER_ERROR, String::new())
            }
        }
    }
}

/// The headers of every page (and of the style sheet, bar the type).
pub fn guard_headers(r: &mut Response) {
    let h = r.headers_mut();
    // Room for these five and the length axum adds: growing the map
    // on the way (rehashing it) was ~3 % of an answer's instructions.
    h.reserve(6);
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

pub(super) fn html_response(status: StatusCode, html: String) -> Response {
    let mut r = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    guard_headers(&mut r);
    r
}

/// `GET /assets/survey.css`.
pub async fn css() -> Response {
    let mut r = ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response();
    guard_headers(&mut r);
    // The sheet holds no secret; a day in the browser's cache is fine.
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_renders_in_both_languages_and_escapes() {
        let p = Pages::load().unwrap();
        let ctx = PageCtx {
            desk: "IT <Helpdesk>".into(),
            ticket: Some(TicketLine {
                id: 7,
                subject: "<script>alert(1)</script>".into(),
            }),
            kind: "answered",
            ..PageCtx::default()
        };
        for lang in [Language::Id, Language::En] {
            for name in ["survey", "confirm", "reopen", "done", "refusal"] {
                let r =
                    p.hb.render(&format!("{}_{name}", lang.code()), &ctx)
                        .unwrap();
                assert!(!r.contains("<script>"), "{name}");
                assert!(r.contains("&lt;script&gt;"), "{name}");
                assert!(r.contains("IT &lt;Helpdesk&gt;"), "{name}");
                assert!(r.contains("/assets/survey.css"), "{name}");
            }
        }
    }
}
