//! What the pages read beside the database: the configuration (desk,
//! survey questions), the mail templates (staff notices), the compiled
//! pages, and the survey form's questions already rendered.
//!
//! The form's questions depend only on the configuration and the
//! language, and on the GET page only one answer can be chosen (the
//! mail's rating for `overall`), so they are rendered once per language
//! and choice here, not per request: fifty radio buttons through the
//! template engine were most of a page's cost.
//!
//! The whole survey page a GET shows is rendered here too, once per
//! language and choice, as a [`Frame`] that a request fills with the
//! ticket's number, subject and token; so are the thank-you page of an
//! answer (a frame) and the refusal pages (the same for every token: one
//! per language and reason), what a POST sends back.
//!
//! A reload (SIGHUP, [`crate::reload`]) builds a new site from the new
//! configuration and templates ([`follow`]); a request takes the site of
//! the moment it starts. The rate limit is the same across reloads.

use std::sync::Arc;

use anyhow::Result;
use tokio::sync::watch;
use tracing::{error, info};

use super::Limiter;
use super::frame::{Frame, ID_MARK, SUBJECT_MARK, TOKEN_MARK};
use super::pages::{Choice, PageCtx, Pages, QuestionView, TicketLine};
use crate::config::{Config, Language};
use crate::mail::templates::Templates;
use crate::sla::scan::Escalator;
use crate::survey::{self, Question};

/// Ratings a form can show chosen: none (0) or 1–5.
const CHOICES: usize = 6;

pub struct Site {
    pub cfg: Arc<Config>,
    pub templates: Arc<Templates>,
    pub pages: Pages,
    pub limiter: Arc<Limiter>,
    /// By language (id, en), then by the `overall` rating chosen (0: none).
    forms: [[String; CHOICES]; 2],
    /// The survey page around those, likewise (`None`: a render that the
    /// frame does not reproduce; the page is then rendered per request).
    frames: [[Option<Frame>; CHOICES]; 2],
    /// The thank-you page of an answer, by language (`None`: rendered per
    /// request).
    thanks: [Option<Frame>; 2],
    /// The refusal pages by language and reason ([`REFUSALS`]; a reason
    /// missing is rendered per request).
    refusals: [Vec<(&'static str, String)>; 2],
}

/// The reasons of the refusal pages ([`Site::refusal`]).
pub const REFUSALS: [&str; 10] = [
    "unknown",
    "gone",
    "superseded",
    "expired",
    "answered",
    "closed",
    "not_resolved",
    "too_large",
    "too_many",
    "trouble",
];

fn lang_index(lang: Language) -> usize {
    match lang {
        Language::Id => 0,
        Language::En => 1,
    }
}

impl Site {
    pub fn build(
        cfg: Arc<Config>,
        templates: Arc<Templates>,
        limiter: Arc<Limiter>,
    ) -> Result<Site> {
        let pages = Pages::load()?;
        let mut forms: [[String; CHOICES]; 2] = Default::default();
        for lang in [Language::Id, Language::En] {
            for (r, slot) in forms[lang_index(lang)].iter_mut().enumerate() {
                let overall = u8::try_from(r).ok().filter(|r| *r > 0);
                let chosen = |k: &str| (k == "overall").then_some(overall).flatten();
                *slot = pages.questions(&questions(&cfg.survey.questions, lang, &chosen))?;
            }
        }
        let mut frames: [[Option<Frame>; CHOICES]; 2] = Default::default();
        for lang in [Language::Id, Language::En] {
            let l = lang_index(lang);
            for (slot, form) in frames[l].iter_mut().zip(&forms[l]) {
                *slot = survey_frame(&pages, &cfg.desk.name, lang, form)?;
            }
        }
        let mut thanks: [Option<Frame>; 2] = Default::default();
        let mut refusals: [Vec<(&'static str, String)>; 2] = Default::default();
        for lang in [Language::Id, Language::En] {
            let l = lang_index(lang);
            thanks[l] = thanks_frame(&pages, &cfg.desk.name, lang)?;
            for kind in REFUSALS {
                if let Some(page) = refusal_page(&pages, &cfg.desk.name, lang, kind)? {
                    refusals[l].push((kind, page));
                }
            }
        }
        Ok(Site {
            cfg,
            templates,
            pages,
            limiter,
            forms,
            frames,
            thanks,
            refusals,
        })
    }

    /// The thank-you page of an answer in `lang`, to fill.
    pub fn thanks(&self, lang: Language) -> Option<&Frame> {
        self.thanks[lang_index(lang)].as_ref()
    }

    /// The refusal page in `lang` for `kind`, when rendered beforehand.
    pub fn refusal(&self, lang: Language, kind: &str) -> Option<&str> {
        self.refusals[lang_index(lang)]
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, page)| page.as_str())
    }

    /// The survey page in `lang` with `overall` = `r` chosen, to fill.
    pub fn frame(&self, lang: Language, r: Option<u8>) -> Option<&Frame> {
        let i = r.filter(|r| (1..=5).contains(r)).unwrap_or(0) as usize;
        self.frames[lang_index(lang)][i].as_ref()
    }

    /// The form's questions in `lang` with `overall` = `r` chosen (none
    /// when `r` is not 1–5), as HTML.
    pub fn form(&self, lang: Language, r: Option<u8>) -> &str {
        let i = r.filter(|r| (1..=5).contains(r)).unwrap_or(0) as usize;
        &self.forms[lang_index(lang)][i]
    }

    /// The form's questions in `lang` with `chosen` answers ticked, as
    /// HTML (a form sent back with what is wrong).
    pub fn form_with(&self, lang: Language, chosen: &dyn Fn(&str) -> Option<u8>) -> Result<String> {
        self.pages
            .questions(&questions(&self.cfg.survey.questions, lang, chosen))
    }
}

/// The survey page in `lang` around `form`, cut at its marks; `None` when
/// a filled frame is not what the templates make of the same values (a
/// desk name holding a mark, say).
fn survey_frame(pages: &Pages, desk: &str, lang: Language, form: &str) -> Result<Option<Frame>> {
    frame_of(
        lang,
        "survey",
        |ctx| ctx.form = form.to_string(),
        pages,
        desk,
    )
}

/// The thank-you page of an answer in `lang`, as a frame (see
/// [`survey_frame`]).
fn thanks_frame(pages: &Pages, desk: &str, lang: Language) -> Result<Option<Frame>> {
    frame_of(lang, "done", |ctx| ctx.kind = "answered", pages, desk)
}

/// Page `name` in `lang` as the handlers render it (`set` adds what is
/// theirs to the context), cut at its marks and checked against a render.
fn frame_of(
    lang: Language,
    name: &str,
    set: impl Fn(&mut PageCtx),
    pages: &Pages,
    desk: &str,
) -> Result<Option<Frame>> {
    let page = |id: serde_json::Value, subject: &str, token: &str| -> Result<String> {
        let ticket = TicketLine {
            id: 0,
            subject: subject.to_string(),
        };
        let mut ctx = super::page_ctx(desk, lang, Some(ticket), token);
        set(&mut ctx);
        let mut ctx = serde_json::to_value(&ctx)?;
        ctx["ticket"]["id"] = id;
        pages.render(name, lang, &ctx)
    };
    let Some(frame) = Frame::cut(&page(ID_MARK.into(), SUBJECT_MARK, TOKEN_MARK)?) else {
        return Ok(None);
    };
    let (id, subject, token) = (4711, "<b>\"Tom & Jerry's\"</b> ré", "Ab-_0123456789");
    if frame.fill(id, subject, token) != page(id.into(), subject, token)? {
        tracing::warn!(
            page = name,
            "a page is rendered per request: its frame does not match"
        );
        return Ok(None);
    }
    Ok(Some(frame))
}

/// The refusal page in `lang` for `kind`, as the handlers render it for
/// any token; `None` when it differs between tokens (then it is rendered
/// per request).
fn refusal_page(
    pages: &Pages,
    desk: &str,
    lang: Language,
    kind: &'static str,
) -> Result<Option<String>> {
    let page = |token: &str| -> Result<String> {
        let mut ctx = super::page_ctx(desk, lang, None, token);
        ctx.kind = kind;
        pages.render("refusal", lang, &ctx)
    };
    let html = page("")?;
    Ok((html == page(TOKEN_MARK)? && html == page("Ab-_0123456789")?).then_some(html))
}

/// The questions as the form shows them, with `chosen` answers ticked.
fn questions(
    qs: &[Question],
    lang: Language,
    chosen: &dyn Fn(&str) -> Option<u8>,
) -> Vec<QuestionView> {
    qs.iter()
        .map(|q| {
            let pick = chosen(&q.key);
            QuestionView {
                key: q.key.clone(),
                text: q.text(lang).to_string(),
                options: (1..=5)
                    .map(|n| Choice {
                        n,
                        label: survey::scale_label(lang, n),
                        checked: pick == Some(n),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Builds a new site each time a reload hands the workers new parts
/// (configuration and templates), until those stop coming.
pub async fn follow(mut parts: watch::Receiver<Escalator>, site: watch::Sender<Arc<Site>>) {
    while parts.changed().await.is_ok() {
        let life = parts.borrow_and_update().lifecycle();
        let limiter = site.borrow().limiter.clone();
        match Site::build(life.config().clone(), life.templates().clone(), limiter) {
            Ok(s) => {
                site.send_replace(Arc::new(s));
                info!("web pages: reloaded the survey and desk settings");
            }
            Err(e) => error!(error = %format!("{e:#}"), "web pages keep their settings"),
        }
    }
}
